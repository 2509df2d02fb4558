/**
 * Hotplug watch on /dev/input with an inotify fd that the input loop polls with the devices.
 *
 * Why not fs.watch: the input thread spends its life blocked in ppoll(), so libuv callbacks
 * (fs.watch, timers) on that thread never run. An inotify fd in the same poll set wakes the
 * loop directly, with no extra thread and no polling.
 */
import {
  IN_ATTRIB,
  IN_CREATE,
  IN_DELETE,
  IN_DELETE_SELF,
  IN_MOVED_FROM,
  IN_MOVED_TO,
  IN_Q_OVERFLOW,
  O_CLOEXEC,
  O_NONBLOCK,
} from './constants.ts';
import { SyscallError } from './errors.ts';
import { libc } from './libc.ts';
import { EVENT_NODE_RE } from './evdev.ts';

export class InputDirWatch {
  readonly fd: number;
  private readonly buf = Buffer.alloc(16 * 1024);

  constructor(dir: string) {
    const c = libc();
    const fd = c.inotifyInit1(O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) throw new SyscallError('inotify_init1', c.errno());
    // IN_ATTRIB: udev applies group/mode after the node appears; that is when it becomes readable.
    const mask = IN_CREATE | IN_DELETE | IN_ATTRIB | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE_SELF;
    if (c.inotifyAddWatch(fd, dir, mask) < 0) {
      const errno = c.errno();
      c.close(fd);
      throw new SyscallError('inotify_add_watch', errno, dir);
    }
    this.fd = fd;
  }

  /**
   * Drains every queued inotify record (the fd is level-triggered in poll, but leftovers would
   * wake the loop again) and says whether any concerned an eventN node (or the queue overflowed).
   */
  drain(): boolean {
    const c = libc();
    let relevant = false;
    for (;;) {
      const n = c.read(this.fd, this.buf, this.buf.length);
      if (n <= 0) break;
      // struct inotify_event { int wd; u32 mask; u32 cookie; u32 len; char name[len]; }
      for (let off = 0; off + 16 <= n;) {
        const mask = this.buf.readUInt32LE(off + 4);
        const len = this.buf.readUInt32LE(off + 12);
        const end = this.buf.indexOf(0, off + 16);
        const name = this.buf.toString(
          'latin1',
          off + 16,
          end >= 0 && end < off + 16 + len ? end : off + 16 + len,
        );
        if (mask & IN_Q_OVERFLOW || EVENT_NODE_RE.test(name)) relevant = true;
        off += 16 + len;
      }
    }
    return relevant;
  }

  close(): void {
    libc().close(this.fd);
  }
}
