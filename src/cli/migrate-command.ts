/**
 * `keyrx migrate --from-keyrx [dir]`: moves a KeyRx config directory (docs/keyrx-compatibility.md)
 * into ours — the same folder by default, since both use ~/.config/keyrx (%APPDATA%\keyrx).
 *
 * KeyRx keeps: profiles/<name>.rhai (and its own binary .krx next to them), `.active` (JSON
 * `{"name", …}` or the bare name), devices.json (a map id → {name, serial?, layout?}, ids
 * `serial-<serial>` or `path-<path>`), settings.json (`global_layout`, `port`) and layouts/*.json
 * (keyboard-layout-editor raw data). What we keep differs in devices.json, settings.json and
 * layouts/, so: everything is read first; in the same folder, KeyRx's own files are moved to
 * `keyrx-1.x/` (nothing is deleted); then the profiles are compiled and saved, the layouts
 * imported, the devices kept as settings that the keyboard with that serial (or path) takes when
 * it connects, and the active profile made the one the daemon starts with. The report says what
 * was carried over and what was not, and why.
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { importKle } from '../core/index.ts';
import { DaemonError } from '../daemon/errors.ts';
import { KEYRX_LAYOUTS, keyrxCustomLayoutId } from '../daemon/keyrx-layouts.ts';
import { isValidProfileName } from '../daemon/names.ts';
import { resolveConfigDir } from '../daemon/paths.ts';
import { formatDiagnostic } from '../dsl/diagnostics.ts';
import { CliError, describeFsError } from './errors.ts';
import type { Output } from './profile-commands.ts';

export interface KeyrxDir {
  dir: string;
  profiles: { name: string; source: string }[];
  /** .krx files KeyRx compiled (ours are in cache/: these are moved aside, not read) */
  krx: string[];
  active: string | null;
  devices: { keyrxId: string; name?: string; layout?: string }[];
  settings: { globalLayout?: string; port?: number };
  layouts: { file: string; data: unknown }[];
  problems: string[];
}

async function readJsonFile(path: string, problems: string[]): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT')
      problems.push(`${path}: ${e instanceof SyntaxError ? `not JSON (${e.message})` : describeFsError(e)}`);
    return undefined;
  }
}

/** Reads what KeyRx left in `dir`, every problem named (a broken file does not stop the rest). */
export async function readKeyrxDir(dir: string): Promise<KeyrxDir> {
  const problems: string[] = [];
  const out: KeyrxDir = {
    dir,
    profiles: [],
    krx: [],
    active: null,
    devices: [],
    settings: {},
    layouts: [],
    problems,
  };
  const profileDir = join(dir, 'profiles');
  for (const f of (await readdir(profileDir).catch(() => [] as string[])).sort()) {
    if (f.endsWith('.krx')) out.krx.push(f);
    if (!f.endsWith('.rhai')) continue;
    const name = f.slice(0, -5);
    try {
      out.profiles.push({ name, source: await readFile(join(profileDir, f), 'utf8') });
    } catch (e) {
      problems.push(`profiles/${f}: ${describeFsError(e)}`);
    }
  }
  const active = await readFile(join(dir, '.active'), 'utf8').catch(() => undefined);
  if (active !== undefined) {
    let name: unknown = active.trim();
    try {
      const parsed = JSON.parse(active) as { name?: unknown };
      if (parsed && typeof parsed === 'object') name = parsed.name;
    } catch {
      // KeyRx accepts the bare name too
    }
    if (typeof name === 'string' && name !== '') out.active = name;
    else problems.push('.active names no profile');
  }
  const devices = await readJsonFile(join(dir, 'devices.json'), problems);
  // ours has {"devices": {…}} with "enabled": KeyRx's is the map itself
  if (devices && typeof devices === 'object' && !Array.isArray(devices) && !('devices' in devices))
    for (const [id, v] of Object.entries(devices as Record<string, unknown>)) {
      const e = v as { name?: unknown; layout?: unknown } | null;
      if (!e || typeof e !== 'object') continue;
      out.devices.push({
        keyrxId: id,
        ...(typeof e.name === 'string' ? { name: e.name } : {}),
        ...(typeof e.layout === 'string' ? { layout: e.layout } : {}),
      });
    }
  const settings = (await readJsonFile(join(dir, 'settings.json'), problems)) as
    { global_layout?: unknown; port?: unknown } | undefined;
  if (settings && typeof settings === 'object') {
    if (typeof settings.global_layout === 'string') out.settings.globalLayout = settings.global_layout;
    if (typeof settings.port === 'number') out.settings.port = settings.port;
  }
  for (const f of (await readdir(join(dir, 'layouts')).catch(() => [] as string[])).sort()) {
    if (!f.endsWith('.json')) continue;
    const data = await readJsonFile(join(dir, 'layouts', f), problems);
    // KeyRx's are keyboard-layout-editor arrays; ours are objects (already ours: left alone)
    if (Array.isArray(data)) out.layouts.push({ file: f, data });
  }
  return out;
}

export interface MigrationReport {
  from: string;
  to: string;
  /** KeyRx's own files moved aside (same folder) */
  movedAside: string[];
  profiles: {
    name: string;
    result: 'imported' | 'kept' | 'exists' | 'invalid' | 'bad-name';
    detail?: string;
  }[];
  active: { name: string | null; result: 'set' | 'none' | 'not-compiled' | 'missing'; detail?: string };
  layouts: { file: string; id?: string; result: 'imported' | 'exists' | 'invalid'; detail?: string }[];
  devices: { added: string[]; skipped: string[] };
  notes: string[];
}

export async function migrateFromKeyrx(
  from: string,
  to: string,
  opts: { overwrite?: boolean } = {},
): Promise<MigrationReport> {
  const k = await readKeyrxDir(from);
  const same = resolve(from) === resolve(to);
  const report: MigrationReport = {
    from,
    to,
    movedAside: [],
    profiles: [],
    active: { name: k.active, result: 'none' },
    layouts: [],
    devices: { added: [], skipped: [] },
    notes: [...k.problems],
  };
  if (same) {
    // KeyRx's files whose format differs from ours go aside, kept as they were
    const aside = join(to, 'keyrx-1.x');
    const moves: [string, string][] = [];
    for (const f of ['.active', 'devices.json', 'settings.json', 'daemon.pid'])
      if (existsSync(join(to, f))) moves.push([f, f]);
    for (const f of k.krx) moves.push([join('profiles', f), join('profiles', f)]);
    for (const l of k.layouts) moves.push([join('layouts', l.file), join('layouts', l.file)]);
    // devices.json and settings.json in our own format are ours: stay
    for (const f of ['devices.json', 'settings.json']) {
      const data = await readFile(join(to, f), 'utf8').catch(() => '');
      const ours =
        f === 'devices.json'
          ? /"devices"\s*:/.test(data)
          : data !== '' && !/"global_layout"|"port"/.test(data);
      if (ours)
        moves.splice(
          moves.findIndex(([a]) => a === f),
          1,
        );
    }
    for (const [src, dest] of moves) {
      await mkdir(join(aside, dest, '..'), { recursive: true, mode: 0o700 });
      await rename(join(to, src), join(aside, dest));
      report.movedAside.push(src);
    }
  }
  // loaded here: the other commands start without the daemon's modules
  const { Daemon } = await import('../daemon/daemon.ts');
  const daemon = new Daemon({ configDir: to, logger: pino({ level: 'silent' }) });
  try {
    await daemon.openOffline();
  } catch (e) {
    await daemon.stop().catch(() => undefined);
    if (e instanceof DaemonError && e.code === 'ALREADY_RUNNING')
      throw new CliError(
        `a keyrx daemon is using ${to}: stop it first (keyrx migrate writes its config directory)`,
        1,
      );
    throw e;
  }
  try {
    for (const p of k.profiles) {
      if (!isValidProfileName(p.name)) {
        report.profiles.push({ name: p.name, result: 'bad-name', detail: 'not a valid profile name here' });
        continue;
      }
      const existing = await daemon.getProfile(p.name).catch(() => null);
      if (existing && existing.source === p.source) {
        const errors = existing.diagnostics.filter((d) => d.severity === 'error');
        report.profiles.push(
          errors.length === 0
            ? { name: p.name, result: same ? 'kept' : 'exists' }
            : {
                name: p.name,
                result: 'invalid',
                detail: errors.map((d) => formatDiagnostic(d, p.source)).join('\n'),
              },
        );
        continue;
      }
      if (existing && !opts.overwrite) {
        report.profiles.push({
          name: p.name,
          result: 'exists',
          detail: 'a different profile of that name is here (--overwrite replaces it)',
        });
        continue;
      }
      try {
        await daemon.importProfile({ name: p.name, source: p.source, overwrite: opts.overwrite });
        report.profiles.push({ name: p.name, result: 'imported' });
      } catch (e) {
        if (!(e instanceof DaemonError) || e.code !== 'PROFILE_INVALID') throw e;
        // kept as it is, listed with its errors: fix it here, or tell us
        await daemon.writeProfileAsIs(p.name, p.source);
        const diagnostics =
          (e.details as { diagnostics?: Parameters<typeof formatDiagnostic>[0][] })?.diagnostics ?? [];
        report.profiles.push({
          name: p.name,
          result: 'invalid',
          detail: diagnostics.map((d) => formatDiagnostic(d, p.source)).join('\n') || e.message,
        });
      }
    }
    for (const l of k.layouts) {
      const id = keyrxCustomLayoutId(l.file.slice(0, -5));
      if ((await daemon.layoutStore.exists(id)) && !opts.overwrite) {
        report.layouts.push({ file: l.file, id, result: 'exists' });
        continue;
      }
      try {
        const { layout } = importKle(l.data, id, { skipUnknown: true, name: l.file.slice(0, -5) });
        await daemon.layoutStore.save(layout);
        report.layouts.push({ file: l.file, id, result: 'imported' });
      } catch (e) {
        report.layouts.push({ file: l.file, id, result: 'invalid', detail: (e as Error).message });
      }
    }
    const globalLayout = k.settings.globalLayout ? KEYRX_LAYOUTS[k.settings.globalLayout] : undefined;
    if (k.settings.globalLayout && !globalLayout)
      report.notes.push(
        `settings.json global_layout ${k.settings.globalLayout} is not a layout keyrx knows: left out`,
      );
    report.devices = await daemon.addMigratedDevices(
      k.devices.map((d) => {
        const layout = d.layout ? (KEYRX_LAYOUTS[d.layout] ?? keyrxCustomLayoutId(d.layout)) : globalLayout;
        return { keyrxId: d.keyrxId, ...(d.name ? { name: d.name } : {}), ...(layout ? { layout } : {}) };
      }),
    );
    if (report.devices.added.length > 0)
      report.notes.push(
        'each device keeps its name and layout, and takes them when the keyboard with that serial number (or path) connects',
      );
    if (globalLayout)
      report.notes.push(
        `KeyRx's global layout ${k.settings.globalLayout} went to the migrated devices without one; for others: keyrx devices set-layout <device> ${globalLayout}`,
      );
    if (k.settings.port !== undefined && k.settings.port !== 9867)
      report.notes.push(
        `KeyRx listened on port ${k.settings.port}: start keyrx with --port ${k.settings.port} (or KEYRX_PORT) to keep it`,
      );
    if (k.active) {
      const present =
        report.profiles.some((p) => p.name === k.active) ||
        (await daemon.getProfile(k.active).catch(() => null));
      if (!present) report.active = { name: k.active, result: 'missing', detail: 'no such profile' };
      else
        try {
          await daemon.setStartupProfile(k.active);
          report.active = { name: k.active, result: 'set' };
        } catch (e) {
          report.active = { name: k.active, result: 'not-compiled', detail: (e as Error).message };
        }
    }
  } finally {
    await daemon.stop();
  }
  return report;
}

function formatReport(r: MigrationReport): string {
  const lines = [`keyrx migrate: from KeyRx in ${r.from} to ${r.to}`];
  if (r.movedAside.length > 0)
    lines.push(`KeyRx's own files moved to ${join(r.to, 'keyrx-1.x')}: ${r.movedAside.join(', ')}`);
  const word = {
    imported: 'imported',
    kept: 'kept (already here)',
    exists: 'not imported',
    invalid: 'DOES NOT COMPILE',
    'bad-name': 'not imported',
  };
  lines.push('', 'profiles:');
  if (r.profiles.length === 0) lines.push('  none found');
  for (const p of r.profiles) {
    lines.push(`  ${p.name}: ${word[p.result]}${p.detail && p.result !== 'invalid' ? ` (${p.detail})` : ''}`);
    if (p.result === 'invalid' && p.detail) for (const l of p.detail.split('\n')) lines.push(`      ${l}`);
  }
  lines.push(
    '',
    `active profile: ${
      r.active.name === null
        ? 'none'
        : r.active.result === 'set'
          ? `${r.active.name} (the daemon starts with it)`
          : `${r.active.name}: not set (${r.active.detail})`
    }`,
  );
  if (r.layouts.length > 0) {
    lines.push('', 'layouts:');
    for (const l of r.layouts)
      lines.push(`  ${l.file} → ${l.id}: ${l.result}${l.detail ? ` (${l.detail})` : ''}`);
  }
  lines.push(
    '',
    `devices: ${r.devices.added.length} carried over${r.devices.skipped.length > 0 ? `, ${r.devices.skipped.length} skipped (their KeyRx id names no serial or path: ${r.devices.skipped.join(', ')})` : ''}`,
  );
  if (r.notes.length > 0) lines.push('', 'notes:', ...r.notes.map((n) => `  - ${n}`));
  return lines.join('\n');
}

export function registerMigrateCommand(program: Command, io: Output): void {
  program
    .command('migrate')
    .description(
      "move over from KeyRx: its profiles, active profile, device names and layouts, custom layouts and settings, into keyrx's config directory (the same folder by default); reports what was carried over",
    )
    .requiredOption(
      '--from-keyrx [dir]',
      "KeyRx's config directory (default: ~/.config/keyrx, %APPDATA%\\keyrx)",
    )
    .option('--config-dir <dir>', "keyrx's config directory (env KEYRX_CONFIG_DIR)")
    .option('--overwrite', 'replace profiles and layouts of the same name that differ')
    .option('--json', 'print the report as JSON')
    .action(
      async (opts: { fromKeyrx: string | true; configDir?: string; overwrite?: boolean; json?: boolean }) => {
        const to = resolveConfigDir(opts.configDir);
        const from =
          opts.fromKeyrx === true
            ? resolveConfigDir(undefined, { ...process.env, KEYRX_CONFIG_DIR: '' })
            : resolve(opts.fromKeyrx);
        const st = await stat(from).catch(() => null);
        if (!st?.isDirectory())
          throw new CliError(
            `no KeyRx config directory at ${from} (give it: keyrx migrate --from-keyrx DIR)`,
            2,
          );
        const report = await migrateFromKeyrx(from, to, { overwrite: opts.overwrite });
        io.out(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
        if (report.profiles.some((p) => p.result === 'invalid'))
          throw new CliError('some profiles do not compile here (see above): they were kept as they are', 1);
      },
    );
}
