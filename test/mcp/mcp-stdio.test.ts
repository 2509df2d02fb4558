/**
 * `keyrx mcp` (stdio) as an AI agent uses it: a real daemon on a temp config dir, the real
 * `keyrx mcp` process started by the MCP SDK's own Client (StdioClientTransport), and every tool
 * called through the protocol. What a tool changed is checked through REST, not through MCP.
 * Also: stdout carries only the protocol, the process ends when stdin does, and refusals (an
 * unknown key, a key mapped by a loop, a source that does not compile, hostile names, oversized
 * input) come back as tool errors with nothing saved.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { DaemonProcess } from '../support/daemon-process.ts';
import { cleanEnv, cliEntry, daemonScope, ROOT } from '../support/daemon-process.ts';
import { HANG_MS } from '../support/wait.ts';

type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any

const SOURCE = `// edited by an agent
device_start("*");
  map("A", "VK_B");   // stays commented
  tap_hold("CapsLock", "VK_Escape", "MD_00", 200);
  when_start("MD_00");
    map("H", "VK_Left");
  when_end();
  for k in ["F1", "F2"] { map(k, "VK_Mute"); }
device_end();
`;

const TOOLS = [
  'activate_profile',
  'compile_source',
  'create_layer',
  'create_profile',
  'delete_key_mapping',
  'explain_key',
  'get_profile',
  'get_status',
  'list_layers',
  'list_profiles',
  'rename_layer',
  'set_key_mapping',
  'set_tap_hold',
  'simulate',
  'update_profile_source',
  'validate_profile',
];

const scope = daemonScope();
let d: DaemonProcess;
let client: Client;
let stderr = '';

function mcpArgs(): string[] {
  return [...cliEntry(), 'mcp', '--config-dir', d.dir, '--url', d.url];
}

function childEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(cleanEnv())) if (v !== undefined) env[k] = v;
  return env;
}

before(async () => {
  d = await scope.startDaemon(scope.tempDir('keyrx-mcp-stdio-'));
  const created = await d.api('POST', '/api/profiles', { name: 'work', source: SOURCE });
  assert.equal(created.status, 201, JSON.stringify(created.json));
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: mcpArgs(),
    cwd: ROOT,
    env: childEnv(),
    stderr: 'pipe',
  });
  transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  client = new Client({ name: 'keyrx-test', version: '1.0.0' });
  await client.connect(transport);
});

after(async () => {
  await client?.close();
});

async function call(name: string, args: Json = {}): Promise<{ isError: boolean; text: string; data: Json }> {
  const r = (await client.callTool({ name, arguments: args })) as CallToolResult;
  const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('\n');
  return { isError: r.isError === true, text, data: r.structuredContent };
}

/** A successful tool call's structured result (the text is the same JSON). */
async function ok(name: string, args: Json = {}): Promise<Json> {
  const r = await call(name, args);
  assert.equal(r.isError, false, `${name}: ${r.text}`);
  assert.deepEqual(JSON.parse(r.text), r.data);
  return r.data;
}

/** A refused tool call: its text, which must match `message`. */
async function refused(name: string, args: Json, message: RegExp): Promise<string> {
  const r = await call(name, args);
  assert.equal(r.isError, true, `${name} should be refused: ${r.text.slice(0, 300)}`);
  assert.match(r.text, message);
  return r.text;
}

async function stored(name = 'work'): Promise<string> {
  const r = await d.api('GET', `/api/profiles/${name}`);
  assert.equal(r.status, 200);
  return r.json.source;
}

describe('the tools', () => {
  test('tools/list: every tool, each with a description, an object input schema and annotations', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
    for (const t of tools) {
      assert.ok((t.description ?? '').length > 40, `${t.name}: ${t.description}`);
      assert.equal(t.inputSchema.type, 'object', t.name);
      assert.equal(typeof t.annotations?.readOnlyHint, 'boolean', t.name);
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of ['list_profiles', 'get_profile', 'explain_key', 'simulate', 'validate_profile'])
      assert.equal(byName.get(name)?.annotations?.readOnlyHint, true, name);
    for (const name of ['set_key_mapping', 'update_profile_source', 'delete_key_mapping'])
      assert.equal(byName.get(name)?.annotations?.readOnlyHint, false, name);
    const props = byName.get('set_key_mapping')!.inputSchema.properties as Json;
    assert.deepEqual(Object.keys(props).sort(), [
      'alt',
      'block',
      'ctrl',
      'key',
      'layer',
      'mapping',
      'override',
      'profile',
      'shift',
      'target',
      'win',
    ]);
    assert.deepEqual(byName.get('set_key_mapping')!.inputSchema.required, ['profile', 'key']);
  });

  test('the server names itself and tells the agent how keyrx works', () => {
    assert.equal(client.getServerVersion()?.name, 'keyrx');
    assert.match(client.getInstructions() ?? '', /tap_hold\(/);
  });

  test('list_profiles, get_status and get_profile read what REST reads', async () => {
    const list = await ok('list_profiles');
    assert.equal(list.active, 'default');
    assert.deepEqual(list.profiles.map((p: Json) => p.name).sort(), ['default', 'work']);
    const status = await ok('get_status');
    assert.equal(status.status.activeProfile, 'default');
    assert.equal(status.status.backend, 'virtual');
    assert.ok(Array.isArray(status.devices));
    const p = await ok('get_profile', { profile: 'work' });
    assert.equal(p.source, SOURCE);
    assert.equal(p.name, 'work');
    assert.equal(p.active, false);
    assert.equal(p.devices, 1);
    assert.deepEqual(p.diagnostics, []);
  });

  test('explain_key: a key in the base layer, in a layer, and a key that is not mapped', async () => {
    assert.deepEqual((await ok('explain_key', { profile: 'work', key: 'A' })).mapping, {
      kind: 'simple',
      from: 'A',
      to: 'B',
    });
    const h = await ok('explain_key', { profile: 'work', key: 'VK_H', layer: 'MD_00' });
    assert.equal(h.key, 'H');
    assert.equal(h.description.detail, 'H → Left');
    assert.equal((await ok('explain_key', { profile: 'work', key: 'Z' })).mapping, null);
  });

  test('simulate: a stored profile, a source, and the active profile', async () => {
    assert.equal((await ok('simulate', { profile: 'work', events: 'd:A u:A' })).output, 'd:B u:B');
    const held = await ok('simulate', { profile: 'work', events: 'd:CapsLock t:300 d:H u:H u:CapsLock' });
    assert.equal(held.output, 't:300 d:Left u:Left');
    assert.deepEqual(
      held.timeline.map((e: Json) => e.decision),
      ['pending', 'hold', 'remap', 'release', 'hold-release'],
    );
    const src = 'device_start("*"); map("Q", "VK_W"); device_end();';
    assert.equal((await ok('simulate', { source: src, events: 'd:Q u:Q' })).output, 'd:W u:W');
    assert.equal((await ok('simulate', { events: 'd:CapsLock u:CapsLock' })).output, 'd:Escape u:Escape');
  });
});

describe('edits', () => {
  test('set_key_mapping rewrites only the key’s statement; the stored source and the simulation follow', async () => {
    const r = await ok('set_key_mapping', { profile: 'work', key: 'A', target: 'VK_C' });
    assert.equal(r.reloaded, false);
    assert.deepEqual(r.mapping, { kind: 'simple', from: 'A', to: 'C' });
    const expected = SOURCE.replace('map("A", "VK_B");', 'map("A", "VK_C");');
    assert.equal(r.source, expected);
    assert.equal(await stored(), expected);
    assert.equal((await ok('simulate', { profile: 'work', events: 'd:A u:A' })).output, 'd:C u:C');
  });

  test('set_key_mapping: with modifiers, a layer target, and a mapping object of another kind', async () => {
    const ctrl = await ok('set_key_mapping', { profile: 'work', key: 'Z', target: 'VK_Y', ctrl: true });
    assert.equal(ctrl.mapping.kind, 'modifiedOutput');
    assert.match(await stored(), /map\("Z", with_mods\("VK_Y", false, true, false, false\)\);/);
    assert.equal(
      (await ok('simulate', { profile: 'work', events: 'd:Z u:Z' })).output,
      'd:LCtrl d:Y u:Y u:LCtrl',
    );
    await ok('set_key_mapping', { profile: 'work', key: 'RAlt', target: 'MD_00' });
    assert.equal(
      (await ok('simulate', { profile: 'work', events: 'd:RAlt d:H u:H u:RAlt' })).output,
      'd:Left u:Left',
    );
    await ok('set_key_mapping', {
      profile: 'work',
      key: 'F5',
      mapping: { kind: 'sequence', from: 'F5', keys: ['H', 'I'] },
    });
    assert.equal((await ok('simulate', { profile: 'work', events: 'd:F5 u:F5' })).output, 'd:H u:H d:I u:I');
  });

  test('set_tap_hold, then delete_key_mapping', async () => {
    const r = await ok('set_tap_hold', {
      profile: 'work',
      key: 'Space',
      tap: 'VK_Space',
      hold: 'MD_00',
      thresholdMs: 180,
      mode: 'balanced',
    });
    assert.equal(r.mapping.kind, 'tapHold');
    assert.match(await stored(), /tap_hold\("Space", "VK_Space", "MD_00", 180, #\{ mode: "balanced" \}\);/);
    assert.equal(
      (await ok('simulate', { profile: 'work', events: 'd:Space t:300 d:H u:H u:Space' })).output,
      't:300 d:Left u:Left',
    );
    const del = await ok('delete_key_mapping', { profile: 'work', key: 'Space' });
    assert.equal(del.deleted, true);
    assert.doesNotMatch(await stored(), /"Space"/);
  });

  test('update_profile_source, validate_profile and compile_source', async () => {
    const before = await stored();
    const next = before.replace('// edited by an agent', '// edited by an agent, twice');
    const r = await ok('update_profile_source', { profile: 'work', source: next });
    assert.equal(r.source, next);
    assert.equal(await stored(), next);
    const v = await ok('validate_profile', { profile: 'work' });
    assert.equal(v.ok, true);
    assert.equal(v.stats.devices, 1);
    const c = await ok('compile_source', { source: 'device_start("*"); map("A", "VK_Nope"); device_end();' });
    assert.equal(c.ok, false);
    assert.match(c.diagnostics[0], /argument|profile\.rhai|E_UNKNOWN_KEY/);
  });

  test('activate_profile: an edit of the active profile is reloaded at once', async () => {
    const a = await ok('activate_profile', { profile: 'work' });
    assert.equal(a.profile, 'work');
    assert.equal((await ok('get_status')).status.activeProfile, 'work');
    const r = await ok('set_key_mapping', { profile: 'work', key: 'Q', target: 'VK_W' });
    assert.equal(r.reloaded, true);
    assert.equal((await ok('simulate', { events: 'd:Q u:Q' })).output, 'd:W u:W');
    await ok('activate_profile', { profile: 'default' });
  });

  test('layers: create_layer, rename_layer, list_layers', async () => {
    await ok('create_layer', { profile: 'work', layer: 'MD_00', name: 'Nav' });
    assert.match(await stored(), /layer_name\("MD_00", "Nav"\);/);
    await ok('rename_layer', { profile: 'work', layer: 'nav', name: 'Arrows' });
    assert.match(await stored(), /layer_name\("MD_00", "Arrows"\);/);
    const list = await ok('list_layers', { profile: 'work' });
    const md0 = list.layers.find((l: Json) => l.layer === 'MD_00');
    assert.equal(md0.name, 'Arrows');
    assert.ok(md0.activatedBy.some((k: Json) => k.key === 'CapsLock'));
    await refused('create_layer', { profile: 'work', layer: 'MD_01', name: 'Arrows' }, /^LAYER_EXISTS:/);
    await refused('create_layer', { profile: 'work', layer: 'MD_01', name: ' edge' }, /space/);
  });

  test('create_profile from a template', async () => {
    const r = await ok('create_profile', { profile: 'agent-made', template: 'capslock_escape' });
    assert.equal(r.profile, 'agent-made');
    assert.match(await stored('agent-made'), /CapsLock/);
  });
});

describe('refusals: a tool error with the reason, nothing saved', () => {
  test('an unknown key, a target without its prefix, both or neither of target and mapping', async () => {
    const before = await stored();
    await refused(
      'set_key_mapping',
      { profile: 'work', key: 'Nope', target: 'VK_A' },
      /Unknown key name: 'Nope'/,
    );
    await refused('set_key_mapping', { profile: 'work', key: 'A', target: 'Escape' }, /VK_Escape/);
    await refused(
      'set_key_mapping',
      { profile: 'work', key: 'A', target: 'VK_Escpe' },
      /did you mean.*Escape/,
    );
    await refused(
      'set_key_mapping',
      { profile: 'work', key: 'A', target: 'VK_B', mapping: { kind: 'simple', from: 'A', to: 'B' } },
      /either "target" or "mapping"/,
    );
    await refused('set_key_mapping', { profile: 'work', key: 'A' }, /either "target" or "mapping"/);
    await refused('explain_key', { profile: 'work', key: 'Nope' }, /^KEY_EDIT_INVALID:/);
    await refused('get_profile', { profile: 'missing' }, /^PROFILE_NOT_FOUND:/);
    assert.equal(await stored(), before);
  });

  test('a key mapped by a loop: KEY_FROM_CODE naming where, and override adds an explicit mapping', async () => {
    const before = await stored();
    const text = await refused(
      'set_key_mapping',
      { profile: 'work', key: 'F1', target: 'VK_Home' },
      /^KEY_FROM_CODE:/,
    );
    assert.match(text, /work\.rhai:\d+:\d+/);
    await refused('delete_key_mapping', { profile: 'work', key: 'F2' }, /^KEY_FROM_CODE:/);
    assert.equal(await stored(), before);
    await ok('set_key_mapping', { profile: 'work', key: 'F1', target: 'VK_Home', override: true });
    assert.equal(
      (await ok('simulate', { profile: 'work', events: 'd:F1 u:F1 d:F2 u:F2' })).output,
      'd:Home u:Home d:Mute u:Mute',
    );
  });

  test('a source that does not compile: PROFILE_INVALID with its diagnostics', async () => {
    const before = await stored();
    const text = await refused(
      'update_profile_source',
      { profile: 'work', source: 'device_start("*");\n  map("A", "VK_Nope");\ndevice_end();\n' },
      /^PROFILE_INVALID:/,
    );
    assert.match(text, /work\.rhai:2:\d+: error E_UNKNOWN_KEY: Unknown key name: 'Nope'/);
    assert.equal(await stored(), before);
    await refused('delete_key_mapping', { profile: 'work', key: 'X' }, /^KEY_EDIT_REFUSED:/);
  });

  test('hostile names and oversized input are refused before any call', async () => {
    const filesBefore = readdirSync(join(d.dir, 'profiles')).sort();
    for (const profile of ['../etc', '..', 'a/b', 'CON', '', 'x'.repeat(300), 'work\u0000'])
      await refused(
        'get_profile',
        { profile },
        /^MCP error -32602: Input validation error: [^\n]*get_profile: a profile name is 1–64 characters/,
      );
    await refused('update_profile_source', { profile: '../etc', source: SOURCE }, /profile name/);
    await refused('create_profile', { profile: '../../evil', template: 'blank' }, /profile name/);
    for (const key of ['A"); load("x', 'A\\', 'A B', 'A\n', 'x'.repeat(65)])
      await refused('set_key_mapping', { profile: 'work', key, target: 'VK_A' }, /Input validation error/);
    await refused(
      'set_key_mapping',
      { profile: 'work', key: 'A', target: 'VK_A", true' },
      /Input validation error/,
    );
    await refused('explain_key', { profile: 'work', key: 'A', layer: 'MD_100' }, /layer is "base", MD_00/);
    await refused(
      'simulate',
      { profile: 'work', events: 'd:A u:A '.repeat(20_000) },
      /Input validation error/,
    );
    await refused(
      'update_profile_source',
      { profile: 'work', source: 'x'.repeat(1_048_577) },
      /Input validation error/,
    );
    await refused('get_profile', { profile: 'work', extra: 1 }, /Input validation error/);
    await refused(
      'set_key_mapping',
      { profile: 'work', key: 'F6', mapping: { kind: 'macro', from: 'F6', steps: Array(20_000).fill(0) } },
      /more than the maximum/,
    );
    assert.deepEqual(readdirSync(join(d.dir, 'profiles')).sort(), filesBefore);
    assert.ok(!existsSync(join(d.dir, 'etc.rhai')) && !existsSync(join(d.dir, '..', 'etc.rhai')));
  });
});

describe('the process', () => {
  test('the log goes to stderr', () => {
    assert.match(
      stderr,
      /keyrx mcp: serving MCP on stdio; tools call the daemon at http:\/\/127\.0\.0\.1:\d+/,
    );
  });

  test('stdout carries only protocol messages, and the process exits 0 when stdin ends', async () => {
    const child = spawn(process.execPath, mcpArgs(), { cwd: ROOT, env: cleanEnv() });
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
    let out = '';
    child.stdout.setEncoding('utf8');
    const firstLine = new Promise<string>((resolve) =>
      child.stdout.on('data', (chunk: string) => {
        out += chunk;
        if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
      }),
    );
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdin.write(
      `${JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '1' },
        },
      })}\n`,
    );
    const reply = JSON.parse(await firstLine);
    assert.equal(reply.id, 1);
    assert.equal(reply.result.serverInfo.name, 'keyrx');
    child.stdin.end();
    assert.equal(await exited, 0);
    clearTimeout(guard);
    for (const line of out.split('\n').filter(Boolean)) assert.doesNotThrow(() => JSON.parse(line), line);
  });

  test('no daemon at the URL: the server starts, and each tool says how to start the daemon', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const free = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const lonely = new Client({ name: 'keyrx-test', version: '1.0.0' });
    await lonely.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [...cliEntry(), 'mcp', '--config-dir', d.dir, '--url', `http://127.0.0.1:${free}`],
        cwd: ROOT,
        env: childEnv(),
        stderr: 'ignore',
      }),
    );
    try {
      const r = (await lonely.callTool({ name: 'list_profiles', arguments: {} })) as CallToolResult;
      assert.equal(r.isError, true);
      const text = r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
      assert.match(
        text,
        new RegExp(`cannot reach the keyrx daemon at http://127\\.0\\.0\\.1:${free}.*keyrx daemon`),
      );
    } finally {
      await lonely.close();
    }
  });

  test('a message larger than 8 MiB on stdin ends the server instead of growing without bound', async () => {
    const child = spawn(process.execPath, mcpArgs(), { cwd: ROOT, env: cleanEnv() });
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    child.stdin.on('error', () => {}); // the server may stop reading before the write ends
    child.stdin.write(
      `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":"${'x'.repeat(9 * 1024 * 1024)}`,
    );
    assert.equal(await exited, 0);
    clearTimeout(guard);
  });
});
