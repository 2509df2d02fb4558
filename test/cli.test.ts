import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
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

test('simulate --explain names each decision, and what else an input decided', () => {
  const hrm = join(root, 'examples', '22-home-row-mods.rhai');
  const r = keyrx('simulate', hrm, '--explain', '--events', 'd:F t:120 d:J t:60 u:J t:80 u:F');
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0], /^time\s+input\s+decision\s+also decided\s+output\s+layers$/);
  assert.match(lines[1], /^0 ms\s+d:F\s+pending \(tapHold\)$/);
  assert.match(lines[2], /^120 ms\s+d:J\s+queued$/);
  assert.match(lines[3], /^180 ms\s+u:J\s+release \(tapHold\)\s+F: hold, J: idle-tap\s+d:LShift d:J u:J$/);
  assert.equal(lines.at(-1), 'output: t:180 d:LShift d:J u:J t:80 u:LShift');
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

test('check prints every diagnostic with a caret and exits 1; NO_COLOR output has no escapes', () => {
  const bad = join(dir, 'bad.rhai');
  writeFileSync(bad, 'device_start("*");\nmap("A", "VK_Escap");\nmap("B", "Q");\ndevice_end();\n');
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'check', bad], {
    encoding: 'utf8',
    env: { ...process.env, NO_COLOR: '1' },
  });
  assert.equal(r.status, 1);
  assert.ok(!r.stderr.includes('\x1b['), 'no colour codes');
  assert.ok(
    r.stderr.includes(
      `${bad}:2:10: error: Unknown key name: 'Escap'\n 2 | map("A", "VK_Escap");\n   |          ^^^^^^^^^^\n  = did you mean: Escape, Esc, ESC?`,
    ),
    r.stderr,
  );
  assert.match(r.stderr, /bad\.rhai:3:10: error: Output must have VK_, MD_, or LK_ prefix: Q -> use VK_Q/);
  assert.match(r.stderr, /^2 errors$/m);
  const good = keyrx('check', join(root, 'examples/03-vim-navigation.rhai'));
  assert.equal(good.code, 0, good.stderr);
  assert.match(good.stdout, /03-vim-navigation\.rhai: ok \(1 device block, \d+ mappings, 1 layers\)/);
});

test('compile writes a .krx that simulate, parse and view accept', () => {
  const src = join(dir, 'nav.rhai');
  writeFileSync(
    src,
    'device_start("*");\ntap_hold("CapsLock", "VK_Escape", "MD_00", 200);\nwhen_start("MD_00");\nmap("H", "VK_Left");\nwhen_end();\ndevice_end();\n',
  );
  const compiled = keyrx('compile', src);
  assert.equal(compiled.code, 0, compiled.stderr);
  const krx = join(dir, 'nav.krx');
  assert.match(
    compiled.stdout,
    /compiled .*nav\.rhai → .*nav\.krx: 1 device block, 2 mappings, 1 layers, \d+ bytes/,
  );
  assert.equal(
    keyrx('simulate', krx, '-e', 'd:CapsLock t:250 d:H u:H u:CapsLock').stdout,
    't:250 d:Left u:Left\n',
  );
  assert.equal(keyrx('simulate', src, '-e', 'd:CapsLock t:50 u:CapsLock').stdout, 't:50 d:Escape u:Escape\n');
  const parsed = JSON.parse(keyrx('parse', krx, '--json').stdout);
  assert.equal(parsed.devices[0].mappings[0].kind, 'tapHold');
  const html = join(dir, 'nav.html');
  assert.equal(keyrx('view', src, '-o', html, '--layout', 'iso').code, 0);
  const page = readFileSync(html, 'utf8');
  assert.match(page, /<h3>base/);
  assert.match(page, /<h3>MD_00/);
  assert.match(page, /title="H: H → Left"/);
  // a corrupted cache is refused with a clear message
  const bytes = readFileSync(krx);
  bytes[bytes.length - 3] ^= 0xff;
  writeFileSync(krx, bytes);
  const corrupt = keyrx('simulate', krx, '-e', 'd:A');
  assert.equal(corrupt.code, 1);
  assert.match(corrupt.stderr, /nav\.krx: \.krx payload is corrupted \(SHA-256 mismatch\)/);
  assert.equal(keyrx('view', src, '--layout', 'dvorak').code, 2);
});
