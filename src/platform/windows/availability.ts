/** Can the Windows backend run here? (Windows, and koffi loads with user32.) */
import { win32 } from './win32.ts';

export function canUseWindowsBackend(): { ok: true } | { ok: false; reason: string } {
  try {
    win32();
    return { ok: true };
  } catch (e) {
    return { ok: false, reason: (e as Error).message };
  }
}
