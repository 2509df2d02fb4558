/** Where the config directory is: the flag, the environment, then the platform's place. */
import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { test } from 'node:test';
import { resolveConfigDir } from '../../src/daemon/paths.ts';

test('--config-dir, then KEYRX_CONFIG_DIR, then %APPDATA% on Windows or the XDG place elsewhere', () => {
  const env = {
    HOME: '/home/ana',
    XDG_CONFIG_HOME: '/home/ana/.xdg',
    APPDATA: '/appdata',
    KEYRX_CONFIG_DIR: '/k',
  };
  assert.equal(resolveConfigDir('rel', env, 'linux'), resolve('rel'));
  assert.equal(resolveConfigDir(undefined, env, 'win32'), resolve('/k'));
  const { KEYRX_CONFIG_DIR: _, ...plain } = env;
  assert.equal(resolveConfigDir(undefined, plain, 'win32'), resolve('/appdata', 'keyrx'));
  assert.equal(resolveConfigDir(undefined, plain, 'linux'), resolve('/home/ana/.xdg', 'keyrx'));
  assert.equal(
    resolveConfigDir(undefined, { HOME: '/home/ana' }, 'linux'),
    resolve(join('/home/ana', '.config'), 'keyrx'),
  );
  // Windows without APPDATA (a service account): the home directory's .config, never a crash
  assert.equal(
    resolveConfigDir(undefined, { HOME: '/home/ana' }, 'win32'),
    resolve('/home/ana/.config', 'keyrx'),
  );
});
