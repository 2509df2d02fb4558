import { COMPILER_VERSION } from '../dsl/version.ts';

/** The keyrx version (kept equal to package.json by a test). */
export const VERSION = COMPILER_VERSION;
