/** Compiler version written into .krx caches; kept equal to package.json's version by a test. */
export const COMPILER_VERSION = '0.1.0';
