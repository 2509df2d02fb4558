import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseScenario, runScenario, validateConfig } from '../src/core/index.ts';
import { compileProfile } from '../src/dsl/compile.ts';
import { formatDiagnostic } from '../src/dsl/diagnostics.ts';

const dir = join(import.meta.dirname, 'scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));

test('scenario folder is populated', () => {
  assert.ok(files.length >= 10, `expected at least 10 scenario files, found ${files.length}`);
});

for (const file of files) {
  const scenario = parseScenario(readFileSync(join(dir, file), 'utf8'), file);
  describe(`scenario ${file}`, () => {
    assert.notEqual(scenario.profile.kind, 'file', `${file}: profile files belong in test/examples`);
    let config;
    if (scenario.profile.kind === 'config') config = validateConfig(JSON.parse(scenario.profile.text));
    else {
      // a Rhai profile: it must compile without a single diagnostic
      const compiled = compileProfile(scenario.profile.text, { file });
      assert.deepEqual(
        compiled.diagnostics.map((d) => formatDiagnostic(d, scenario.profile.text)),
        [],
        `${file}: the profile does not compile cleanly`,
      );
      config = compiled.config!;
    }
    for (const result of runScenario(config, scenario)) {
      test(result.case.name, () => {
        assert.ok(result.ok, `${file}:${result.case.line} ${result.problems.join('\n  ')}`);
      });
    }
  });
}
