/**
 * Real-time scheduling for the input thread, as keyd gives itself: SCHED_FIFO, so a key event
 * preempts the daemon's other threads (the HTTP server, the stream, the compiler) and every
 * other normal process the moment it arrives, instead of waiting for its turn on a busy CPU.
 *
 * Allowed to root, to a process with CAP_SYS_NICE, or by a RLIMIT_RTPRIO of at least the
 * priority (docs/linux.md: `LimitRTPRIO=` of the systemd unit, limits.d). Without it, the thread
 * keeps the normal policy and the daemon says why; nothing else changes. SCHED_RESET_ON_FORK
 * keeps processes the daemon starts (xdg-open) from inheriting it. The kernel's real-time
 * throttling (sched_rt_runtime_us, 95 % by default) still leaves the rest of the system room
 * if the thread ever spun.
 *
 * Memory is not locked (keyd's mlockall): V8 changes the permissions of its code pages as it
 * compiles, and with mlockall(MCL_FUTURE) in effect that fails and node aborts (seen here, a
 * V8 fatal error in SetPermissions right after the call).
 */
import { libc } from './libc.ts';

/** keyd's priority: above the desktop's threads, below the kernel's own real-time work. */
export const INPUT_THREAD_PRIORITY = 49;

const SCHED_FIFO = 1;
const SCHED_RESET_ON_FORK = 0x40000000;
const EPERM = 1;

export interface Scheduling {
  realtime: boolean;
  /** e.g. "SCHED_FIFO 49" or "normal: real-time scheduling not permitted (…)" */
  text: string;
}

/** Puts the calling thread on SCHED_FIFO at `priority`, where permitted. */
export function makeThreadRealtime(priority = INPUT_THREAD_PRIORITY): Scheduling {
  const c = libc();
  const param = Buffer.alloc(4);
  param.writeInt32LE(priority, 0);
  if (c.schedSetscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, param) !== 0) {
    const errno = c.errno();
    return {
      realtime: false,
      text:
        errno === EPERM
          ? `normal: real-time scheduling not permitted (needs root, CAP_SYS_NICE or RLIMIT_RTPRIO ≥ ${priority}; see docs/linux.md)`
          : `normal: sched_setscheduler failed (errno ${errno})`,
    };
  }
  return { realtime: true, text: `SCHED_FIFO ${priority}` };
}
