/**
 * Linux input ABI numbers used by the backend: ioctl requests, event types and codes, struct
 * layouts. x86_64 / aarch64 (LP64) values; the ioctl numbers are computed with the kernel's
 * `_IOC` encoding and checked against a C program's output in test/platform/codec.test.ts.
 */

// asm-generic/ioctl.h: dir(2 bits) | size(14) | type(8) | nr(8)
const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;

export function ioc(dir: number, type: string, nr: number, size: number): number {
  // >>> 0: the READ direction sets bit 31, which would make the number negative in JS.
  return ((dir << 30) | (size << 16) | (type.charCodeAt(0) << 8) | nr) >>> 0;
}
export const io = (type: string, nr: number): number => ioc(IOC_NONE, type, nr, 0);
export const iow = (type: string, nr: number, size: number): number => ioc(IOC_WRITE, type, nr, size);
export const ior = (type: string, nr: number, size: number): number => ioc(IOC_READ, type, nr, size);

const SIZEOF_INT = 4;
const SIZEOF_POINTER = 8;
const SIZEOF_INPUT_ID = 8;

// linux/input.h
export const EVIOCGVERSION = ior('E', 0x01, SIZEOF_INT);
export const EVIOCGID = ior('E', 0x02, SIZEOF_INPUT_ID);
export const EVIOCGNAME = (len: number): number => ior('E', 0x06, len);
export const EVIOCGPHYS = (len: number): number => ior('E', 0x07, len);
export const EVIOCGUNIQ = (len: number): number => ior('E', 0x08, len);
/** currently pressed keys */
export const EVIOCGKEY = (len: number): number => ior('E', 0x18, len);
export const EVIOCGBIT = (ev: number, len: number): number => ior('E', 0x20 + ev, len);
export const EVIOCGRAB = iow('E', 0x90, SIZEOF_INT);
export const EVIOCREVOKE = iow('E', 0x91, SIZEOF_INT);
export const EVIOCSCLOCKID = iow('E', 0xa0, SIZEOF_INT);

// linux/uinput.h
export const UI_DEV_CREATE = io('U', 1);
export const UI_DEV_DESTROY = io('U', 2);
export const UINPUT_SETUP_SIZE = 92;
export const UI_DEV_SETUP = iow('U', 3, UINPUT_SETUP_SIZE);
export const UI_SET_EVBIT = iow('U', 100, SIZEOF_INT);
export const UI_SET_KEYBIT = iow('U', 101, SIZEOF_INT);
export const UI_SET_RELBIT = iow('U', 102, SIZEOF_INT);
export const UI_SET_LEDBIT = iow('U', 105, SIZEOF_INT);
export const UI_SET_PHYS = iow('U', 108, SIZEOF_POINTER);
export const UI_GET_SYSNAME = (len: number): number => ior('U', 44, len);
export const UI_GET_VERSION = ior('U', 45, SIZEOF_INT);
export const UINPUT_MAX_NAME_SIZE = 80;

// linux/input-event-codes.h
export const EV_SYN = 0x00;
export const EV_KEY = 0x01;
export const EV_REL = 0x02;
export const EV_ABS = 0x03;
export const EV_MSC = 0x04;
export const EV_LED = 0x11;
/** LED_NUML … LED_KANA: the lock lights a keyboard has */
export const LED_NUML = 0x00;
export const LED_CAPSL = 0x01;
export const LED_SCROLLL = 0x02;
export const LED_COMPOSE = 0x03;
export const LED_KANA = 0x04;
export const EV_REP = 0x14;
export const EV_MAX = 0x1f;
export const SYN_REPORT = 0;
export const SYN_DROPPED = 3;
export const KEY_MAX = 0x2ff;
export const REL_MAX = 0x0f;
export const ABS_MAX = 0x3f;
export const REL_X = 0x00;
export const REL_Y = 0x01;
export const REL_HWHEEL = 0x06;
export const REL_WHEEL = 0x08;
export const REL_WHEEL_HI_RES = 0x0b;
export const REL_HWHEEL_HI_RES = 0x0c;
export const KEY_A = 30;
export const KEY_Z = 44;
export const KEY_SPACE = 57;
/** BTN_LEFT … BTN_TASK: the mouse-button block */
export const BTN_LEFT = 0x110;
export const BTN_TASK = 0x117;
export const BTN_TOOL_PEN = 0x140;
export const BTN_TOOL_FINGER = 0x145;
export const BTN_TOUCH = 0x14a;
/** BTN_MISC … BTN_GEAR_UP, BTN_TRIGGER_HAPPY…: codes that make udev call a device a mouse/joystick */
export const BTN_RANGES: readonly (readonly [number, number])[] = [
  [0x100, 0x15f],
  [0x220, 0x223], // BTN_DPAD_*
  [0x2c0, 0x2e7], // BTN_TRIGGER_HAPPY*
];

/** key state bytes for EVIOCGKEY / EVIOCGBIT(EV_KEY): (KEY_MAX + 1) / 8 */
export const KEY_BITS_BYTES = (KEY_MAX + 1) / 8;

// struct input_event on LP64: struct timeval (2 × int64), u16 type, u16 code, s32 value
export const INPUT_EVENT_SIZE = 24;

export const BUS_USB = 0x03;
export const BUS_I8042 = 0x11;

export const CLOCK_MONOTONIC = 1;

// fcntl / eventfd / inotify / poll flags (x86_64 and aarch64 generic values)
export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const POLLIN = 0x001;
export const POLLERR = 0x008;
export const POLLHUP = 0x010;
export const POLLNVAL = 0x020;
export const IN_ATTRIB = 0x004;
export const IN_MOVED_FROM = 0x040;
export const IN_MOVED_TO = 0x080;
export const IN_CREATE = 0x100;
export const IN_DELETE = 0x200;
export const IN_DELETE_SELF = 0x400;
export const IN_Q_OVERFLOW = 0x4000;

/**
 * Identity of every uinput device keyrx creates. Discovery never grabs a device with this
 * vendor/product, whatever its name (a user-chosen output name cannot cause a feedback loop).
 *
 * 0x1d50 is the OpenMoko vendor id that hands out product ids to open-source projects. 0x6b72
 * ("kr") was unallocated in the registry (github.com/openmoko/openmoko-usb-oui, allocations
 * run sequentially and had reached 0x61xx). It is not an official allocation to keyrx: if a real
 * device ever shows up with it, it would only be excluded from grabbing.
 */
export const OWN_VENDOR = 0x1d50;
export const OWN_KEYBOARD_PRODUCT = 0x6b72;
export const OWN_POINTER_PRODUCT = 0x6b73;
export const OUTPUT_KEYBOARD_NAME = 'keyrx virtual keyboard';
export const OUTPUT_POINTER_NAME = 'keyrx virtual pointer';
