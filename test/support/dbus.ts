/**
 * A private D-Bus for tests: a dbus-daemon of our own with a minimal session config (no service
 * activation, nothing of the user's bus), and gdbus as an independent client. Needs dbus-daemon
 * (package dbus) and gdbus (libglib2.0-bin).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { HANG_MS } from './wait.ts';

const run = promisify(execFile);

const BUS_CONFIG = (
  dir: string,
): string => `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:dir=${dir}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`;

export interface PrivateBus {
  address: string;
  stop(): Promise<void>;
}

/** A dbus-daemon of our own; its address is the first line it prints. */
export async function startPrivateBus(): Promise<PrivateBus> {
  const dir = await mkdtemp(join(tmpdir(), 'keyrx-dbus-'));
  const config = join(dir, 'bus.conf');
  await writeFile(config, BUS_CONFIG(dir));
  const child: ChildProcess = spawn(
    'dbus-daemon',
    [`--config-file=${config}`, '--nofork', '--print-address=1'],
    {
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const address = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (out.includes('\n')) resolve(out.split('\n')[0].trim());
    });
    child.once('error', (e) =>
      reject(new Error(`cannot run dbus-daemon (apt-get install dbus): ${e.message}`)),
    );
    child.once('exit', (code) => reject(new Error(`dbus-daemon exited (${code}): ${stderr}`)));
  });
  return {
    address,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** `gdbus call`: its output (GVariant text). */
export async function gdbus(
  address: string,
  dest: string,
  path: string,
  method: string,
  ...args: string[]
): Promise<string> {
  const argv = ['call', '--address', address, '--dest', dest, '--object-path', path, '--method', method];
  const { stdout } = await run('gdbus', [...argv, '--', ...args], { timeout: HANG_MS }).catch(
    (e: NodeJS.ErrnoException) => {
      throw e.code === 'ENOENT' ? new Error('cannot run gdbus (apt-get install libglib2.0-bin)') : e;
    },
  );
  return stdout;
}
