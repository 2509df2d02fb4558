/**
 * End-to-end test of the web UI in a real browser: Debian's chromium driven by playwright-core,
 * against a real daemon on a temp config dir. Run with `npm run test:e2e` (builds the UI first).
 * Screenshots of each page go to test/e2e/artifacts/.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { chromium } from 'playwright-core';
import type { DaemonProcess } from '../support/daemon-process.ts';
import { ROOT, spawnDaemon } from '../support/daemon-process.ts';

const ARTIFACTS = join(ROOT, 'test/e2e/artifacts');
const CHROMIUM =
  process.env.KEYRX_CHROMIUM ?? ['/usr/bin/chromium', '/usr/lib/chromium/chromium'].find(existsSync);

let daemon: DaemonProcess;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let dir: string;
const consoleErrors: string[] = [];
/** Failed requests a test causes on purpose (URL → how many): the browser logs them as errors. */
const expectedFailures = new Map<string, number>();

async function shot(name: string, p: Page = page): Promise<void> {
  await p.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Replaces the editor's whole text the way a paste does (no auto-closed brackets). */
async function setEditorText(text: string): Promise<void> {
  await page.locator('.cm-content').click();
  await page.keyboard.press('Control+A');
  await page.keyboard.insertText(text);
}

before(async () => {
  assert.ok(CHROMIUM, 'chromium is not installed: apt-get install -y chromium (or set KEYRX_CHROMIUM)');
  assert.ok(existsSync(join(ROOT, 'dist/ui/index.html')), 'the UI is not built: npm run build:ui');
  mkdirSync(ARTIFACTS, { recursive: true });
  dir = mkdtempSync(join(tmpdir(), 'keyrx-e2e-'));
  daemon = await spawnDaemon({ dir });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  context = await browser.newContext({ viewport: { width: 1400, height: 900 }, colorScheme: 'light' });
  page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    const url = m.location().url;
    const expected = expectedFailures.get(url) ?? 0;
    if (m.text().startsWith('Failed to load resource') && expected > 0)
      expectedFailures.set(url, expected - 1);
    else consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
});

after(async () => {
  await browser?.close();
  await daemon?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('without a session the UI explains how to log in', async () => {
  await page.goto(daemon.url);
  await page.getByRole('heading', { name: 'Log in to keyrx' }).waitFor();
  await shot('login');
});

test('the one-time login link starts a session and shows the profiles', async () => {
  const loginUrl = /one-time login link[^\n]*?(http:\/\/\S+)/.exec(daemon.stdout())?.[1];
  assert.ok(loginUrl, `no login URL in the daemon's output:\n${daemon.stdout()}`);
  await page.goto(loginUrl);
  await page.waitForURL(`${daemon.url}/`);
  const row = page.locator('[data-testid=profile-row][data-profile=default]');
  await row.waitFor();
  assert.match(await row.innerText(), /active/);
  // a used code does not work twice
  const again = await fetch(loginUrl, { redirect: 'manual' });
  assert.equal(again.status, 401);
});

test('create a profile from a template; it opens in the editor', async () => {
  await page.getByRole('button', { name: 'New profile' }).click();
  const dialog = page.getByRole('dialog', { name: 'New profile' });
  const create = dialog.getByRole('button', { name: 'Create' });
  // the name is checked as it is typed, before anything is sent
  await dialog.getByLabel('Name').fill('e2e profile');
  await dialog.getByTestId('name-problem').filter({ hasText: 'No spaces' }).waitFor();
  assert.equal(await create.isDisabled(), true);
  await dialog.getByLabel('Name').fill('Com3');
  await dialog.getByTestId('name-problem').filter({ hasText: 'COM3 is a reserved device name' }).waitFor();
  assert.equal(await create.isDisabled(), true);
  await dialog.getByLabel('Name').fill('e2e');
  await dialog.getByTestId('name-problem').waitFor({ state: 'detached' });
  await dialog.getByLabel('Start from').selectOption('blank');
  await create.click();
  await page.waitForURL(`${daemon.url}/profiles/e2e`);
  await page.locator('.cm-content').waitFor();
});

const BROKEN = [
  '// e2e profile',
  'device_start("*");',
  '    map("Nope", "VK_B");',
  '    tap_hold("CapsLock", "VK_Escape", "MD_00", 200);',
  'device_end();',
].join('\n');

const FIXED = [
  '// e2e profile',
  'device_start("*");',
  '    map("A", "VK_B");',
  '    tap_hold("CapsLock", "VK_Escape", "MD_00", 200);',
  '    when_start("MD_00");',
  '        map("H", "VK_Left");',
  '    when_end();',
  'device_end();',
].join('\n');

test('a typed mistake is diagnosed at its line while typing; the fix clears it', async () => {
  await setEditorText(BROKEN);
  const first = page.locator('[data-testid=diagnostics] li').first();
  await first.waitFor();
  const text = await first.innerText();
  assert.match(text, /^3:\d+/, text);
  assert.match(text, /Unknown key name: 'Nope'/);
  await shot('editor-diagnostic');
  // saving it anyway: the daemon refuses (400, which the browser logs), and the toast says so in the UI's words
  expectedFailures.set(`${daemon.url}/api/profiles/e2e`, 1);
  await page.getByRole('button', { name: 'Save', exact: true }).click();
  await page.getByTestId('toast').filter({ hasText: 'Not saved: “e2e” has 1 error.' }).waitFor();
  await setEditorText(FIXED);
  await page.locator('[data-testid=diagnostics] li').first().waitFor({ state: 'detached' });
});

test('save and activate makes it the active profile, and its success replaces the earlier error', async () => {
  await page.getByRole('button', { name: 'Save & activate' }).click();
  await page.locator('.active-profile', { hasText: 'e2e' }).waitFor();
  await page.getByTestId('toast').filter({ hasText: 'Activated “e2e”' }).waitFor();
  const toasts = await page.getByTestId('toast').allInnerTexts();
  assert.equal(toasts.length, 1, `one toast for the save action, not ${JSON.stringify(toasts)}`);
  assert.doesNotMatch(toasts[0], /Not saved|\(s\)/);
  const active = await daemon.api('GET', '/api/profiles/active');
  assert.equal(active.json.name, 'e2e');
  const saved = await daemon.api('GET', '/api/profiles/e2e');
  assert.equal(saved.json.source, FIXED);
  await shot('editor');
});

test('keys injected through the API appear in the Monitor', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Monitor' }).click();
  await page.locator('[data-testid=monitor-connection]', { hasText: 'live' }).waitFor();
  const r = await daemon.api('POST', '/api/inject', { events: 'd:A u:A d:H u:H' });
  assert.equal(r.status, 200);
  const rows = page.locator('[data-testid=monitor-row]');
  await rows.filter({ hasText: 'A' }).first().waitFor();
  const all = await page.locator('[data-testid=monitor-events]').innerText();
  assert.match(all, /B/, 'the A row shows its output B');
  // the API's own names, explained in the tooltip
  const aRow = rows.filter({ has: page.locator('kbd', { hasText: /^A$/ }) }).first();
  const mapping = aRow.locator('td').nth(4);
  assert.equal(await mapping.innerText(), 'simple');
  assert.match((await mapping.getAttribute('title')) ?? '', /map\(\)/);
  // three seconds of typing, so the latency chart and figures have data for the screenshot
  for (let i = 0; i < 12; i++) {
    await daemon.api('POST', '/api/inject', { events: 'd:A u:A d:CapsLock t:30 u:CapsLock d:H u:H' });
    await page.waitForTimeout(250);
  }
  await shot('monitor');
  // typing stopped: the daemon sends an empty window, and the cards keep the last figures, labelled
  const p50 = page.getByTestId('monitor-stat-p50');
  await p50.locator('.monitor-stat-hint', { hasText: /^last window with keys, \d\d:\d\d:\d\d$/ }).waitFor();
  assert.match(await p50.locator('.monitor-stat-value').innerText(), /^[\d,]+ µs$/);
  assert.match(
    await page.getByTestId('monitor-stat-p99').locator('.monitor-stat-value').innerText(),
    /^[\d,]+ µs$/,
  );
  // a page opened now sees no window at all: the since-start figures of GET /api/metrics
  await page.reload();
  await p50.locator('.monitor-stat-hint', { hasText: 'since the daemon started' }).waitFor();
  const metrics = await daemon.api('GET', '/api/metrics');
  assert.ok(metrics.json.latencyUs.count > 0);
  assert.equal(
    await p50.locator('.monitor-stat-value').innerText(),
    `${metrics.json.latencyUs.p50.toLocaleString('en-US')} µs`,
  );
});

test("the Monitor's macro recorder: Record, keys typed, Stop shows the steps, Save as macro writes the key", async () => {
  const card = page.getByTestId('macro-recorder');
  await card.getByRole('button', { name: 'Record a macro' }).click();
  await card.getByText(/^Recording: 0 key events so far/).waitFor();
  await daemon.api('POST', '/api/inject?instant=true', { events: 'd:A u:A d:X u:X' });
  await card.getByRole('button', { name: 'Stop recording' }).click();
  await card.getByText('4 key events recorded.').waitFor();
  // the active profile maps A to B: the steps are what it typed
  assert.equal(await card.getByTestId('recorded-steps').innerText(), 'tap:VK_B tap:VK_X');
  assert.equal(await card.getByLabel('Profile to save into').inputValue(), 'e2e');
  await card.getByLabel('Key that types it').fill('F6');
  await card.getByRole('button', { name: 'Save as macro' }).click();
  await page.getByTestId('toast').filter({ hasText: 'Saved: F6 types the recording in e2e' }).waitFor();
  assert.match(
    (await daemon.api('GET', '/api/profiles/e2e')).json.source,
    /macro\("F6", \[tap\("VK_B"\), tap\("VK_X"\)\]\);/,
  );
  // started from elsewhere (the CLI): the card follows the stream
  await daemon.api('POST', '/api/recording/start');
  await card.getByRole('button', { name: 'Stop recording' }).waitFor();
  await daemon.api('POST', '/api/recording/stop');
  await daemon.api('DELETE', '/api/recording');
  await card.getByRole('button', { name: 'Record a macro' }).waitFor();
});

test('the simulator tells tap from hold by real timing', async () => {
  await page.goto(`${daemon.url}/simulator?profile=e2e`);
  const capture = page.locator('[data-testid=sim-capture]');
  await capture.waitFor();
  await capture.click();
  // a quick tap: Escape
  await page.keyboard.down('CapsLock');
  await page.waitForTimeout(40);
  await page.keyboard.up('CapsLock');
  const timeline = page.locator('[data-testid=sim-timeline]');
  await timeline.getByText('tap', { exact: true }).first().waitFor();
  // the API's names: tapHold, as /api/simulate and the key events say
  assert.equal(await timeline.locator('tr[data-decision=tap] .sim-mapping').first().innerText(), 'tapHold');
  // held past the 200 ms threshold with no other key: the timer decides hold
  await page.keyboard.down('CapsLock');
  await timeline.getByText('hold', { exact: true }).first().waitFor();
  await page.keyboard.press('KeyH');
  await page.keyboard.up('CapsLock');
  await shot('simulator');
});

test('devices: the virtual device can be renamed', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Devices' }).click();
  const row = page.locator('[data-testid=device-row]').first();
  await row.waitFor();
  const name = row.getByRole('textbox');
  await name.fill('laptop');
  await name.press('Enter');
  await page.getByTestId('toast').filter({ hasText: 'Renamed to laptop' }).waitFor();
  const devices = await daemon.api('GET', '/api/devices');
  assert.equal(devices.json.devices[0].name, 'laptop');
  await shot('devices');
});

test('devices: search and sort, and Forget puts a device back to its defaults', async () => {
  await daemon.api('POST', '/api/inject?instant=true', { events: 'dev:desk-board d:X u:X' });
  const rows = page.locator('[data-testid=device-row]');
  await rows.nth(1).waitFor();
  const search = page.getByRole('searchbox', { name: 'Search devices' });
  await search.fill('desk');
  await page.waitForFunction("document.querySelectorAll('[data-testid=device-row]').length === 1");
  assert.match(await rows.first().innerText(), /desk-board/);
  await search.fill('zzz');
  await page.getByRole('status').filter({ hasText: 'No device matches “zzz”.' }).waitFor();
  await search.fill('');
  await page.getByLabel('Sort by').selectOption('name');
  await page.waitForFunction("document.querySelectorAll('[data-testid=device-row]').length === 2");
  // by name: desk-board before laptop (the renamed virtual device)
  assert.equal(await rows.first().getByRole('textbox').inputValue(), 'desk-board');
  // nothing saved for the new one: nothing to forget
  assert.equal(await rows.first().getByRole('button', { name: 'Forget…' }).isDisabled(), true);
  const laptop = rows.nth(1);
  await laptop.getByRole('button', { name: 'Forget…' }).click();
  await laptop.getByRole('group', { name: 'Forget laptop?' }).getByRole('button', { name: 'Forget' }).click();
  await page.getByTestId('toast').filter({ hasText: 'Forgot the settings of laptop' }).waitFor();
  const devices = await daemon.api('GET', '/api/devices');
  assert.equal(devices.json.devices.find((d: { id: string }) => d.id === 'virtual').name, 'virtual');
});

test('the header switch suspends remapping on the daemon, and follows a resume made elsewhere', async () => {
  const toggle = page.getByRole('switch', { name: 'Remapping' });
  assert.equal(await toggle.getAttribute('aria-checked'), 'true');
  await toggle.click();
  await page
    .getByTestId('toast')
    .filter({ hasText: 'Suspended: every key passes through untouched' })
    .waitFor();
  await page.locator('[data-testid=suspend-switch][aria-checked=false]', { hasText: 'Suspended' }).waitFor();
  assert.deepEqual((await daemon.api('GET', '/api/suspend')).json, { suspended: true });
  // the daemon lets A through as A now
  await daemon.api('POST', '/api/inject?instant=true', { events: 'd:A u:A' });
  const out = await daemon.api('GET', '/api/output?limit=2');
  assert.deepEqual(
    out.json.events.map((e: { key: string }) => e.key),
    ['A', 'A'],
  );
  await shot('suspended');
  // resumed by someone else (the CLI, the tray): the stream's suspend event flips the switch back
  await daemon.api('POST', '/api/resume');
  await page.locator('[data-testid=suspend-switch][aria-checked=true]', { hasText: 'Remapping' }).waitFor();
});

test('profiles: Export downloads a bundle; Import… brings it back under another name', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Profiles' }).click();
  const row = page.locator('[data-testid=profile-row][data-profile=e2e]');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    row.getByRole('button', { name: 'Export e2e' }).click(),
  ]);
  assert.equal(download.suggestedFilename(), 'e2e.keyrx.json');
  const saved = join(dir, 'e2e.keyrx.json');
  await download.saveAs(saved);
  const bundle = JSON.parse(readFileSync(saved, 'utf8'));
  assert.equal(bundle.kind, 'keyrx-profile-bundle');
  assert.equal(bundle.source, (await daemon.api('GET', '/api/profiles/e2e')).json.source);

  await page.getByTestId('import-file').setInputFiles(saved);
  const dialog = page.getByRole('dialog', { name: 'Import e2e.keyrx.json' });
  const name = dialog.getByLabel('Profile name');
  assert.equal(await name.inputValue(), 'e2e');
  await name.fill('e2e-imported');
  await dialog.getByRole('button', { name: 'Import' }).click();
  await page.getByTestId('toast').filter({ hasText: 'Imported e2e-imported' }).waitFor();
  await page.locator('[data-testid=profile-row][data-profile=e2e-imported]').waitFor();
  assert.equal((await daemon.api('GET', '/api/profiles/e2e-imported')).json.source, bundle.source);
  // the same name again: the daemon's refusal (a 409 the browser logs) shows in the dialog, which stays open
  expectedFailures.set(`${daemon.url}/api/profiles/import`, 1);
  await page.getByTestId('import-file').setInputFiles(saved);
  const again = page.getByRole('dialog', { name: 'Import e2e.keyrx.json' });
  await again.getByRole('button', { name: 'Import' }).click();
  await again.getByRole('alert').filter({ hasText: "a profile named 'e2e' already exists" }).waitFor();
  await again.getByRole('button', { name: 'Cancel' }).click();
});

test('settings: common ones first, internals under Advanced; invalid values are caught before saving', async () => {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  // what users change comes first; the internals wait under a collapsed Advanced
  const labels = page.locator('.settings-form label.label');
  await labels.first().waitFor();
  assert.equal(await labels.first().innerText(), 'Emergency exit chord');
  const field = page.getByLabel('Latency interval (ms)');
  assert.equal(await field.isVisible(), false);
  await page.getByTestId('settings-advanced').locator('summary').click();
  await field.fill('5');
  await page.getByText('at least 100').waitFor();
  assert.equal(await page.getByRole('button', { name: 'Save settings' }).isDisabled(), true);
  await field.fill('500');
  await page.getByRole('button', { name: 'Save settings' }).click();
  await page.getByTestId('toast').filter({ hasText: 'Saved latencyIntervalMs' }).waitFor();
  const settings = await daemon.api('GET', '/api/settings');
  assert.equal(settings.json.latencyIntervalMs, 500);
  await shot('settings');
});

test('a reload of a deep link works, and ?line= puts the cursor on that line', async () => {
  await page.goto(`${daemon.url}/profiles/e2e?line=6&column=9`);
  await page.locator('.cm-content').waitFor();
  assert.match(await page.locator('.cm-content').innerText(), /map\("A", "VK_B"\)/);
  await page.locator('.cm-activeLine', { hasText: 'map("H", "VK_Left")' }).waitFor();
});

test('Alt+click on a key of the keyboard view jumps to the line that maps it', async () => {
  await page.getByRole('tab', { name: 'Keyboard' }).click();
  // (a plain click opens the key's mapping dialog: the next tests)
  await page
    .locator('[data-key=CapsLock]')
    .first()
    .click({ modifiers: ['Alt'] });
  await page.locator('.cm-activeLine', { hasText: 'tap_hold("CapsLock"' }).waitFor();
  assert.equal(await page.getByTestId('mapping-dialog').count(), 0);
});

// ------------------------------------------------------------------ editing without code

const keyboard = () => page.getByTestId('keyboard-view');
const mappingDialog = () => page.getByTestId('mapping-dialog');
const editorText = () =>
  page.evaluate<string>(
    "[...document.querySelectorAll('.cm-content .cm-line')].map((l) => l.textContent).join('\\n')",
  );

/** Opens a key's mapping dialog with a click on the keyboard view. */
async function editKey(key: string): Promise<Locator> {
  await keyboard().locator(`[data-key=${key}]`).first().click();
  const dialog = mappingDialog();
  await dialog.getByRole('heading', { name: `Key ${key}` }).waitFor();
  return dialog;
}

async function saveDialog(dialog: Locator): Promise<void> {
  await dialog.getByRole('button', { name: /^Save/ }).click();
  await dialog.waitFor({ state: 'detached' });
}

test('edit without code: a remap, a tap-hold and a layer made in dialogs show in the source', async () => {
  await page.goto(`${daemon.url}/profiles/e2e`);
  await page.getByRole('tab', { name: 'Keyboard' }).click();

  // 1. Q types W: W found in the key palette's search
  let dialog = await editKey('Q');
  assert.equal(await dialog.getByTestId('mapping-now').innerText(), 'Not mapped: the key types itself.');
  await dialog.getByRole('button', { name: 'Choose types' }).click();
  await dialog.getByRole('button', { name: 'Add Escape to favourites' }).first().click();
  await dialog.getByRole('list', { name: 'Favourites' }).waitFor();
  await shot('edit-key-palette');
  const search = dialog.getByRole('searchbox', { name: 'Search keys' });
  await search.fill('W');
  await search.press('Enter');
  assert.equal(await dialog.getByLabel('Types', { exact: true }).inputValue(), 'W');
  await saveDialog(dialog);
  await page.locator('.cm-line', { hasText: 'map("Q", "VK_W");' }).waitFor();
  await page.getByTestId('save-state').filter({ hasText: 'Unsaved changes' }).waitFor();
  await keyboard().locator('[data-key=Q][data-state=mapped]').waitFor();

  // 2. Tab: tapped, Tab; held, a new layer MD_01 named Nav
  dialog = await editKey('Tab');
  await dialog.getByLabel('What it does').selectOption('tapHold');
  await dialog.getByLabel('Tap', { exact: true }).fill('Tab');
  await dialog.getByLabel('Hold layer').selectOption({ label: 'New layer…' });
  assert.equal(await dialog.getByLabel('New layer id').inputValue(), 'MD_01');
  await dialog.getByLabel('New layer name').fill('Nav');
  await dialog.getByLabel('Threshold', { exact: true }).fill('180');
  await dialog.getByText('Options').click();
  await dialog.getByLabel('Mode').selectOption('hold_on_press');
  await shot('edit-mapping-dialog');
  await saveDialog(dialog);
  await page
    .locator('.cm-line', { hasText: 'tap_hold("Tab", "VK_Tab", "MD_01", 180, #{ mode: "hold_on_press" });' })
    .waitFor();
  await page.locator('.cm-line', { hasText: 'layer_name("MD_01", "Nav");' }).waitFor();

  // 3. the new layer is in the layer selector, empty; J in it types Down, by pressing the key meant
  // (the label holds the select, so its accessible name has the chosen option's text too)
  const layerSelect = keyboard()
    .locator('label', { hasText: /^Layer/ })
    .locator('select');
  await layerSelect.selectOption('MD_01');
  assert.match(await layerSelect.locator('option:checked').innerText(), /^MD_01 “Nav” · 0 keys$/);
  dialog = await editKey('J');
  assert.match(await dialog.locator('.edit-dialog-sub').innerText(), /in MD_01 \(Nav\)/);
  await dialog.getByRole('button', { name: 'Choose types' }).click();
  await dialog.getByRole('button', { name: 'Press the key you mean' }).click();
  await page.keyboard.press('ArrowDown');
  assert.equal(await dialog.getByLabel('Types', { exact: true }).inputValue(), 'Down');
  await saveDialog(dialog);
  await page.locator('.cm-line', { hasText: 'when_start("MD_01");' }).waitFor();
  await page.locator('.cm-line', { hasText: 'map("J", "VK_Down");' }).waitFor();
  await keyboard().locator('[data-key=J][data-state=mapped]').waitFor();

  // 4. Add layer… from the layer selector, then Ctrl+Z in the editor takes it back in one step
  await keyboard().getByRole('button', { name: 'Add layer…' }).click();
  const layerDialog = page.getByTestId('layer-dialog');
  assert.equal(await layerDialog.getByLabel('Layer id').inputValue(), 'MD_02');
  await layerDialog.getByLabel('Layer name').fill('Symbols');
  await layerDialog.getByRole('button', { name: 'Add layer' }).click();
  await page.locator('.cm-line', { hasText: 'layer_name("MD_02", "Symbols");' }).waitFor();
  const withSymbols = await editorText();
  await page.locator('.cm-content').focus();
  await page.keyboard.press('Control+z');
  await page.locator('.cm-line', { hasText: 'layer_name("MD_02"' }).waitFor({ state: 'detached' });
  assert.equal(await editorText(), withSymbols.replace('layer_name("MD_02", "Symbols");\n', ''));

  // 5. the Changes view: the saved text against the editor's
  await page.getByRole('button', { name: 'Changes' }).click();
  const changes = page.getByTestId('changes-dialog');
  await changes.getByTestId('diff-view').locator('.cm-changedLine').first().waitFor();
  assert.match(await changes.getByTestId('diff-counts').innerText(), /^−\d+ \+\d+ lines$/);
  await shot('edit-changes');
  await changes.getByRole('radio', { name: 'side by side' }).check();
  await changes.locator('.cm-mergeView').waitFor();
  await changes.getByRole('button', { name: 'Close' }).click();
});

test('saved and activated, the edits work in the simulator', async () => {
  await page.getByRole('button', { name: 'Save & activate' }).click();
  await page.getByTestId('toast').filter({ hasText: 'Activated “e2e”' }).waitFor();
  const saved = (await daemon.api('GET', '/api/profiles/e2e')).json.source as string;
  assert.equal(saved, (await editorText()) + (saved.endsWith('\n') ? '\n' : ''));
  assert.match(saved, /^layer_name\("MD_01", "Nav"\);$/m);
  assert.match(saved, /^ {4}map\("Q", "VK_W"\);$/m);
  await shot('editor');
  await page.goto(`${daemon.url}/simulator?profile=e2e`);
  await page.getByRole('tab', { name: 'Script' }).click();
  // Q types W; Tab tapped is Tab; Tab held with J pressed (hold on press) is the Nav layer: Down
  await page
    .getByLabel('Script', { exact: true })
    .fill('d:Q u:Q t:20 d:Tab u:Tab t:20 d:Tab t:20 d:J u:J u:Tab');
  await page.getByRole('button', { name: 'Run' }).click();
  const output = page.locator('[data-testid=sim-script-output]');
  await output.waitFor();
  assert.equal(await output.innerText(), 'd:W u:W t:20 d:Tab u:Tab t:40 d:Down u:Down');
  // the daemon runs them too: keys injected into the active profile
  const sim = await daemon.api('POST', '/api/simulate', { profile: 'e2e', events: 'd:Q u:Q' });
  assert.equal(sim.status, 200, JSON.stringify(sim.json));
  assert.match(JSON.stringify(sim.json.output), /W/);
});

test('auto-save: a dialog edit is saved at once, and the notice’s Undo saves the text before', async () => {
  await page.goto(`${daemon.url}/profiles/e2e`);
  await page.getByRole('tab', { name: 'Keyboard' }).click();
  const before = (await daemon.api('GET', '/api/profiles/e2e')).json.source as string;
  await page.getByRole('checkbox', { name: 'Auto-save edits' }).check();
  const dialog = await editKey('Q');
  await dialog.getByLabel('Types', { exact: true }).fill('E');
  await saveDialog(dialog);
  const notice = page.getByTestId('edit-notice');
  await notice.filter({ hasText: 'Saved.' }).waitFor();
  assert.match((await daemon.api('GET', '/api/profiles/e2e')).json.source, /map\("Q", "VK_E"\);/);
  await page.getByTestId('save-state').filter({ hasText: 'Saved' }).waitFor();
  await notice.getByRole('button', { name: 'Undo' }).click();
  await notice.filter({ hasText: 'Undone' }).filter({ hasText: 'Saved.' }).waitFor();
  assert.equal((await daemon.api('GET', '/api/profiles/e2e')).json.source, before);
  await page.getByRole('checkbox', { name: 'Auto-save edits' }).uncheck();
});

test('editing the source by hand: the keyboard view follows', async () => {
  const saved = (await daemon.api('GET', '/api/profiles/e2e')).json.source as string;
  await setEditorText(saved.replace('map("Q", "VK_W");', 'map("Q", "VK_Z");'));
  // the key's label follows the text: Z
  await keyboard().locator('[data-key=Q][title^="Q → Z"]').first().waitFor();
  // and the dialog reads the editor's text, not the saved one
  const dialog = await editKey('Q');
  assert.match(await dialog.getByTestId('mapping-now').innerText(), /^Now: Q → Z/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  // put the saved text back, so leaving the page asks nothing
  await setEditorText(saved);
  await page.getByTestId('save-state').filter({ hasText: 'Saved' }).waitFor();
});

test('a profile with the features beyond KeyRx: combos and overrides on the keyboard, simulated in the page', async () => {
  const source = readFileSync(join(ROOT, 'examples/23-beyond-keyrx.rhai'), 'utf8');
  const created = await daemon.api('POST', '/api/profiles', { name: 'beyond', source });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  await page.goto(`${daemon.url}/profiles/beyond`);
  await page.getByRole('tab', { name: 'Keyboard' }).click();
  const combos = page.locator('[data-testid=keyboard-combos]');
  await combos.waitFor();
  assert.match(await combos.innerText(), /J\s*\+\s*K[\s\S]*Escape/);
  await page.locator('[data-testid=override-mark]').first().waitFor();
  await shot('keyboard-beyond-keyrx');
  // clicking the combo jumps to its line
  await page.locator('[data-testid=combo-item]').first().click();
  await page.locator('.cm-activeLine', { hasText: 'combo(["J", "K"]' }).waitFor();
  // the simulator runs the combo and the tap dance in the page
  await page.goto(`${daemon.url}/simulator?profile=beyond`);
  await page.getByRole('tab', { name: 'Script' }).click();
  await page.getByLabel('Script', { exact: true }).fill('d:J t:10 d:K t:40 u:K u:J d:Q u:Q t:40 d:Q u:Q');
  await page.getByRole('button', { name: 'Run' }).click();
  const output = page.locator('[data-testid=sim-script-output]');
  await output.waitFor();
  assert.equal(await output.innerText(), 't:10 d:Escape t:40 u:Escape t:40 d:Escape u:Escape');
  await shot('simulator-beyond-keyrx');
});

test('at 360 px wide nothing overflows, and the dark theme renders', async () => {
  const small = await context.newPage();
  await small.setViewportSize({ width: 360, height: 740 });
  await small.emulateMedia({ colorScheme: 'dark' });
  for (const path of ['/', '/profiles/e2e', '/monitor', '/devices', '/settings', '/simulator?profile=e2e']) {
    await small.goto(`${daemon.url}${path}`);
    await small.locator('main').waitFor();
    await small.waitForTimeout(300);
    const overflow = await small.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
    assert.ok(overflow <= 0, `${path} overflows by ${overflow}px at 360 px`);
  }
  await small.goto(`${daemon.url}/`);
  await small.locator('[data-testid=profile-row]').first().waitFor();
  await shot('profiles-mobile-dark', small);
  await small.close();

  // the login page, without a session: this daemon's address and token file, and no overflow
  const anonymous = await browser.newContext({ viewport: { width: 360, height: 740 }, colorScheme: 'dark' });
  const login = await anonymous.newPage();
  login.on('console', (m) => {
    if (m.type() === 'error') consoleErrors.push(`login page: ${m.text()}`);
  });
  await login.goto(`${daemon.url}/`);
  await login.getByRole('heading', { name: 'Log in to keyrx' }).waitFor();
  const overflow = await login.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
  assert.ok(overflow <= 0, `the login page overflows by ${overflow}px at 360 px`);
  assert.ok(
    (await login.getByTestId('login-link-example').innerText()).includes(`${daemon.url}/login?code=`),
  );
  const session = await daemon.api('GET', '/api/session');
  assert.ok(session.json.tokenFile.startsWith(dir), session.json.tokenFile);
  assert.ok((await login.getByTestId('login-token-hint').innerText()).includes(session.json.tokenFile));
  await shot('login-mobile-dark', login);
  await anonymous.close();
  await page.goto(`${daemon.url}/`);
  await page.locator('[data-testid=profile-row]').first().waitFor();
  await shot('profiles');
});

test('a used login link while logged in opens the UI; Log out ends the session on the daemon', async () => {
  const loginUrl = /one-time login link[^\n]*?(http:\/\/\S+)/.exec(daemon.stdout())![1];
  await page.goto(loginUrl);
  await page.waitForURL(`${daemon.url}/`);
  await page.locator('[data-testid=profile-row]').first().waitFor();
  const [cookie] = await context.cookies(daemon.url);
  assert.equal(cookie.name, `keyrx_session_${new URL(daemon.url).port}`);
  assert.equal(cookie.httpOnly, true);
  assert.equal(cookie.sameSite, 'Strict');
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in to keyrx' }).waitFor();
  // the old cookie is dead on the daemon too, not only forgotten by the browser
  const stale = await fetch(`${daemon.url}/api/status`, {
    headers: { cookie: `${cookie.name}=${cookie.value}` },
  });
  assert.equal(stale.status, 401);
  await page.reload();
  await page.getByRole('heading', { name: 'Log in to keyrx' }).waitFor();
  // log in again for anything after this test
  const fresh = (await daemon.api('POST', '/api/login-url')).json.url as string;
  await page.goto(fresh);
  await page.locator('[data-testid=profile-row]').first().waitFor();
});

test('no console errors on any page', () => {
  assert.deepEqual(consoleErrors, []);
});
