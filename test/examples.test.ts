/** The example corpus: every profile in examples/ compiles cleanly and passes its scenario file. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, test } from 'node:test';
import { parseScenario, runScenario } from '../src/core/index.ts';
import { compileSource } from '../src/daemon/profile-files.ts';
import { formatDiagnostic } from '../src/dsl/diagnostics.ts';

const root = join(import.meta.dirname, '..');
const examples = readdirSync(join(root, 'examples')).filter((f) => f.endsWith('.rhai'));
const scenarioDir = join(import.meta.dirname, 'examples');

test('the corpus has at least 15 profiles, each with a scenario file', () => {
  assert.ok(examples.length >= 15, `${examples.length} profiles`);
  const scenarios = new Set(readdirSync(scenarioDir));
  for (const e of examples)
    assert.ok(scenarios.has(e.replace(/\.rhai$/, '.txt')), `no scenario file for ${e}`);
});

for (const file of readdirSync(scenarioDir).filter((f) => f.endsWith('.txt'))) {
  const path = join(scenarioDir, file);
  const scenario = parseScenario(readFileSync(path, 'utf8'), file);
  describe(`example ${file}`, () => {
    assert.equal(scenario.profile.kind, 'file');
    const profilePath = relative(root, join(dirname(path), scenario.profile.text));
    const compiled = compileSource(readFileSync(join(root, profilePath), 'utf8'), join(root, profilePath));
    test('compiles without errors or warnings', () => {
      assert.deepEqual(
        compiled.diagnostics.map((d) => formatDiagnostic(d, compiled.sources.get(d.span.file) ?? '')),
        [],
      );
    });
    if (!compiled.config) return;
    for (const result of runScenario(compiled.config, scenario))
      test(result.case.name, () =>
        assert.ok(result.ok, `${file}:${result.case.line} ${result.problems.join('\n  ')}`),
      );
  });
}
