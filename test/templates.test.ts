/** Every template a new profile can start from compiles cleanly, with any tap-hold setting. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { simulate } from '../src/core/index.ts';
import { renderTemplate, TEMPLATE_DESCRIPTIONS, TEMPLATE_NAMES } from '../src/daemon/templates.ts';
import { compileProfile } from '../src/dsl/compile.ts';
import { formatDiagnostic } from '../src/dsl/diagnostics.ts';

test('every template compiles without a diagnostic, at 150 and 300 ms', () => {
  for (const name of TEMPLATE_NAMES)
    for (const ms of [150, 300]) {
      const source = renderTemplate(name, ms);
      const r = compileProfile(source, { file: `${name}.rhai` });
      assert.deepEqual(
        r.diagnostics.map((d) => formatDiagnostic(d, source)),
        [],
        name,
      );
      assert.ok(TEMPLATE_DESCRIPTIONS[name].length > 10);
    }
});

test('the home-row-mods template: letters when typed, Shift when held', () => {
  const { config } = compileProfile(renderTemplate('home_row_mods', 200), { file: 'hrm.rhai' });
  assert.equal(simulate(config!, 'd:F t:40 d:J t:50 u:F t:40 u:J').output, 't:40 d:F u:F d:J t:90 u:J');
  assert.equal(
    simulate(config!, 'd:F t:250 d:J t:40 u:J u:F').output,
    't:200 d:LShift t:90 d:J u:J u:LShift',
  );
});
