import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeConfig, simulate } from '../../src/core/index.ts';
import type { CompileOptions, CompileResult } from '../../src/dsl/compile.ts';
import { compileProfile } from '../../src/dsl/compile.ts';
import { formatDiagnostic } from '../../src/dsl/diagnostics.ts';
import { encodeKrx } from '../../src/dsl/krx.ts';
import { isWithin, LoadRefused, loadRoots } from '../../src/dsl/load-policy.ts';

function memoryFs(files: Record<string, string>): CompileOptions['fs'] {
  return { readFile: (path) => files[path] };
}

function compile(source: string, opts: CompileOptions = {}): CompileResult {
  return compileProfile(source, { file: '/p/main.rhai', ...opts });
}

function ok(source: string, opts: CompileOptions = {}): CompileResult {
  const r = compile(source, opts);
  assert.ok(r.ok, r.diagnostics.map((d) => formatDiagnostic(d, r.sources.get(d.span.file) ?? '')).join('\n'));
  return r;
}

function errors(source: string, opts: CompileOptions = {}): string[] {
  const r = compile(source, opts);
  assert.equal(r.ok, false, 'expected errors');
  assert.equal(r.config, null);
  return r.diagnostics
    .filter((d) => d.severity === 'error')
    .map((d) => `${d.span.line}:${d.span.column} ${d.message}`);
}

test('every built-in compiles to the config model', () => {
  const r = ok(`
    device_start("*");
      map("A", "VK_B");
      map("VK_CapsLock", "MD_00");
      map("ScrollLock", "LK_0A");
      map("1", with_shift("VK_1"));
      map("F1", with_ctrl("VK_C"));
      map("F2", with_alt("VK_F4"));
      map("F3", with_win("VK_L"));
      map("F4", with_mods("VK_T", true, true, false, true));
      tap_hold("Space", "VK_Space", "MD_01", 180);
      hold_only("LMeta", "MD_07");
      hold_only("RMeta", "MD_08", 300);
      sequence("S", ["VK_Y", "VK_A"]);
      when_start("MD_00"); map("H", "VK_Left"); when_end();
      when_start(["MD_00", "MD_01"]); map("K", "VK_PageUp"); when_end();
      when_start(["IME", "LANG_JA"]); sequence("D", ["VK_Y", "VK_O"]); when_end();
      when_not_start("LK_0A"); map("W", "VK_Up"); when_not_end();
      when_device_start("*Laptop*"); map("B", "VK_Backspace"); when_device_end();
    device_end();
    device_start("Keychron*");
    device_end();
  `);
  const [main, second] = r.config!.devices;
  assert.equal(main.pattern, '*');
  assert.equal(second.pattern, 'Keychron*');
  assert.deepEqual(main.mappings.slice(0, 12), [
    { kind: 'simple', from: 'A', to: 'B' },
    { kind: 'modifier', from: 'CapsLock', id: 0 },
    { kind: 'lock', from: 'ScrollLock', id: 10 },
    { kind: 'modifiedOutput', from: 'Num1', to: 'Num1', shift: true, ctrl: false, alt: false, win: false },
    { kind: 'modifiedOutput', from: 'F1', to: 'C', shift: false, ctrl: true, alt: false, win: false },
    { kind: 'modifiedOutput', from: 'F2', to: 'F4', shift: false, ctrl: false, alt: true, win: false },
    { kind: 'modifiedOutput', from: 'F3', to: 'L', shift: false, ctrl: false, alt: false, win: true },
    { kind: 'modifiedOutput', from: 'F4', to: 'T', shift: true, ctrl: true, alt: false, win: true },
    { kind: 'tapHold', from: 'Space', tap: 'Space', hold: 1, thresholdMs: 180 },
    { kind: 'holdOnly', from: 'LMeta', hold: 7, thresholdMs: 200 },
    { kind: 'holdOnly', from: 'RMeta', hold: 8, thresholdMs: 300 },
    { kind: 'sequence', from: 'S', keys: ['Y', 'A'] },
  ]);
  assert.deepEqual(
    main.mappings.slice(12).map((m) => m.kind === 'conditional' && m.condition),
    [
      { kind: 'modifier', id: 0 },
      {
        kind: 'allOf',
        items: [
          { kind: 'modifier', id: 0 },
          { kind: 'modifier', id: 1 },
        ],
      },
      { kind: 'allOf', items: [{ kind: 'ime' }, { kind: 'lang', lang: 'ja' }] },
      { kind: 'noneOf', items: [{ kind: 'lock', id: 10 }] },
      { kind: 'device', pattern: '*Laptop*' },
    ],
  );
  assert.equal(r.config!.metadata?.sourceHash, r.sourceHash);
});

test('language features drive the built-ins: variables, loops with when-blocks, functions, maps', () => {
  const r = ok(`
    const NAV = "MD_00";
    fn arrows(layer, table) {
      when_start(layer);
      for k in table.keys() { map(k, "VK_" + table[k]); }
      when_end();
    }
    device_start("*");
    map("CapsLock", NAV);
    arrows(NAV, #{ H: "Left", J: "Down", K: "Up", L: "Right" });
    let layers = ["MD_01", "MD_02"];
    for (layer, i) in layers {
      when_start(layer);
      map("Num" + (i + 1), "VK_F" + (i + 1));
      when_end();
    }
    for i in 0..3 { if i == 1 { continue; } map("F" + (i + 5), "VK_F" + (i + 13)); }
    device_end();
  `);
  assert.equal(simulate(r.config!, 'd:CapsLock d:J u:J u:CapsLock').output, 'd:Down u:Down');
  assert.equal(
    simulate(r.config!, 'd:F5 u:F5 d:F6 u:F6 d:F7 u:F7').output,
    'd:F13 u:F13 d:F6 u:F6 d:F15 u:F15',
  );
});

test("map target errors use KeyRx's messages", () => {
  const errs = errors(`device_start("*");
map("A", "B");
map("A", "MD_LShift");
map("A", "MD_ZZ");
map("A", "MD_FF");
map("A", "LK_100");
map("Escap", "VK_A");
map("A", "VK_Escap");
map("A", with_shift("A"));
device_end();`);
  assert.deepEqual(errs, [
    '2:10 Output must have VK_, MD_, or LK_ prefix: B -> use VK_B for virtual key',
    "3:10 Physical modifier 'MD_LShift' cannot be used as MD_ identifier",
    "4:10 Invalid custom modifier ID prefix: expected MD_XX (hex, 00-FE), got 'MD_ZZ'",
    '5:10 Modifier ID 255 exceeds maximum value 254',
    '6:10 Lock ID 256 exceeds maximum value 254',
    "7:5 Unknown key name: 'Escap'",
    "8:10 Unknown key name: 'Escap'",
    "9:21 Invalid key in with_shift(): virtual key 'A' is missing required prefix",
  ]);
  const r = compile('device_start("*"); map("Escap", "VK_A"); device_end();');
  assert.deepEqual(r.diagnostics[0].suggestions?.slice(0, 1), ['Escape']);
  assert.equal(r.diagnostics[0].span.length, 7, 'the span covers the string literal');
});

test('tap_hold, hold_only and sequence validation', () => {
  assert.deepEqual(
    errors(`device_start("*");
tap_hold("A", "B", "MD_00", 200);
tap_hold("A", "VK_B", "LK_00", 200);
tap_hold("A", "VK_B", "MD_00", 70000);
tap_hold("A", "VK_B", "MD_00", 0);
hold_only("A", "VK_B");
sequence("A", []);
sequence("A", ["VK_A","VK_A","VK_A","VK_A","VK_A","VK_A","VK_A","VK_A","VK_A"]);
sequence("A", ["VK_A", 5]);
device_end();`),
    [
      '2:15 tap_hold tap parameter must have VK_ prefix, got: B',
      '3:23 tap_hold hold parameter must have MD_ prefix, got: LK_00',
      '4:32 tap_hold(): threshold must be 1–65535 ms, got 70000',
      '5:32 tap_hold(): threshold must be 1–65535 ms, got 0',
      '6:16 hold_only hold parameter must have MD_ prefix, got: VK_B',
      '7:15 Sequence must have at least one output key',
      '8:15 Sequence too long: 9 keys (max 8)',
      '9:15 Sequence keys must be strings',
    ],
  );
});

test('block structure errors: unclosed, unmatched, nested, outside a device', () => {
  assert.deepEqual(errors('device_start("*");\nwhen_start("MD_00");\nmap("H", "VK_Left");\ndevice_end();'), [
    '4:1 device_end() while when_start(...) opened at 2:1 is still open',
  ]);
  assert.deepEqual(errors('device_start("*");\nwhen_start("MD_00");\nmap("H", "VK_Left");'), [
    '1:1 device_start("*") is never closed: add device_end()',
    '2:1 when_start(...) is never closed: add when_end()',
  ]);
  assert.deepEqual(errors('map("A", "VK_B");'), [
    '1:1 map() must be called inside a device_start(...) ... device_end() block',
  ]);
  assert.deepEqual(errors('device_end();'), ['1:1 device_end() called without matching device_start()']);
  assert.deepEqual(errors('device_start("*"); when_end(); device_end();'), [
    '1:20 when_end() called without matching when_start()',
  ]);
  assert.deepEqual(errors('when_start("MD_00");'), [
    '1:1 Conditional blocks must be called inside a device() block',
  ]);
  assert.deepEqual(
    errors('device_start("*"); when_start("MD_00"); when_start("MD_01"); when_end(); device_end();'),
    ['1:41 Nested conditional blocks are not supported: when_start(...) opened at 1:20 is still open'],
  );
  assert.deepEqual(errors('device_start("*"); when_start("XX_00"); when_end(); device_end();'), [
    "1:31 Invalid condition prefix: expected MD_XX, LK_XX, IME, LANG_XX, APP:name or TITLE:text, got 'XX_00'",
  ]);
  assert.deepEqual(errors('device_start("*"); when_start(["MD_00", ["MD_01"]]); when_end(); device_end();'), [
    '1:31 Only single conditions allowed in array',
  ]);
  assert.deepEqual(errors('device_start("*"); when_device_start(""); when_end(); device_end();'), [
    '1:38 Device pattern cannot be empty',
  ]);
  // KeyRx closes an open device block implicitly: allowed, with a warning
  const r = ok('device_start("a"); device_start("b"); device_end();');
  assert.equal(r.config!.devices.length, 2);
  assert.equal(r.diagnostics[0].severity, 'warning');
});

test('independent errors are all reported in one run, with file, line, column and length', () => {
  const r = compile(
    'device_start("*");\nmap("Qq", "VK_A");\nmap("B", "VK_Zz");\nmap("C", "Q");\ndevice_end();\n',
  );
  assert.equal(r.diagnostics.length, 3);
  assert.deepEqual(
    r.diagnostics.map((d) => [d.span.file, d.span.line, d.span.column, d.span.length]),
    [
      ['/p/main.rhai', 2, 5, 4],
      ['/p/main.rhai', 3, 10, 7],
      ['/p/main.rhai', 4, 10, 3],
    ],
  );
  // syntax errors are collected too, and nothing runs
  const syntax = compile('device_start("*")\nmap("A" "VK_B");\nlet = 5;\ndevice_end();');
  assert.ok(syntax.diagnostics.filter((d) => d.code === 'E_SYNTAX').length >= 2);
});

test('load(): search order, inherited blocks, every built-in inside, cycles, not found', () => {
  const fs = memoryFs({
    '/p/lib/nav.rhai':
      'map("H", "VK_Left"); hold_only("LMeta", "MD_07"); sequence("S", ["VK_Y", "VK_A"]); load("more.rhai");',
    '/p/lib/more.rhai': 'map("L", "VK_Right");',
    '/p/stdlib/local.rhai': 'map("Q", "VK_Escape");',
    '/xdg/keyrx/stdlib/user.rhai': 'map("W", "VK_Up");',
    '/p/a.rhai': 'load("b.rhai");',
    '/p/b.rhai': 'load("a.rhai");',
  });
  const opts = { fs, stdlibDirs: ['/xdg/keyrx/stdlib'] };
  const r = ok(
    `device_start("*");
     when_start("MD_00"); load("lib/nav.rhai"); when_end();
     load("local.rhai"); load("user.rhai");
     when_start("MD_01"); load("shift.rhai"); when_end();
     device_end();`,
    opts,
  );
  assert.equal(simulate(r.config!, 'd:Q u:Q d:W u:W').output, 'd:Escape u:Escape d:Up u:Up');
  const layer = r.config!.devices[0].mappings[0];
  assert.ok(layer.kind === 'conditional');
  assert.deepEqual(
    layer.mappings.map((m) => m.kind + ':' + ('from' in m ? m.from : '')),
    ['simple:H', 'holdOnly:LMeta', 'sequence:S', 'simple:L'],
  );
  const shifted = r.config!.devices[0].mappings.at(-1)!;
  assert.ok(shifted.kind === 'conditional' && shifted.mappings.length === 26);
  assert.deepEqual(
    r.loaded.map((l) => l.path),
    [
      '/p/lib/nav.rhai',
      '/p/lib/more.rhai',
      '/p/stdlib/local.rhai',
      '/xdg/keyrx/stdlib/user.rhai',
      '<stdlib>/shift.rhai',
    ],
  );
  assert.deepEqual(r.config!.metadata?.inputs?.length, 5);

  const cycle = compile('device_start("*"); load("a.rhai"); device_end();', opts);
  assert.match(
    cycle.diagnostics[0].message,
    /load cycle: \/p\/main\.rhai → \/p\/a\.rhai → \/p\/b\.rhai → \/p\/a\.rhai/,
  );
  const missing = compile('load("nope.rhai");', opts);
  assert.equal(missing.diagnostics[0].message, "Import failed: file not found: 'nope.rhai'");
  assert.equal(
    missing.diagnostics[0].hint,
    'searched: /p/nope.rhai, /p/stdlib/nope.rhai, /xdg/keyrx/stdlib/nope.rhai, <stdlib>/nope.rhai',
  );
  const broken = compile('load("bad.rhai");', { fs: memoryFs({ '/p/bad.rhai': 'map("A" "VK_B");' }) });
  assert.ok(broken.diagnostics.some((d) => d.span.file === '/p/bad.rhai' && d.code === 'E_SYNTAX'));
});

test('load() roots: lexical containment, normalised, relative and absolute never mixed', () => {
  assert.deepEqual(loadRoots('/p/main.rhai', ['/cfg/stdlib', '/usr/share/keyrx/stdlib', '/cfg/stdlib']), [
    '/p',
    '/cfg/stdlib',
    '/usr/share/keyrx/stdlib',
  ]);
  assert.deepEqual(loadRoots('main.rhai'), ['.']);
  assert.deepEqual(loadRoots('../x/../y/main.rhai'), ['../y']);
  const cases: [string, string, boolean][] = [
    ['/p/a.rhai', '/p', true],
    ['/p', '/p', true],
    ['/p/sub/../a.rhai', '/p', true],
    ['/p/../a.rhai', '/p', false],
    ['/pp/a.rhai', '/p', false],
    ['/p/stdlib/../../token', '/p', false],
    ['a.rhai', '.', true],
    ['../a.rhai', '.', false],
    ['../y/a.rhai', '../y', true],
    ['../../a.rhai', '../y', false],
    ['../a.rhai', '..', true],
    ['../../a.rhai', '..', false],
    ['/p/a.rhai', '.', false],
    ['p/a.rhai', '/', false],
    ['/anything', '/', true],
  ];
  for (const [path, root, inside] of cases) assert.equal(isWithin(path, root), inside, `${path} in ${root}`);
});

test('load() is confined: paths outside the roots are never looked up and are refused alike', () => {
  const asked: string[] = [];
  const files: Record<string, string> = {
    '/p/lib.rhai': 'map("A", "VK_B");',
    '/p/sub/deep.rhai': 'load("../lib.rhai");',
    '/cfg/stdlib/user.rhai': 'map("W", "VK_Up");',
    '/cfg/token': 'ghp_0123456789abcdefSECRET',
    '/elsewhere/secret.rhai': 'let leaked = ghp_0123456789abcdefSECRET;',
  };
  const fs: CompileOptions['fs'] = {
    readFile(path) {
      asked.push(path);
      return files[path];
    },
  };
  const opts = { fs, stdlibDirs: ['/cfg/stdlib', '/usr/share/keyrx/stdlib'] };
  // in the roots: relative, a subfolder (and back up, still inside), absolute inside, stdlib, bundled
  const good = ok(
    `device_start("*");
     load("lib.rhai"); load("sub/deep.rhai"); load("/p/lib.rhai"); load("user.rhai");
     when_start("MD_00"); load("shift.rhai"); when_end();
     device_end();`,
    opts,
  );
  assert.deepEqual(
    good.loaded.map((l) => l.path),
    ['/p/lib.rhai', '/p/sub/deep.rhai', '/cfg/stdlib/user.rhai', '<stdlib>/shift.rhai'],
  );

  const refusal = (source: string): { message: string; hint: string } => {
    const r = compile(source, opts);
    assert.equal(r.ok, false);
    const d = r.diagnostics.find((x) => x.severity === 'error')!;
    assert.equal(d.code, 'E_LOAD_REFUSED', d.message);
    for (const d of r.diagnostics) assert.doesNotMatch(JSON.stringify(d), /SECRET|ghp_|leaked/);
    return { message: d.message, hint: d.hint ?? '' };
  };
  asked.length = 0;
  const escape = refusal('load("../cfg/token");');
  assert.equal(escape.message, "load('../cfg/token') refused: '/cfg/token' is outside the allowed folders");
  assert.match(escape.hint, /\/p, \/cfg\/stdlib, \/usr\/share\/keyrx\/stdlib, the bundled stdlib/);
  const abs = refusal('load("/elsewhere/secret.rhai");');
  assert.match(abs.message, /refused: '\/elsewhere\/secret\.rhai' is outside the allowed folders/);
  // an existing and a missing place outside give the same message (only the path differs)
  const missing = refusal('load("/elsewhere/nothing.rhai");');
  assert.equal(missing.message.replaceAll('nothing', 'secret'), abs.message);
  assert.equal(missing.hint, abs.hint);
  // nothing outside the roots was ever asked for; the "searched:" hints name only in-root places
  for (const path of asked)
    assert.ok(
      loadRoots('/p/main.rhai', opts.stdlibDirs).some((r) => isWithin(path, r)),
      path,
    );
  assert.ok(!asked.includes('/cfg/token') && !asked.some((p) => p.startsWith('/elsewhere')));
  assert.deepEqual(escape.hint.split('searched: ')[1].split(', '), ['/p/cfg/token', '<stdlib>/../cfg/token']);

  // what the file system adapter refuses is E_LOAD_REFUSED too, and the search stops there
  const refusing: CompileOptions['fs'] = {
    readFile(path) {
      if (path === '/p/pipe.rhai')
        throw new LoadRefused(`'${path}' is a FIFO (named pipe), not a regular file`);
      return files[path];
    },
  };
  const fifo = compile('load("pipe.rhai");', { fs: refusing, stdlibDirs: ['/cfg/stdlib'] });
  assert.equal(fifo.diagnostics[0].code, 'E_LOAD_REFUSED');
  assert.equal(
    fifo.diagnostics[0].message,
    "load('pipe.rhai') refused: '/p/pipe.rhai' is a FIFO (named pipe), not a regular file",
  );
  // plain "not found" inside the roots stays E_LOAD
  const absent = compile('load("none.rhai");', opts);
  assert.equal(absent.diagnostics[0].code, 'E_LOAD');
  // without a file system (the browser): the bundled stdlib only, escapes refused the same way
  assert.equal(
    compileProfile('load("../x.rhai");', { file: 'p.rhai' }).diagnostics[0].code,
    'E_LOAD_REFUSED',
  );
  assert.equal(compileProfile('load("x.rhai");', { file: 'p.rhai' }).diagnostics[0].code, 'E_LOAD');
});

test('limits stop runaway profiles with an error naming the limit', () => {
  const r = compile('loop { }');
  assert.equal(r.ok, false);
  assert.match(r.diagnostics[0].message, /operation/i);
  const deep = compile('let x = ' + '('.repeat(5000) + '1' + ')'.repeat(5000) + ';');
  assert.equal(deep.ok, false);
  const big = compile('// ' + 'x'.repeat(1_100_000));
  assert.equal(big.ok, false);
  assert.match(big.diagnostics[0].message, /1048576|1 MiB|size/i);
});

test('compiling is deterministic down to the .krx bytes', () => {
  const source = 'device_start("*"); tap_hold("CapsLock", "VK_Escape", "MD_00", 200); device_end();';
  const a = ok(source);
  const b = ok(source);
  assert.deepEqual(encodeKrx(a.config!, a.sourceHash), encodeKrx(b.config!, b.sourceHash));
});

test('unknown functions get did-you-mean suggestions from the built-ins', () => {
  const r = compile('device_start("*"); tap_hld("A", "VK_B", "MD_00", 200); device_end();');
  assert.equal(r.ok, false);
  assert.ok(r.diagnostics[0].suggestions?.includes('tap_hold'), JSON.stringify(r.diagnostics[0]));
});

test('keyboard views learn where each mapping was declared, including in loaded files', () => {
  const r = ok(
    [
      'load("extra.rhai");',
      'device_start("*");',
      '  map("A", "VK_B");',
      '  when_start("MD_00");',
      '    map("H", "VK_Left");',
      '  when_end();',
      'device_end();',
    ].join('\n'),
    {
      fs: memoryFs({
        '/p/extra.rhai':
          'device_start("kbd*");\n  tap_hold("Space", "VK_Space", "MD_00", 200);\ndevice_end();',
      }),
    },
  );
  const views = describeConfig(r.config!, (m) => r.mappingSpans.get(m));
  const where = (device: number, layer: string, key: string) => {
    const s = views[device].layers.find((l) => l.name === layer)!.keys[key].source!;
    return `${s.file}:${s.line}:${s.column}`;
  };
  assert.equal(where(0, 'base', 'Space'), '/p/extra.rhai:2:3');
  assert.equal(where(1, 'base', 'A'), '/p/main.rhai:3:3');
  assert.equal(where(1, 'MD_00', 'H'), '/p/main.rhai:5:5');
  assert.equal(describeConfig(r.config!)[1].layers[0].keys.A.source, undefined);
});
