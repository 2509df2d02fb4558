import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { cliEntry } from './support/entry.ts';
import { hasScript, onTerminal } from './support/terminal.ts';

const root = join(import.meta.dirname, '..');
const dir = mkdtempSync(join(tmpdir(), 'keyrx-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
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

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment without the caller's KEYRX_*, XDG_CONFIG_HOME and NO_COLOR: only what a test passes counts. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('KEYRX_') && k !== 'XDG_CONFIG_HOME' && k !== 'NO_COLOR') env[k] = v;
  return { ...env, ...extra };
}

function keyrx(...args: string[]): Run {
  return keyrxIn({}, ...args);
}

/** keyrx with stdout and stderr on pipes, in `cwd` (default: the repository) with `env` added. */
function keyrxIn(opts: { cwd?: string; env?: Record<string, string> }, ...args: string[]): Run {
  const r = spawnSync(process.execPath, [...cliEntry(), ...args], {
    encoding: 'utf8',
    cwd: opts.cwd ?? root,
    env: cleanEnv(opts.env),
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * keyrx on a terminal: `script` gives it a pseudo-terminal for stdin, stdout and stderr (so both
 * arrive together, in `output`, with the terminal's \r\n made \n).
 */
function keyrxOnTty(env: Record<string, string>, ...args: string[]): { code: number | null; output: string } {
  const argv = [process.execPath, ...cliEntry(), ...args];
  const [cmd, cmdArgs] = onTerminal(argv);
  const r = spawnSync(cmd, cmdArgs, { encoding: 'utf8', cwd: root, env: cleanEnv(env), input: '' });
  return { code: r.status, output: r.stdout.replace(/\r\n/g, '\n') };
}

const ESC = '\x1b[';

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
  const r = spawnSync(process.execPath, [...cliEntry(), 'check', bad], {
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
  assert.match(good.stdout, /03-vim-navigation\.rhai: ok \(1 device block, \d+ mappings, 1 layer\)\n$/);
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
    /compiled .*nav\.rhai → .*nav\.krx: 1 device block, 2 mappings, 1 layer, \d+ bytes/,
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

test('simulate, check, compile, parse and view take a profile name: <config dir>/profiles/<name>.rhai, no daemon', () => {
  // the config directory as the daemon finds it: --config-dir, $KEYRX_CONFIG_DIR, $XDG_CONFIG_HOME/keyrx
  const xdg = join(dir, 'xdg');
  const cfg = join(xdg, 'keyrx');
  const profiles = join(cfg, 'profiles');
  mkdirSync(profiles, { recursive: true });
  writeFileSync(
    join(profiles, 'nav.rhai'),
    'device_start("*");\ntap_hold("CapsLock", "VK_Escape", "MD_00", 200);\nwhen_start("MD_00");\nmap("H", "VK_Left");\nwhen_end();\ndevice_end();\n',
  );
  const cwd = join(dir, 'names');
  mkdirSync(cwd);
  const events = ['-e', 'd:CapsLock t:250 d:H u:H u:CapsLock'];

  const byFlag = keyrxIn({ cwd }, 'simulate', 'nav', '--config-dir', cfg, ...events);
  assert.equal(byFlag.code, 0, byFlag.stderr);
  assert.equal(byFlag.stdout, 't:250 d:Left u:Left\n');
  const byEnv = keyrxIn({ cwd, env: { KEYRX_CONFIG_DIR: cfg } }, 'parse', 'nav', '--json');
  assert.equal(byEnv.code, 0, byEnv.stderr);
  assert.equal(JSON.parse(byEnv.stdout).devices[0].mappings[0].kind, 'tapHold');
  const byXdg = keyrxIn({ cwd, env: { XDG_CONFIG_HOME: xdg } }, 'check', 'nav');
  assert.equal(byXdg.code, 0, byXdg.stderr);
  assert.equal(byXdg.stdout, `${join(profiles, 'nav.rhai')}: ok (1 device block, 2 mappings, 1 layer)\n`);

  // compile and view write <name>.krx / <name>.html in the current directory, not among the profiles
  const compiled = keyrxIn({ cwd }, 'compile', 'nav', '--config-dir', cfg);
  assert.equal(compiled.code, 0, compiled.stderr);
  assert.match(
    compiled.stdout,
    new RegExp(
      `^compiled ${join(profiles, 'nav.rhai')} → nav\\.krx: 1 device block, 2 mappings, 1 layer, \\d+ bytes, `,
    ),
  );
  const viewed = keyrxIn({ cwd, env: { KEYRX_CONFIG_DIR: cfg } }, 'view', 'nav');
  assert.equal(viewed.code, 0, viewed.stderr);
  assert.equal(viewed.stdout, 'wrote nav.html\n');
  assert.ok(existsSync(join(cwd, 'nav.krx')) && existsSync(join(cwd, 'nav.html')));
  assert.deepEqual(readdirSync(profiles), ['nav.rhai']);
  assert.equal(keyrxIn({ cwd }, 'simulate', 'nav.krx', ...events).stdout, 't:250 d:Left u:Left\n');

  // a file of that name in the current directory wins: the argument is a path first
  writeFileSync(join(cwd, 'nav'), 'device_start("*");\nmap("A", "VK_B");\ndevice_end();\n');
  const file = keyrxIn({ cwd, env: { KEYRX_CONFIG_DIR: cfg } }, 'simulate', 'nav', '-e', 'd:A u:A');
  assert.equal(file.stdout, 'd:B u:B\n', file.stderr);

  // a name found nowhere: where it looked, and the closest profile names
  const typo = keyrxIn({ cwd }, 'simulate', 'nab', '--config-dir', cfg, ...events);
  assert.equal(typo.code, 1);
  assert.equal(
    typo.stderr,
    `keyrx: no profile 'nab': there is no file 'nab' in ${cwd}, nor ${join(profiles, 'nab.rhai')} (config directory from --config-dir); did you mean nav?\n`,
  );
  const empty = join(dir, 'empty-xdg');
  const none = keyrxIn({ cwd, env: { XDG_CONFIG_HOME: empty } }, 'check', 'nav2');
  assert.equal(none.code, 1);
  assert.equal(
    none.stderr,
    `keyrx: no profile 'nav2': there is no file 'nav2' in ${cwd}, nor ${join(empty, 'keyrx', 'profiles', 'nav2.rhai')} (config directory from $XDG_CONFIG_HOME); there are no profiles there\n`,
  );
});

test('demo: its text is true: the profile it shows is .rhai and runs as shown, the commands it names exist', () => {
  const demo = keyrx('demo');
  assert.equal(demo.code, 0, demo.stderr);
  assert.doesNotMatch(demo.stdout, /\.json|<profile\.json>/);
  const lines = demo.stdout.split('\n');

  // the demo profile, printed as a .rhai source: saved, it gives the outputs the demo shows
  const start = lines.findIndex((l) => l.startsWith('The demo profile as a .rhai file'));
  assert.ok(start > 0, demo.stdout);
  const end = lines.indexOf('', start + 2);
  const source = lines.slice(start + 2, end).map((l) => l.replace(/^ {4}/, ''));
  const cwd = join(dir, 'demo');
  mkdirSync(cwd);
  writeFileSync(join(cwd, 'demo.rhai'), `${source.join('\n')}\n`);
  const f1 = lines.indexOf('  F1 → Ctrl+C');
  const [, events] = /^ {4}in: +(.*)$/.exec(lines[f1 + 1])!;
  const [, output] = /^ {4}out: +(.*)$/.exec(lines[f1 + 2])!;
  const ran = keyrxIn({ cwd }, 'simulate', 'demo.rhai', '--events', events);
  assert.equal(ran.code, 0, ran.stderr);
  assert.equal(ran.stdout, `${output}\n`);

  // "Try it yourself": the simulate line runs as written (without the optional [..])
  const tryIt = lines
    .slice(lines.findIndex((l) => l.startsWith('Try it yourself')) + 1)
    .filter((l) => l.startsWith('  keyrx '));
  assert.ok(tryIt.length >= 3, demo.stdout);
  const [, file, script] = /^ {2}keyrx simulate (\S+) --events "([^"]+)"/.exec(tryIt[0])!;
  const simulated = keyrxIn({ cwd }, 'simulate', file, '--events', script);
  assert.equal(simulated.code, 0, simulated.stderr);
  assert.equal(simulated.stdout, 't:250 d:Left u:Left\n');

  // every command it names is one of keyrx's (the help above it lists them), with its subcommands
  const help = demo.stdout.slice(demo.stdout.indexOf('Commands:'), demo.stdout.indexOf('Demo profile:'));
  const commands = new Set([...help.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1].split('|')[0]));
  const profilesHelp = keyrx('profiles', '--help').stdout;
  for (const l of tryIt) {
    const [, command, sub] = /^ {2}keyrx (\S+)(?: ([a-z]+)\b)?/.exec(l)!;
    assert.ok(commands.has(command), `${command} (${l})`);
    if (command === 'profiles') assert.match(profilesHelp, new RegExp(`^ {2}${sub} `, 'm'), l);
  }
});

test('one vocabulary: --explain, parse and the view legend use the engine and config names of --json', () => {
  const hrm = join(root, 'examples', '22-home-row-mods.rhai');
  const events = ['--events', 'd:F t:120 d:J t:60 u:J t:80 u:F d:X u:X'];
  const json = JSON.parse(keyrx('simulate', hrm, '--json', ...events).stdout);
  const table = keyrx('simulate', hrm, '--explain', ...events)
    .stdout.trim()
    .split('\n');
  const header = table[0];
  const cell = (row: string, name: string, next: string): string =>
    row.slice(header.indexOf(name), header.indexOf(next)).trim();
  const rows = table.slice(1, table.indexOf(''));
  assert.equal(rows.length, json.timeline.length);
  for (const [i, e] of (json.timeline as { mapping: string; decision: string; also: string[] }[]).entries()) {
    const shown =
      e.mapping === 'passthrough' || e.mapping === e.decision ? e.decision : `${e.decision} (${e.mapping})`;
    assert.equal(cell(rows[i], 'decision', 'also decided'), shown, rows[i]);
    assert.equal(cell(rows[i], 'also decided', 'output'), e.also.join(', '), rows[i]);
  }

  // parse: the config model's kinds, `conditional` included
  const nav = join(root, 'examples', '03-vim-navigation.rhai');
  const config = JSON.parse(keyrx('parse', nav, '--json').stdout);
  const text = keyrx('parse', nav).stdout;
  for (const m of config.devices[0].mappings as { kind: string; condition?: unknown }[]) {
    if (m.kind === 'conditional') assert.ok(text.includes(`  conditional ${JSON.stringify(m.condition)}\n`));
    else assert.ok(text.includes(`  ${JSON.stringify(m)}\n`));
  }
  assert.doesNotMatch(text, /^ *when /m);

  // view: each legend colour is named by the mapping kind whose keys have that colour
  const out = join(dir, 'beyond.html');
  assert.equal(keyrx('view', join(root, 'examples', '23-beyond-keyrx.rhai'), '-o', out).code, 0);
  const page = readFileSync(out, 'utf8');
  const legend = /<p class="legend">(.*?)<\/p>/s.exec(page)![1];
  const entries = [...legend.matchAll(/<span class="([^"]+)">([^<]*)<\/span>/g)];
  assert.ok(entries.length >= 10);
  for (const [, kind, label] of entries) assert.ok(label === kind || label.startsWith(`${kind} `), label);
  const kinds = new Set([...page.matchAll(/<div class="key ([^"]+)"/g)].map((m) => m[1]));
  assert.ok(kinds.size >= 3);
  for (const kind of kinds)
    assert.ok(
      entries.some(([, k]) => k === kind),
      kind,
    );
  assert.match(legend, /combo<\/span>.*keyOverride: /);
});

test(
  'colour: check, doctor on a terminal, like check: never with NO_COLOR, --json or a pipe',
  { skip: !hasScript && 'needs script(1)' },
  () => {
    const bad = join(dir, 'colour.rhai');
    writeFileSync(bad, 'device_start("*");\nmap("A", "VK_Escap");\nmap("B", "Q");\ndevice_end();\n');
    const checked = keyrxOnTty({}, 'check', bad);
    assert.equal(checked.code, 1);
    assert.ok(checked.output.includes(`${ESC}1m${ESC}31merror:${ESC}0m`), checked.output);
    // eslint-disable-next-line no-control-regex
    assert.match(checked.output, /^\x1b\[31m2 errors\x1b\[0m$/m);
    const good = keyrxOnTty({}, 'check', join(root, 'examples/03-vim-navigation.rhai'));
    assert.equal(good.code, 0, good.output);
    // eslint-disable-next-line no-control-regex
    assert.match(good.output, /03-vim-navigation\.rhai: \x1b\[32mok\x1b\[0m \(1 device block/);

    // doctor: each check's status word, ok green, WARN yellow, FAIL red, skip dim
    const doctor = keyrxOnTty({}, 'doctor');
    const marks = doctor.output.split('\n').filter((l) => l.startsWith('['));
    assert.ok(marks.length >= 5, doctor.output);
    const color: Record<string, string> = { ok: '32', WARN: '33', FAIL: '31', skip: '2' };
    for (const l of marks) {
      // eslint-disable-next-line no-control-regex
      const m = /^\[\x1b\[(\d+)m(ok|WARN|FAIL|skip)\x1b\[0m *\] /.exec(l);
      assert.ok(m, JSON.stringify(l));
      assert.equal(m[1], color[m[2]], l);
    }
    assert.equal(doctor.code, marks.some((l) => l.includes('FAIL')) ? 1 : 0);

    const noColor = keyrxOnTty({ NO_COLOR: '1' }, 'doctor');
    assert.ok(!noColor.output.includes(ESC), noColor.output);
    assert.match(noColor.output, /^\[(ok {2}|WARN|FAIL|skip)\] /m);
    const json = keyrxOnTty({}, 'doctor', '--json');
    assert.ok(!json.output.includes(ESC), json.output);
    assert.ok(Array.isArray(JSON.parse(json.output.slice(0, json.output.lastIndexOf('}') + 1)).checks));
    const piped = keyrx('doctor');
    assert.ok(!piped.stdout.includes(ESC) && !piped.stderr.includes(ESC));
    assert.match(piped.stdout, /^\[(ok {2}|WARN|FAIL|skip)\] /m);
    const checkNoColor = keyrxOnTty({ NO_COLOR: '1' }, 'check', bad);
    assert.ok(!checkNoColor.output.includes(ESC), checkNoColor.output);
  },
);
