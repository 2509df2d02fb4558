// The node floor of `npm run bench:peer` (ORDER entry `nodefloor`): the least a remapper written
// for node does, with the same FFI keyrx uses (koffi) and no keyrx code at all. One thread; it
// grabs the keyboard named in argv[2], creates an output device named argv[3], and loops
// ppoll → read → write: A comes out as B, everything else as it came, except CapsLock: its press
// is swallowed and its release becomes an Escape tap (what a tap-hold tap emits). No engine, no
// monitoring, no timers: what is left is what node and an FFI call cost in this kernel, which no
// remapper on node can go below. keyrx's figures are placed between it and keyd's.
// Run by bench/peer/init as `node /bench/node-floor.mjs "kbench fake keyboard" "keyrx virtual keyboard"`.
import { Buffer } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import process from 'node:process';

const require = createRequire('/app/package.json'); // the app's production node_modules
const koffi = require('koffi');
const [inName, outName] = process.argv.slice(2);
if (!inName || !outName) {
  process.stderr.write('usage: node node-floor.mjs <input keyboard name> <output device name>\n');
  process.exit(2);
}

const lib = koffi.load(null);
const open = lib.func('open', 'int', ['str', 'int']);
const ioctlInt = lib.func('ioctl', 'int', ['int', 'unsigned long', 'int']);
const ioctlBuf = lib.func('ioctl', 'int', ['int', 'unsigned long', 'void *']);
const ppoll = lib.func('ppoll', 'int', ['void *', 'unsigned long', 'void *', 'void *']);
const read = lib.func('read', 'long', ['int', 'void *', 'unsigned long']);
const write = lib.func('write', 'long', ['int', 'void *', 'unsigned long']);

// asm-generic/ioctl.h encoding; LP64 sizes (x86_64)
const iow = (type, nr, size) => ((1 << 30) | (size << 16) | (type.charCodeAt(0) << 8) | nr) >>> 0;
const EVIOCGRAB = iow('E', 0x90, 4);
const UI_SET_EVBIT = iow('U', 100, 4);
const UI_SET_KEYBIT = iow('U', 101, 4);
const UI_DEV_SETUP = iow('U', 3, 92);
const UI_DEV_CREATE = (0x55 << 8) | 1;
const O_RDONLY = 0,
  O_WRONLY = 1,
  O_NONBLOCK = 0o4000,
  O_CLOEXEC = 0o2000000;
const EV_SYN = 0,
  EV_KEY = 1,
  KEY_ESC = 1,
  KEY_A = 30,
  KEY_B = 48,
  KEY_CAPSLOCK = 58,
  POLLIN = 1;

function check(what, rc) {
  if (rc < 0) throw new Error(`${what} failed (errno ${koffi.errno()})`);
  return rc;
}

/** /dev/input/eventN of the input device whose sysfs name is `name` */
function eventNode(name) {
  for (const input of readdirSync('/sys/class/input')) {
    if (!input.startsWith('input')) continue;
    let n;
    try {
      n = readFileSync(`/sys/class/input/${input}/name`, 'utf8').trim();
    } catch {
      continue;
    }
    if (n !== name) continue;
    const ev = readdirSync(`/sys/class/input/${input}`).find((e) => e.startsWith('event'));
    if (ev) return `/dev/input/${ev}`;
  }
  throw new Error(`no input device named '${name}'`);
}

const inFd = check('open keyboard', open(eventNode(inName), O_RDONLY | O_NONBLOCK | O_CLOEXEC));
const outFd = check('open /dev/uinput', open('/dev/uinput', O_WRONLY | O_NONBLOCK | O_CLOEXEC));
check('UI_SET_EVBIT', ioctlInt(outFd, UI_SET_EVBIT, EV_SYN));
check('UI_SET_EVBIT', ioctlInt(outFd, UI_SET_EVBIT, EV_KEY));
for (let code = 1; code < 256; code++) check('UI_SET_KEYBIT', ioctlInt(outFd, UI_SET_KEYBIT, code));
const setup = Buffer.alloc(92); // struct uinput_setup { input_id id; char name[80]; u32 ff_effects_max }
setup.writeUInt16LE(0x03, 0); // BUS_USB
setup.writeUInt16LE(0x1209, 2);
setup.writeUInt16LE(0x0001, 4);
Buffer.from(outName).copy(setup, 8, 0, 79);
check('UI_DEV_SETUP', ioctlBuf(outFd, UI_DEV_SETUP, setup));
check('UI_DEV_CREATE', ioctlInt(outFd, UI_DEV_CREATE, 0));
check('EVIOCGRAB', ioctlInt(inFd, EVIOCGRAB, 1));
process.stdout.write(`node floor: ${inName} → ${outName}\n`);

const pollfd = Buffer.alloc(8); // struct pollfd { int fd; short events; short revents; }
pollfd.writeInt32LE(inFd, 0);
pollfd.writeInt16LE(POLLIN, 4);
const inBuf = Buffer.alloc(24 * 64);
const outBuf = Buffer.alloc(24 * 64);
const escTap = Buffer.alloc(24 * 4); // Escape down, SYN, Escape up, SYN (SYN_REPORT is all zeros)
escTap.writeUInt16LE(EV_KEY, 16);
escTap.writeUInt16LE(KEY_ESC, 18);
escTap.writeInt32LE(1, 20);
escTap.writeUInt16LE(EV_KEY, 64);
escTap.writeUInt16LE(KEY_ESC, 66);

for (;;) {
  ppoll(pollfd, 1, null, null);
  const n = read(inFd, inBuf, inBuf.length);
  if (n <= 0) continue;
  let length = 0;
  let keys = 0;
  for (let off = 0; off + 24 <= n; off += 24) {
    const type = inBuf.readUInt16LE(off + 16);
    const code = inBuf.readUInt16LE(off + 18);
    if (type === EV_KEY && code === KEY_CAPSLOCK) {
      if (inBuf.readInt32LE(off + 20) === 0) write(outFd, escTap, escTap.length);
      continue;
    }
    inBuf.copy(outBuf, length, off, off + 24);
    if (type === EV_KEY && code === KEY_A) outBuf.writeUInt16LE(KEY_B, length + 18);
    if (type !== EV_SYN) keys++;
    length += 24;
  }
  if (keys > 0) write(outFd, outBuf, length); // not the SYN_REPORT left of a CapsLock report
}
