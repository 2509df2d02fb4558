/**
 * `keyrx layouts list | show | import | export | delete`: keyboard layouts, the built-in ones and
 * custom ones stored in the config directory (`layouts/<id>.json`). Through the running daemon's
 * API (/api/layouts), or on the config directory directly when no daemon runs (client.ts).
 *
 * `import` reads our layout JSON (an object with `name` and `keys`) or keyboard-layout-editor raw
 * data (an array of rows), told apart by its shape; `export` writes either. `layoutForView` gives
 * `keyrx view --layout` the same layouts without a daemon.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Command } from 'commander';
import type { KleSkipped, Layout } from '../core/index.ts';
import {
  isBuiltInLayoutId,
  isKleData,
  isValidCustomLayoutId,
  LAYOUT_ID_RULE,
  layoutById,
  layoutToJson,
  plural,
} from '../core/index.ts';
import { DaemonError } from '../daemon/errors.ts';
import { KEYRX_LAYOUTS } from '../daemon/keyrx-layouts.ts';
import type { LayoutDetail, LayoutSummary } from '../daemon/layout-store.ts';
import { LayoutStore } from '../daemon/layout-store.ts';
import { resolveConfigDir } from '../daemon/paths.ts';
import type { ConnectionOptions } from './client.ts';
import { ApiError, connect, seg } from './client.ts';
import { client } from './client-commands.ts';
import { CliError, describeFsError } from './errors.ts';
import { drawLayout } from './layout-draw.ts';
import type { Output } from './profile-commands.ts';

interface LayoutOptions extends ConnectionOptions {
  json?: boolean;
}

/** Files larger than this are not layouts (the API takes bodies up to 1 MiB). */
const MAX_FILE_BYTES = 4 * 1_048_576;

const units = (n: number): string => String(Math.round(n * 100) / 100);
const size = (l: { width: number; height: number }): string => `${units(l.width)} × ${units(l.height)}`;

/** The list as a table: id, name, keys, size in key units, and what kind it is. */
export function formatLayoutList(layouts: LayoutSummary[], truncated = false): string {
  const rows = layouts.map((l) => [
    l.id,
    l.error !== undefined ? '—' : l.name,
    l.error !== undefined ? '—' : String(l.keyCount),
    l.error !== undefined ? '—' : size(l),
    l.error !== undefined
      ? `broken: ${l.error}`
      : l.builtIn
        ? `built in${l.aliases.length > 0 ? ` (also: ${l.aliases.join(', ')})` : ''}`
        : 'custom',
  ]);
  const head = ['ID', 'NAME', 'KEYS', 'SIZE', ''];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const lines = [head, ...rows].map((r) =>
    r
      .map((cell, i) =>
        i === 2 ? cell.padStart(width[i]) : i === r.length - 1 ? cell : cell.padEnd(width[i]),
      )
      .join('  ')
      .trimEnd(),
  );
  if (truncated) lines.push('(more custom layouts than listed)');
  return lines.join('\n');
}

/** A layout's heading, description and drawing. */
export function formatLayout(layout: LayoutDetail, opts: { ascii?: boolean } = {}): string {
  const kind = layout.builtIn ? 'built in' : 'custom';
  const lines = [
    `${layout.id}: ${layout.name} (${kind}; ${plural(layout.keys.length, 'key')}, ${size(layout)} key units)`,
  ];
  if (layout.description) lines.push(layout.description);
  lines.push('', drawLayout(layout, opts));
  return lines.join('\n');
}

/**
 * A layout id given on the command line, checked here: the daemon reads a name that is none of
 * our ids as KeyRx's (GET /api/layouts/ANSI_104 is KLE data). KeyRx's built-in names are taken
 * for ours where a layout is read (`keyrx layouts show ANSI_104`, as KeyRx's CLI spelled it).
 */
function layoutIdArg(id: string, opts: { keyrxNames: boolean; option?: string }): string {
  const keyrx = opts.keyrxNames ? KEYRX_LAYOUTS[id] : undefined;
  if (keyrx !== undefined) return keyrx;
  const given: string = id; // the type guard below narrows `id` to never when it fails
  if (isBuiltInLayoutId(id) || isValidCustomLayoutId(id)) return id;
  const shownId = JSON.stringify(given.length > 60 ? `${given.slice(0, 60)}…` : given);
  throw new CliError(
    `${opts.option ? `${opts.option}: ` : ''}invalid layout id ${shownId}: ${LAYOUT_ID_RULE}`,
    2,
  );
}

async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new CliError(`'${path}' is not a file`, 2);
    if (st.size > MAX_FILE_BYTES)
      throw new CliError(`'${path}' is larger than ${MAX_FILE_BYTES / 1_048_576} MiB: not a layout`, 2);
    text = await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`cannot read '${path}': ${describeFsError(e)}`, 2);
  }
  try {
    return JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (e) {
    throw new CliError(
      `'${path}' is not JSON (${(e as Error).message}); expected a keyrx layout or keyboard-layout-editor raw data`,
      2,
    );
  }
}

/** Writes next to the target and renames, so a reader never sees half a file. */
async function writeOutput(path: string, text: string): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => undefined);
    throw new CliError(`cannot write '${path}': ${describeFsError(e)}`, 1);
  }
}

interface ImportOptions extends LayoutOptions {
  id: string;
  name?: string;
  description?: string;
  skipUnknown?: boolean;
  force?: boolean;
}

/** The PUT body for a file's content: KLE raw data (an array) or our layout JSON (an object). */
function importBody(data: unknown, file: string, opts: ImportOptions): Record<string, unknown> {
  const optional = {
    ...(opts.description !== undefined ? { description: opts.description } : {}),
  };
  if (isKleData(data)) {
    const meta = (data as unknown[])[0];
    const metaName =
      typeof meta === 'object' &&
      meta !== null &&
      !Array.isArray(meta) &&
      typeof (meta as { name?: unknown }).name === 'string'
        ? (meta as { name: string }).name.trim() || undefined
        : undefined;
    return {
      name: (opts.name ?? metaName ?? opts.id).slice(0, 64),
      ...optional,
      kle: data,
      ...(opts.skipUnknown ? { skipUnknown: true } : {}),
    };
  }
  if (typeof data !== 'object' || data === null)
    throw new CliError(
      `'${file}' is neither a keyrx layout ({"name", "keys"}) nor keyboard-layout-editor raw data ([rows…])`,
      2,
    );
  const layout = data as { name?: unknown; description?: unknown; keys?: unknown };
  if (!Array.isArray(layout.keys))
    throw new CliError(
      `'${file}' has no "keys" array: expected a keyrx layout ({"name", "keys": [{"key", "x", "y", "w", "h"}…]}) or keyboard-layout-editor raw data`,
      2,
    );
  if (opts.skipUnknown)
    throw new CliError('--skip-unknown is for keyboard-layout-editor data; this is a keyrx layout', 2);
  return {
    name: opts.name ?? (typeof layout.name === 'string' && layout.name.trim() ? layout.name : opts.id),
    ...(opts.description === undefined && typeof layout.description === 'string'
      ? { description: layout.description }
      : optional),
    keys: layout.keys,
  };
}

function skippedText(skipped: KleSkipped[]): string[] {
  return skipped.map((s) => `skipped row ${s.row}, key ${s.col} (${s.legend || 'no legend'}): ${s.reason}`);
}

/** A layout by id for `keyrx view`, without a daemon: built in, else from the config directory. */
export async function layoutForView(id: string, opts: { configDir?: string }): Promise<Layout> {
  const builtIn = layoutById(id);
  if (builtIn) return builtIn;
  try {
    return await new LayoutStore(resolveConfigDir(opts.configDir)).get(id);
  } catch (e) {
    if (e instanceof DaemonError) throw new CliError(`--layout: ${e.message}`, 2);
    throw e;
  }
}

export function registerLayoutCommands(program: Command, io: Output): void {
  const layouts = program
    .command('layouts')
    .description('keyboard layouts: the built-in ones and your own (imported from keyboard-layout-editor)')
    .addHelpText(
      'after',
      '\nCustom layouts are stored in <config dir>/layouts/<id>.json; a device uses one through\n`keyrx devices` / PATCH /api/devices/:id. With no daemon running, the config directory is used directly.',
    );
  const api = (opts: LayoutOptions) => connect(opts, { offline: true, notice: io.err });

  client(layouts.command('list').description('every layout: id, name, keys, size')).action(
    async (opts: LayoutOptions) => {
      const r = await (await api(opts)).get<{ layouts: LayoutSummary[]; truncated: boolean }>('/api/layouts');
      io.out(opts.json ? JSON.stringify(r, null, 2) : formatLayoutList(r.layouts, r.truncated));
    },
  );

  client(
    layouts
      .command('show')
      .description('draw a layout in the terminal (every key with its name)')
      .argument('<id>', 'a layout id (keyrx layouts list); ansi, iso and jis are the old ids')
      .option('--ascii', 'draw with + - | instead of box-drawing characters'),
  ).action(async (id: string, opts: LayoutOptions & { ascii?: boolean }) => {
    const layout = await (
      await api(opts)
    ).get<LayoutDetail>(`/api/layouts/${seg(layoutIdArg(id, { keyrxNames: true }))}`);
    io.out(opts.json ? JSON.stringify(layout, null, 2) : formatLayout(layout, { ascii: opts.ascii }));
  });

  client(
    layouts
      .command('import')
      .description('save a layout from a file: keyrx layout JSON or keyboard-layout-editor raw data')
      .argument('<file>', 'a .json file: {"name", "keys": [...]} or KLE raw data [[...], ...]')
      .requiredOption('--id <id>', 'the new layout’s id: lowercase letters, digits and -')
      .option('--name <name>', 'its name (default: the file’s name field, else the id)')
      .option('--description <text>', 'a line about it')
      .option('--skip-unknown', 'KLE: leave out keys whose legend names no key (Fn …) instead of failing')
      .option('--force', 'replace a custom layout of this id'),
  ).action(async (file: string, opts: ImportOptions) => {
    layoutIdArg(opts.id, { keyrxNames: false, option: '--id' });
    const body = importBody(await readJsonFile(file), file, opts);
    const target = await api(opts);
    if (!opts.force) {
      const existing = await target.get<LayoutDetail>(`/api/layouts/${seg(opts.id)}`).catch((e: unknown) => {
        if (e instanceof ApiError && (e.code === 'LAYOUT_NOT_FOUND' || e.code === 'LAYOUT_CORRUPT'))
          return null;
        if (e instanceof ApiError && e.code === 'INVALID_NAME') throw new CliError(`--id: ${e.message}`, 2);
        throw e;
      });
      if (existing && !existing.builtIn)
        throw new CliError(
          `a custom layout '${opts.id}' exists (${existing.name}); --force replaces it, or choose another --id`,
          1,
        );
    }
    const saved = await target.put<LayoutDetail & { skipped: KleSkipped[] }>(
      `/api/layouts/${seg(opts.id)}`,
      body,
    );
    if (opts.json) return io.out(JSON.stringify(saved, null, 2));
    for (const line of skippedText(saved.skipped)) io.err(`keyrx: ${line}`);
    io.out(
      `saved layout '${saved.id}' (${saved.name}): ${plural(saved.keys.length, 'key')}, ${size(saved)} key units, from ${isKleData(body.kle) ? 'keyboard-layout-editor data' : 'a keyrx layout'}`,
    );
  });

  client(
    layouts
      .command('export')
      .description('a layout as keyrx layout JSON, or keyboard-layout-editor raw data (--kle)')
      .argument('<id>')
      .option('--kle', 'keyboard-layout-editor raw data (paste into its Raw data tab)')
      .option('-o, --output <file>', 'write to this file instead of printing'),
  ).action(async (id: string, opts: LayoutOptions & { kle?: boolean; output?: string }) => {
    id = layoutIdArg(id, { keyrxNames: true });
    const source = await api(opts);
    const data = opts.kle
      ? await source.get<unknown[]>(`/api/layouts/${seg(id)}/kle`)
      : layoutToJson(await source.get<LayoutDetail>(`/api/layouts/${seg(id)}`));
    const text = `${JSON.stringify(data, null, opts.kle ? undefined : 2)}\n`;
    if (opts.output === undefined) return io.out(text.trimEnd());
    await writeOutput(opts.output, text);
    io.err(`keyrx: wrote ${opts.output}`);
  });

  client(
    layouts
      .command('delete')
      .description('delete a custom layout (refused while a device uses it, unless --force)')
      .argument('<id>')
      .option('--force', 'delete even if devices use it (they then show the default layout)'),
  ).action(async (id: string, opts: LayoutOptions & { force?: boolean }) => {
    const r = await (
      await api(opts)
    )
      .delete<{ deleted: string; usedBy: string[] }>(
        `/api/layouts/${seg(id)}${opts.force ? '?force=true' : ''}`,
      )
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.code === 'LAYOUT_IN_USE') {
          const devices = (e.details as { devices?: string[] } | undefined)?.devices ?? [];
          throw new CliError(
            `layout '${id}' is the layout of ${plural(devices.length, 'device')} (${devices.join(', ')}): choose another layout for ${devices.length === 1 ? 'it' : 'them'} (web UI: Devices; API: PATCH /api/devices/:id), or delete with --force`,
            1,
          );
        }
        throw e;
      });
    if (opts.json) return io.out(JSON.stringify(r, null, 2));
    io.out(
      `deleted layout '${r.deleted}'${r.usedBy.length > 0 ? `; ${plural(r.usedBy.length, 'device')} still name it and show the default layout: ${r.usedBy.join(', ')}` : ''}`,
    );
  });
}
