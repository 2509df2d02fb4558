/**
 * `keyrx monitor` runs as a real process against real daemons (child processes on temp config
 * dirs and free ports): human and --json output, filters, --since, the resync snapshot, automatic
 * reconnection across a daemon restart and after the daemon dropped a stalled monitor, and the
 * exit codes (0 on SIGINT, 1 for a refused token, 2 for usage errors).
 */
import { cliEntry, spawnDaemon } from './support/daemon-process.ts';
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Envelope } from '../src/cli/monitor.ts';
import { HANG_MS } from './support/wait.ts';
import { hasScript, onTerminal } from './support/terminal.ts';

const root = join(import.meta.dirname, '..');
/** the CLI for the monitor (KEYRX_TEST_CLI: another entry point, run through tsx, that registers the command) */
const cliArgs = process.env.KEYRX_TEST_CLI ? ['--import', 'tsx', process.env.KEYRX_TEST_CLI] : cliEntry();
const work = mkdtempSync(join(tmpdir(), 'keyrx-monitor-'));

function cleanEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('KEYRX_')) env[k] = v;
  return { ...env, NO_COLOR: '1' };
}

// ---------------------------------------------------------------- daemons

interface TestDaemon {
  dir: string;
  url: string;
  port: number;
  token: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

const daemons: TestDaemon[] = [];

async function startDaemon(dir: string, port = 0): Promise<TestDaemon> {
  const p = await spawnDaemon({ dir, port, env: cleanEnv() });
  const d: TestDaemon = {
    dir,
    url: p.url,
    port: Number(new URL(p.url).port),
    token: p.token,
    child: p.child,
    stop: () => p.stop(),
  };
  daemons.push(d);
  return d;
}

async function api(d: TestDaemon, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${d.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${d.token}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = (await res.json()) as unknown;
  assert.ok(res.ok, `${method} ${path}: ${JSON.stringify(data)}`);
  return data;
}

function inject(d: TestDaemon, events: string): Promise<unknown> {
  return api(d, 'POST', '/api/inject?instant=true', { events });
}

async function currentSeq(d: TestDaemon): Promise<number> {
  // the hello's data.seq is the daemon's current seq (GET /api/status does not carry it)
  const m = startMonitor(d, ['--json', '--topics', 'error']);
  await m.until(() => m.envelopes().some((e) => e.type === 'hello'));
  const seq = m.envelopes().find((e) => e.type === 'hello')!.data.seq as number;
  assert.equal(await m.stop(), 0);
  return seq;
}

// ---------------------------------------------------------------- monitors

interface MonitorProcess {
  child: ChildProcess;
  stdout(): string[];
  stderr(): string;
  envelopes(): Envelope[];
  keys(): Envelope[];
  until(pred: () => boolean, ms?: number): Promise<void>;
  /** SIGINT; resolves to the exit code */
  stop(): Promise<number | null>;
  exited: Promise<number | null>;
}

const monitors: MonitorProcess[] = [];

function startMonitor(d: { dir: string; url: string }, args: string[]): MonitorProcess {
  const child = spawn(
    process.execPath,
    [...cliArgs, 'monitor', '--config-dir', d.dir, '--url', d.url, ...args],
    { cwd: root, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  const parsed: Envelope[] = [];
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (out += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const m: MonitorProcess = {
    child,
    stdout: () => {
      const all = out.split('\n');
      all.pop(); // an unfinished line
      return all.filter(Boolean);
    },
    stderr: () => err,
    envelopes: () => {
      const lines = m.stdout();
      for (let i = parsed.length; i < lines.length; i++) parsed.push(JSON.parse(lines[i]) as Envelope);
      return parsed;
    },
    keys: () => m.envelopes().filter((e) => e.type === 'key'),
    async until(pred, ms = HANG_MS) {
      const end = Date.now() + ms;
      while (!pred()) {
        if (Date.now() > end)
          throw new Error(`timeout; stdout:\n${m.stdout().slice(-30).join('\n')}\nstderr:\n${err}`);
        if (child.exitCode !== null)
          throw new Error(`the monitor exited (${child.exitCode}):\n${out}\n${err}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGINT');
      return exited;
    },
    exited,
  };
  monitors.push(m);
  return m;
}

/**
 * The monitor on a terminal: `script` gives it a pseudo-terminal for stdin, stdout and stderr
 * (they arrive together; the terminal's \r\n made \n). Ctrl-C on that terminal stops it, as for a
 * person. `env` is added to the environment, which has no NO_COLOR unless given.
 */
function startMonitorOnTty(
  d: { dir: string; url: string },
  args: string[],
  env: Record<string, string> = {},
): {
  output(): string;
  lines(): string[];
  until(pred: () => boolean): Promise<void>;
  stop(): Promise<number | null>;
} {
  const argv = [process.execPath, ...cliArgs, 'monitor', '--config-dir', d.dir, '--url', d.url, ...args];
  const base = cleanEnv();
  delete base.NO_COLOR;
  const [cmd, cmdArgs] = onTerminal(argv);
  const child = spawn(cmd, cmdArgs, {
    cwd: root,
    env: { ...base, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  // the pty writes \r\n; a chunk may end between the two, so normalise the whole text on read
  let raw = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (raw += s));
  const text = (): string => raw.replace(/\r\n/g, '\n');
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const m = {
    output: text,
    lines: () => text().split('\n').slice(0, -1),
    async until(pred: () => boolean) {
      const end = Date.now() + HANG_MS;
      while (!pred()) {
        if (Date.now() > end) throw new Error(`timeout; output:\n${text()}`);
        if (child.exitCode !== null) throw new Error(`the monitor exited (${child.exitCode}):\n${text()}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop() {
      if (child.exitCode === null) child.stdin!.write('\x03');
      return exited;
    },
  };
  ttyMonitors.push(child);
  return m;
}

const ttyMonitors: ChildProcess[] = [];
// eslint-disable-next-line no-control-regex
const ESCAPES = /\x1b\[[0-9;]*m/g;

/** The monitor is connected once it printed its "connected" status line. */
async function connected(m: MonitorProcess): Promise<void> {
  await m.until(() => /connected to keyrx/.test(m.stderr()));
}

const keyText = (e: Envelope): string => `${e.data.action}:${e.data.key}@${e.data.device}`;

// ---------------------------------------------------------------- the shared daemon

let shared: TestDaemon;
before(async () => {
  shared = await startDaemon(join(work, 'shared'));
});

after(async () => {
  for (const m of monitors) if (m.child.exitCode === null) m.child.kill('SIGKILL');
  for (const c of ttyMonitors) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of daemons) await d.stop();
  rmSync(work, { recursive: true, force: true });
});

test('prints key events, state changes and the snapshot as lines; SIGINT exits 0', async () => {
  const m = startMonitor(shared, []);
  await connected(m);
  await m.until(() => m.stdout().some((l) => / snapshot: profile default/.test(l)));
  await inject(shared, 'd:CapsLock u:CapsLock d:CapsLock d:H u:H u:CapsLock');
  await m.until(() => m.stdout().filter((l) => / virtual +[du]:/.test(l)).length === 6);
  const keyLines = m.stdout().filter((l) => / virtual +[du]:/.test(l));
  assert.match(
    keyLines[0],
    /^\d\d:\d\d:\d\d\.\d{3} virtual +d:CapsLock +→ \(pending\) +tapHold pending +\d+ µs$/,
  );
  assert.match(keyLines[1], /u:CapsLock +→ d:Escape u:Escape +tapHold tap +\d+ µs$/);
  assert.match(keyLines[3], /d:H +→ d:Left +simple remap/);
  assert.match(keyLines[5], /u:CapsLock +→ \(none\) +tapHold hold-release/);
  assert.ok(m.stdout().some((l) => / state: +modifiers MD_00, locks -$/.test(l)));
  assert.ok(m.stdout().some((l) => / state: +modifiers -, locks -$/.test(l)));
  assert.ok(m.stdout().some((l) => / device: +added virtual \(id virtual, grabbed, block 1 "\*"\)/.test(l)));
  await api(shared, 'POST', '/api/profiles', { name: 'other', template: 'blank' });
  await m.until(() => m.stdout().some((l) => / profile: +created other$/.test(l)));
  await api(shared, 'PUT', '/api/context', { app: 'firefox', title: 'Inbox' });
  await m.until(() =>
    m.stdout().some((l) => / context: +app firefox, title "Inbox", ime off, language -$/.test(l)),
  );
  await api(shared, 'PUT', '/api/context', { app: '', title: '' });
  await m.until(() => m.stdout().some((l) => / latency: +\d+ events\/s, p50 \d+ µs/.test(l)));
  assert.equal(await m.stop(), 0);
});

test('key lines show the mapping kind and the decision exactly as the API sends them', async () => {
  const human = startMonitor(shared, ['--topics', 'key']);
  const json = startMonitor(shared, ['--json', '--topics', 'key']);
  await connected(human);
  await json.until(() => json.envelopes().some((e) => e.type === 'snapshot'));
  // tapHold (pending, tap, hold, hold-release), simple (remap, release) and passthrough
  await inject(shared, 'd:CapsLock u:CapsLock d:CapsLock d:H u:H u:CapsLock d:X u:X');
  await json.until(() => json.keys().length === 8);
  const lines = (): string[] => human.stdout().filter((l) => / virtual +[du]:/.test(l));
  await human.until(() => lines().length === 8);
  const shown = lines().map((l) => /→ .{20} (\S+) (\S+)/.exec(l)!.slice(1, 3).join(' '));
  assert.deepEqual(
    shown,
    json.keys().map((e) => `${e.data.mapping} ${e.data.decision}`),
  );
  assert.ok(shown.includes('passthrough passthrough') && shown.includes('simple remap'), shown.join('\n'));
  // piped and NO_COLOR: no colour
  assert.ok(!human.stdout().join('\n').includes('\x1b['));
  assert.equal(await human.stop(), 0);
  assert.equal(await json.stop(), 0);
});

test(
  'on a terminal: the time dim, the label and the decision coloured, as keyrx check decides; never with NO_COLOR or --json',
  { skip: !hasScript && 'needs script(1)' },
  async () => {
    const m = startMonitorOnTty(shared, ['--topics', 'key,state']);
    await m.until(() => /connected to keyrx/.test(m.output()));
    await m.until(() => /snapshot:/.test(m.output()));
    await inject(shared, 'd:CapsLock u:CapsLock d:X u:X');
    const keyLines = (): string[] => m.lines().filter((l) => / +[du]:(CapsLock|X) /.test(l));
    await m.until(() => keyLines().length === 4);
    const [press, release, x] = keyLines();
    const time = '\\x1b\\[2m\\d\\d:\\d\\d:\\d\\d\\.\\d{3}\\x1b\\[0m';
    const device = '\\x1b\\[36mvirtual\\x1b\\[0m';
    assert.match(
      press,
      new RegExp(
        `^${time} ${device} +d:CapsLock +→ \\(pending\\) +tapHold \\x1b\\[33mpending\\x1b\\[0m +\\d+ µs$`,
      ),
    );
    assert.match(
      release,
      new RegExp(
        `^${time} ${device} +u:CapsLock +→ d:Escape u:Escape +tapHold \\x1b\\[32mtap\\x1b\\[0m +\\d+ µs$`,
      ),
    );
    assert.match(
      x,
      new RegExp(`^${time} ${device} +d:X +→ d:X +passthrough \\x1b\\[2mpassthrough\\x1b\\[0m +\\d+ µs$`),
    );
    assert.ok(
      m.lines().some((l) => new RegExp(`^${time} \\x1b\\[35msnapshot:\\x1b\\[0m profile default`).test(l)),
      m.output(),
    );
    // the colour codes do not move the columns: without them, the latencies line up
    const plain = keyLines().map((l) => l.replace(ESCAPES, ''));
    assert.equal(new Set(plain.map((l) => l.length)).size, 1, plain.join('\n'));
    assert.equal(await m.stop(), 0);

    const noColor = startMonitorOnTty(shared, ['--topics', 'key,state'], { NO_COLOR: '1' });
    await noColor.until(() => /snapshot:/.test(noColor.output()));
    assert.ok(!noColor.output().includes('\x1b['), noColor.output());
    assert.equal(await noColor.stop(), 0);
    const json = startMonitorOnTty(shared, ['--json', '--topics', 'state']);
    await json.until(() => /"type":"snapshot"/.test(json.output()));
    assert.ok(!json.output().includes('\x1b['), json.output());
    assert.equal(await json.stop(), 0);
  },
);

test('--json: one envelope per line as received, batches flattened, seqs strictly increasing', async () => {
  const m = startMonitor(shared, ['--json', '--topics', 'key,state']);
  await m.until(() => m.envelopes().some((e) => e.type === 'snapshot'));
  await inject(shared, 'd:A u:A '.repeat(100));
  await m.until(() => m.keys().length === 200);
  const all = m.envelopes();
  assert.equal(all[0].type, 'hello');
  assert.deepEqual(all[0].data.topics, ['key', 'state']);
  assert.equal(all[1].type, 'snapshot');
  for (const e of all) {
    assert.ok(!Array.isArray(e));
    assert.deepEqual(Object.keys(e), ['type', 'seq', 'time', 'data']);
  }
  const events = all.filter((e) => e.type === 'key' || e.type === 'state');
  for (let i = 1; i < events.length; i++) assert.ok(events[i].seq > events[i - 1].seq);
  assert.deepEqual(m.keys().slice(0, 2).map(keyText), ['press:A@virtual', 'release:A@virtual']);
  assert.equal(await m.stop(), 0);
});

test('--device and --key filter key events (sent as the subscribe filter)', async () => {
  const m = startMonitor(shared, ['--json', '--topics', 'key', '--device', 'left', '--key', 'A,VK_B']);
  await m.until(() => m.envelopes().some((e) => e.type === 'ack'));
  assert.deepEqual(m.envelopes().find((e) => e.type === 'ack')!.data.filter, {
    devices: ['left'],
    keys: ['A', 'B'],
  });
  await inject(shared, 'dev:left d:A u:A d:X u:X d:B u:B dev:right d:A u:A');
  await inject(shared, 'dev:right d:B u:B dev:left d:A u:A');
  await m.until(() => m.keys().length === 6);
  await new Promise((r) => setTimeout(r, 200));
  assert.deepEqual(m.keys().map(keyText), [
    'press:A@left',
    'release:A@left',
    'press:B@left',
    'release:B@left',
    'press:A@left',
    'release:A@left',
  ]);
  assert.equal(await m.stop(), 0);
});

test('--since: a monitor started again later prints exactly the events it missed', async () => {
  const first = startMonitor(shared, ['--json', '--topics', 'key']);
  await first.until(() => first.envelopes().some((e) => e.type === 'snapshot'));
  await inject(shared, 'd:A u:A d:X u:X');
  await first.until(() => first.keys().length === 4);
  const last = first.keys()[3].seq;
  assert.equal(await first.stop(), 0);

  await inject(shared, 'd:Y u:Y d:Z u:Z');
  const second = startMonitor(shared, ['--json', '--topics', 'key', '--since', String(last)]);
  await second.until(() => second.keys().length === 4);
  assert.ok(!second.envelopes().some((e) => e.type === 'snapshot'), 'a resumed stream has no snapshot');
  assert.deepEqual(second.keys().map(keyText), [
    'press:Y@virtual',
    'release:Y@virtual',
    'press:Z@virtual',
    'release:Z@virtual',
  ]);
  assert.ok(second.keys()[0].seq > last);
  await inject(shared, 'd:Q u:Q');
  await second.until(() => second.keys().length === 6);
  const seqs = second.keys().map((k) => k.seq);
  assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
  assert.equal(await second.stop(), 0);

  // the same in human form
  const human = startMonitor(shared, ['--topics', 'key', '--since', String(last)]);
  await human.until(() => human.stdout().filter((l) => / virtual /.test(l)).length === 6);
  assert.deepEqual(
    human
      .stdout()
      .filter((l) => / virtual /.test(l))
      .map((l) => / virtual +(\S+)/.exec(l)![1]),
    ['d:Y', 'u:Y', 'd:Z', 'u:Z', 'd:Q', 'u:Q'],
  );
  assert.match(human.stderr(), /replaying after seq \d+/);
  assert.equal(await human.stop(), 0);
});

test('a --since the daemon no longer keeps gives a resync line with the current state', async () => {
  const dir = join(work, 'ring');
  mkdirSync(dir);
  writeFileSync(join(dir, 'settings.json'), JSON.stringify({ wsRingSize: 100 }));
  const d = await startDaemon(dir);
  await inject(d, 'd:A u:A '.repeat(100));
  const m = startMonitor(d, ['--topics', 'key,state', '--since', '1']);
  await m.until(() => m.stdout().some((l) => / resync: /.test(l)));
  const line = m.stdout().find((l) => / resync: /.test(l))!;
  assert.match(
    line,
    /resync: +the daemon no longer keeps the events after seq 1: missed events up to seq \d+; now: profile default, modifiers -, locks -, held -, devices virtual$/,
  );
  await inject(d, 'd:B u:B');
  await m.until(() => m.stdout().some((l) => / virtual +u:B /.test(l)));
  assert.equal(await m.stop(), 0);
  await d.stop();
});

test('reconnects by itself across a daemon restart on the same port and replays the new daemon from its first event', async () => {
  const dir = join(work, 'restart');
  const a = await startDaemon(dir);
  const human = startMonitor(a, ['--topics', 'key,profile,device']);
  const json = startMonitor(a, ['--json', '--topics', 'key,profile,device']);
  await connected(human);
  await json.until(() => json.envelopes().some((e) => e.type === 'snapshot'));
  await inject(a, 'd:A u:A');
  await json.until(() => json.keys().length === 2);
  await human.until(() => human.stdout().some((l) => / virtual +u:A /.test(l)));
  const seqBefore = json.keys()[1].seq;

  await a.stop();
  await human.until(() => /disconnected \(connection lost \(1006\)\); reconnecting/.test(human.stderr()));
  const b = await startDaemon(dir, a.port);
  await inject(b, 'd:B u:B');
  await json.until(() => json.keys().some((k) => k.data.key === 'B' && k.data.action === 'release'));
  await human.until(() => human.stdout().some((l) => / virtual +u:B /.test(l)));

  // the new daemon's events, from its first: seqs start again, each event once
  assert.match(json.stderr(), /the daemon restarted \(pid \d+ → \d+\): its seqs start again/);
  const all = json.envelopes();
  const hellos = all.flatMap((e, i) => (e.type === 'hello' ? [i] : []));
  assert.equal(hellos.length, 2, 'one connection to each daemon');
  assert.equal(all[hellos[1]].seq, 0, 'resumed after seq 0');
  assert.ok(all.slice(0, hellos[1]).some((e) => e.seq === seqBefore));
  const afterRestart = all.slice(hellos[1] + 1);
  assert.ok(
    afterRestart.some((e) => e.type === 'profile' && e.data.action === 'activated'),
    "the new daemon's startup activation is replayed",
  );
  assert.deepEqual(afterRestart.filter((e) => e.type === 'key' && e.data.key !== '').map(keyText), [
    'press:B@virtual',
    'release:B@virtual',
  ]);
  for (let i = 1; i < afterRestart.length; i++) assert.ok(afterRestart[i].seq > afterRestart[i - 1].seq);
  assert.ok(!json.envelopes().some((e) => e.type === 'snapshot' && e.data.resync));

  const lines = human.stdout();
  const restartAt = lines.findIndex((l) => / restart: +the daemon restarted/.test(l));
  assert.ok(restartAt > 0, lines.join('\n'));
  assert.ok(lines.slice(restartAt).some((l) => / profile: +activated default/.test(l)));
  assert.equal(lines.filter((l) => / virtual +d:B /.test(l)).length, 1);
  assert.match(human.stderr(), /reconnected to keyrx .*, resuming after seq 0/);

  // the daemon is the same one again: the next disconnect resumes after the last seq, no replay
  assert.equal(await human.stop(), 0);
  assert.equal(await json.stop(), 0);
  await b.stop();
});

test('a stalled monitor that the daemon drops resumes where it was: every event exactly once', async () => {
  const dir = join(work, 'stall');
  mkdirSync(dir);
  writeFileSync(
    join(dir, 'settings.json'),
    JSON.stringify({ wsQueueMessages: 16, wsQueueBytes: 65_536, wsMaxLagEvents: 3, wsRingSize: 200_000 }),
  );
  const d = await startDaemon(dir);
  const m = startMonitor(d, ['--json', '--topics', 'key']);
  await m.until(() => m.envelopes().some((e) => e.type === 'snapshot'));
  const status = async (): Promise<number> =>
    ((await api(d, 'GET', '/api/status')) as { wsClients: number }).wsClients;
  assert.equal(await status(), 1);
  m.child.kill('SIGSTOP');
  let rounds = 0;
  try {
    // the loopback socket buffers take a few MB before the daemon sees backpressure
    while ((await status()) > 0 && rounds < 300) {
      await inject(d, 'd:A u:A '.repeat(250));
      rounds++;
    }
  } finally {
    m.child.kill('SIGCONT');
  }
  assert.equal(await status(), 0, `the daemon dropped the stalled monitor (after ${rounds} rounds)`);
  await m.until(() => /resuming after seq \d+/.test(m.stderr()), 20_000);
  // every event arrives once, or is reported lost in a lagged message
  const dropped = (): number =>
    m
      .envelopes()
      .filter((e) => e.type === 'lagged')
      .reduce((n, e) => n + (e.data.dropped as number), 0);
  await m.until(() => m.keys().length + dropped() === rounds * 500, 30_000);
  const seqs = m.keys().map((k) => k.seq);
  assert.equal(new Set(seqs).size, seqs.length, 'no duplicates');
  for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i] > seqs[i - 1]);
  assert.equal(await m.stop(), 0);
  await d.stop();
});

test('a refused token exits 1 at once with a clear message; usage errors exit 2', async () => {
  const bad = join(work, 'bad');
  mkdirSync(bad);
  writeFileSync(join(bad, 'token'), 'not-the-token\n');
  // exits instead of reconnecting: a daemon that cannot prove it knows this token never gets it
  const m = startMonitor({ dir: bad, url: shared.url }, []);
  assert.equal(await m.exited, 1);
  assert.match(m.stderr(), /could not prove it knows the API token in .*token .*another config directory/);

  const topics = startMonitor(shared, ['--topics', 'key,keys']);
  assert.equal(await topics.exited, 2);
  assert.match(topics.stderr(), /--topics: unknown topic 'keys'/);
  const since = startMonitor(shared, ['--since=abc']);
  assert.equal(await since.exited, 2);
  const filter = startMonitor(shared, ['--topics', 'state', '--key', 'A']);
  assert.equal(await filter.exited, 2);
  assert.match(filter.stderr(), /add key to --topics/);
});

test('a --since ahead of the daemon (a seq of an earlier run) replays the daemon from its first event', async () => {
  const seq = await currentSeq(shared);
  const m = startMonitor(shared, ['--json', '--topics', 'profile', '--since', String(seq + 1_000_000)]);
  await m.until(() => m.envelopes().some((e) => e.type === 'profile' && e.data.action === 'activated'));
  assert.match(m.stderr(), /is behind the one to resume after/);
  assert.equal(m.envelopes()[0].type, 'hello');
  assert.equal(m.envelopes()[0].seq, 0);
  assert.equal(await m.stop(), 0);
});
