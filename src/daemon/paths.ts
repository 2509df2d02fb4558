/** The config directory layout (ARCHITECTURE.md "Persistence"). */
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

export interface ConfigPaths {
  root: string;
  profiles: string;
  cache: string;
  state: string;
  settings: string;
  devices: string;
  token: string;
}

/**
 * --config-dir, else $KEYRX_CONFIG_DIR, else (Windows) %APPDATA%\keyrx, else
 * $XDG_CONFIG_HOME/keyrx, else ~/.config/keyrx.
 */
export function resolveConfigDir(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  if (explicit) return resolve(explicit);
  if (env.KEYRX_CONFIG_DIR) return resolve(env.KEYRX_CONFIG_DIR);
  if (platform === 'win32' && env.APPDATA) return resolve(env.APPDATA, 'keyrx');
  const base = env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config');
  return resolve(base, 'keyrx');
}

export function configPaths(root: string): ConfigPaths {
  return {
    root,
    profiles: join(root, 'profiles'),
    cache: join(root, 'cache'),
    state: join(root, 'state.json'),
    settings: join(root, 'settings.json'),
    devices: join(root, 'devices.json'),
    token: join(root, 'token'),
  };
}
