/** The stable device id both backends give a keyboard (Linux evdev, Windows Raw Input). */
import { createHash } from 'node:crypto';

const hex4 = (n: number): string => (n & 0xffff).toString(16).padStart(4, '0');

/**
 * Stable device id `vvvv:pppp-<first 8 hex of sha256(name + phys)>`. vendor/product alone
 * collide for identical keyboards; name + phys (the port path on Linux, the device instance path
 * on Windows) separates them and survives a replug into the same port and renumbered nodes.
 */
export function deviceId(vendor: number, product: number, name: string, phys: string): string {
  const hash = createHash('sha256')
    .update(name + phys, 'utf8')
    .digest('hex')
    .slice(0, 8);
  return `${hex4(vendor)}:${hex4(product)}-${hash}`;
}
