/** `keyrx view`: a standalone HTML keyboard map of every layer, no scripts or external files. */
import type { BaseMapping, Config, Layout, LayerView } from '../core/index.ts';
import { describeConfig, layoutRows, layoutSize, plural } from '../core/index.ts';

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const UNIT_PX = 54;

/**
 * The legend: each key colour by the mapping kind it shows, named as in the config model and the
 * API (`BaseMapping['kind']`), with a note where the name alone says little.
 */
const LEGEND: [BaseMapping['kind'], string?][] = [
  ['simple'],
  ['modifier', '(MD_)'],
  ['lock', '(LK_)'],
  ['tapHold'],
  ['holdOnly'],
  ['tapDance'],
  ['modifiedOutput'],
  ['sequence'],
  ['layerSwitch'],
  ['layerToggle'],
  ['oneShot'],
  ['capsWord'],
  ['macro'],
  ['unicode'],
];

/** `Shift ` for the override `Shift+Backspace → Delete` of Backspace: the modifiers it needs. */
function overrideMods(key: string, detail: string): string {
  const trigger = detail.split(' → ')[0];
  return trigger.endsWith(`+${key}`) ? `${trigger.slice(0, -key.length - 1)} ` : '';
}

/** Pixels, rounded: a key's place and size on the board. */
const px = (units: number, less = 0): string => `${Math.round(units * UNIT_PX - less)}px`;

function renderLayer(layer: LayerView, layout: Layout): string {
  const combos = layer.combos ?? [];
  const overrides = layer.overrides ?? {};
  const size = layoutSize(layout);
  // keys in reading order (row by row), each at its absolute place
  const cells = layoutRows(layout.keys)
    .flat()
    .map(({ key, x, y, w, h }) => {
      const place = `left:${px(x)};top:${px(y)};width:${px(w, 4)};height:${px(h, 4)}`;
      const action = layer.keys[key];
      const cls = action ? `key ${action.kind}` : 'key';
      const memberOf = combos.filter((c) => c.keys.includes(key));
      const override = overrides[key];
      const title = [
        action
          ? `${key}: ${action.detail}`
          : `${key}: ${layer.name === 'base' ? 'unchanged' : 'falls through to the base layer'}`,
        ...(override ? [`keyOverride: ${override.detail}`] : []),
        ...memberOf.map((c) => `combo: ${c.detail}`),
      ].join('; ');
      const label = action ? action.label : layer.name === 'base' ? key.replace(/^Num(\d)$/, '$1') : '';
      const marks =
        memberOf.length > 0 || override
          ? `<span class="marks">${override ? `<span class="override-mark">${escapeHtml(`${overrideMods(key, override.detail)}${override.label}`)}</span>` : ''}${memberOf.length > 0 ? '<span class="combo-mark">+</span>' : ''}</span>`
          : '';
      return `<div class="${cls}" style="${place}" title="${escapeHtml(title)}"><span class="phys">${escapeHtml(key)}</span><span class="out">${escapeHtml(label)}</span>${marks}</div>`;
    });
  const board = `<div class="board" style="width:${px(size.width, 4)};height:${px(size.height, 4)}">${cells.join('')}</div>`;
  const count = Object.keys(layer.keys).length;
  const comboList =
    combos.length === 0
      ? ''
      : `<h4>Combos</h4><ul class="combos">${combos
          .map(
            (c) =>
              `<li>${c.keys.map((k) => `<kbd>${escapeHtml(k)}</kbd>`).join('+')} → <b>${escapeHtml(c.label)}</b> <small>${escapeHtml(c.detail)}</small></li>`,
          )
          .join('')}</ul>`;
  const overrideList = Object.values(overrides);
  const overrideText =
    overrideList.length === 0
      ? ''
      : `<h4>Key overrides</h4><ul class="combos">${overrideList.map((o) => `<li>${escapeHtml(o.detail)}</li>`).join('')}</ul>`;
  const summary = `${plural(count, 'key')}${combos.length > 0 ? `, ${plural(combos.length, 'combo')}` : ''}`;
  return `<section><h3>${escapeHtml(layer.name)} <small>${summary}</small></h3><div class="kbd">${board}</div>${comboList}${overrideText}</section>`;
}

export function renderKeyboardHtml(config: Config, layout: Layout, title: string): string {
  const devices = describeConfig(config)
    .map(
      (d, i) =>
        `<h2>Device block ${i + 1}: <code>${escapeHtml(d.pattern)}</code></h2>${d.layers.map((l) => renderLayer(l, layout)).join('')}`,
    )
    .join('');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} — keyrx keyboard map</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
:root{color-scheme:light dark;--bg:#fff;--fg:#1d1f23;--key:#eef0f3;--muted:#7a808a;--simple:#d8ecff;--layer:#ffe1b3;--lock:#f5d0ff;--taphold:#ffd6d6;--mod:#d9f5d9;--seq:#fff3b0;--oneshot:#ffd3ea;--macro:#e6e2b0;--combo:#2e7d32}
@media (prefers-color-scheme:dark){:root{--bg:#16181c;--fg:#e8eaee;--key:#2a2d33;--muted:#8b919c;--simple:#1f3b57;--layer:#5a3d12;--lock:#4d2758;--taphold:#5c2626;--mod:#1e4620;--seq:#4d4413;--oneshot:#5a2343;--macro:#45421a;--combo:#86d68a}}
body{font:14px system-ui,sans-serif;background:var(--bg);color:var(--fg);margin:24px}
h3 small{color:var(--muted);font-weight:normal}
.kbd{display:inline-block;padding:8px;border-radius:8px;background:color-mix(in srgb,var(--key) 40%,var(--bg))}
.board{position:relative}
.key{position:absolute;box-sizing:border-box;background:var(--key);border-radius:6px;padding:3px 5px;display:flex;flex-direction:column;justify-content:space-between;overflow:hidden}
.phys{font-size:10px;color:var(--muted);white-space:nowrap}
.out{font-weight:600;font-size:12px;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.simple{background:var(--simple)}.modifier{background:var(--layer)}.lock{background:var(--lock)}
.tapHold,.holdOnly,.tapDance{background:var(--taphold)}.modifiedOutput{background:var(--mod)}.sequence{background:var(--seq)}
.layerSwitch{background:var(--layer)}.layerToggle{background:var(--lock)}.oneShot,.capsWord{background:var(--oneshot)}.macro,.unicode{background:var(--macro)}
.marks{position:absolute;top:2px;right:3px;display:flex;gap:2px;align-items:center;max-width:60%}
.combo-mark{padding:0 4px;border-radius:8px;background:var(--combo);color:var(--bg);font-size:10px;font-weight:700}
.override-mark{font-size:9px;color:var(--fg);border-bottom:1px dotted currentColor;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
.legend .combo-badge,.combo-badge{padding:0 4px;margin:0;border-radius:8px;background:var(--combo);color:var(--bg);font-size:10px}
.combos{margin:4px 0 0;padding-left:20px}.combos kbd{border:1px solid var(--combo);border-radius:3px;padding:0 3px}
.legend span{display:inline-block;padding:2px 8px;margin-right:6px;border-radius:4px}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p class="legend">${LEGEND.map(([kind, note]) => `<span class="${kind}">${kind}${note ? ` ${escapeHtml(note)}` : ''}</span>`).join('')}<span><b class="combo-badge">+</b> combo</span><span>keyOverride: small text at the top right</span> — layout: ${escapeHtml(layout.name)}; hover a key for details</p>
${devices}
</body></html>
`;
}
