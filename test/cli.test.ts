import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'keyrx-cli-'));
const profile = join(dir, 'p.json');
writeFileSync(
  profile,
  JSON.stringify({
    devices: [
      {
        pattern: '*',
        mappings: [
          { kind: 'tapHold', from: 'CapsLock', tap: 'Escape', hold: 0, thresholdMs: 200 },
          {
            kind: 'conditional',
            condition: { kind: 'modifier', id: 0 },
            mappings: [{ kind: 'simple', from: 'H', to: 'Left' }],
          },
        ],
      },
    ],
  }),
);

function keyrx(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    encoding: 'utf8',
    cwd: root,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('simulate prints the output script on one line', () => {
  const r = keyrx('simulate', profile, '--events', 'd:CapsLock t:100 u:CapsLock');
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, 't:100 d:Escape u:Escape\n');
  const hold = keyrx('simulate', profile, '--events', 'd:CapsLock t:200 d:H u:H u:CapsLock');
  assert.equal(hold.stdout, 't:200 d:Left u:Left\n');
});

test('simulate --json prints the timeline', () => {
  const r = keyrx('simulate', profile, '--json', '--events', 'press:CapsLock,wait:300,release:CapsLock');
  assert.equal(r.code, 0, r.stderr);
  const data = JSON.parse(r.stdout);
  assert.equal(data.output, '');
  assert.deepEqual(
    data.timeline.map((e: { decision: string }) => e.decision),
    ['pending', 'hold', 'hold-release'],
  );
  assert.deepEqual(data.final.outputDown, []);
});

test('exit codes: 1 for a bad profile, 2 for usage errors', () => {
  const missing = keyrx('simulate', join(dir, 'nope.json'), '--events', 'd:A');
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read profile '.*nope\.json': no such file or directory/);
  const bad = join(dir, 'bad.json');
  writeFileSync(
    bad,
    JSON.stringify({ devices: [{ pattern: '*', mappings: [{ kind: 'simple', from: 'A', to: 'Escap' }] }] }),
  );
  const invalid = keyrx('simulate', bad, '--events', 'd:A');
  assert.equal(invalid.code, 1);
  assert.match(
    invalid.stderr,
    /bad\.json: devices\[0\]\.mappings\[0\]\.to: Unknown key name: 'Escap'\. Did you mean: Escape/,
  );
  const script = keyrx('simulate', profile, '--events', 'd:A zz');
  assert.equal(script.code, 2);
  assert.match(script.stderr, /--events: script column 5, token 'zz'/);
  assert.equal(keyrx('simulate', profile).code, 2);
  assert.equal(keyrx('frobnicate').code, 2);
});

test('keys lists names; demo runs', () => {
  const keys = keyrx('keys');
  assert.equal(keys.code, 0);
  assert.match(keys.stdout, /^Escape\s+1\s+Esc, ESC$/m);
  const demo = keyrx('demo', '--no-help-text');
  assert.equal(demo.code, 0);
  assert.match(demo.stdout, /out: t:120 d:Escape u:Escape/);
  assert.match(keyrx('--version').stdout, /^\d+\.\d+\.\d+/);
});
