/**
 * `keyrx layers list | show | create | rename | delete`: a profile's layers without editing its
 * source (/api/profiles/:name/layers: only the `layer_name` statements and the layer's own
 * when-blocks change). Through the running daemon, or on the config directory directly when none
 * runs.
 */
import type { Command } from 'commander';
import type { EditedProfile, LayerDetail } from '../daemon/daemon.ts';
import type { LayerInfo } from '../dsl/edit-layers.ts';
import { plural } from '../core/index.ts';
import type { ClientOptions } from './client-commands.ts';
import { client } from './client-commands.ts';
import { connect, seg } from './client.ts';
import type { Output } from './profile-commands.ts';

const VIA: Record<string, string> = {
  modifier: 'held',
  lock: 'lock',
  tapHold: 'tap-hold',
  holdOnly: 'hold',
  oneShot: 'one-shot',
  combo: 'combo',
  tapDance: 'tap dance',
  layerToggle: 'toggle',
  layerSwitch: 'switch',
};

function activators(l: LayerInfo): string {
  if (l.activatedBy.length === 0) return '—';
  return l.activatedBy.map((a) => `${a.key} (${VIA[a.via] ?? a.via})`).join(', ');
}

/** The list as a table: id, name, mappings in its own blocks, the keys that turn it on. */
export function formatLayers(profile: string, layers: LayerInfo[]): string {
  if (layers.length === 0) return `'${profile}' has no layers`;
  const rows = layers.map((l) => {
    const mappings = l.blocks.reduce((n, b) => n + b.mappings, 0);
    return [
      l.layer,
      l.name ?? '—',
      `${mappings}${l.combined > 0 ? ` (+${l.combined} combined)` : ''}`,
      activators(l),
    ];
  });
  const head = ['LAYER', 'NAME', 'MAPPINGS', 'TURNED ON BY'];
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(width[i])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function saved(p: EditedProfile, what: string): string {
  const lines = [`saved '${p.name}': ${what}${p.reloaded ? '; reloaded (it is the active profile)' : ''}`];
  for (const note of p.notes) lines.push(`note: ${note}`);
  return lines.join('\n');
}

export function registerLayersCommands(program: Command, io: Output): void {
  const layers = program
    .command('layers')
    .description("list, name, rename and delete a profile's layers without editing its source")
    .addHelpText(
      'after',
      '\nA layer is MD_xx (on while held) or LK_xx (a lock); commands take its id or its name.\nWith no daemon running, the config directory is changed directly.',
    );
  const api = (opts: ClientOptions) => connect(opts, { offline: true, notice: io.err });

  client(layers.command('list').description("a profile's layers").argument('<profile>')).action(
    async (profile: string, opts: ClientOptions) => {
      const r = await (await api(opts)).get<{ layers: LayerInfo[] }>(`/api/profiles/${seg(profile)}/layers`);
      io.out(opts.json ? JSON.stringify(r, null, 2) : formatLayers(profile, r.layers));
    },
  );

  client(
    layers
      .command('show')
      .description('one layer: what turns it on and its mappings')
      .argument('<profile>')
      .argument('<layer>', 'MD_xx, LK_xx or its name'),
  ).action(async (profile: string, layer: string, opts: ClientOptions) => {
    const l = await (await api(opts)).get<LayerDetail>(`/api/profiles/${seg(profile)}/layers/${seg(layer)}`);
    if (opts.json) return io.out(JSON.stringify(l, null, 2));
    const lines = [`${l.layer}${l.name ? ` '${l.name}'` : ''}`, `turned on by: ${activators(l)}`];
    if (l.combined > 0)
      lines.push(`also tested with other conditions in ${plural(l.combined, 'when-block')}`);
    if (l.mappings.length === 0) lines.push('no mappings of its own');
    else {
      lines.push(`${plural(l.mappings.length, 'mapping')}:`);
      for (const m of l.mappings)
        lines.push(`  ${m.key.padEnd(12)} ${m.description?.detail ?? m.mapping.kind}  (block ${m.block})`);
    }
    io.out(lines.join('\n'));
  });

  client(
    layers
      .command('create')
      .description('name a new layer (writes layer_name("MD_xx", name))')
      .argument('<profile>')
      .argument('<layer>', 'MD_00–MD_FE or LK_00–LK_FE')
      .argument('<name>', '1–32 characters'),
  ).action(async (profile: string, layer: string, name: string, opts: ClientOptions) => {
    const p = await (
      await api(opts)
    ).post<EditedProfile>(`/api/profiles/${seg(profile)}/layers`, { layer, name });
    io.out(opts.json ? JSON.stringify(p, null, 2) : saved(p, `layer ${layer.toUpperCase()} named '${name}'`));
  });

  client(
    layers
      .command('rename')
      .description('rename a layer (or name one that has no name yet)')
      .argument('<profile>')
      .argument('<layer>', 'MD_xx, LK_xx or its current name')
      .argument('<name>', 'the new name'),
  ).action(async (profile: string, layer: string, name: string, opts: ClientOptions) => {
    const p = await (
      await api(opts)
    ).put<EditedProfile>(`/api/profiles/${seg(profile)}/layers/${seg(layer)}`, {
      name,
    });
    io.out(opts.json ? JSON.stringify(p, null, 2) : saved(p, `layer ${layer} renamed '${name}'`));
  });

  client(
    layers
      .command('delete')
      .description('delete a layer: its name and the when-blocks that test it alone, with their mappings')
      .argument('<profile>')
      .argument('<layer>', 'MD_xx, LK_xx or its name'),
  ).action(async (profile: string, layer: string, opts: ClientOptions) => {
    const p = await (
      await api(opts)
    ).delete<EditedProfile>(`/api/profiles/${seg(profile)}/layers/${seg(layer)}`);
    io.out(opts.json ? JSON.stringify(p, null, 2) : saved(p, `layer ${layer} deleted`));
  });
}
