/** Errors of the Linux backend. */
import { constants as osConstants } from 'node:os';
import { packagingFileForShell } from './packaging.ts';

const ERRNO_NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(osConstants.errno))
  if (!ERRNO_NAMES.has(value)) ERRNO_NAMES.set(value, name);
// Linux aliases that os.constants lists first under another name.
ERRNO_NAMES.set(11, 'EAGAIN');
ERRNO_NAMES.set(95, 'EOPNOTSUPP');

export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${errno}`;
}

/** A failed system call made through FFI, shaped like Node's own fs errors (`code`, `syscall`). */
export class SyscallError extends Error {
  readonly errno: number;
  readonly code: string;
  readonly syscall: string;
  constructor(syscall: string, errno: number, detail?: string) {
    const code = errnoName(errno);
    super(`${syscall}${detail ? ` ${detail}` : ''} failed: ${code} (errno ${errno})`);
    this.name = 'SyscallError';
    this.errno = errno;
    this.code = code;
    this.syscall = syscall;
  }
}

/** The errno code of any error thrown by fs.* or by the FFI layer, else undefined. */
export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * The Linux backend cannot run on this machine (no uinput, no permission, no FFI module).
 * The daemon's `auto` mode catches this one error and falls back to the virtual backend;
 * `fix` is the text to show the user.
 */
export class LinuxBackendUnavailable extends Error {
  readonly reason: string;
  readonly fix: string;
  constructor(reason: string, fix: string, options?: { cause?: unknown }) {
    super(`Linux input backend unavailable: ${reason}`, options);
    this.name = 'LinuxBackendUnavailable';
    this.reason = reason;
    this.fix = fix;
  }
}

export const UINPUT_GROUP_FIX =
  'Add yourself to the input and uinput groups and install the udev rule, then log out and in:\n' +
  '  sudo groupadd --system uinput   # if it does not exist\n' +
  '  sudo usermod -aG input,uinput "$USER"\n' +
  `  sudo cp ${packagingFileForShell('99-keyrx.rules')} /etc/udev/rules.d/ && sudo udevadm control --reload && sudo udevadm trigger\n` +
  '(`keyrx install` does all of this, asking before each step.) Run `keyrx doctor` to check every step.';

export const UINPUT_MODULE_FIX =
  'Load the uinput kernel module: `sudo modprobe uinput`, and load it at boot with\n' +
  '  echo uinput | sudo tee /etc/modules-load.d/keyrx.conf\nRun `keyrx doctor` to check every step.';

export const FFI_FIX =
  'Install the koffi package (prebuilt FFI, no compiler needed): `npm install koffi`. ' +
  'It ships prebuilt binaries for glibc and musl on x64, arm64 and others.';
