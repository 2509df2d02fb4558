/**
 * The token file readable by its user only, on Windows: POSIX modes mean nothing there, so the
 * daemon gives the file a protected DACL (no inherited entries) with one entry, full control for
 * the file's owner — the user who runs the daemon, who created it — and checks it at every start.
 * The owner is named by its SID (read from the file), not by the Owner Rights alias OW: Wine maps
 * a DACL to Unix modes and knows no OW (the file would become mode 000).
 *
 * The DACL is written and read as SDDL (ConvertStringSecurityDescriptorToSecurityDescriptorW,
 * ConvertSecurityDescriptorToStringSecurityDescriptorW), so the verdict is plain string logic,
 * tested on Linux: which trustees an allow entry names, and whether any is someone else.
 */
import { createRequire } from 'node:module';

/** Full access for `owner` (a SID or an SDDL alias), nothing inherited, nothing else. */
export function ownerOnlySddl(owner: string): string {
  if (!/^(S-[0-9-]+|[A-Z]{2})$/.test(owner)) throw new Error(`not a SID: ${owner}`);
  return `D:P(A;;FA;;;${owner})`;
}

/** Trustees that may hold an allow entry on a private file: its owner, the system, administrators. */
const PRIVILEGED = new Set(['OW', 'SY', 'BA', 'S-1-5-18', 'S-1-5-32-544', 'S-1-3-4']);

export interface SddlAce {
  type: string;
  rights: string;
  trustee: string;
}

/** The owner (O:) and the DACL entries of an SDDL string. */
export function parseSddl(sddl: string): { owner: string | null; protectedDacl: boolean; aces: SddlAce[] } {
  const owner = /(?:^|\))O:([A-Z]{2}|S-[0-9-]+)/.exec(sddl)?.[1] ?? null;
  const dacl = /D:([A-Z]*)((?:\([^)]*\))*)/.exec(sddl);
  const aces: SddlAce[] = [];
  if (dacl)
    for (const m of dacl[2].matchAll(/\(([^)]*)\)/g)) {
      const f = m[1].split(';');
      aces.push({ type: f[0] ?? '', rights: f[2] ?? '', trustee: f[5] ?? '' });
    }
  return { owner, protectedDacl: dacl?.[1].includes('P') ?? false, aces };
}

/**
 * Who besides the owner, the system and administrators may read the file (allow entries for
 * other trustees), from its SDDL with owner and DACL. Empty: private. A file with no DACL at all
 * is open to everyone.
 */
export function othersWithAccess(sddl: string): string[] {
  const { owner, aces } = parseSddl(sddl);
  if (!/D:/.test(sddl)) return ['Everyone (the file has no DACL)'];
  return aces
    .filter((a) => (a.type === 'A' || a.type === 'XA') && !PRIVILEGED.has(a.trustee) && a.trustee !== owner)
    .map((a) => a.trustee);
}

type KoffiFunction = (...args: unknown[]) => unknown;

const OWNER_SECURITY_INFORMATION = 0x1;
const DACL_SECURITY_INFORMATION = 0x4;
const PROTECTED_DACL_SECURITY_INFORMATION = 0x80000000;
const SDDL_REVISION_1 = 1;

interface AclApi {
  f: Record<string, KoffiFunction>;
}
let api: AclApi | null = null;

function aclApi(): AclApi {
  if (api) return api;
  if (process.platform !== 'win32') throw new Error(`file ACLs need Windows (platform ${process.platform})`);
  const koffi = createRequire(import.meta.url)('koffi') as {
    load(p: string): { func(s: string): KoffiFunction };
  };
  const advapi32 = koffi.load('advapi32.dll');
  const kernel32 = koffi.load('kernel32.dll');
  api = {
    f: {
      GetLastError: kernel32.func('uint32_t __stdcall GetLastError()'),
      LocalFree: kernel32.func('void * __stdcall LocalFree(void *mem)'),
      ConvertStringSecurityDescriptorToSecurityDescriptorW: advapi32.func(
        'bool __stdcall ConvertStringSecurityDescriptorToSecurityDescriptorW(const char16_t *sddl, uint32_t rev, _Out_ void **sd, _Out_ uint32_t *size)',
      ),
      SetFileSecurityW: advapi32.func(
        'bool __stdcall SetFileSecurityW(const char16_t *path, uint32_t info, void *sd)',
      ),
      GetFileSecurityW: advapi32.func(
        'bool __stdcall GetFileSecurityW(const char16_t *path, uint32_t info, _Out_ uint8_t *sd, uint32_t len, _Out_ uint32_t *needed)',
      ),
      ConvertSecurityDescriptorToStringSecurityDescriptorW: advapi32.func(
        'bool __stdcall ConvertSecurityDescriptorToStringSecurityDescriptorW(const uint8_t *sd, uint32_t rev, uint32_t info, _Out_ const char16_t **sddl, _Out_ uint32_t *len)',
      ),
    },
  };
  return api;
}

/** Gives `path` the owner-only DACL. Throws with the Windows error code when it cannot. */
export function restrictToOwner(path: string): void {
  const { f } = aclApi();
  const owner = parseSddl(fileSddl(path)).owner;
  if (owner === null) throw new Error(`${path} has no owner to give access to`);
  const sd: unknown[] = [null];
  if (!f.ConvertStringSecurityDescriptorToSecurityDescriptorW(ownerOnlySddl(owner), SDDL_REVISION_1, sd, [0]))
    throw new Error(
      `the owner-only security descriptor could not be built (error ${String(f.GetLastError())})`,
    );
  try {
    if (!f.SetFileSecurityW(path, DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION, sd[0]))
      throw new Error(`SetFileSecurityW failed on ${path} (error ${String(f.GetLastError())})`);
  } finally {
    f.LocalFree(sd[0]);
  }
}

/** The file's owner and DACL as SDDL. Throws with the Windows error code when they cannot be read. */
export function fileSddl(path: string): string {
  const { f } = aclApi();
  const info = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
  const needed = [0];
  f.GetFileSecurityW(path, info, null, 0, needed);
  if (needed[0] === 0)
    throw new Error(`GetFileSecurityW failed on ${path} (error ${String(f.GetLastError())})`);
  const sd = Buffer.alloc(needed[0]);
  if (!f.GetFileSecurityW(path, info, sd, sd.length, needed))
    throw new Error(`GetFileSecurityW failed on ${path} (error ${String(f.GetLastError())})`);
  // koffi copies the returned string; the LocalAlloc'd original (a few dozen bytes) is not freed
  const out: unknown[] = [null];
  if (!f.ConvertSecurityDescriptorToStringSecurityDescriptorW(sd, SDDL_REVISION_1, info, out, [0]))
    throw new Error(
      `the security descriptor of ${path} could not be read (error ${String(f.GetLastError())})`,
    );
  return String(out[0] ?? '');
}
