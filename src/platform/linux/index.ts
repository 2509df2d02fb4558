/**
 * The Linux input backend (evdev in, uinput out) and its helpers. Importing this module loads
 * no native code: koffi is loaded on first use, so machines without /dev/input can import it.
 */
export type {
  LinuxBackendOptions,
  LoopExit,
  OutputDeviceInfo,
  PipeBackend,
  PipeDevice,
  RunLoopHooks,
} from './backend.ts';
export { defaultSelect, LinuxBackend } from './backend.ts';
export { closeWakeFd, createWakeFd, signalWake } from './wake.ts';
export type { Availability } from './availability.ts';
export { canUseLinuxBackend } from './availability.ts';
export type { CheckStatus, DoctorCheck, DoctorDevice, DoctorOptions, DoctorReport } from './doctor.ts';
export { formatDoctorReport, runDoctor } from './doctor.ts';
export { LinuxBackendUnavailable, SyscallError } from './errors.ts';
export {
  BUS_I8042,
  BUS_USB,
  OUTPUT_KEYBOARD_NAME,
  OUTPUT_POINTER_NAME,
  OWN_KEYBOARD_PRODUCT,
  OWN_POINTER_PRODUCT,
  OWN_VENDOR,
} from './constants.ts';
