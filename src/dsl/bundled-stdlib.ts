/**
 * The bundled profile stdlib that `load()` falls back to, embedded so the browser has it too.
 * Like KeyRx's: meant to be loaded inside a when-block, e.g.
 *   when_start("MD_01"); load("shift.rhai"); when_end();
 */
const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'.split('');

function letterTable(file: string, helper: string, purpose: string): string {
  return [
    `// keyrx stdlib ${file}: ${purpose}.`,
    `// Load it inside a when-block: when_start("MD_01"); load("${file}"); when_end();`,
    `for k in [${LETTERS.map((l) => `"${l}"`).join(', ')}] {`,
    `    map(k, ${helper}("VK_" + k));`,
    '}',
    '',
  ].join('\n');
}

export const BUNDLED_STDLIB: Readonly<Record<string, string>> = {
  'shift.rhai': letterTable('shift.rhai', 'with_shift', 'every letter A–Z types its shifted (capital) form'),
  'ctrl.rhai': letterTable('ctrl.rhai', 'with_ctrl', 'every letter A–Z sends Ctrl+letter'),
};

/** Display path of a bundled file in diagnostics. */
export const BUNDLED_PREFIX = '<stdlib>/';
