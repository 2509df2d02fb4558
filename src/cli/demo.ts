/** A short, self-explaining simulation for `npm start` and `keyrx demo`. */
import type { Config } from '../core/index.ts';
import { simulate } from '../core/index.ts';

export const DEMO_CONFIG: Config = {
  version: 1,
  devices: [
    {
      pattern: '*',
      mappings: [
        { kind: 'tapHold', from: 'CapsLock', tap: 'Escape', hold: 0, thresholdMs: 200 },
        {
          kind: 'conditional',
          condition: { kind: 'modifier', id: 0 },
          mappings: [
            { kind: 'simple', from: 'H', to: 'Left' },
            { kind: 'simple', from: 'J', to: 'Down' },
            { kind: 'simple', from: 'K', to: 'Up' },
            { kind: 'simple', from: 'L', to: 'Right' },
          ],
        },
        { kind: 'modifiedOutput', from: 'F1', to: 'C', shift: false, ctrl: true, alt: false, win: false },
      ],
    },
  ],
};

const CASES: [string, string][] = [
  ['tap CapsLock quickly → Escape', 'd:CapsLock t:120 u:CapsLock'],
  ['hold CapsLock past 200 ms, press H → Left', 'd:CapsLock t:250 d:H t:30 u:H u:CapsLock'],
  ['CapsLock then H within 200 ms (permissive hold) → Left', 'd:CapsLock t:40 d:H t:30 u:H u:CapsLock'],
  ['F1 → Ctrl+C', 'd:F1 t:10 u:F1'],
];

export function runDemo(): string {
  const lines = [
    'Demo profile: CapsLock = tap Escape / hold MD_00 (200 ms); MD_00 + HJKL = arrows; F1 = Ctrl+C',
    '',
  ];
  for (const [title, script] of CASES) {
    lines.push(`  ${title}`, `    in:  ${script}`, `    out: ${simulate(DEMO_CONFIG, script).output}`, '');
  }
  lines.push('Try it yourself: keyrx simulate <profile.json> --events "d:A t:50 u:A" [--json]');
  return lines.join('\n');
}
