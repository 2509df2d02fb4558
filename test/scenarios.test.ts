import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { parseScenario, runScenario, validateConfig } from '../src/core/index.ts';

const dir = join(import.meta.dirname, 'scenarios');
const files = readdirSync(dir).filter((f) => f.endsWith('.txt'));

test('scenario folder is populated', () => {
  assert.ok(files.length >= 10, `expected at least 10 scenario files, found ${files.length}`);
});

for (const file of files) {
  const scenario = parseScenario(readFileSync(join(dir, file), 'utf8'), file);
  describe(`scenario ${file}`, () => {
    assert.equal(scenario.profile.kind, 'config', `${file}: only JSON configs are supported here`);
    const config = validateConfig(JSON.parse(scenario.profile.text));
    for (const result of runScenario(config, scenario)) {
      test(result.case.name, () => {
        assert.ok(result.ok, `${file}:${result.case.line} ${result.problems.join('\n  ')}`);
      });
    }
  });
}
