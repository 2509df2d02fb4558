/** Can the Linux backend run here? The daemon's `auto` mode asks before choosing a backend. */
import fs from 'node:fs';
import path from 'node:path';
import { O_CLOEXEC, O_NONBLOCK, O_WRONLY } from './constants.ts';
import {
  errorCode,
  FFI_FIX,
  LinuxBackendUnavailable,
  UINPUT_GROUP_FIX,
  UINPUT_MODULE_FIX,
} from './errors.ts';
import { EVENT_NODE_RE, openEventNode } from './evdev.ts';
import { libc } from './libc.ts';

export interface Availability {
  ok: boolean;
  reason?: string;
  fix?: string;
}

export interface AvailabilityPaths {
  uinput?: string;
  inputDir?: string;
}

/**
 * Checks everything start() needs without creating a device: the FFI module, /dev/uinput
 * (exists and opens for writing) and read access to the event nodes.
 */
export async function canUseLinuxBackend(paths: AvailabilityPaths = {}): Promise<Availability> {
  if (process.platform !== 'linux')
    return { ok: false, reason: `not Linux (platform ${process.platform})`, fix: 'Use the virtual backend.' };
  try {
    libc();
  } catch (err) {
    if (err instanceof LinuxBackendUnavailable) return { ok: false, reason: err.reason, fix: err.fix };
    return { ok: false, reason: `FFI failed to load: ${(err as Error).message}`, fix: FFI_FIX };
  }
  const uinput = paths.uinput ?? '/dev/uinput';
  try {
    fs.closeSync(fs.openSync(uinput, O_WRONLY | O_NONBLOCK | O_CLOEXEC));
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENODEV' || code === 'ENXIO')
      return {
        ok: false,
        reason: `${uinput} does not exist (uinput module not loaded)`,
        fix: UINPUT_MODULE_FIX,
      };
    if (code === 'EACCES' || code === 'EPERM')
      return { ok: false, reason: `no permission to open ${uinput}`, fix: UINPUT_GROUP_FIX };
    return { ok: false, reason: `cannot open ${uinput}: ${(err as Error).message}`, fix: UINPUT_MODULE_FIX };
  }
  const inputDir = paths.inputDir ?? '/dev/input';
  let nodes: string[] = [];
  try {
    nodes = fs.readdirSync(inputDir).filter((n) => EVENT_NODE_RE.test(n));
  } catch {
    // no /dev/input yet: nothing plugged in; hotplug will bring devices
  }
  let denied = 0;
  for (const n of nodes) {
    try {
      fs.closeSync(openEventNode(path.join(inputDir, n)));
    } catch (err) {
      const code = errorCode(err);
      if (code === 'EACCES' || code === 'EPERM') denied++;
    }
  }
  if (nodes.length > 0 && denied === nodes.length)
    return { ok: false, reason: `no permission to read ${inputDir}/event*`, fix: UINPUT_GROUP_FIX };
  return { ok: true };
}
