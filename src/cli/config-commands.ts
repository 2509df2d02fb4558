/**
 * `keyrx config get-key | set-key | set-tap-hold | delete-key`: one key's mapping in a profile of
 * the running daemon, changed without opening the source (PUT /api/profiles/:name/keys/:key:
 * only the key's statement is rewritten). Targets are written as in the DSL (`VK_Escape`,
 * `MD_01`, `LK_00`) and read by the DSL's own compiler, so they mean exactly what `map()` does.
 */
import type { Command } from 'commander';
import type { KeyMapping } from '../core/index.ts';
import type { ProfileDetail } from '../daemon/daemon.ts';
import { compileProfile } from '../dsl/compile.ts';
import type { ConnectionOptions } from './client.ts';
import { connect, seg } from './client.ts';
import { client } from './client-commands.ts';
import { CliError } from './errors.ts';
import type { Output } from './profile-commands.ts';

interface KeyOptions extends ConnectionOptions {
  json?: boolean;
  layer?: string;
  block?: string;
  override?: boolean;
}

interface KeyInfo {
  key: string;
  block: number;
  mapping: KeyMapping | null;
  description: { kind: string; label: string; detail: string } | null;
}

/** The mapping a DSL call makes (`map("A", "VK_B")`), or a CliError with the compiler's message. */
function mappingOf(call: string): KeyMapping {
  const source = `device_start("*");\n${call}\ndevice_end();\n`;
  const r = compileProfile(source, { file: 'argument' });
  if (!r.ok || !r.config) {
    const first = r.diagnostics.find((d) => d.severity === 'error');
    throw new CliError(first ? first.message + (first.hint ? ` (${first.hint})` : '') : 'not a mapping', 2);
  }
  const m = r.config.devices[0].mappings[0];
  if (!m || m.kind === 'conditional' || m.kind === 'combo') throw new CliError('not one key’s mapping', 2);
  return m;
}

function query(opts: KeyOptions): string {
  const params = new URLSearchParams();
  if (opts.block !== undefined) {
    if (!/^\d+$/.test(opts.block))
      throw new CliError(`--block must be a device block's number (0, 1 …), got '${opts.block}'`, 2);
    params.set('block', opts.block);
  }
  if (opts.layer !== undefined && opts.layer !== 'base') params.set('layer', opts.layer);
  const q = params.toString();
  return q ? `?${q}` : '';
}

const str = (text: string): string => JSON.stringify(text);

async function setKey(
  profile: string,
  key: string,
  mapping: KeyMapping,
  opts: KeyOptions,
  io: Output,
): Promise<void> {
  const api = await connect(opts);
  const p = await api.put<ProfileDetail & { reloaded: boolean }>(
    `/api/profiles/${seg(profile)}/keys/${seg(key)}${query(opts)}`,
    { mapping, ...(opts.override ? { override: true } : {}) },
  );
  if (opts.json) return io.out(JSON.stringify(p, null, 2));
  io.out(
    `saved '${p.name}': ${key} → ${describe(mapping)}${p.reloaded ? '; reloaded (it is the active profile)' : ''}`,
  );
}

function describe(m: KeyMapping): string {
  switch (m.kind) {
    case 'simple':
      return m.to;
    case 'modifier':
      return `layer MD_${m.id.toString(16).toUpperCase().padStart(2, '0')} while held`;
    case 'lock':
      return `lock LK_${m.id.toString(16).toUpperCase().padStart(2, '0')}`;
    case 'tapHold':
      return `tap ${m.tap}, hold ${m.holdKey ?? `MD_${(m.hold ?? 0).toString(16).toUpperCase().padStart(2, '0')}`} (${m.thresholdMs} ms)`;
    default:
      return m.kind;
  }
}

export function registerConfigCommands(program: Command, io: Output): void {
  const config = program
    .command('config')
    .description('change one key of a profile of the running daemon without editing its source')
    .addHelpText(
      'after',
      '\nOnly the statement that maps the key is rewritten; the edit is compiled before it is saved,\nand a key mapped by code (a loop, a function, a loaded file) is refused unless --override.',
    );
  const common = (c: Command): Command =>
    client(
      c
        .option('--layer <MD_xx|LK_xx>', 'the layer (default: base, the block’s own mappings)')
        .option('--block <n>', 'the device block, by number (default 0)'),
    );
  common(
    config
      .command('get-key')
      .description('what a key does in a profile')
      .argument('<profile>')
      .argument('<key>'),
  ).action(async (profile: string, key: string, opts: KeyOptions) => {
    const api = await connect(opts);
    const info = await api.get<KeyInfo>(`/api/profiles/${seg(profile)}/keys/${seg(key)}${query(opts)}`);
    if (opts.json) return io.out(JSON.stringify(info, null, 2));
    io.out(
      info.description
        ? `${info.key}: ${info.description.detail}`
        : `${info.key}: not mapped (passes through)`,
    );
  });
  common(
    config
      .command('set-key')
      .description('map a key to a key (VK_x), a layer held (MD_xx) or a lock (LK_xx), as map() does')
      .argument('<profile>')
      .argument('<key>')
      .argument('<target>')
      .option('--override', 'the key is mapped by code: add an explicit mapping ahead of it'),
  ).action((profile: string, key: string, target: string, opts: KeyOptions) =>
    setKey(profile, key, mappingOf(`map(${str(key)}, ${str(target)});`), opts, io),
  );
  common(
    config
      .command('set-tap-hold')
      .description('a tap-hold: <tap> (VK_x) when tapped, <hold> (MD_xx or a modifier VK_x) when held')
      .argument('<profile>')
      .argument('<key>')
      .argument('<tap>')
      .argument('<hold>')
      .option('--threshold <ms>', 'hold from this long (default 200)', '200')
      .option('--override', 'the key is mapped by code: add an explicit mapping ahead of it'),
  ).action(
    (profile: string, key: string, tap: string, hold: string, opts: KeyOptions & { threshold: string }) => {
      if (!/^\d+$/.test(opts.threshold))
        throw new CliError(`--threshold must be milliseconds, got '${opts.threshold}'`, 2);
      return setKey(
        profile,
        key,
        mappingOf(`tap_hold(${str(key)}, ${str(tap)}, ${str(hold)}, ${opts.threshold});`),
        opts,
        io,
      );
    },
  );
  common(
    config
      .command('delete-key')
      .description("remove a key's mapping (its statement) from a profile")
      .argument('<profile>')
      .argument('<key>'),
  ).action(async (profile: string, key: string, opts: KeyOptions) => {
    const api = await connect(opts);
    const p = await api.delete<ProfileDetail & { reloaded: boolean }>(
      `/api/profiles/${seg(profile)}/keys/${seg(key)}${query(opts)}`,
    );
    if (opts.json) return io.out(JSON.stringify(p, null, 2));
    io.out(`saved '${p.name}': ${key} removed${p.reloaded ? '; reloaded (it is the active profile)' : ''}`);
  });
}
