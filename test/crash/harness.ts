/**
 * Crash-consistency harness (issue #9 §1). Drives the real daemon process with a seeded random mix
 * of profile create / update / rename / duplicate / delete / activate and settings PATCHes, several
 * requests in flight, SIGKILLs it at random moments (after a random delay, right after a request was
 * sent, the instant a temp file of an atomic write appears, during startup), restarts it on the same
 * config dir and checks what survived against a model of what the client was told.
 *
 * The model is exact because requests in flight at the same time never touch the same resource
 * (profile name, the active profile, settings): every acknowledged operation must be on disk, and
 * each in-flight one either happened completely or not at all. After a restart the observed state,
 * once checked, becomes the new model.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, watch, type FSWatcher } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { Agent, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { Settings } from '../../src/daemon/settings.ts';
import { validateSettings } from '../../src/daemon/settings.ts';
import type { TemplateName } from '../../src/daemon/templates.ts';
import { renderTemplate } from '../../src/daemon/templates.ts';
import { cleanEnv, daemonArgs, ROOT } from '../support/daemon-process.ts';
import { cliEntry } from '../support/entry.ts';
import { Rng } from '../support/rng.ts';

export const TEMP_MARK = '.keyrx-tmp-';

// ---------------------------------------------------------------- seeded randomness

// ---------------------------------------------------------------- the daemon process

export interface DaemonEntry {
  /** the sources transpiled for this version of them (test/support/entry.ts) */
  kind: 'transpiled';
  args: string[];
  dispose(): Promise<void>;
}

/**
 * The daemon to run: the sources transpiled once per version for the whole suite
 * (test/support/entry.ts). A daemon run through tsx starts in 3–6 s on a busy 2-core machine,
 * transpiled in about 1 s: that is what lets 20 kills fit in `npm test`.
 */
export async function prepareEntry(): Promise<DaemonEntry> {
  return { kind: 'transpiled', args: cliEntry(), dispose: async () => undefined };
}

export interface Instance {
  child: ChildProcess;
  url: string;
  token: string;
  agent: Agent;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

/** Daemons still running and directories still there, for an aborted run (killAll). */
const live = new Set<ChildProcess>();
const scratch = new Set<string>();
export function killAll(): void {
  for (const c of live) c.kill('SIGKILL');
}
/** Kills every daemon and removes every directory of the runs in this process (on SIGINT). */
export function abortAll(): void {
  killAll();
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts the daemon; with `killAfterMs`, SIGKILLs it that long after spawning unless it was
 * listening by then. Resolves null when it was killed before listening.
 */
export async function startInstance(
  dir: string,
  entry: DaemonEntry,
  killAfterMs?: number,
): Promise<Instance | null> {
  const child = spawn(process.execPath, [...entry.args, ...daemonArgs(dir)], {
    cwd: ROOT,
    env: cleanEnv(),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err = (err + d).slice(-200_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  let killedWhileStarting = false;
  const timer =
    killAfterMs === undefined
      ? undefined
      : setTimeout(() => {
          killedWhileStarting = true;
          child.kill('SIGKILL');
        }, killAfterMs);
  const url = await new Promise<string | null>((resolve, reject) => {
    const hang = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the daemon did not start in 60 s:\n${out}\n${err}`));
    }, 60_000);
    const check = (): void => {
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m && !killedWhileStarting) {
        clearTimeout(hang);
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', check);
    void exited.then(({ code, signal }) => {
      clearTimeout(hang);
      if (killedWhileStarting) resolve(null);
      else reject(new Error(`the daemon exited (${code ?? signal}) before listening:\n${out}\n${err}`));
    });
  });
  if (url === null) return null;
  const token = (await readFile(join(dir, 'token'), 'utf8')).trim();
  return {
    child,
    url,
    token,
    agent: new Agent({ keepAlive: true, maxSockets: 8 }),
    exited,
    stderr: () => err,
  };
}

export interface Reply {
  status: number;
  json: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** A JSON request; `onSent` fires once the whole request was handed to the OS. */
export function call(
  inst: Instance,
  method: string,
  path: string,
  body?: unknown,
  onSent?: () => void,
): Promise<Reply> {
  const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
  return new Promise((resolve, reject) => {
    const req = httpRequest(inst.url + path, {
      method,
      agent: inst.agent,
      headers: {
        authorization: `Bearer ${inst.token}`,
        ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}),
      },
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${method} ${path}: no reply in 30 s`)));
    req.on('error', reject);
    req.on('finish', () => onSent?.());
    req.on('response', (res) => {
      let text = '';
      let ended = false;
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('error', reject);
      res.on('end', () => {
        ended = true;
        try {
          resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) });
        } catch (e) {
          reject(e as Error);
        }
      });
      res.on('close', () => {
        if (!ended) reject(new Error(`${method} ${path}: the reply was cut off`));
      });
    });
    req.end(data);
  });
}

// ---------------------------------------------------------------- operations and the model

type Op =
  | { kind: 'create'; name: string; body: { name: string; source?: string; template?: TemplateName } }
  | { kind: 'update'; name: string; source: string }
  | { kind: 'rename'; from: string; to: string; source: string; wasActive: boolean }
  | { kind: 'duplicate'; from: string; to: string; source: string }
  | { kind: 'delete'; name: string; force: boolean }
  | { kind: 'activate'; name: string }
  | { kind: 'settings'; patch: Partial<Settings>; next: Settings };

interface Model {
  profiles: Map<string, string>;
  active: string | null;
  settings: Settings;
}

const NAMES = ['default', 'p1', 'p2', 'p3', 'p4', 'p5'];
const TEMPLATES: TemplateName[] = ['blank', 'capslock_escape', 'default', 'vim_navigation', 'gaming'];
const KEYS = ['B', 'C', 'D', 'E', 'F', 'G', 'Escape', 'LCtrl', 'Tab', 'Enter'];
const CHORDS = [
  ['LCtrl', 'Space', 'Escape'],
  ['LCtrl', 'LAlt', 'Escape'],
  ['LShift', 'RShift', 'Escape'],
];

function describe(op: Op): string {
  switch (op.kind) {
    case 'create':
      return `create ${op.name}${op.body.template ? ` (template ${op.body.template})` : ''}`;
    case 'update':
      return `update ${op.name}`;
    case 'rename':
      return `rename ${op.from}→${op.to}${op.wasActive ? ' (active)' : ''}`;
    case 'duplicate':
      return `duplicate ${op.from}→${op.to}`;
    case 'delete':
      return `delete ${op.name}${op.force ? ' (active, force)' : ''}`;
    case 'activate':
      return `activate ${op.name}`;
    case 'settings':
      return `settings ${JSON.stringify(op.patch)}`;
  }
}

/** Resources an op touches: ops in flight together never share one. */
function resources(op: Op): string[] {
  switch (op.kind) {
    case 'create':
    case 'update':
      return [op.name];
    case 'rename':
      return op.wasActive ? [op.from, op.to, '@active'] : [op.from, op.to];
    case 'duplicate':
      return [op.from, op.to];
    case 'delete':
      return op.force ? [op.name, '@active'] : [op.name];
    case 'activate':
      return [op.name, '@active'];
    case 'settings':
      return ['@settings'];
  }
}

/** Every `defaultTapHoldMs` any request of this run carried: a template may be rendered with any of them. */
const tapHoldsSeen = new Set<number>([200]);

/** What a create may write: its source, or its template with any tap-hold time that was current meanwhile. */
function createCandidates(op: Extract<Op, { kind: 'create' }>): string[] {
  const { source, template } = op.body;
  if (template === undefined) return [source!];
  return [...tapHoldsSeen].map((ms) => renderTemplate(template, ms));
}

class Generator {
  private version = 0;
  constructor(
    private readonly rng: Rng,
    private readonly bigSources: boolean,
  ) {}

  /** A valid source no other write produced; sometimes large, so its write takes a while. */
  source(name: string): string {
    const r = this.rng;
    let pad = '';
    if (this.bigSources && r.chance(0.25)) {
      const line = `// padding ${'x'.repeat(100)}\n`;
      pad = line.repeat(r.range(100, 2500));
    }
    return `// crash test ${name} v${++this.version}\n${pad}device_start("*");\n    map("A", "VK_${r.pick(KEYS)}");\n    map("CapsLock", "VK_${r.pick(KEYS)}");\ndevice_end();\n`;
  }

  settingsPatch(current: Settings): Partial<Settings> {
    const r = this.rng;
    const patch: Record<string, unknown> = {};
    const choices: [string, () => unknown][] = [
      ['defaultTapHoldMs', () => r.range(1, 65_535)],
      ['outputHistory', () => r.range(10, 100_000)],
      ['wsRingSize', () => r.range(100, 1_000_000)],
      ['latencyIntervalMs', () => r.range(100, 60_000)],
      ['wsMaxLagEvents', () => r.range(1, 100)],
      ['logLevel', () => r.pick(['info', 'warn', 'debug'])],
      ['emergencyExitChord', () => r.pick(CHORDS)],
    ];
    const n = r.range(1, 3);
    for (let i = 0; i < n; i++) {
      const [key, value] = r.pick(choices);
      patch[key] = value();
    }
    // always a real change, so whether it happened can be told after a crash
    if (isDeepStrictEqual({ ...current, ...patch }, current))
      patch.defaultTapHoldMs = (current.defaultTapHoldMs % 65_535) + 1;
    return patch as Partial<Settings>;
  }

  /** A random op that touches nothing `busy` holds, or null when none fits. */
  next(model: Model, busy: Set<string>): Op | null {
    const r = this.rng;
    const free = (n: string): boolean => !busy.has(n);
    const existing = NAMES.filter((n) => model.profiles.has(n) && free(n));
    const absent = NAMES.filter((n) => !model.profiles.has(n) && free(n));
    const activeFree = free('@active');
    const options: [number, () => Op | null][] = [
      [
        30,
        () => {
          if (existing.length === 0) return null;
          const name = r.pick(existing);
          return { kind: 'update', name, source: this.source(name) };
        },
      ],
      [
        20,
        () => {
          const targets = existing.filter((n) => n !== model.active);
          if (!activeFree || targets.length === 0) return null;
          return { kind: 'activate', name: r.pick(targets) };
        },
      ],
      [
        14,
        () => {
          if (absent.length === 0) return null;
          const name = r.pick(absent);
          if (r.chance(0.3)) {
            return { kind: 'create', name, body: { name, template: r.pick(TEMPLATES) } };
          }
          return { kind: 'create', name, body: { name, source: this.source(name) } };
        },
      ],
      [
        14,
        () => {
          const from = existing.filter((n) => n !== model.active || activeFree);
          if (from.length === 0 || absent.length === 0) return null;
          // the active profile is renamed often: its name lives in state.json too
          const pickFrom =
            model.active && from.includes(model.active) && r.chance(0.5) ? model.active : r.pick(from);
          return {
            kind: 'rename',
            from: pickFrom,
            to: r.pick(absent),
            source: model.profiles.get(pickFrom)!,
            wasActive: pickFrom === model.active,
          };
        },
      ],
      [
        5,
        () => {
          if (existing.length === 0 || absent.length === 0) return null;
          const from = r.pick(existing);
          return { kind: 'duplicate', from, to: r.pick(absent), source: model.profiles.get(from)! };
        },
      ],
      [
        8,
        () => {
          const candidates = existing.filter((n) => n !== model.active || activeFree);
          // keep a few profiles around so the other operations have something to work on
          if (candidates.length === 0 || model.profiles.size < 3) return null;
          const name = r.pick(candidates);
          return { kind: 'delete', name, force: name === model.active };
        },
      ],
      [
        12,
        () => {
          if (!free('@settings')) return null;
          const patch = this.settingsPatch(model.settings);
          if (patch.defaultTapHoldMs !== undefined) tapHoldsSeen.add(patch.defaultTapHoldMs);
          return { kind: 'settings', patch, next: validateSettings({ ...model.settings, ...patch }) };
        },
      ],
    ];
    for (let attempt = 0; attempt < 10; attempt++) {
      const total = options.reduce((s, [w]) => s + w, 0);
      let x = r.next() * total;
      for (const [w, make] of options) {
        x -= w;
        if (x < 0) {
          const op = make();
          if (op) return op;
          break;
        }
      }
    }
    return null;
  }
}

function send(inst: Instance, op: Op, onSent: () => void): Promise<Reply> {
  switch (op.kind) {
    case 'create':
      return call(inst, 'POST', '/api/profiles', op.body, onSent);
    case 'update':
      return call(inst, 'PUT', `/api/profiles/${op.name}`, { source: op.source }, onSent);
    case 'rename':
      return call(inst, 'POST', `/api/profiles/${op.from}/rename`, { name: op.to }, onSent);
    case 'duplicate':
      return call(inst, 'POST', `/api/profiles/${op.from}/duplicate`, { name: op.to }, onSent);
    case 'delete':
      return call(
        inst,
        'DELETE',
        `/api/profiles/${op.name}${op.force ? '?force=true' : ''}`,
        undefined,
        onSent,
      );
    case 'activate':
      return call(inst, 'POST', `/api/profiles/${op.name}/activate`, undefined, onSent);
    case 'settings':
      return call(inst, 'PATCH', '/api/settings', op.patch, onSent);
  }
}

/** Applies an acknowledged op to the model; returns a violation when the reply contradicts it. */
function acknowledge(model: Model, op: Op, reply: Reply): string | null {
  if (reply.status < 200 || reply.status >= 300)
    return `${describe(op)}: unexpected ${reply.status} ${JSON.stringify(reply.json).slice(0, 300)}`;
  switch (op.kind) {
    case 'create':
      if (!createCandidates(op).includes(reply.json.source))
        return `${describe(op)}: the reply has another source`;
      model.profiles.set(op.name, reply.json.source);
      return null;
    case 'update':
      model.profiles.set(op.name, op.source);
      return null;
    case 'rename':
      model.profiles.delete(op.from);
      model.profiles.set(op.to, op.source);
      if (model.active === op.from) model.active = op.to;
      return null;
    case 'duplicate':
      model.profiles.set(op.to, op.source);
      return null;
    case 'delete':
      model.profiles.delete(op.name);
      if (reply.json.wasActive !== op.force) return `${describe(op)}: wasActive ${reply.json.wasActive}`;
      if (op.force) model.active = null;
      return null;
    case 'activate':
      model.active = op.name;
      return null;
    case 'settings':
      if (!isDeepStrictEqual(reply.json, op.next)) return `${describe(op)}: the reply has other settings`;
      model.settings = op.next;
      return null;
  }
}

// ---------------------------------------------------------------- observing and checking

interface Observed {
  files: Map<string, string>;
  strayFiles: string[];
  temps: string[];
  active: string | null;
  settings: Settings;
  listed: string[];
  problems: string[];
}

async function listTemps(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const sub of ['', 'profiles', 'cache']) {
    const names = await readdir(join(dir, sub)).catch(() => [] as string[]);
    for (const n of names) if (n.startsWith(TEMP_MARK)) out.push(join(sub, n));
  }
  return out;
}

async function observe(inst: Instance, dir: string): Promise<Observed> {
  const problems: string[] = [];
  const files = new Map<string, string>();
  const strayFiles: string[] = [];
  for (const n of await readdir(join(dir, 'profiles'))) {
    if (n.startsWith(TEMP_MARK)) continue;
    if (n.endsWith('.rhai')) files.set(n.slice(0, -5), await readFile(join(dir, 'profiles', n), 'utf8'));
    else strayFiles.push(n);
  }
  const status = await call(inst, 'GET', '/api/status');
  if (status.status !== 200) problems.push(`GET /api/status answered ${status.status}`);
  const settings = await call(inst, 'GET', '/api/settings');
  if (settings.status !== 200) problems.push(`GET /api/settings answered ${settings.status}`);
  try {
    validateSettings(settings.json);
  } catch (e) {
    problems.push(`the served settings are invalid: ${(e as Error).message}`);
  }
  // the files themselves: whole JSON (a torn one would be replaced by defaults in memory, silently)
  for (const f of ['settings.json', 'state.json']) {
    const text = await readFile(join(dir, f), 'utf8').catch(() => undefined);
    if (text === undefined) continue;
    try {
      const data = JSON.parse(text);
      if (f === 'settings.json' && !isDeepStrictEqual(data, settings.json))
        problems.push('settings.json differs from the served settings');
      if (f === 'state.json' && data.activeProfile !== status.json.activeProfile)
        problems.push(
          `state.json names '${data.activeProfile}' but '${status.json.activeProfile}' is active`,
        );
    } catch {
      problems.push(`${f} is not valid JSON (torn?): ${JSON.stringify(text.slice(0, 100))}`);
    }
  }
  const list = await call(inst, 'GET', '/api/profiles');
  if (list.status !== 200) problems.push(`GET /api/profiles answered ${list.status}`);
  return {
    files,
    strayFiles,
    temps: await listTemps(dir),
    active: status.json.activeProfile ?? null,
    settings: settings.json,
    listed: (list.json.profiles ?? []).map((p: { name: string }) => p.name),
    problems,
  };
}

const ABSENT = '\u0000absent';

function shortContent(c: string | undefined): string {
  if (c === undefined || c === ABSENT) return 'absent';
  const first = c.split('\n', 1)[0];
  return `${first.slice(0, 60)} (${c.length} bytes)`;
}

/** Every way the observed state breaks what the client was told. */
function check(model: Model, inFlight: Op[], seen: Observed): string[] {
  const v: string[] = [...seen.problems];
  const allowed = new Map<string, Set<string>>();
  const allow = (name: string, content: string): void => {
    if (!allowed.has(name)) allowed.set(name, new Set([model.profiles.get(name) ?? ABSENT]));
    allowed.get(name)!.add(content);
  };
  for (const name of new Set([...NAMES, ...model.profiles.keys(), ...seen.files.keys()]))
    allowed.set(name, new Set([model.profiles.get(name) ?? ABSENT]));
  const activeAllowed = new Set<string | null>([model.active]);
  const settingsAllowed: Settings[] = [model.settings];
  for (const op of inFlight)
    switch (op.kind) {
      case 'create':
        for (const c of createCandidates(op)) allow(op.name, c);
        break;
      case 'update':
        allow(op.name, op.source);
        break;
      case 'rename':
        allow(op.from, ABSENT);
        allow(op.to, op.source);
        // a rename is one atomic step: both names or neither is a torn rename
        if (seen.files.has(op.from) === seen.files.has(op.to))
          v.push(
            `${describe(op)} in flight: ${seen.files.has(op.to) ? 'both names exist' : 'neither name exists'}`,
          );
        if (op.wasActive) activeAllowed.add(op.to);
        break;
      case 'duplicate':
        allow(op.to, op.source);
        break;
      case 'delete':
        allow(op.name, ABSENT);
        if (op.force) activeAllowed.add(null);
        break;
      case 'activate':
        activeAllowed.add(op.name);
        break;
      case 'settings':
        settingsAllowed.push(op.next);
        break;
    }
  for (const [name, ok] of allowed) {
    const content = seen.files.get(name) ?? ABSENT;
    if (!ok.has(content))
      v.push(
        `profile ${name}: on disk ${shortContent(content)}, expected one of ${[...ok].map(shortContent).join(' | ')}`,
      );
  }
  for (const f of seen.strayFiles) v.push(`unexpected file in profiles/: ${f}`);
  for (const t of seen.temps) v.push(`temp file left after start: ${t}`);
  if (!activeAllowed.has(seen.active))
    v.push(
      `active profile '${seen.active}', expected one of ${[...activeAllowed].map((a) => `'${a}'`).join(', ')}`,
    );
  if (seen.active !== null && !seen.files.has(seen.active))
    v.push(`active profile '${seen.active}' has no file`);
  if (!settingsAllowed.some((s) => isDeepStrictEqual(s, seen.settings)))
    v.push(`settings ${JSON.stringify(seen.settings)} are neither acknowledged nor in flight`);
  const onDisk = [...seen.files.keys()].sort();
  if (!isDeepStrictEqual([...seen.listed].sort(), onDisk))
    v.push(`GET /api/profiles lists ${seen.listed.join(',')} but the disk has ${onDisk.join(',')}`);
  return v;
}

/** Whether an in-flight op turned out to have happened. */
function happened(op: Op, seen: Observed, before: Model): boolean {
  switch (op.kind) {
    case 'create':
    case 'duplicate':
      return seen.files.has(op.kind === 'create' ? op.name : op.to);
    case 'update':
      return seen.files.get(op.name) === op.source && before.profiles.get(op.name) !== op.source;
    case 'rename':
      return seen.files.has(op.to);
    case 'delete':
      return !seen.files.has(op.name);
    case 'activate':
      return seen.active === op.name;
    case 'settings':
      return isDeepStrictEqual(seen.settings, op.next);
  }
}

/** Log lines at error level or above (pino: 50 error, 60 fatal): a restore that failed, a 500. */
function errorLogLines(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /"level":(5|6)0\b/.test(l));
}

// ---------------------------------------------------------------- the run

export interface CrashOptions {
  kills: number;
  seed: number;
  /** ops per cycle (lower, upper) */
  opsPerCycle?: [number, number];
  /** requests in flight at once, at most */
  maxInFlight?: number;
  /** share of kills that hit a restarting daemon before it listens */
  startupKillRate?: number;
  bigSources?: boolean;
  log?: (line: string) => void;
  /** the daemon to run (prepareEntry); prepared and disposed of by the run when not given */
  entry?: DaemonEntry;
}

export interface CrashReport {
  seed: number;
  entry: DaemonEntry['kind'];
  kills: number;
  killsBy: { delay: number; sent: number; tempFile: number; commit: number; startup: number };
  restarts: number;
  violations: string[];
  opsSent: number;
  opsAcknowledged: number;
  opsInFlightAtKill: number;
  inFlightHappened: number;
  inFlightNotHappened: number;
  killsWithRequestsInFlight: number;
  tempFilesLeftByKills: number;
  /** time spent starting the daemon again (the bulk of a run) */
  restartMs: number;
  durationMs: number;
}

type Trigger = 'delay' | 'sent' | 'tempFile' | 'commit';

export async function runCrashTest(opts: CrashOptions): Promise<CrashReport> {
  const started = performance.now();
  const rng = new Rng(opts.seed);
  const gen = new Generator(rng, opts.bigSources ?? true);
  const [opsLo, opsHi] = opts.opsPerCycle ?? [2, 10];
  const maxInFlight = opts.maxInFlight ?? 4;
  const startupKillRate = opts.startupKillRate ?? 0.1;
  const log = opts.log ?? (() => undefined);
  const entry = opts.entry ?? (await prepareEntry());
  const report: CrashReport = {
    seed: opts.seed,
    entry: entry.kind,
    kills: 0,
    killsBy: { delay: 0, sent: 0, tempFile: 0, commit: 0, startup: 0 },
    restarts: 0,
    violations: [],
    opsSent: 0,
    opsAcknowledged: 0,
    opsInFlightAtKill: 0,
    inFlightHappened: 0,
    inFlightNotHappened: 0,
    killsWithRequestsInFlight: 0,
    tempFilesLeftByKills: 0,
    restartMs: 0,
    durationMs: 0,
  };
  const dir = await mkdtemp(join(tmpdir(), 'keyrx-crash-'));
  scratch.add(dir);
  let inst: Instance | null = null;
  try {
    inst = await startInstance(dir, entry);
    if (!inst) throw new Error('unreachable');
    const first = await observe(inst, dir);
    const model: Model = { profiles: first.files, active: first.active, settings: first.settings };
    tapHoldsSeen.clear();
    tapHoldsSeen.add(first.settings.defaultTapHoldMs);
    let cycle = 0;
    while (report.kills < opts.kills) {
      cycle++;
      const violation = (what: string): void => {
        report.violations.push(`cycle ${cycle}: ${what}`);
        log(`VIOLATION cycle ${cycle}: ${what}`);
      };
      // ---- a burst of operations, then SIGKILL
      const cycleAt = performance.now();
      const current: Instance = inst;
      const trigger: Trigger = rng.pick([
        'delay',
        'delay',
        'sent',
        'tempFile',
        'tempFile',
        'commit',
        'commit',
      ] as const);
      const budget = rng.range(opsLo, opsHi);
      const concurrency = rng.range(1, maxInFlight);
      // 'sent': right after this request went out
      const killAtSent = rng.range(1, budget);
      // 'tempFile' (a write begun) and 'commit' (a file renamed into place: done, most likely not
      // yet acknowledged): at the first such event once this many replies came
      const armAfterAcks = rng.range(0, budget - 1);
      let acked = 0;
      const delayMs = rng.range(0, 250);
      const pending = new Map<Op, Promise<void>>();
      const busy = new Set<string>();
      let launched = 0;
      let killed = false;
      let watchers: FSWatcher[] = [];
      let fallback: NodeJS.Timeout | undefined;
      let inFlightAtKill: Op[] = [];
      let wake: () => void = () => undefined;
      const kill = (): void => {
        if (killed) return;
        killed = true;
        inFlightAtKill = [...pending.keys()];
        current.child.kill('SIGKILL');
        wake();
      };
      if (trigger === 'delay') fallback = setTimeout(kill, delayMs);
      if (trigger === 'tempFile' || trigger === 'commit') {
        for (const sub of ['', 'profiles', 'cache']) {
          const w = watch(join(dir, sub), (_e, f) => {
            if (typeof f !== 'string' || acked < armAfterAcks) return;
            if (f.startsWith(TEMP_MARK) === (trigger === 'tempFile')) kill();
          });
          w.on('error', () => undefined);
          watchers.push(w);
        }
      }
      const launch = (): void => {
        while (!killed && launched < budget && pending.size < concurrency) {
          const op = gen.next(model, busy);
          if (!op) break;
          launched++;
          report.opsSent++;
          const index = launched;
          for (const r of resources(op)) busy.add(r);
          const onSent = (): void => {
            if (trigger === 'sent' && index === killAtSent) kill();
          };
          const done = send(current, op, onSent).then(
            (reply) => {
              pending.delete(op);
              for (const r of resources(op)) busy.delete(r);
              report.opsAcknowledged++;
              acked++;
              const bad = acknowledge(model, op, reply);
              if (bad) violation(bad);
              launch();
              wake();
            },
            () => {
              // no reply: stays in flight (only a kill cuts a request off)
              if (!killed) violation(`${describe(op)}: the request failed without a kill`);
            },
          );
          pending.set(op, done);
        }
      };
      launch();
      // wait for the trigger; a burst that ends before it is killed idle (the 'delay' timer still runs)
      while (!killed) {
        if (pending.size === 0 && trigger !== 'delay') kill();
        else await new Promise<void>((r) => ((wake = r), setTimeout(r, 50)));
      }
      const killedAt = performance.now();
      clearTimeout(fallback);
      for (const w of watchers) w.close();
      watchers = [];
      const exit = await current.exited;
      if (exit.signal !== 'SIGKILL') violation(`the daemon exited by itself (${exit.code ?? exit.signal})`);
      await Promise.allSettled(pending.values());
      current.agent.destroy();
      for (const line of errorLogLines(current.stderr())) violation(`error logged: ${line.slice(0, 300)}`);
      report.kills++;
      report.killsBy[trigger]++;
      const stillInFlight = inFlightAtKill.filter((op) => pending.has(op));
      report.opsInFlightAtKill += stillInFlight.length;
      if (stillInFlight.length > 0) report.killsWithRequestsInFlight++;
      report.tempFilesLeftByKills += (await listTemps(dir)).length;

      // ---- restart (sometimes killed again while starting), then check
      let next: Instance | null = null;
      const restartAt = performance.now();
      while (!next) {
        const killStartup = report.kills < opts.kills && rng.chance(startupKillRate);
        report.restarts++;
        next = await startInstance(dir, entry, killStartup ? rng.range(0, 1200) : undefined);
        if (!next) {
          report.kills++;
          report.killsBy.startup++;
          report.tempFilesLeftByKills += (await listTemps(dir)).length;
        }
      }
      const restartMs = performance.now() - restartAt;
      report.restartMs += restartMs;
      inst = next;
      const seen = await observe(inst, dir);
      for (const bad of check(model, stillInFlight, seen)) violation(bad);
      for (const op of stillInFlight) {
        if (happened(op, seen, model)) report.inFlightHappened++;
        else report.inFlightNotHappened++;
      }
      log(
        `cycle ${cycle}: ${trigger} kill with ${stillInFlight.length} in flight [${stillInFlight.map(describe).join('; ')}]; ` +
          `now ${[...seen.files.keys()].join(',')} active=${seen.active}; ` +
          `burst ${Math.round(killedAt - cycleAt)} ms, kill ${Math.round(restartAt - killedAt)} ms, restart ${Math.round(restartMs)} ms, check ${Math.round(performance.now() - restartAt - restartMs)} ms`,
      );
      // what the daemon has now is what the client knows from here on
      model.profiles = seen.files;
      model.active = seen.active;
      model.settings = seen.settings;
    }
    // a last look: the restarted daemon still serves and logged no error
    await new Promise((r) => setTimeout(r, 200));
    for (const line of errorLogLines(inst.stderr()))
      report.violations.push(`final: error logged: ${line.slice(0, 300)}`);
  } finally {
    inst?.child.kill('SIGKILL');
    inst?.agent.destroy();
    if (inst) await inst.exited;
    killAll();
    await rm(dir, { recursive: true, force: true });
    scratch.delete(dir);
    if (!opts.entry) await entry.dispose();
  }
  report.durationMs = Math.round(performance.now() - started);
  return report;
}

export function formatReport(r: CrashReport): string {
  return [
    `crash consistency: seed ${r.seed}, daemon from ${r.entry}`,
    `  kills ${r.kills} (after a random delay ${r.killsBy.delay}, right after a request was sent ${r.killsBy.sent}, when a temp file appeared ${r.killsBy.tempFile}, when a file was renamed into place ${r.killsBy.commit}, during startup ${r.killsBy.startup})`,
    `  restarts ${r.restarts}`,
    `  ops sent ${r.opsSent}, acknowledged ${r.opsAcknowledged}, in flight at a kill ${r.opsInFlightAtKill} (happened ${r.inFlightHappened}, not ${r.inFlightNotHappened}); kills with requests in flight ${r.killsWithRequestsInFlight}`,
    `  temp files left by kills ${r.tempFilesLeftByKills} (all must be gone after start)`,
    `  violations ${r.violations.length}`,
    ...r.violations.slice(0, 50).map((v) => `    - ${v}`),
    `  duration ${(r.durationMs / 1000).toFixed(1)} s, of which restarting ${(r.restartMs / 1000).toFixed(1)} s`,
  ].join('\n');
}
