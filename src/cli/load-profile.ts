/** Reads a profile file given on the command line into the core config model. */
import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import type { Config } from '../core/index.ts';
import { ConfigError, validateConfig } from '../core/index.ts';
import { CliError, describeFsError } from './errors.ts';

export async function loadProfile(path: string): Promise<Config> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read profile '${path}': ${describeFsError(e)}`, 1);
  }
  const ext = extname(path).toLowerCase();
  if (ext !== '.json')
    throw new CliError(`unsupported profile type '${ext || path}': expected a .json config file`, 2);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new CliError(`${path}: invalid JSON: ${(e as Error).message}`, 1);
  }
  try {
    return validateConfig(data);
  } catch (e) {
    if (e instanceof ConfigError) throw new CliError(`${path}: ${e.message}`, 1);
    throw e;
  }
}
