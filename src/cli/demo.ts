/** A short, self-explaining simulation for `keyrx demo`. */
import type { Config } from '../core/index.ts';
import { simulate } from '../core/index.ts';

/** The demo profile as KeyRx source: what DEMO_CONFIG compiles from (a test checks they agree). */
export const DEMO_SOURCE = `device_start("*");
    tap_hold("CapsLock", "VK_Escape", "MD_00", 200);   // tap: Escape, hold: layer MD_00
    when_start("MD_00");
        map("H", "VK_Left");
        map("J", "VK_Down");
        map("K", "VK_Up");
        map("L", "VK_Right");
    when_end();
    map("F1", with_ctrl("VK_C"));
device_end();
`;

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
  lines.push(
    'The demo profile as a .rhai file (profiles are KeyRx source: docs/dsl.md):',
    '',
    ...DEMO_SOURCE.trimEnd()
      .split('\n')
      .map((l) => `    ${l}`),
    '',
    'Try it yourself: save it as demo.rhai, or use a profile of the daemon by its name (e.g. default):',
    '  keyrx simulate demo.rhai --events "d:CapsLock t:250 d:H u:H u:CapsLock" [--explain | --json]',
    '  keyrx check demo.rhai            compile it and print every diagnostic',
    '  keyrx view demo.rhai             an HTML map of its layers',
    '  keyrx daemon                     run profiles: the daemon, its REST API and web UI',
    "  keyrx profiles list              the running daemon's profiles (then: profiles create, edit, activate)",
  );
  return lines.join('\n');
}
