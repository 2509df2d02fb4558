/**
 * Issue #15, finding 8, against a real daemon process: profile limits that only tripped the 15 s
 * watchdog. An allocation over a limit is refused before it is made (the daemon's memory does not
 * balloon), a 60,000-arm switch parses in linear time (so it compiles, well inside the deadline),
 * and a compile after either works.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import type { DaemonProcess } from '../support/daemon-process.ts';
import { spawnDaemon } from '../support/daemon-process.ts';
import { tempDir } from './support.ts';

let d: DaemonProcess;

before(async () => {
  d = await spawnDaemon({ dir: tempDir('limits') });
});
after(async () => {
  await d?.stop();
});

/** The daemon's resident memory, from the kernel (the compile worker is a thread of it). */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}

const VALID = 'device_start("*");\n  map("A", "VK_B");\ndevice_end();\n';

test('allocations over the limits are refused before they are made: E_LIMIT, and the daemon stays small', async () => {
  const before = rssMiB(d.child.pid!);
  const sources = [
    'let s = "";\ns.pad(536870000, "x");',
    'let s = "x";\ns.pad(9223372036854775807, "ab");',
    'let a = [];\na.pad(200000000, 0);',
    'let s = "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx";\nloop { s += s; }',
  ];
  for (const source of sources) {
    const r = await d.api('POST', '/api/compile', { source });
    assert.equal(r.status, 200, JSON.stringify(r.json));
    assert.equal(r.json.ok, false);
    const codes = r.json.diagnostics.map((x: { code: string }) => x.code);
    assert.deepEqual(codes, ['E_LIMIT'], `${source}: ${JSON.stringify(r.json.diagnostics)}`);
  }
  const grew = rssMiB(d.child.pid!) - before;
  assert.ok(grew < 200, `the daemon grew by ${grew.toFixed(0)} MiB`);
});

test(
  'a switch with 60,000 arms compiles (linear parse), and so does the next profile',
  { timeout: 300_000 },
  async () => {
    const arms = Array.from({ length: 60_000 }, (_, i) => `${i}=>${i % 10},`).join('\n');
    const source = `let x = 7;\nlet y = switch x {\n${arms}\n  _ => 0\n};\n${VALID}`;
    assert.ok(source.length < 1_048_576, `${source.length} bytes`);
    const r = await d.api('POST', '/api/compile', { source });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.diagnostics, [], 'no watchdog, no error');
    assert.equal(r.json.ok, true);
    const next = await d.api('POST', '/api/compile', { source: VALID });
    assert.equal(next.json.ok, true);
  },
);
