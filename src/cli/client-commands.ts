/**
 * `keyrx status`, `keyrx profiles …`, `keyrx devices list`, `keyrx context …` and `keyrx
 * login-url`: clients of a running daemon's REST API (docs/api.md). `--json` prints the API's
 * JSON; otherwise tables.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { createInterface } from 'node:readline/promises';
import type { Command } from 'commander';
import { Option } from 'commander';
import type {
  ActivationResult,
  ContextInfo,
  ContextPatch,
  Daemon,
  DeviceInfo,
  EngineStateInfo,
  ProfileDetail,
  ProfileMeta,
} from '../daemon/daemon.ts';
import { plural } from '../core/plural.ts';
// templates.ts is data only: importing it loads nothing of the daemon
import { TEMPLATE_DESCRIPTIONS, TEMPLATE_NAMES } from '../daemon/templates.ts';
import type { DiagnosticsReport } from '../daemon/diagnostics.ts';
import type { ProfileBundle } from '../daemon/bundle.ts';
import { formatDiagnostics } from '../daemon/diagnostics.ts';
import type { Diagnostic } from '../dsl/diagnostics.ts';
import { formatDiagnostic } from '../dsl/diagnostics.ts';
import type { ApiClient, ConnectionOptions } from './client.ts';
import { ApiError, connect, seg } from './client.ts';
import { CliError, describeFsError } from './errors.ts';
import type { Output } from './profile-commands.ts';
import { summarizeDiagnostics } from './summary.ts';

type Status = ReturnType<Daemon['status']>;

export interface ClientOptions extends ConnectionOptions {
  json?: boolean;
}

interface ProfileList {
  profiles: ProfileMeta[];
  total: number;
  limit: number;
  offset: number;
}

/** The largest page GET /api/profiles serves. */
const PAGE = 10_000;

// ---------------------------------------------------------------- formatting

/** Aligned columns; `right` lists the columns aligned to the right (numbers). */
export function formatTable(header: string[], rows: string[][], right: number[] = []): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (right.includes(i) ? c.padStart(widths[i]) : c.padEnd(widths[i])))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

function two(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local time, to the second: 2026-01-28 14:03:07. */
export function formatTime(iso: string | null): string {
  if (!iso) return '-';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}

export function formatDuration(sec: number): string {
  const d = Math.floor(sec / 86400);
  const h = Math.floor((sec % 86400) / 3600);
  const m = Math.floor((sec % 3600) / 60);
  const s = sec % 60;
  if (d > 0) return `${d}d ${h}h ${m}m`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s}s`;
  return `${s}s`;
}

function describeContents(p: ProfileMeta): string {
  if (p.mappings === null) return 'not compiled';
  return `${plural(p.devices ?? 0, 'device block')}, ${plural(p.mappings, 'mapping')}, ${plural(p.layers ?? 0, 'layer')}`;
}

/** `work.rhai:2:12 Unknown key name: 'Escap' (+1 more)`, or `ok`. */
export function describeCompileError(p: ProfileMeta): string {
  const e = p.lastCompileError;
  if (!e) return 'ok';
  const more = e.count > 1 ? ` (+${e.count - 1} more)` : '';
  return `${p.name}.rhai:${e.line}:${e.column} ${e.message}${more}`;
}

/**
 * Renders API diagnostics like `keyrx check` does. `local` gives the text of the profile's own
 * file (spans in the daemon's copy of it, or in the unsaved source); with `path`, those spans are
 * shown with that path (the file the user edited) instead of the daemon's.
 */
async function renderDiagnostics(
  diagnostics: Diagnostic[],
  color: boolean,
  local?: { daemonFile: (file: string) => boolean; path?: string; source: string },
): Promise<string> {
  const out: string[] = [];
  const texts = new Map<string, string>();
  for (const d of diagnostics) {
    let shown = d;
    let source: string;
    if (local && local.daemonFile(d.span.file)) {
      if (local.path !== undefined) shown = { ...d, span: { ...d.span, file: local.path } };
      source = local.source;
    } else {
      // a file the profile load()s: readable when the daemon runs on this machine
      if (!texts.has(d.span.file))
        texts.set(d.span.file, await readFile(d.span.file, 'utf8').catch(() => ''));
      source = texts.get(d.span.file) ?? '';
    }
    out.push(formatDiagnostic(shown, source, { color }));
  }
  const summary = summarizeDiagnostics(diagnostics, color);
  if (summary) out.push(summary);
  return out.join('\n\n');
}

function isProfileFile(name: string): (file: string) => boolean {
  return (file) => basename(file) === `${name}.rhai` || basename(file) === 'unsaved.rhai';
}

function diagnosticsOf(e: ApiError): Diagnostic[] {
  const d = (e.details as { diagnostics?: unknown } | undefined)?.diagnostics;
  return Array.isArray(d) ? (d as Diagnostic[]) : [];
}

// ---------------------------------------------------------------- prompts and editor

function interactive(): boolean {
  return process.stdin.isTTY === true;
}

/** Asks on stderr, reads one line from the terminal. */
async function ask(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return (await rl.question(question)).trim().toLowerCase();
  } finally {
    rl.close();
  }
}

async function confirm(question: string, defaultYes: boolean): Promise<boolean> {
  const answer = await ask(`${question} ${defaultYes ? '[Y/n]' : '[y/N]'} `);
  if (answer === '') return defaultYes;
  return answer === 'y' || answer === 'yes';
}

/** $VISUAL, else $EDITOR, else vi; run through sh so "code --wait" works. */
async function runEditor(path: string): Promise<void> {
  const editor = process.env.VISUAL || process.env.EDITOR || 'vi';
  const code = await new Promise<number | null>((resolve, reject) => {
    const child = spawn('sh', ['-c', `${editor} "$1"`, 'sh', path], { stdio: 'inherit' });
    child.on('error', reject);
    child.on('exit', (status, signal) => resolve(signal ? -1 : status));
  }).catch((e: unknown) => {
    throw new CliError(`cannot start the editor '${editor}': ${describeFsError(e)}`, 1);
  });
  if (code !== 0)
    throw new CliError(
      `the editor '${editor}' exited with ${code === -1 ? 'a signal' : `status ${code}`}; nothing was saved (your edit is in ${path})`,
      1,
    );
}

async function readLocal(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read ${what} '${path}': ${describeFsError(e)}`, 1);
  }
}

// ---------------------------------------------------------------- commands

async function listAllProfiles(api: ApiClient): Promise<ProfileList> {
  const first = await api.get<ProfileList>(`/api/profiles?limit=${PAGE}`);
  const profiles = [...first.profiles];
  while (profiles.length < first.total) {
    const next = await api.get<ProfileList>(`/api/profiles?limit=${PAGE}&offset=${profiles.length}`);
    if (next.profiles.length === 0) break;
    profiles.push(...next.profiles);
  }
  return profiles.length === first.profiles.length
    ? first
    : { profiles, total: first.total, limit: profiles.length, offset: 0 };
}

async function status(opts: ClientOptions, io: Output): Promise<void> {
  const api = await connect(opts);
  const s = await api.get<Status>('/api/status');
  if (opts.json) return io.out(JSON.stringify(s, null, 2));
  const rows: [string, string][] = [
    ['daemon', `keyrx ${s.version} at ${api.conn.baseUrl} (pid ${s.pid})`],
    ['uptime', `${formatDuration(s.uptimeSec)} (since ${formatTime(s.startedAt)})`],
    ['backend', s.backend],
    [
      'active profile',
      s.activeProfile
        ? `${s.activeProfile} (since ${formatTime(s.activatedAt)})`
        : 'none: keys pass through unchanged',
    ],
    ['remapping', s.suspended ? 'suspended: every key passes through (keyrx resume)' : 'on'],
    ['profiles', String(s.profiles)],
    ['devices', String(s.devices)],
    ['events processed', String(s.eventsProcessed)],
    ['web UI clients', String(s.wsClients)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  io.out(rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n'));
}

/**
 * `keyrx diagnostics`: the daemon's report (GET /api/diagnostics) as Markdown for a bug report,
 * or JSON; with no daemon running, the report of the config directory and this machine.
 */
async function diagnostics(opts: ClientOptions & { output?: string }, io: Output): Promise<void> {
  const api = await connect(opts, { offline: true, notice: io.err });
  const report = await api.get<DiagnosticsReport>('/api/diagnostics');
  const text = opts.json ? JSON.stringify(report, null, 2) : formatDiagnostics(report);
  if (opts.output === undefined) return io.out(text);
  try {
    writeFileSync(opts.output, `${text}\n`, { mode: 0o600 });
  } catch (e) {
    throw new CliError(`cannot write ${opts.output}: ${describeFsError(e)}`, 1);
  }
  io.err(
    `keyrx: diagnostics written to ${opts.output} (the token, home directory, titles and keys are redacted)`,
  );
}

/**
 * `keyrx state inspect`: the engine's state now (GET /api/state) with the active profile's layer
 * names, and whether remapping is suspended.
 */
async function stateInspect(opts: ClientOptions, io: Output): Promise<void> {
  const api = await connect(opts);
  const [state, suspend] = await Promise.all([
    api.get<EngineStateInfo>('/api/state'),
    api.get<{ suspended: boolean }>('/api/suspend'),
  ]);
  if (opts.json) return io.out(JSON.stringify({ ...state, suspended: suspend.suspended }, null, 2));
  const names = new Map<string, string>();
  if (state.activeProfile)
    for (const l of (
      await api
        .get<{ layers: { layer: string; name: string | null }[] }>(
          `/api/profiles/${seg(state.activeProfile)}/layers`,
        )
        .catch(() => ({ layers: [] }))
    ).layers)
      if (l.name) names.set(l.layer, l.name);
  const layer = (id: string): string => (names.has(id) ? `${id} (${names.get(id)})` : id);
  const list = (items: string[]): string => (items.length === 0 ? '-' : items.join(', '));
  const rows: [string, string][] = [
    ['profile', state.activeProfile ?? 'none: keys pass through unchanged'],
    ['remapping', suspend.suspended ? 'suspended: every key passes through' : 'on'],
    ['layers held', list(state.modifiers.map(layer))],
    ['locks on', list(state.locks.map(layer))],
    ['keys held', list(state.held.map((h) => `${h.key} (${h.device})`))],
    ['undecided', list(state.pending.map((p) => `${p.key} (${p.device}): tap or hold`))],
    ['queued', plural(state.queued, 'event')],
    ['output down', list(state.outputDown)],
    ['one-shots', list(state.oneShots.map((o) => (/^(MD|LK)_/.test(o) ? layer(o) : o)))],
    ['caps word', state.capsWord ? 'on' : 'off'],
    [
      'context',
      `app ${state.app || '-'}, title ${state.title ? JSON.stringify(state.title) : '-'}, ime ${state.ime ? 'on' : 'off'}, language ${state.language || '-'}`,
    ],
  ];
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  io.out(rows.map(([k, v]) => `${`${k}:`.padEnd(width)} ${v}`).join('\n'));
}

/** `keyrx suspend [--toggle]`, `keyrx resume`: the global switch (POST /api/suspend …). */
async function setSuspended(
  target: 'suspend' | 'resume' | 'toggle',
  opts: ClientOptions,
  io: Output,
): Promise<void> {
  const api = await connect(opts);
  const path = { suspend: '/api/suspend', resume: '/api/resume', toggle: '/api/suspend/toggle' }[target];
  const r = await api.post<{ suspended: boolean }>(path);
  if (opts.json) return io.out(JSON.stringify(r, null, 2));
  io.out(
    r.suspended
      ? 'suspended: every key passes through untouched (keyrx resume to remap again)'
      : 'remapping again',
  );
}

async function profilesList(opts: ClientOptions, io: Output): Promise<void> {
  const api = await connect(opts);
  const list = await listAllProfiles(api);
  if (opts.json) return io.out(JSON.stringify(list, null, 2));
  if (list.profiles.length === 0)
    return io.out('no profiles (create one with: keyrx profiles create <name> --template default)');
  const num = (n: number | null): string => (n === null ? '-' : String(n));
  io.out(
    formatTable(
      ['', 'NAME', 'MAPPINGS', 'LAYERS', 'DEVICES', 'SIZE', 'MODIFIED', 'STATUS'],
      list.profiles.map((p) => [
        p.active ? '*' : '',
        p.name,
        num(p.mappings),
        num(p.layers),
        num(p.devices),
        formatBytes(p.size),
        formatTime(p.modifiedAt),
        describeCompileError(p),
      ]),
      [2, 3, 4, 5],
    ),
  );
  const active = list.profiles.find((p) => p.active);
  io.out(`\n${plural(list.total, 'profile')}; ${active ? `* = active (${active.name})` : 'none active'}`);
}

/** `profiles create`'s options; --from-file is the old name of --file (hidden, still accepted). */
type CreateOptions = ClientOptions & { template?: string; file?: string; fromFile?: string };

/** The file of --file, or of its old name --from-file (with a note on stderr). */
function createFile(opts: CreateOptions, io: Output): string | undefined {
  if (opts.fromFile === undefined) return opts.file;
  if (opts.file !== undefined) throw new CliError('give --file once (--from-file is its old name)', 2);
  io.err('keyrx: --from-file is deprecated; use --file');
  return opts.fromFile;
}

async function profilesCreate(name: string, opts: CreateOptions, io: Output): Promise<void> {
  const file = createFile(opts, io);
  if (opts.template !== undefined && file !== undefined)
    throw new CliError('give either --template or --file, not both', 2);
  const api = await connect(opts);
  let body: { name: string; template?: string; source?: string } = { name };
  let source: string | undefined;
  if (file !== undefined) {
    source = await readLocal(file, 'profile');
    body = { name, source };
  } else if (opts.template !== undefined) body = { name, template: opts.template };
  let created: ProfileDetail;
  try {
    created = await api.post<ProfileDetail>('/api/profiles', body);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'PROFILE_INVALID' && source !== undefined)
      io.err(
        await renderDiagnostics(diagnosticsOf(e), io.color, {
          daemonFile: isProfileFile(name),
          path: file,
          source,
        }),
      );
    throw e;
  }
  if (opts.json) return io.out(JSON.stringify(created, null, 2));
  const from = file ?? `template ${opts.template ?? 'blank'}`;
  io.out(`created profile '${created.name}' from ${from}: ${describeContents(created)}`);
}

/**
 * `keyrx profiles export <name> [file]`: the bundle (the profile and the files it loads) as JSON,
 * or — to a `.rhai` file — the source alone; `-` or no file: standard output.
 */
async function profilesExport(
  name: string,
  file: string | undefined,
  opts: ClientOptions,
  io: Output,
): Promise<void> {
  const api = await connect(opts);
  const bundle = await api.get<ProfileBundle>(`/api/profiles/${seg(name)}/export`);
  const sourceOnly = file !== undefined && file.endsWith('.rhai');
  const text = sourceOnly ? bundle.source : `${JSON.stringify(bundle, null, 2)}\n`;
  if (file === undefined || file === '-') return io.out(text.replace(/\n$/, ''));
  try {
    await writeFile(file, text, { mode: 0o600 });
  } catch (e) {
    throw new CliError(`cannot write '${file}': ${describeFsError(e)}`, 1);
  }
  const extra = sourceOnly
    ? bundle.files.length > 0
      ? ` (the source alone: it loads ${plural(bundle.files.length, 'file')}; export to a .json file to take them along)`
      : ''
    : bundle.files.length > 0
      ? ` with ${plural(bundle.files.length, 'loaded file')}: ${bundle.files.map((f) => f.path).join(', ')}`
      : '';
  io.out(`exported '${name}' to ${file}${extra}`);
  if (bundle.notIncluded.length > 0)
    io.err(`note: not in the export (they come with keyrx or the system): ${bundle.notIncluded.join(', ')}`);
}

/**
 * `keyrx profiles import <file> [name]`: a `.rhai` source, or a bundle exported by `profiles
 * export` (JSON), with the files it loads.
 */
async function profilesImport(
  file: string,
  name: string | undefined,
  opts: ClientOptions & { overwrite?: boolean },
  io: Output,
): Promise<void> {
  const text = await readLocal(file, 'profile');
  let body: { name: string; source?: string; bundle?: unknown; overwrite?: boolean };
  let source = text;
  if (/^\s*\{/.test(text)) {
    let bundle: { name?: unknown; source?: unknown };
    try {
      bundle = JSON.parse(text) as { name?: unknown; source?: unknown };
    } catch (e) {
      throw new CliError(`${file} looks like JSON but does not parse: ${(e as Error).message}`, 2);
    }
    const named = name ?? (typeof bundle.name === 'string' ? bundle.name : undefined);
    if (named === undefined)
      throw new CliError(`${file} names no profile: give the name as the second argument`, 2);
    body = { name: named, bundle };
    source = typeof bundle.source === 'string' ? bundle.source : '';
  } else body = { name: name ?? basename(file).replace(/\.rhai$/, ''), source: text };
  if (opts.overwrite) body.overwrite = true;
  const api = await connect(opts);
  let imported: ProfileDetail & { files: string[] };
  try {
    imported = await api.post<ProfileDetail & { files: string[] }>('/api/profiles/import', body);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'PROFILE_INVALID')
      io.err(
        await renderDiagnostics(diagnosticsOf(e), io.color, { daemonFile: isProfileFile(body.name), source }),
      );
    throw e;
  }
  if (opts.json) return io.out(JSON.stringify(imported, null, 2));
  const files = imported.files.length > 0 ? `; wrote ${imported.files.join(', ')}` : '';
  io.out(`imported '${imported.name}' from ${file}: ${describeContents(imported)}${files}`);
}

async function profilesShow(
  name: string,
  opts: ClientOptions & { source?: boolean },
  io: Output,
): Promise<void> {
  const api = await connect(opts);
  const p = await api.get<ProfileDetail>(`/api/profiles/${seg(name)}`);
  if (opts.json) return io.out(JSON.stringify(p, null, 2));
  const text = p.source.endsWith('\n') ? p.source.slice(0, -1) : p.source;
  if (opts.source) return io.out(text);
  const rows: [string, string][] = [
    ['name', p.name],
    ['active', p.active ? 'yes' : 'no'],
    ['contents', describeContents(p)],
    ['size', formatBytes(p.size)],
    ['modified', formatTime(p.modifiedAt)],
    ['compile', describeCompileError(p)],
  ];
  io.out(rows.map(([k, v]) => `${`${k}:`.padEnd(10)} ${v}`).join('\n'));
  io.out(`\n${text}`);
  if (p.diagnostics.length > 0) {
    io.out('');
    io.out(
      await renderDiagnostics(p.diagnostics, false, { daemonFile: isProfileFile(name), source: p.source }),
    );
  }
}

async function putSource(
  api: ApiClient,
  name: string,
  source: string,
): Promise<ProfileDetail & { reloaded: boolean }> {
  return api.put<ProfileDetail & { reloaded: boolean }>(`/api/profiles/${seg(name)}`, { source });
}

function describeSaved(p: ProfileDetail & { reloaded: boolean }): string {
  return `saved '${p.name}': ${describeContents(p)}${p.reloaded ? '; reloaded (it is the active profile)' : ''}`;
}

async function profilesEdit(
  name: string,
  opts: ClientOptions & { file?: string },
  io: Output,
): Promise<void> {
  const api = await connect(opts);
  if (opts.file !== undefined) {
    const source = await readLocal(opts.file, 'profile');
    try {
      const saved = await putSource(api, name, source);
      return io.out(opts.json ? JSON.stringify(saved, null, 2) : describeSaved(saved));
    } catch (e) {
      if (e instanceof ApiError && e.code === 'PROFILE_INVALID')
        io.err(
          await renderDiagnostics(diagnosticsOf(e), io.color, {
            daemonFile: isProfileFile(name),
            path: opts.file,
            source,
          }),
        );
      throw e;
    }
  }

  const original = (await api.get<ProfileDetail>(`/api/profiles/${seg(name)}`)).source;
  const dir = await mkdtemp(join(tmpdir(), 'keyrx-edit-'));
  const path = join(dir, `${name}.rhai`);
  await writeFile(path, original, { mode: 0o600 });
  const keep = (why: string): CliError =>
    new CliError(`${why}; nothing was saved (your edit is in ${path})`, 1);
  for (;;) {
    await runEditor(path);
    const source = await readLocal(path, 'the edited profile');
    if (source === original) {
      await rm(dir, { recursive: true, force: true });
      return io.out(
        opts.json ? JSON.stringify({ changed: false }) : `no changes to '${name}'; nothing saved`,
      );
    }
    const current = (await api.get<ProfileDetail>(`/api/profiles/${seg(name)}`)).source;
    if (current !== original) {
      const message = `'${name}' was changed by someone else while you were editing`;
      if (!interactive() || !(await confirm(`keyrx: ${message}; overwrite it with your edit?`, false)))
        throw keep(message);
    }
    try {
      const saved = await putSource(api, name, source);
      await rm(dir, { recursive: true, force: true });
      return io.out(opts.json ? JSON.stringify(saved, null, 2) : describeSaved(saved));
    } catch (e) {
      if (!(e instanceof ApiError && e.code === 'PROFILE_INVALID')) {
        if (e instanceof CliError) throw keep(e.message);
        throw e;
      }
      io.err(
        await renderDiagnostics(diagnosticsOf(e), io.color, {
          daemonFile: isProfileFile(name),
          path,
          source,
        }),
      );
      if (!interactive() || !(await confirm('keyrx: edit again?', true)))
        throw keep(e.message.replace(/; nothing was saved$/, ''));
    }
  }
}

async function profilesActivate(name: string, opts: ClientOptions, io: Output): Promise<void> {
  const api = await connect(opts);
  let r: ActivationResult;
  try {
    r = await api.post<ActivationResult>(`/api/profiles/${seg(name)}/activate`);
  } catch (e) {
    if (e instanceof ApiError && e.code === 'PROFILE_INVALID') {
      const source = await api
        .get<ProfileDetail>(`/api/profiles/${seg(name)}`)
        .then((p) => p.source)
        .catch(() => '');
      io.err(
        await renderDiagnostics(diagnosticsOf(e), io.color, { daemonFile: isProfileFile(name), source }),
      );
    }
    throw e;
  }
  if (opts.json) return io.out(JSON.stringify(r, null, 2));
  io.out(
    `activated '${r.profile}' in ${r.compileMs} ms (${r.cached ? 'from the .krx cache' : 'compiled; cache written'})`,
  );
}

/** `keyrx reload`: the active profile, re-read from disk (POST /api/profiles/active/reload). */
async function reload(opts: ClientOptions, io: Output): Promise<void> {
  const api = await connect(opts);
  let r: ActivationResult;
  try {
    r = await api.post<ActivationResult>('/api/profiles/active/reload');
  } catch (e) {
    if (e instanceof ApiError && e.code === 'PROFILE_INVALID') {
      const reply = await api
        .get<Partial<ProfileDetail> & { active_profile: string | null }>('/api/profiles/active')
        .catch(() => null);
      const active = reply?.active_profile ? (reply as ProfileDetail) : null;
      io.err(
        await renderDiagnostics(diagnosticsOf(e), io.color, {
          daemonFile: active ? isProfileFile(active.name) : () => false,
          source: active?.source ?? '',
        }),
      );
    }
    throw e;
  }
  if (opts.json) return io.out(JSON.stringify(r, null, 2));
  io.out(
    `reloaded '${r.profile}' in ${r.compileMs} ms (${r.cached ? 'unchanged: from the .krx cache' : 'compiled; cache written'})`,
  );
}

async function profilesDelete(
  name: string,
  opts: ClientOptions & { force?: boolean; yes?: boolean },
  io: Output,
): Promise<void> {
  const api = await connect(opts);
  if (!opts.yes && interactive()) {
    // fail before asking when the profile does not exist
    const p = await api.get<ProfileDetail>(`/api/profiles/${seg(name)}`);
    const warning =
      p.active && opts.force ? ' It is the active profile: keys will pass through unchanged.' : '';
    if (!(await confirm(`Delete profile '${name}'?${warning}`, false))) throw new CliError('not deleted', 1);
  }
  let r: { deleted: string; wasActive: boolean };
  try {
    r = await api.delete<{ deleted: string; wasActive: boolean }>(
      `/api/profiles/${seg(name)}${opts.force ? '?force=true' : ''}`,
    );
  } catch (e) {
    if (e instanceof ApiError && e.code === 'PROFILE_ACTIVE')
      throw new ApiError(
        e.status,
        e.code,
        `'${name}' is the active profile; activate another one first, or use --force (keys then pass through unchanged)`,
      );
    throw e;
  }
  if (opts.json) return io.out(JSON.stringify(r, null, 2));
  io.out(
    `deleted '${r.deleted}'${r.wasActive ? ' (it was the active profile: keys now pass through unchanged)' : ''}`,
  );
}

async function profilesDuplicate(
  source: string,
  dest: string,
  opts: ClientOptions,
  io: Output,
): Promise<void> {
  const api = await connect(opts);
  const p = await api.post<ProfileDetail>(`/api/profiles/${seg(source)}/duplicate`, { name: dest });
  if (opts.json) return io.out(JSON.stringify(p, null, 2));
  io.out(`duplicated '${source}' as '${p.name}': ${describeContents(p)}`);
}

async function profilesRename(from: string, to: string, opts: ClientOptions, io: Output): Promise<void> {
  const api = await connect(opts);
  const p = await api.post<ProfileDetail>(`/api/profiles/${seg(from)}/rename`, { name: to });
  if (opts.json) return io.out(JSON.stringify(p, null, 2));
  io.out(`renamed '${from}' to '${p.name}'${p.active ? ' (still the active profile)' : ''}`);
}

/** The devices commands work on the config dir directly when no daemon runs (saved devices only). */
const devicesApi = (opts: ClientOptions, io: Output) => connect(opts, { offline: true, notice: io.err });

/**
 * The device a command names: its id; else its name — the user's or its own, any case — when
 * one device has it; else the one id that starts with it. Anything else is a usage error that
 * lists what there is.
 */
export function pickDevice(devices: DeviceInfo[], ref: string): DeviceInfo {
  const byId = devices.find((d) => d.id === ref);
  if (byId) return byId;
  const lower = ref.toLowerCase();
  const byName = devices.filter(
    (d) => d.name.toLowerCase() === lower || d.deviceName.toLowerCase() === lower,
  );
  if (byName.length === 1) return byName[0];
  const byPrefix = devices.filter((d) => d.id.startsWith(ref));
  const candidates = byName.length > 1 ? byName : byPrefix;
  if (candidates.length === 1) return candidates[0];
  const list = (ds: DeviceInfo[]): string => ds.map((d) => `  ${d.id}  ${d.name}`).join('\n');
  if (candidates.length > 1)
    throw new CliError(`'${ref}' names ${candidates.length} devices; use an id:\n${list(candidates)}`, 2);
  throw new CliError(
    devices.length === 0
      ? `no device '${ref}': the daemon knows no devices yet`
      : `no device '${ref}'; the devices are:\n${list(devices)}`,
    2,
  );
}

async function withDevice(
  ref: string,
  opts: ClientOptions,
  io: Output,
  change: (api: Awaited<ReturnType<typeof connect>>, device: DeviceInfo) => Promise<void>,
): Promise<void> {
  const api = await devicesApi(opts, io);
  const { devices } = await api.get<{ devices: DeviceInfo[] }>('/api/devices');
  await change(api, pickDevice(devices, ref));
}

/** `keyrx devices rename|enable|disable|set-layout`: one PATCH /api/devices/:id. */
async function devicesPatch(
  ref: string,
  patch: { name?: string; enabled?: boolean; layout?: string | null },
  opts: ClientOptions,
  io: Output,
): Promise<void> {
  await withDevice(ref, opts, io, async (api, device) => {
    const d = await api.patch<DeviceInfo>(`/api/devices/${seg(device.id)}`, patch);
    if (opts.json) return io.out(JSON.stringify(d, null, 2));
    if (patch.name !== undefined) io.out(`renamed ${d.id} to '${d.name}'`);
    else if (patch.enabled !== undefined)
      io.out(d.enabled ? `${d.name}: remapped` : `${d.name}: not remapped (its keys pass through unchanged)`);
    else io.out(`${d.name}: layout ${d.layout ?? 'not set (the UI uses the default)'}`);
  });
}

async function devicesForget(ref: string, opts: ClientOptions, io: Output): Promise<void> {
  await withDevice(ref, opts, io, async (api, device) => {
    const r = await api.delete<{ id: string; forgotten: boolean; device: DeviceInfo | null }>(
      `/api/devices/${seg(device.id)}`,
    );
    if (opts.json) return io.out(JSON.stringify(r, null, 2));
    if (!r.forgotten) return io.out(`${device.name} (${r.id}) has no saved settings: nothing to forget`);
    io.out(
      r.device
        ? `forgot the settings of ${device.name} (${r.id}); it is connected, so it stays listed with the defaults`
        : `forgot ${device.name} (${r.id})`,
    );
  });
}

async function devicesList(opts: ClientOptions, io: Output): Promise<void> {
  const api = await devicesApi(opts, io);
  const r = await api.get<{ devices: DeviceInfo[] }>('/api/devices');
  if (opts.json) return io.out(JSON.stringify(r, null, 2));
  if (r.devices.length === 0) return io.out('no devices');
  const yes = (b: boolean): string => (b ? 'yes' : 'no');
  io.out(
    formatTable(
      ['ID', 'NAME', 'ENABLED', 'CONNECTED', 'GRABBED', 'LAYOUT', 'PROFILE BLOCK'],
      r.devices.map((d) => [
        d.id,
        d.name === d.deviceName ? d.name : `${d.name} (${d.deviceName})`,
        yes(d.enabled),
        yes(d.connected),
        yes(d.grabbed),
        d.layout ?? '-',
        d.matchedBlock ? `${d.matchedBlock.index + 1}: ${JSON.stringify(d.matchedBlock.pattern)}` : '-',
      ]),
    ),
  );
}

/** The limits of PUT /api/context, checked here for a message that names the option. */
const CONTEXT_TEXT_MAX = 1024;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;

function contextText(option: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  if ([...value].length > CONTEXT_TEXT_MAX)
    throw new CliError(`${option}: at most ${CONTEXT_TEXT_MAX} characters`, 2);
  if (CONTROL_CHARS.test(value)) throw new CliError(`${option}: control characters are not allowed`, 2);
  return value;
}

function parseOnOff(option: string, value: string | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  const v = value.trim().toLowerCase();
  if (v === 'on' || v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'off' || v === 'false' || v === 'no' || v === '0') return false;
  throw new CliError(`${option}: expected on or off, not '${value}'`, 2);
}

/** The context's fields as people read them: `-` for empty, the title quoted. */
function contextFields(c: ContextInfo): [string, string][] {
  return [
    ['app', c.app === '' ? '-' : c.app],
    ['title', c.title === '' ? '-' : JSON.stringify(c.title)],
    ['ime', c.ime ? 'on' : 'off'],
    ['language', c.language === '' ? '-' : c.language],
  ];
}

/** `app firefox, title "Inbox", ime off, language -` */
export function describeContext(c: ContextInfo): string {
  return contextFields(c)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
}

async function contextGet(opts: ClientOptions, io: Output): Promise<void> {
  const api = await connect(opts);
  const c = await api.get<ContextInfo>('/api/context');
  if (opts.json) return io.out(JSON.stringify(c, null, 2));
  const rows: [string, string][] = [
    ...contextFields(c),
    ['updated', c.updatedAt ? formatTime(c.updatedAt) : 'never (since the daemon started)'],
  ];
  io.out(rows.map(([k, v]) => `${`${k}:`.padEnd(10)} ${v}`).join('\n'));
}

async function putContext(opts: ClientOptions, patch: ContextPatch, io: Output, verb: string): Promise<void> {
  const api = await connect(opts);
  const c = await api.put<ContextInfo>('/api/context', patch);
  if (opts.json) return io.out(JSON.stringify(c, null, 2));
  io.out(`context ${verb}: ${describeContext(c)}`);
}

async function contextSet(
  opts: ClientOptions & { app?: string; title?: string; ime?: string; language?: string },
  io: Output,
): Promise<void> {
  const patch: ContextPatch = {};
  const app = contextText('--app', opts.app);
  const title = contextText('--title', opts.title);
  const ime = parseOnOff('--ime', opts.ime);
  const language = contextText('--language', opts.language);
  if (app !== undefined) patch.app = app;
  if (title !== undefined) patch.title = title;
  if (ime !== undefined) patch.ime = ime;
  if (language !== undefined) patch.language = language;
  if (Object.keys(patch).length === 0)
    throw new CliError('context set: give at least one of --app, --title, --ime, --language', 2);
  await putContext(opts, patch, io, 'set');
}

async function loginUrl(opts: ClientOptions, io: Output): Promise<void> {
  const api = await connect(opts);
  const r = await api.post<{ url: string; expiresInSec: number }>('/api/login-url');
  if (opts.json) return io.out(JSON.stringify(r, null, 2));
  io.out(r.url);
  io.err(
    `(open it in a browser: it logs in once, within ${plural(Math.round(r.expiresInSec / 60), 'minute')})`,
  );
}

// ---------------------------------------------------------------- registration

/** The templates `profiles create --template` takes, from the daemon's own list. */
function templateHelp(): string {
  const width = Math.max(...TEMPLATE_NAMES.map((t) => t.length));
  return [
    '',
    'Templates:',
    ...TEMPLATE_NAMES.map((t) => `  ${t.padEnd(width)}  ${TEMPLATE_DESCRIPTIONS[t]}`),
  ].join('\n');
}

/** The options of every command that talks to the daemon: where it is, its token, --json. */
export function client(cmd: Command): Command {
  return cmd
    .option('--config-dir <dir>', "the daemon's config directory, for its token (env KEYRX_CONFIG_DIR)")
    .option('--url <url>', 'daemon URL (env KEYRX_URL; default http://127.0.0.1:$KEYRX_PORT or 9867)')
    .option('--json', "print the API's JSON reply");
}

export function registerClientCommands(program: Command, io: Output): void {
  client(
    program.command('status').description('show the running daemon: version, uptime, active profile'),
  ).action((opts: ClientOptions) => status(opts, io));
  const state = program.command('state').description("the running daemon's engine state");
  client(
    state
      .command('inspect')
      .description(
        'layers and locks on (with their names), keys held, undecided tap-holds, one-shots, caps word, context',
      ),
  ).action((opts: ClientOptions) => stateInspect(opts, io));
  client(
    program
      .command('reload')
      .description(
        're-read the active profile from disk and apply it (as SIGHUP); an invalid one is refused',
      ),
  ).action((opts: ClientOptions) => reload(opts, io));
  client(
    program
      .command('diagnostics')
      .description(
        'a report for bug reports: build, platform, backend and checks, memory, event-loop lag, latency, devices, recent errors (the token, home directory, titles and keys redacted); works without a daemon',
      )
      .option('-o, --output <file>', 'write it to this file'),
  ).action((opts: ClientOptions & { output?: string }) => diagnostics(opts, io));
  client(
    program
      .command('suspend')
      .description('suspend remapping: every key passes through untouched until keyrx resume')
      .option('--toggle', 'resume instead when already suspended (for a desktop shortcut)'),
  ).action((opts: ClientOptions & { toggle?: boolean }) =>
    setSuspended(opts.toggle ? 'toggle' : 'suspend', opts, io),
  );
  client(program.command('resume').description('resume remapping after keyrx suspend')).action(
    (opts: ClientOptions) => setSuspended('resume', opts, io),
  );

  const profiles = program.command('profiles').description("manage the running daemon's profiles");
  client(profiles.command('list').description('list profiles (* = active)')).action((opts: ClientOptions) =>
    profilesList(opts, io),
  );
  client(
    profiles
      .command('create')
      .description('create a profile from a template (default: blank) or a .rhai file')
      .argument('<name>', 'profile name: letters, digits, _ and -')
      .option('--template <name>', 'start from this template (see Templates below)')
      .option('--file <path>', 'upload this .rhai source instead of a template')
      .addOption(new Option('--from-file <path>', 'old name of --file').hideHelp())
      .addHelpText('after', templateHelp()),
  ).action((name: string, opts: CreateOptions) => profilesCreate(name, opts, io));
  client(
    profiles
      .command('export')
      .description(
        'a profile with the files it loads, as a JSON bundle; to a .rhai file the source alone; no file or -: standard output',
      )
      .argument('<name>')
      .argument('[file]'),
  ).action((name: string, file: string | undefined, opts: ClientOptions) =>
    profilesExport(name, file, opts, io),
  );
  client(
    profiles
      .command('import')
      .description('import a .rhai source or a bundle from profiles export (with the files it loads)')
      .argument('<file>')
      .argument('[name]', "the profile name (default: the bundle's, or the file name)")
      .option('--overwrite', 'replace a profile of that name, and loaded files with other content'),
  ).action((file: string, name: string | undefined, opts: ClientOptions & { overwrite?: boolean }) =>
    profilesImport(file, name, opts, io),
  );
  client(
    profiles
      .command('show')
      .description("a profile's metadata, source and diagnostics")
      .argument('<name>')
      .option('--source', 'print only the source'),
  ).action((name: string, opts: ClientOptions & { source?: boolean }) => profilesShow(name, opts, io));
  client(
    profiles
      .command('edit')
      .description('edit a profile in $VISUAL/$EDITOR (or upload --file); invalid sources are not saved')
      .argument('<name>')
      .option('--file <path>', 'upload this .rhai source instead of opening an editor'),
  ).action((name: string, opts: ClientOptions & { file?: string }) => profilesEdit(name, opts, io));
  client(
    profiles
      .command('activate')
      .description('activate a profile; prints the compile time and whether the cache was used')
      .argument('<name>'),
  ).action((name: string, opts: ClientOptions) => profilesActivate(name, opts, io));
  client(
    profiles
      .command('delete')
      .description('delete a profile (asks first on a terminal)')
      .argument('<name>')
      .option('--force', 'delete it even if it is the active profile (keys then pass through)')
      .option('-y, --yes', 'do not ask for confirmation'),
  ).action((name: string, opts: ClientOptions & { force?: boolean; yes?: boolean }) =>
    profilesDelete(name, opts, io),
  );
  client(
    profiles.command('duplicate').description('copy a profile').argument('<source>').argument('<dest>'),
  ).action((source: string, dest: string, opts: ClientOptions) => profilesDuplicate(source, dest, opts, io));
  client(
    profiles
      .command('rename')
      .description('rename a profile (it stays active if it was)')
      .argument('<old>')
      .argument('<new>'),
  ).action((from: string, to: string, opts: ClientOptions) => profilesRename(from, to, opts, io));

  const devices = program
    .command('devices')
    .description(
      'the input devices and their settings (work on the config directory directly when no daemon runs); a device is named by its id, its name, or an id prefix',
    );
  client(devices.command('list').description('list devices and the profile block each one uses')).action(
    (opts: ClientOptions) => devicesList(opts, io),
  );
  client(
    devices
      .command('rename')
      .description('give a device your own name')
      .argument('<device>')
      .argument('<name>'),
  ).action((ref: string, name: string, opts: ClientOptions) => devicesPatch(ref, { name }, opts, io));
  client(
    devices.command('enable').description('remap this device (the default)').argument('<device>'),
  ).action((ref: string, opts: ClientOptions) => devicesPatch(ref, { enabled: true }, opts, io));
  client(
    devices
      .command('disable')
      .description('leave this device alone: its keys pass through unchanged')
      .argument('<device>'),
  ).action((ref: string, opts: ClientOptions) => devicesPatch(ref, { enabled: false }, opts, io));
  client(
    devices
      .command('set-layout')
      .description("the device's keyboard layout (keyrx layouts list), or none")
      .argument('<device>')
      .argument('<layout>'),
  ).action((ref: string, layout: string, opts: ClientOptions) =>
    devicesPatch(ref, { layout: layout === 'none' ? null : layout }, opts, io),
  );
  client(
    devices
      .command('forget')
      .description("forget a device's saved settings (name, enabled, layout)")
      .argument('<device>'),
  ).action((ref: string, opts: ClientOptions) => devicesForget(ref, opts, io));

  const context = program
    .command('context')
    .description(
      "the running daemon's input context: focused application, window title, input method, language",
    );
  client(context.command('get').description('print the input context')).action((opts: ClientOptions) =>
    contextGet(opts, io),
  );
  client(
    context
      .command('set')
      .description('set fields of the input context (for APP:, TITLE:, IME and LANG_ conditions)')
      .option('--app <name>', 'the focused application, e.g. firefox ("" clears)')
      .option('--title <text>', 'the focused window title ("" clears)')
      .option('--ime <on|off>', 'the input method is on or off')
      .option('--language <xx>', 'the input language, e.g. ja ("" clears)'),
  ).action((opts: ClientOptions & { app?: string; title?: string; ime?: string; language?: string }) =>
    contextSet(opts, io),
  );
  client(
    context.command('clear').description('reset the input context: no app, no title, ime off, no language'),
  ).action((opts: ClientOptions) =>
    putContext(opts, { app: '', title: '', ime: false, language: '' }, io, 'cleared'),
  );

  client(
    program.command('login-url').description('print a new one-time login URL for the web UI (10 minutes)'),
  ).action((opts: ClientOptions) => loginUrl(opts, io));
}
