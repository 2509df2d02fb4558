/**
 * The input loop's wake fd (an eventfd in its ppoll set): the daemon's main thread signals it when
 * a message waits for the input thread. A module of its own, with light imports: the daemon's
 * early start creates it before anything of the backend loads.
 */
import fs from 'node:fs';
import { O_CLOEXEC, O_NONBLOCK } from './constants.ts';
import { errorCode, SyscallError } from './errors.ts';
import { libc } from './libc.ts';

/** An eventfd for waking the input loop from another thread (fds are process-wide). */
export function createWakeFd(): number {
  const c = libc();
  const fd = c.eventfd(0, O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw new SyscallError('eventfd', c.errno());
  return fd;
}

const ONE = Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]);

/**
 * Wakes the input loop: adds 1 to the eventfd counter. Plain fs.writeSync, no FFI needed on the
 * calling thread; an eventfd write never blocks for long (EAGAIN only at a counter of 2^64-2).
 */
export function signalWake(fd: number): void {
  try {
    fs.writeSync(fd, ONE);
  } catch (err) {
    if (errorCode(err) !== 'EAGAIN') throw err;
  }
}

export function closeWakeFd(fd: number): void {
  fs.closeSync(fd);
}
