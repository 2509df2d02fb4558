/**
 * `keyrx config get-key | set-key | set-tap-hold | set-macro | delete-key | diff`: one key's
 * mapping in a profile, changed without opening the source (PUT /api/profiles/:name/keys/:key:
 * only the key's statement is rewritten), and what differs between two profiles. Targets are
 * written as in the DSL (`VK_Escape`, `MD_01`, `LK_00`) and read by the DSL's own compiler, so
 * they mean exactly what `map()` does. Through the running daemon, or on the config directory
 * directly when none runs.
 */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import type { KeyMapping } from '../core/index.ts';
import { plural } from '../core/index.ts';
import type { ProfileDetail, ProfileDiff } from '../daemon/daemon.ts';
import { ArgumentError, macroMapping, mapMapping, tapHoldMapping } from '../dsl/argument-mappings.ts';
import type { ConnectionOptions } from './client.ts';
import { connect, seg } from './client.ts';
import { client } from './client-commands.ts';
import type { Painter } from './color.ts';
import { painter } from './color.ts';
import { CliError, describeFsError } from './errors.ts';
import type { Output } from './profile-commands.ts';

export interface KeyOptions extends ConnectionOptions {
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

/** A mapping from arguments (argument-mappings.ts); a mistake is a usage error with the compiler's message. */
function fromArguments(make: () => KeyMapping): KeyMapping {
  try {
    return make();
  } catch (e) {
    if (e instanceof ArgumentError) throw new CliError(e.message, 2);
    throw e;
  }
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

export async function setKey(
  profile: string,
  key: string,
  mapping: KeyMapping,
  opts: KeyOptions,
  io: Output,
): Promise<void> {
  const api = await connect(opts, { offline: true, notice: io.err });
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
    .description('change one key of a profile without editing its source; compare profiles')
    .addHelpText(
      'after',
      '\nOnly the statement that maps the key is rewritten; the edit is compiled before it is saved,\nand a key mapped by code (a loop, a function, a loaded file) is refused unless --override.\nWith no daemon running, the config directory is changed directly.',
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
    const api = await connect(opts, { offline: true, notice: io.err });
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
    setKey(
      profile,
      key,
      fromArguments(() => mapMapping(key, target)),
      opts,
      io,
    ),
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
        fromArguments(() => tapHoldMapping(key, tap, hold, Number(opts.threshold))),
        opts,
        io,
      );
    },
  );
  common(
    config
      .command('set-macro')
      .description('a macro: steps such as "press:VK_LCtrl,tap:VK_C,release:VK_LCtrl,wait:50,text:hi"')
      .argument('<profile>')
      .argument('<key>')
      .argument('<steps>', 'press:K release:K tap:K wait:MS text:TEXT, separated by commas or spaces')
      .option('--override', 'the key is mapped by code: add an explicit mapping ahead of it'),
  ).action((profile: string, key: string, steps: string, opts: KeyOptions) =>
    setKey(
      profile,
      key,
      fromArguments(() => macroMapping(key, steps)),
      opts,
      io,
    ),
  );
  common(
    config
      .command('delete-key')
      .description("remove a key's mapping (its statement) from a profile")
      .argument('<profile>')
      .argument('<key>'),
  ).action(async (profile: string, key: string, opts: KeyOptions) => {
    const api = await connect(opts, { offline: true, notice: io.err });
    const p = await api.delete<ProfileDetail & { reloaded: boolean }>(
      `/api/profiles/${seg(profile)}/keys/${seg(key)}${query(opts)}`,
    );
    if (opts.json) return io.out(JSON.stringify(p, null, 2));
    io.out(`saved '${p.name}': ${key} removed${p.reloaded ? '; reloaded (it is the active profile)' : ''}`);
  });
  client(
    config
      .command('diff')
      .description('what changes from one profile to another (or to a .rhai file): the keys, then the source')
      .argument('<profile>')
      .argument('<other>', 'another profile, or a file (a path with / or ending in .rhai)'),
  ).action(async (profile: string, other: string, opts: KeyOptions) => {
    const api = await connect(opts, { offline: true, notice: io.err });
    const d = isFileArgument(other)
      ? await api.post<ProfileDiff>(`/api/profiles/${seg(profile)}/diff`, {
          source: await readSourceFile(other),
          label: other,
        })
      : await api.get<ProfileDiff>(`/api/profiles/${seg(profile)}/diff/${seg(other)}`);
    if (opts.json) return io.out(JSON.stringify(d, null, 2));
    io.out(formatDiff(d, painter(io.outColor)));
  });
}

const isFileArgument = (text: string): boolean => text.includes('/') || text.endsWith('.rhai');

async function readSourceFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read '${path}': ${describeFsError(e)}`, 1);
  }
}

/** The key changes (grouped by block and layer), then the source diff, coloured on a terminal. */
export function formatDiff(d: ProfileDiff, color: Painter): string {
  if (d.identical) return `'${d.from}' and '${d.to}' are identical`;
  const lines: string[] = [];
  if (d.changes === null) lines.push(`(${d.uncompiled ?? 'one side does not compile'})`);
  else if (d.changes.length === 0) lines.push('no key does anything different (only the text changed)');
  else {
    lines.push(`${plural(d.changes.length, 'key')} changed from '${d.from}' to '${d.to}':`);
    let group = '';
    for (const c of d.changes) {
      const heading = `  block ${c.block} (${c.pattern}), ${c.layer === 'base' ? 'base layer' : `layer ${c.layer}`}`;
      if (heading !== group) lines.push((group = heading));
      if (c.before === null) lines.push(color.green(`    + ${c.key}: ${c.after}`));
      else if (c.after === null) lines.push(color.red(`    - ${c.key}: ${c.before}`));
      else lines.push(color.yellow(`    ~ ${c.key}: ${c.before}  →  ${c.after}`));
    }
  }
  lines.push('');
  for (const line of d.patch.replace(/\n$/, '').split('\n'))
    lines.push(
      line.startsWith('+')
        ? color.green(line)
        : line.startsWith('-')
          ? color.red(line)
          : line.startsWith('@@')
            ? color.cyan(line)
            : line,
    );
  return lines.join('\n');
}
