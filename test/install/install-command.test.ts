/**
 * `keyrx install` / `keyrx uninstall`, through the real CLI, against a fake root
 * (KEYRX_INSTALL_ROOT): /etc, the user's config directory and the folders commands are looked
 * up in all live in a temp dir, and the system tools are small fakes that log their arguments
 * and change the fake /etc/group the way the real ones would. Nothing here touches the machine.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { cliEntry } from '../support/entry.ts';

const ROOT = path.join(import.meta.dirname, '../..');
const RULES = fs.readFileSync(path.join(ROOT, 'packaging/99-keyrx.rules'), 'utf8');
const isRoot = process.getuid?.() === 0;
/** what root commands look like in the output: with sudo unless the test runs as root */
const SUDO = isRoot ? '' : 'sudo ';
const NODE = process.execPath;

type Tool = 'modprobe' | 'groupadd' | 'usermod' | 'gpasswd' | 'udevadm' | 'systemctl';
const ALL_TOOLS: Tool[] = ['modprobe', 'groupadd', 'usermod', 'gpasswd', 'udevadm', 'systemctl'];

/** A node script in the fake root that logs `name args` and then runs `body` (args in `a`). */
function fake(root: string, dir: string, name: string, body: string): void {
  const file = path.join(root, dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(
    file,
    `#!${NODE}
const fs = require('node:fs');
const root = ${JSON.stringify(root)};
const a = process.argv.slice(2);
fs.appendFileSync(root + '/commands.log', ${JSON.stringify(name)} + ' ' + a.join(' ') + '\\n');
const groupFile = root + '/etc/group';
const editGroups = (fn) => fs.writeFileSync(groupFile, fs.readFileSync(groupFile, 'utf8').split('\\n').map((l) => {
  if (!l) return l;
  const f = l.split(':');
  const members = f[3] ? f[3].split(',') : [];
  f[3] = fn(f[0], members).join(',');
  return f.join(':');
}).join('\\n'));
${body}
`,
    { mode: 0o755 },
  );
}

function fakeRoot(tools: Tool[], opts: { systemdBus?: boolean; udevd?: boolean } = {}): string {
  const root = fs.mkdtempSync(path.join(tmpdir(), 'keyrx-install-'));
  fs.mkdirSync(path.join(root, 'etc'), { recursive: true });
  fs.writeFileSync(path.join(root, 'etc/group'), 'root:x:0:\ninput:x:104:\nalice:x:1000:\n');
  fs.writeFileSync(
    path.join(root, 'etc/passwd'),
    'root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n',
  );
  fs.mkdirSync(path.join(root, 'home/alice'), { recursive: true });
  fs.writeFileSync(path.join(root, 'commands.log'), '');
  if (opts.udevd !== false) {
    // udevd's control socket: that udev runs here
    fs.mkdirSync(path.join(root, 'run/udev'), { recursive: true });
    fs.writeFileSync(path.join(root, 'run/udev/control'), '');
  }
  const state = path.join(root, 'systemd-state');
  const bodies: Record<Tool, string> = {
    modprobe: `fs.mkdirSync(root + '/sys/module/' + a[0], { recursive: true });`,
    groupadd: `fs.appendFileSync(groupFile, a[a.length - 1] + ':x:990:\\n');`,
    usermod: `const [, list, user] = a; const gs = list.split(',');
editGroups((g, m) => (gs.includes(g) && !m.includes(user) ? [...m, user] : m));`,
    gpasswd: `const [, user, group] = a; editGroups((g, m) => (g === group ? m.filter((x) => x !== user) : m));`,
    udevadm: '',
    systemctl:
      opts.systemdBus === false
        ? `console.error('Failed to connect to bus: No medium found'); process.exit(1);`
        : `const state = ${JSON.stringify(state)}; fs.mkdirSync(state, { recursive: true });
const has = (f) => fs.existsSync(state + '/' + f);
const cmd = a.filter((x) => !x.startsWith('--'));
switch (cmd[0]) {
  case 'show-environment': console.log('PATH=/usr/bin'); break;
  case 'daemon-reload': break;
  case 'is-enabled': console.log(has('enabled') ? 'enabled' : 'disabled'); process.exit(has('enabled') ? 0 : 1);
  case 'is-active': console.log(has('active') ? 'active' : 'inactive'); process.exit(has('active') ? 0 : 3);
  case 'enable': fs.writeFileSync(state + '/enabled', ''); if (a.includes('--now')) fs.writeFileSync(state + '/active', ''); break;
  case 'disable': fs.rmSync(state + '/enabled', { force: true }); if (a.includes('--now')) fs.rmSync(state + '/active', { force: true }); break;
  case 'restart': fs.writeFileSync(state + '/active', ''); break;
  default: console.error('fake systemctl: ' + a.join(' ')); process.exit(1);
}`,
  };
  for (const tool of tools)
    fake(root, tool === 'systemctl' || tool === 'udevadm' ? 'usr/bin' : 'usr/sbin', tool, bodies[tool]);
  // Not root: root steps go through sudo (a fake that runs the command) and install(1)/rm(1).
  fake(
    root,
    'usr/bin',
    'sudo',
    `const r = require('node:child_process').spawnSync(a[0], a.slice(1), { stdio: 'inherit' }); process.exit(r.status ?? 1);`,
  );
  for (const tool of ['install', 'rm']) {
    const real = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((f) => fs.existsSync(f));
    if (real) fs.symlinkSync(real, path.join(root, 'usr/bin', tool));
  }
  return root;
}

function keyrx(
  root: string,
  args: string[],
  input?: string,
): { code: number | null; out: string; err: string } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('KEYRX_')) delete env[k];
  delete env.SUDO_USER;
  delete env.XDG_CONFIG_HOME;
  Object.assign(env, {
    KEYRX_INSTALL_ROOT: root,
    KEYRX_INSTALL_USER: 'alice',
    HOME: '/home/alice',
    NO_COLOR: '1',
  });
  const r = spawnSync(NODE, [...cliEntry(), ...args], {
    cwd: ROOT,
    env,
    encoding: 'utf8',
    input: input ?? '',
    timeout: 60_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const log = (root: string): string[] =>
  fs
    .readFileSync(path.join(root, 'commands.log'), 'utf8')
    .split('\n')
    .filter((l) => l && !l.startsWith('sudo '));
/** the commands that change something (not the probes) */
const changes = (root: string): string[] =>
  log(root).filter((l) => !/^systemctl --user (show-environment|is-enabled|is-active)/.test(l));
const mode = (file: string): string => (fs.statSync(file).mode & 0o777).toString(8);
const group = (root: string, name: string): string | undefined =>
  fs
    .readFileSync(path.join(root, 'etc/group'), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
/** every file under `dir`, relative */
function tree(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

const UNIT = 'home/alice/.config/systemd/user/keyrx.service';

test('install --dry-run prints every step and what it would run, and changes nothing', (t) => {
  const root = fakeRoot(ALL_TOOLS);
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const before = tree(root);
  const r = keyrx(root, ['install', '--dry-run']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /Dry run: nothing is changed/);
  assert.match(r.out, /\[1\/5\] uinput kernel module.*\[needs root\]/);
  assert.match(
    r.out,
    new RegExp(
      `would run: ${SUDO}install -D -m 0644 \\S+/packaging/keyrx-modules-load.conf /etc/modules-load.d/keyrx.conf`,
    ),
  );
  assert.match(r.out, new RegExp(`would run: ${SUDO}modprobe uinput`));
  assert.match(r.out, new RegExp(`would run: ${SUDO}groupadd --system uinput`));
  assert.match(r.out, new RegExp(`would run: ${SUDO}usermod -aG input,uinput alice`));
  assert.match(
    r.out,
    new RegExp(
      `would run: ${SUDO}install -D -m 0644 \\S+/packaging/99-keyrx.rules /etc/udev/rules.d/99-keyrx.rules`,
    ),
  );
  assert.match(r.out, new RegExp(`would run: ${SUDO}udevadm control --reload`));
  assert.match(r.out, /would run: write \/home\/alice\/.config\/systemd\/user\/keyrx.service \(mode 0644\)/);
  assert.match(r.out, /would run: systemctl --user enable --now keyrx.service/);
  assert.match(r.out, /keyrx install: 5 to do\./);
  assert.match(r.out, /keyrx doctor: /, 'ends with the doctor verdict');
  assert.deepEqual(tree(root), before, 'a dry run writes nothing');
  assert.deepEqual(changes(root), [], 'and runs nothing that changes anything');
});

test('install --yes runs every step, a second run finds everything done, uninstall undoes it', (t) => {
  const root = fakeRoot(ALL_TOOLS);
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));

  const first = keyrx(root, ['install', '--yes']);
  assert.equal(first.code, 0, first.out + first.err);
  assert.deepEqual(changes(root), [
    'modprobe uinput',
    'groupadd --system uinput',
    'usermod -aG input,uinput alice',
    'udevadm control --reload',
    'udevadm trigger',
    'systemctl --user daemon-reload',
    'systemctl --user enable --now keyrx.service',
  ]);
  const rule = path.join(root, 'etc/udev/rules.d/99-keyrx.rules');
  assert.equal(fs.readFileSync(rule, 'utf8'), RULES);
  assert.equal(mode(rule), '644');
  const modules = path.join(root, 'etc/modules-load.d/keyrx.conf');
  assert.match(fs.readFileSync(modules, 'utf8'), /^uinput$/m);
  assert.equal(mode(modules), '644');
  const unit = fs.readFileSync(path.join(root, UNIT), 'utf8');
  assert.equal(mode(path.join(root, UNIT)), '644');
  assert.match(
    unit,
    /^# systemd user unit for the keyrx daemon, written by `keyrx install` from \/\S+\/packaging\/keyrx.service\.$/m,
  );
  assert.doesNotMatch(unit, /cp keyrx.service/, 'the how-to-install comments of the template are not copied');
  // the service runs this keyrx by absolute paths, whatever the user manager's PATH is
  assert.match(
    unit,
    new RegExp(`^ExecStart=${NODE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} /\\S+/main\\.js daemon$`, 'm'),
  );
  assert.equal(unit.match(/^ExecStart=/gm)?.length, 1);
  assert.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  assert.match(unit, /^WantedBy=default.target$/m);
  assert.equal(group(root, 'uinput'), 'uinput:x:990:alice');
  assert.equal(group(root, 'input'), 'input:x:104:alice');
  assert.match(first.out, /keyrx install: 5 done\./);
  assert.match(first.out, /log out and back in/);
  assert.match(first.out, /keyrx doctor: /);

  const logged = changes(root).length;
  const second = keyrx(root, ['install', '--yes']);
  assert.equal(second.code, 0, second.out + second.err);
  assert.equal(second.out.match(/already done: /g)?.length, 5, second.out);
  assert.match(second.out, /keyrx install: 5 already done\./);
  assert.equal(changes(root).length, logged, 'the second run changes nothing');

  const un = keyrx(root, ['uninstall', '--yes']);
  assert.equal(un.code, 0, un.out + un.err);
  assert.deepEqual(changes(root).slice(logged), [
    'systemctl --user disable --now keyrx.service',
    'systemctl --user daemon-reload',
    'udevadm control --reload',
    'udevadm trigger',
    'gpasswd -d alice uinput',
  ]);
  for (const f of [rule, modules, path.join(root, UNIT)]) assert.equal(fs.existsSync(f), false, f);
  assert.equal(group(root, 'uinput'), 'uinput:x:990:', 'the group stays, without alice');
  assert.equal(group(root, 'input'), 'input:x:104:alice', 'input is a standard group: left alone');
  assert.match(un.out, /Left in place: the group uinput/);

  const again = keyrx(root, ['install', '--remove', '--yes']);
  assert.equal(again.code, 0, again.out + again.err);
  assert.match(again.out, /keyrx uninstall: 5 already done\./);
});

test('missing or broken tools: each step says what to run by hand', (t) => {
  // no usermod, no udev daemon, no systemd user session
  const root = fakeRoot(['modprobe', 'groupadd', 'udevadm', 'systemctl'], {
    systemdBus: false,
    udevd: false,
  });
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const r = keyrx(root, ['install', '--yes']);
  assert.equal(r.code, 1, r.out + r.err);
  assert.match(r.out, /usermod is not installed here/);
  assert.match(
    r.out,
    /the udev daemon is not running here \(no \/run\/udev\/control\); the rule applies when udev starts/,
  );
  assert.match(
    r.out,
    /no systemd user session to talk to \(systemctl --user: Failed to connect to bus: No medium found\)/,
  );
  const byHand = r.out.slice(r.out.indexOf('Still to do, by hand:'));
  assert.ok(byHand.length > 0, r.out);
  for (const line of [
    `${SUDO}usermod -aG input,uinput alice`,
    `${SUDO}udevadm control --reload`,
    `${SUDO}udevadm trigger`,
    'systemctl --user daemon-reload',
    'systemctl --user enable --now keyrx.service',
  ])
    assert.ok(byHand.includes(`  ${line}\n`), `${line} in:\n${byHand}`);
  assert.match(r.err, /install is not complete/);
  // what could be done was done
  assert.equal(fs.readFileSync(path.join(root, 'etc/udev/rules.d/99-keyrx.rules'), 'utf8'), RULES);
  assert.ok(fs.existsSync(path.join(root, UNIT)));
  assert.deepEqual(changes(root), ['modprobe uinput', 'groupadd --system uinput']);
  // the second run: the same advice, nothing done twice
  const again = keyrx(root, ['install', '--yes']);
  assert.equal(again.code, 1);
  assert.match(again.out, /usermod is not installed here/);
  assert.deepEqual(changes(root), ['modprobe uinput', 'groupadd --system uinput']);
});

test('without --yes every step that needs root asks first; "no" skips it', (t) => {
  const root = fakeRoot(ALL_TOOLS);
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const r = keyrx(root, ['install'], 'n\nno\n\nn\n');
  assert.equal(r.code, 1, r.out + r.err);
  assert.equal(r.out.match(/as root( \(with sudo\))?\? \[y\/N\]/g)?.length, 4, r.out);
  assert.equal(r.out.match(/skipped: run it by hand/g)?.length, 4);
  assert.equal(fs.existsSync(path.join(root, 'etc/udev')), false, 'nothing written as root');
  assert.deepEqual(
    changes(root),
    ['systemctl --user daemon-reload', 'systemctl --user enable --now keyrx.service'],
    'the user service needs no root and no question',
  );
  // yes to one step only (the groups); end of input is "no"
  const some = keyrx(root, ['install'], 'n\ny\n');
  assert.equal(some.code, 1);
  assert.equal(group(root, 'uinput'), 'uinput:x:990:');
  assert.match(some.out, /\(no answer: end of input\)/);
});

test('install --no-service leaves systemd alone; --no-enable installs the unit without starting it', (t) => {
  const root = fakeRoot(ALL_TOOLS);
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  const r = keyrx(root, ['install', '--yes', '--no-service']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(r.out, /keyrx install: 4 done\./);
  assert.equal(fs.existsSync(path.join(root, UNIT)), false);
  assert.equal(log(root).filter((l) => l.startsWith('systemctl')).length, 0);
  const e = keyrx(root, ['install', '--yes', '--no-enable']);
  assert.equal(e.code, 0, e.out + e.err);
  assert.ok(fs.existsSync(path.join(root, UNIT)));
  assert.deepEqual(
    changes(root).filter((l) => l.startsWith('systemctl')),
    ['systemctl --user daemon-reload'],
  );
});

test('install --desktop-entry --no-service: an XDG autostart entry runs this keyrx; uninstall removes it', (t) => {
  const root = fakeRoot(ALL_TOOLS);
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  // with the service too, it warns that two daemons would start
  const other = fakeRoot(ALL_TOOLS);
  t.after(() => fs.rmSync(other, { recursive: true, force: true }));
  const both = keyrx(other, ['install', '--yes', '--desktop-entry']);
  assert.match(both.out, /a second daemon on the same config directory stops at once/);
  const r = keyrx(root, ['install', '--yes', '--no-service', '--desktop-entry']);
  assert.equal(r.code, 0, r.out + r.err);
  const entry = path.join(root, path.dirname(path.dirname(path.dirname(UNIT))), 'autostart/keyrx.desktop');
  const text = fs.readFileSync(entry, 'utf8');
  assert.equal(mode(entry), '644');
  assert.match(text, /^\[Desktop Entry\]$/m);
  assert.match(text, /^Type=Application$/m);
  assert.match(
    text,
    new RegExp(`^Exec=${NODE.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} /\\S+/main\\.js daemon$`, 'm'),
  );
  assert.equal(log(root).filter((l) => l.startsWith('systemctl')).length, 0);
  const again = keyrx(root, ['install', '--yes', '--no-service', '--desktop-entry']);
  assert.match(again.out, /already done: .*autostart\/keyrx\.desktop/);
  const un = keyrx(root, ['uninstall', '--yes', '--no-service']);
  assert.equal(un.code, 0, un.out + un.err);
  assert.equal(fs.existsSync(entry), false);
});

test('a unit from the keyrx package (the .deb) is used, not copied', (t) => {
  const root = fakeRoot(ALL_TOOLS);
  t.after(() => fs.rmSync(root, { recursive: true, force: true }));
  fs.mkdirSync(path.join(root, 'usr/lib/systemd/user'), { recursive: true });
  fs.writeFileSync(
    path.join(root, 'usr/lib/systemd/user/keyrx.service'),
    '[Service]\nExecStart=/usr/bin/keyrx daemon\n',
  );
  fs.mkdirSync(path.join(root, 'usr/lib/udev/rules.d'), { recursive: true });
  fs.writeFileSync(path.join(root, 'usr/lib/udev/rules.d/99-keyrx.rules'), RULES);
  const r = keyrx(root, ['install', '--yes']);
  assert.equal(r.code, 0, r.out + r.err);
  assert.match(
    r.out,
    /already done: installed by the keyrx package: \/usr\/lib\/udev\/rules.d\/99-keyrx.rules/,
  );
  assert.equal(fs.existsSync(path.join(root, UNIT)), false);
  assert.equal(fs.existsSync(path.join(root, 'etc/udev/rules.d/99-keyrx.rules')), false);
  assert.ok(changes(root).includes('systemctl --user enable --now keyrx.service'));
});

test('refuses to run under sudo: the service belongs to the user', { skip: !isRoot && 'needs root' }, () => {
  const root = fakeRoot(ALL_TOOLS);
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, KEYRX_INSTALL_ROOT: root, SUDO_USER: 'alice' };
    delete env.KEYRX_INSTALL_USER;
    const r = spawnSync(NODE, [...cliEntry(), 'install', '--yes'], {
      cwd: ROOT,
      env,
      encoding: 'utf8',
    });
    assert.equal(r.status, 2, r.stdout + r.stderr);
    assert.match(r.stderr, /run `keyrx install` as alice, without sudo/);
    assert.deepEqual(changes(root), []);
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
