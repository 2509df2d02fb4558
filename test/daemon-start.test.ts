/**
 * The daemon's start, as a process (`keyrx daemon` through tsx) on the linux backend over pipes
 * (KEYRX_PIPE_FDS): A is typed on the pipe keyboard from the spawn on, and every key that comes
 * out is checked. The key path goes live from the active profile's cache before the API loads; a
 * profile that must be compiled first is compiled before anything is read from the keyboard;
 * either way no key ever comes out unmapped. (The VM test does the same on a real kernel.)
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs, { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CLI, cleanEnv, ROOT } from './support/daemon-process.ts';
import { KEY_A, KEY_B, keyReport, pipe, typeThroughStart } from './support/pipes.ts';

const linux = process.platform === 'linux';
const work = mkdtempSync(join(tmpdir(), 'keyrx-start-'));
after(() => rmSync(work, { recursive: true, force: true }));

const PROFILE = 'device_start("*");\n  map("A", "VK_B");\ndevice_end();\n';

function configDir(name: string): string {
  const dir = join(work, name);
  mkdirSync(join(dir, 'profiles'), { recursive: true, mode: 0o700 });
  writeFileSync(join(dir, 'profiles', 'live.rhai'), PROFILE, { mode: 0o600 });
  writeFileSync(join(dir, 'state.json'), '{"activeProfile":"live"}\n', { mode: 0o600 });
  return dir;
}

const daemonArgs = (dir: string, port = '0'): string[] => [
  '--import',
  'tsx',
  CLI,
  'daemon',
  '--config-dir',
  dir,
  '--port',
  port,
  '--backend',
  'linux',
  '--no-tray',
];

const JSON_LOGS = cleanEnv({ KEYRX_LOG_LEVEL: 'info', KEYRX_LOG_FORMAT: 'json' });

/** A daemon on `dir` through its start, A typed throughout (typeThroughStart). */
const typedStart = (dir: string) =>
  typeThroughStart({ args: daemonArgs(dir), env: JSON_LOGS, timeoutMs: 120_000 });

/** Runs `keyrx daemon …` to its exit: the exit code and its stderr. */
async function runToExit(
  args: string[],
  env: NodeJS.ProcessEnv,
  fds: number[] = [],
): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'ignore', 'pipe', ...fds],
  });
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  // 'close': exited, and its stderr read to the end
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  return { code, stderr };
}

/** The pino messages in a daemon's stderr, in order. */
const messages = (stderr: string): string[] =>
  stderr
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);

test(
  'typed throughout the start, no key comes out unmapped: compiled first, then from the cache before the API',
  { skip: !linux },
  async () => {
    const dir = configDir('typed');

    // first start: no cache yet, so the profile is compiled before the keyboard is read
    const first = await typedStart(dir);
    assert.equal(first.unmapped, 0, `first start: ${first.keysOut.join(' ')}`);
    assert.equal(first.keysOut[0], `${KEY_B}:1`, 'the first key out is the remapped press');
    assert.ok(fs.existsSync(join(dir, 'cache', 'live.krx')), 'the compile was cached');
    assert.ok(!messages(first.stderr).includes('remapping live'), 'no early key path without a cache');

    // restart: the cache is current, so the key path is live before the API is loaded
    const again = await typedStart(dir);
    assert.equal(again.unmapped, 0, `restart: ${again.keysOut.join(' ')}`);
    assert.equal(again.keysOut[0], `${KEY_B}:1`);
    const log = messages(again.stderr);
    const live = log.indexOf('remapping live');
    assert.ok(live >= 0, log.join(' | '));
    const listening = log.findIndex((m) => m.startsWith('Server listening'));
    assert.ok(listening === -1 || listening > live, 'the server listens after the key path is live');
  },
);

test(
  'a profile changed while the daemon was stopped is compiled again, never run from the old cache',
  { skip: !linux },
  async () => {
    const dir = configDir('stale');
    await typedStart(dir);
    // the source changes while no daemon runs: the cache no longer matches it
    writeFileSync(
      join(dir, 'profiles', 'live.rhai'),
      PROFILE.replace('map("A", "VK_B");', 'map("A", "VK_B");\n  map("Z", "VK_Y");'),
    );
    const r = await typedStart(dir);
    assert.equal(r.unmapped, 0);
    assert.ok(!messages(r.stderr).includes('remapping live'), 'the stale cache was not used');
  },
);

test('a port in use stops the start before the keyboard is read', { skip: !linux }, async () => {
  const dir = configDir('port');
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const port = (blocker.address() as AddressInfo).port;
  const [inRead, inWrite] = pipe();
  const [outRead, outWrite] = pipe();
  try {
    fs.writeSync(inWrite, keyReport(KEY_A, 1));
    const { code, stderr } = await runToExit(
      daemonArgs(dir, String(port)),
      { ...cleanEnv(), KEYRX_PIPE_FDS: '3:4' },
      [inRead, outWrite],
    );
    assert.equal(code, 1, stderr);
    assert.match(stderr, new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use`));
    // the press is still in the keyboard pipe: nobody read it; nothing came out
    const buf = Buffer.alloc(96);
    assert.equal(fs.readSync(inRead, buf, 0, 96, null), 48);
    assert.throws(() => fs.readSync(outRead, buf, 0, 96, null), /EAGAIN/);
  } finally {
    blocker.close();
    for (const fd of [inRead, inWrite, outRead, outWrite]) fs.closeSync(fd);
  }
});

test('KEYRX_PIPE_FDS that is not fds:fd is a usage error', async () => {
  const dir = configDir('pipes-env');
  for (const spec of ['3', '3:3', '1:4', 'a:b', '3,4']) {
    const { code, stderr } = await runToExit(daemonArgs(dir), { ...cleanEnv(), KEYRX_PIPE_FDS: spec });
    assert.equal(code, 2, `${spec}: ${stderr}`);
    assert.match(stderr, /invalid KEYRX_PIPE_FDS/);
  }
});
