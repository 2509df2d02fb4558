/**
 * The printer (src/dsl/print.ts) against the compiler: for random configs of every mapping kind,
 * the printed profile compiles, without a diagnostic, back to the same config.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import type { BaseMapping, Config } from '../../src/core/index.ts';
import { validateConfig } from '../../src/core/index.ts';
import { compileProfile } from '../../src/dsl/compile.ts';
import { formatDiagnostic } from '../../src/dsl/diagnostics.ts';
import { mappingSource, profileSource } from '../../src/dsl/print.ts';
import { configArb } from '../core/arbitraries.ts';

/**
 * The config as the compiler gives it — or null when the config model refuses it. A condition
 * list of one (`allOf: [x]`) is that condition: `when_start(["LK_00"])` and `when_start("LK_00")`
 * are the same block.
 */
function valid(config: Config): Config | null {
  let checked: Config;
  try {
    checked = validateConfig(JSON.parse(JSON.stringify(config)));
  } catch {
    return null;
  }
  // (and a mode "permissive" is the default, which the compiler does not store)
  const plain = (m: BaseMapping): void => {
    if (m.kind === 'tapHold' && m.mode === 'permissive') delete m.mode;
  };
  for (const d of checked.devices)
    for (const m of d.mappings)
      if (m.kind !== 'conditional') plain(m);
      else {
        if (m.condition.kind === 'allOf' && m.condition.items.length === 1)
          m.condition = m.condition.items[0];
        m.mappings.forEach(plain);
      }
  return checked;
}

const RUNS = Number(process.env.KEYRX_PROPERTY_RUNS ?? 300);

test('a printed profile compiles to the config it was printed from, for every mapping kind', () => {
  let checked = 0;
  fc.assert(
    fc.property(configArb, (raw) => {
      const config = valid(raw);
      if (config === null) return; // a combination the config model refuses (the arbitrary allows it)
      // the DSL names device patterns and reads mappings in order; metadata is the compiler's own
      const source = profileSource(config);
      const r = compileProfile(source, { file: 'printed.rhai' });
      assert.deepEqual(
        r.diagnostics.map((d) => formatDiagnostic(d, source)),
        [],
        source,
      );
      const { metadata: _metadata, ...compiled } = r.config!;
      assert.deepEqual(compiled, config, source);
      checked++;
    }),
    { numRuns: RUNS },
  );
  assert.ok(checked > RUNS / 4, `only ${checked} of ${RUNS} configs were valid`);
});

test('each statement is one line a person would write', () => {
  assert.equal(mappingSource({ kind: 'simple', from: 'A', to: 'B' }), 'map("A", "VK_B");');
  assert.equal(
    mappingSource({
      kind: 'tapHold',
      from: 'F',
      tap: 'F',
      holdKey: 'LShift',
      thresholdMs: 200,
      mode: 'balanced',
    }),
    'tap_hold("F", "VK_F", "VK_LShift", 200, #{ mode: "balanced" });',
  );
  assert.equal(
    mappingSource({ kind: 'combo', keys: ['J', 'K'], to: 'Escape', windowMs: 50 }),
    'combo(["J", "K"], "VK_Escape", 50);',
  );
  assert.equal(
    mappingSource({ kind: 'mouseMove', from: 'H', x: -1, y: 0, speed: 300, maxSpeed: 1500, accelMs: 1000 }),
    'mouse_move("H", "left", #{ speed: 300, max_speed: 1500, accel_ms: 1000 });',
  );
});
