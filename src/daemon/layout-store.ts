/**
 * Custom keyboard layouts on disk: `<config dir>/layouts/<id>.json`, beside the built-in ones of
 * src/core/layouts.ts. The daemon's routes (src/server/layout-routes.ts) and device settings
 * (Daemon.patchDevice) use one LayoutStore; the CLI reaches it through the API.
 *
 * - Every path is built from an id checked against LAYOUT_ID_RULE (never a path, never a built-in
 *   id), so nothing is written outside the layouts folder.
 * - Writes are atomic (atomic.ts); reads are bounded and confined to the folder (bounded-read.ts):
 *   a FIFO, a device, a link out of the folder or a huge file is refused, never waited on.
 * - A file that is not a valid layout is listed with its error and refused by get(), never a crash;
 *   it stays on disk until it is replaced or deleted.
 */
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Layout } from '../core/index.ts';
import {
  BUILTIN_LAYOUTS,
  canonicalLayoutId,
  isBuiltInLayoutId,
  isValidCustomLayoutId,
  LAYOUT_ID_RULE,
  layoutAliases,
  layoutById,
  LayoutError,
  layoutSize,
  layoutToJson,
  validateLayout,
} from '../core/index.ts';
import { syncDir, writeFileAtomic } from './atomic.ts';
import { readConfined } from './bounded-read.ts';
import { DaemonError, storageError } from './errors.ts';

/** Custom layouts listed at most (the rest: `truncated`). */
export const MAX_CUSTOM_LAYOUTS = 1000;
const FILE = /^([a-z0-9][a-z0-9-]{0,47})\.json$/;
/** Files read at the same time while listing. */
const READ_CONCURRENCY = 16;

export interface LayoutSummary {
  id: string;
  name: string;
  description?: string;
  builtIn: boolean;
  /** old ids that mean this layout (`ansi` for `ansi-104`) */
  aliases: string[];
  keyCount: number;
  width: number;
  height: number;
  /** set when the stored file is not a valid layout (it is then not usable) */
  error?: string;
}

export type LayoutDetail = Layout & { aliases: string[]; width: number; height: number };

export function layoutDetail(layout: Layout): LayoutDetail {
  return { ...layout, keys: [...layout.keys], aliases: layoutAliases(layout.id), ...layoutSize(layout) };
}

function summary(layout: Layout): LayoutSummary {
  return {
    id: layout.id,
    name: layout.name,
    ...(layout.description !== undefined ? { description: layout.description } : {}),
    builtIn: layout.builtIn,
    aliases: layoutAliases(layout.id),
    keyCount: layout.keys.length,
    ...layoutSize(layout),
  };
}

const shown = (id: string): string => JSON.stringify(id.length > 60 ? `${id.slice(0, 60)}…` : id);

type StoredRead = { kind: 'ok'; layout: Layout } | { kind: 'missing' } | { kind: 'broken'; reason: string };

export class LayoutStore {
  /** `<config dir>/layouts` */
  readonly dir: string;

  constructor(configRoot: string) {
    this.dir = join(configRoot, 'layouts');
  }

  /** An id a custom layout can be saved or deleted under, or a DaemonError saying why not. */
  checkCustomId(id: string): string {
    if (isBuiltInLayoutId(id))
      throw new DaemonError(
        'LAYOUT_BUILTIN',
        `'${id}' is a built-in layout, which cannot be changed or deleted; save yours under another id`,
      );
    if (!isValidCustomLayoutId(id))
      throw new DaemonError('INVALID_NAME', `invalid layout id ${shown(id)}: ${LAYOUT_ID_RULE}`);
    return id;
  }

  private path(id: string): string {
    return join(this.dir, `${this.checkCustomId(id)}.json`);
  }

  private async read(id: string): Promise<StoredRead> {
    const r = await readConfined(this.path(id), [this.dir]);
    if (r.kind === 'missing') return r;
    if (r.kind === 'refused') return { kind: 'broken', reason: r.reason.replace(this.dir, 'layouts') };
    let data: unknown;
    try {
      data = JSON.parse(r.text);
    } catch (e) {
      return { kind: 'broken', reason: `not valid JSON (${(e as Error).message})` };
    }
    try {
      return { kind: 'ok', layout: validateLayout(data, id) };
    } catch (e) {
      if (e instanceof LayoutError) return { kind: 'broken', reason: e.message };
      throw e;
    }
  }

  /** Built-in layouts first, in their order, then the custom ones by id. */
  async list(): Promise<{ layouts: LayoutSummary[]; truncated: boolean }> {
    const builtIn = BUILTIN_LAYOUTS.map(summary);
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return { layouts: builtIn, truncated: false };
      throw storageError('listing layouts', e);
    }
    const ids = names
      .map((n) => FILE.exec(n)?.[1])
      .filter((id): id is string => id !== undefined && isValidCustomLayoutId(id))
      .sort();
    const shownIds = ids.slice(0, MAX_CUSTOM_LAYOUTS);
    const custom: LayoutSummary[] = new Array(shownIds.length);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < shownIds.length) {
        const i = next++;
        const id = shownIds[i];
        const r = await this.read(id);
        custom[i] =
          r.kind === 'ok'
            ? summary(r.layout)
            : {
                id,
                name: id,
                builtIn: false,
                aliases: [],
                keyCount: 0,
                width: 0,
                height: 0,
                error: r.kind === 'missing' ? 'removed while listing' : r.reason,
              };
      }
    };
    await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, shownIds.length) }, worker));
    return { layouts: [...builtIn, ...custom], truncated: ids.length > shownIds.length };
  }

  /** A built-in layout (by id or old alias) or a stored one; LAYOUT_NOT_FOUND, LAYOUT_CORRUPT. */
  async get(id: string): Promise<Layout> {
    const builtIn = layoutById(id);
    if (builtIn) return builtIn;
    const r = await this.read(id);
    if (r.kind === 'ok') return r.layout;
    if (r.kind === 'broken')
      throw new DaemonError(
        'LAYOUT_CORRUPT',
        `the stored layout '${id}' is not usable: ${r.reason}; replace it (PUT) or delete it`,
      );
    throw new DaemonError('LAYOUT_NOT_FOUND', `no layout '${id}' (${await this.knownText()})`);
  }

  /**
   * The id to store for a device's layout: a built-in id (old aliases become the new id) or the id
   * of a stored, valid custom layout; anything else is LAYOUT_UNKNOWN with the known ids.
   */
  async resolveId(id: string): Promise<string> {
    if (isBuiltInLayoutId(id)) return canonicalLayoutId(id);
    if (isValidCustomLayoutId(id) && (await this.read(id)).kind === 'ok') return id;
    const known = await this.knownIds();
    throw new DaemonError(
      'LAYOUT_UNKNOWN',
      `unknown layout ${shown(id)}: known layouts are ${known.join(', ')}`,
      {
        known,
      },
    );
  }

  /** Saves a checked layout under its id (atomically); `created` when there was none. */
  async save(layout: Layout): Promise<{ created: boolean }> {
    const path = this.path(layout.id);
    const created = (await this.read(layout.id)).kind === 'missing';
    try {
      await writeFileAtomic(path, `${JSON.stringify(layoutToJson(layout), null, 2)}\n`, 0o600);
    } catch (e) {
      throw storageError(`saving layout '${layout.id}'`, e);
    }
    return { created };
  }

  /** Whether a custom layout file of this id exists (valid or not). */
  async exists(id: string): Promise<boolean> {
    return (await this.read(id)).kind !== 'missing';
  }

  async delete(id: string): Promise<void> {
    const path = this.path(id);
    try {
      await unlink(path);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT')
        throw new DaemonError('LAYOUT_NOT_FOUND', `no custom layout '${id}'`);
      throw storageError(`deleting layout '${id}'`, e);
    }
    await syncDir(this.dir).catch(() => undefined);
  }

  private async knownIds(): Promise<string[]> {
    const { layouts } = await this.list();
    return layouts.filter((l) => l.error === undefined).map((l) => l.id);
  }

  private async knownText(): Promise<string> {
    const { layouts } = await this.list();
    const custom = layouts.filter((l) => !l.builtIn).map((l) => l.id);
    return `built in: ${BUILTIN_LAYOUTS.map((l) => l.id).join(', ')}; custom: ${custom.length > 0 ? custom.join(', ') : 'none'}`;
  }
}
