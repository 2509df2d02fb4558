import { createRequire } from 'node:module';

// package.json is two levels above src/cli (run through tsx) and three above dist/src/cli (built).
const require = createRequire(import.meta.url);
function readVersion(): string {
  for (const path of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = require(path) as { name?: string; version?: string };
      if (pkg.name === 'keyrx' && pkg.version) return pkg.version;
    } catch {
      // try the next location
    }
  }
  return '0.0.0';
}
export const VERSION: string = readVersion();
