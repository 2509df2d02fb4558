/**
 * The on-screen keyboard: what each physical key does in the base layer or a chosen layer of
 * a device block, coloured by kind. The editor opens a key's mapping dialog on a click (`edit`;
 * Alt+click jumps to its line); the simulator presses its keys and shows the live layer state.
 */
import type { CSSProperties, KeyboardEvent, MouseEvent, PointerEvent, ReactNode } from 'react';
import { useId, useMemo, useRef, useState } from 'react';
import type {
  ComboDescription,
  DeviceView,
  KeyDescription,
  LayerView,
  MappingSource,
} from '../../../src/core/index.ts';
import { plural } from '../lib/format.ts';
import { useKeyboardLayout } from './layouts.ts';
import { keyLegend } from './legends.ts';
import type { KindClass, LayerCombo, LayerOverride } from './model.ts';
import {
  applicableLayers,
  combosOf,
  conditionHolds,
  detectLayout,
  KIND_LEGEND,
  kindClass,
  layoutGeometry,
  moveFocus,
  overrideOf,
  resolveLive,
} from './model.ts';
import './keyboard.css';

/** A layout id: built in (`ansi-104` …, old `ansi`, `iso`, `jis`) or custom (GET /api/layouts). */
export type LayoutId = string;

export interface KeyboardViewProps {
  views: DeviceView[];
  /** initial layout; the view has its own selector (default: detected from the keys the views use) */
  layout?: LayoutId;
  /** clicking a mapped key that has `source` calls this (not in simulator mode) */
  onKeySource?: (source: MappingSource) => void;
  /** physical keys currently held (highlighted) */
  pressed?: ReadonlySet<string>;
  /** layers active in the simulator (`MD_00`, `LK_01`): adds a "Live" layer choice, the default */
  activeLayers?: readonly string[];
  /** simulator mode: pointer down/up (or Enter/Space) on a key presses/releases it */
  onKeyAction?: (key: string, action: 'press' | 'release') => void;
  /** show this device block and hide the block selector (the simulator follows its device); -1: none */
  blockIndex?: number;
  /** device name the simulator uses, for `device …` conditions in the live layer */
  device?: string;
  /** edit mode (the profile editor): a click on a key opens its mapping dialog */
  edit?: KeyboardEditing;
}

/** What the profile editor gives the keyboard view to edit keys and layers from it. */
export interface KeyboardEditing {
  /** a click (Enter, Space) on a key edits it in the shown block and layer; Alt+click goes to its line */
  onEditKey(key: string, at: { block: number; layer: LayerView }): void;
  /** names the profile gives its layers (`{ MD_01: 'Nav' }`), shown in the layer selector */
  layerNames?: Readonly<Record<string, string>>;
  /** controls next to the layer selector (add / rename a layer); `select` shows a layer by name */
  layerTools?(at: { block: number; layer: LayerView }, select: (layer: string) => void): ReactNode;
}

const LIVE = '\u0000live';

const ARROWS: Readonly<Record<string, Parameters<typeof moveFocus>[2]>> = {
  ArrowLeft: 'left',
  ArrowRight: 'right',
  ArrowUp: 'up',
  ArrowDown: 'down',
  Home: 'home',
  End: 'end',
};

type CapState = 'mapped' | 'fallthrough' | 'unmapped';

interface Cap {
  key: string;
  legend: string;
  /** big text: the mapping's label, or the legend when the key is not mapped */
  label: string;
  state: CapState;
  kind: KindClass | null;
  description: KeyDescription | null;
  /** the layer the meaning comes from */
  layer: string;
  /** combos this key is part of (a badge on the key) */
  combos: readonly ComboDescription[];
  /** what the key gives while some modifiers are down (a corner marker; the label stays) */
  override: LayerOverride | null;
  title: string;
  ariaLabel: string;
}

const MOD_SYMBOLS: Readonly<Record<string, string>> = { Shift: '⇧', Ctrl: '⌃', Alt: '⌥', Meta: '◆' };

/** `⇧Del` for `LShift+Backspace → Delete`: the modifiers as symbols, then the output's label. */
function overrideMark(key: string, d: KeyDescription): string {
  const trigger = d.detail.split(' → ')[0];
  const mods = trigger.endsWith(`+${key}`) ? trigger.slice(0, -key.length - 1).split('+') : [];
  const symbols = mods.map((m) => MOD_SYMBOLS[m.replace(/^[LR](?=[A-Z])/, '')] ?? m).join('');
  return `${symbols}${d.label}`;
}

/** The sentences about combos and overrides that follow a key's title. */
function extras(combos: readonly ComboDescription[], override: LayerOverride | null): string {
  const parts: string[] = [];
  if (override) parts.push(`key override: ${override.description.detail} (${override.layer.name})`);
  for (const c of combos) parts.push(`combo: ${c.detail}`);
  return parts.map((p) => `; ${p}`).join('');
}

function describeCap(
  key: string,
  legend: string,
  shown: string,
  resolved: { layer: LayerView; description: KeyDescription } | null,
  dimmed: boolean,
  combos: readonly ComboDescription[] = [],
  override: LayerOverride | null = null,
): Cap {
  const more = extras(combos, override);
  if (!resolved) {
    const title = `${key}: not mapped${shown === 'base' ? '' : ` (not in ${shown} or base)`}${more}`;
    return {
      key,
      legend,
      label: legend,
      state: 'unmapped',
      kind: null,
      description: null,
      layer: 'base',
      combos,
      override,
      title,
      ariaLabel: title,
    };
  }
  const { layer, description } = resolved;
  const fallthrough = dimmed && layer.name === 'base';
  const title =
    (fallthrough
      ? `${description.detail} (base; not mapped in ${shown})`
      : `${description.detail} (${layer.name})`) + more;
  // Details of plain maps start with the key (`A → Left`); others need it for a screen reader.
  const ariaLabel = description.detail.startsWith(`${key} `) ? title : `${key}: ${title}`;
  return {
    key,
    legend,
    label: description.label,
    state: fallthrough ? 'fallthrough' : 'mapped',
    kind: kindClass(description.kind),
    description,
    layer: layer.name,
    combos,
    override,
    title,
    ariaLabel,
  };
}

/** Tap-hold labels (`Esc/MD_00`) break after the slash: two short lines fit a key better. */
function labelLines(label: string): string[] {
  const slash = label.indexOf('/');
  return slash > 0 && slash < label.length - 1
    ? [label.slice(0, slash + 1), label.slice(slash + 1)]
    : [label];
}

/** Font size as a fraction of the key unit so that the longest line fits the key's width. */
function labelFit(label: string, width: number): number {
  const lines = labelLines(label);
  // CJK glyphs are about twice as wide as Latin ones
  const longest = Math.max(
    ...lines.map((l) => [...l].reduce((n, ch) => n + (ch.charCodeAt(0) > 0x2e80 ? 1.7 : 1), 0)),
  );
  const cap = lines.length > 1 ? 0.27 : 0.32;
  return Math.round(Math.min(cap, (0.95 * width) / Math.max(1, longest)) * 1000) / 1000;
}

function layerSummary(layer: LayerView): string {
  const keys = Object.keys(layer.keys).length;
  const combos = layer.combos?.length ?? 0;
  return `${plural(keys, 'key')}${combos > 0 ? ` · ${plural(combos, 'combo')}` : ''}`;
}

export function KeyboardView(props: KeyboardViewProps) {
  const { views, onKeySource, pressed, activeLayers, onKeyAction, device, edit } = props;
  const simulator = onKeyAction !== undefined;
  const live = activeLayers !== undefined;
  const ids = useId();

  // null = not chosen by the user: follow the prop / detection as the views change
  const [chosenBlock, setChosenBlock] = useState(0);
  const [chosenLayer, setChosenLayer] = useState<string | null>(null);
  const [inspected, setInspected] = useState<string | null>(null);
  /** the combo whose keys are highlighted (hovered or focused in the combo list) */
  const [highlighted, setHighlighted] = useState<ComboDescription | null>(null);

  const detected = useMemo(() => detectLayout(views), [views]);
  const {
    layout,
    layoutId,
    choices: layoutChoices,
    choose: chooseLayout,
    refresh: refreshLayouts,
  } = useKeyboardLayout(props.layout, detected);

  const blockIndex = Math.min(props.blockIndex ?? chosenBlock, Math.max(0, views.length - 1));
  const block: DeviceView | undefined = blockIndex < 0 ? undefined : views[blockIndex];
  const active = useMemo(() => new Set(activeLayers ?? []), [activeLayers]);

  const layerChoice = chosenLayer ?? (live ? LIVE : 'base');
  const isLive = live && layerChoice === LIVE;
  const layer: LayerView | undefined = isLive
    ? undefined
    : (block?.layers.find((l) => l.name === layerChoice) ?? block?.layers[0]);
  const shownName = isLive ? 'live' : (layer?.name ?? 'base');

  // Combos and key overrides of the shown layer and base (live: of every active layer and base).
  const applicable = useMemo(
    () => (block ? applicableLayers(block, isLive ? null : (layer ?? block.layers[0]), active, device) : []),
    [block, isLive, layer, active, device],
  );
  const combos: LayerCombo[] = useMemo(() => combosOf(applicable), [applicable]);
  const combosByKey = useMemo(() => {
    const byKey = new Map<string, ComboDescription[]>();
    for (const { combo } of combos)
      for (const k of combo.keys) byKey.set(k, [...(byKey.get(k) ?? []), combo]);
    return byKey;
  }, [combos]);

  const capFor = (key: string): Cap => {
    const legend = keyLegend(key, layout);
    if (!block) return describeCap(key, legend, 'base', null, false);
    const memberOf = combosByKey.get(key) ?? [];
    const override = overrideOf(applicable, key);
    if (isLive) {
      const resolved = resolveLive(block, key, active, device);
      return describeCap(key, legend, 'the active layers', resolved, active.size > 0, memberOf, override);
    }
    const current = layer ?? block.layers[0];
    const base = block.layers[0];
    if (current.keys[key])
      return describeCap(
        key,
        legend,
        current.name,
        { layer: current, description: current.keys[key] },
        false,
        memberOf,
        override,
      );
    const fromBase = base.keys[key] ? { layer: base, description: base.keys[key] } : null;
    return describeCap(key, legend, current.name, fromBase, current !== base, memberOf, override);
  };

  // Mapped keys the chosen layout has no place for (numpad, F13–F24, media…) still get a cap.
  const extraKeys = useMemo(() => {
    const onLayout = new Set<string>();
    for (const k of layout.keys) onLayout.add(k.key);
    const extra = new Set<string>();
    const layers = isLive ? (block?.layers ?? []) : [block?.layers[0], layer].filter((l) => l !== undefined);
    for (const l of layers) for (const key of Object.keys(l.keys)) if (!onLayout.has(key)) extra.add(key);
    for (const l of applicable) {
      for (const key of Object.keys(l.overrides ?? {})) if (!onLayout.has(key)) extra.add(key);
      for (const c of l.combos ?? []) for (const key of c.keys) if (!onLayout.has(key)) extra.add(key);
    }
    return [...extra];
  }, [layout, block, layer, isLive, applicable]);

  const geometry = useMemo(() => layoutGeometry(layout), [layout]);
  // Arrow keys move between keys; the keyboard is one Tab stop (roving tabindex).
  const focusRows = useMemo(
    () => [...geometry.rows, extraKeys.map((key, i) => ({ key, center: i * 1.6 + 0.8 }))],
    [geometry, extraKeys],
  );
  const [focusKey, setFocusKey] = useState<string | null>(null);
  const tabStop =
    focusKey !== null && focusRows.some((row) => row.some((k) => k.key === focusKey))
      ? focusKey
      : (focusRows[0]?.[0]?.key ?? null);
  const rootRef = useRef<HTMLDivElement>(null);
  const onArrow = (e: KeyboardEvent<HTMLDivElement>) => {
    const direction = ARROWS[e.key];
    const from = (e.target as HTMLElement).dataset?.key;
    if (!direction || !from) return;
    e.preventDefault();
    const to = moveFocus(focusRows, from, direction);
    if (to === null) return;
    setFocusKey(to);
    const root = rootRef.current;
    const buttons = root ? [...root.querySelectorAll<HTMLButtonElement>('button[data-key]')] : [];
    buttons.find((b) => b.dataset.key === to)?.focus();
  };

  // ---- simulator input: which pointer / keyboard key holds which key (event handlers only)
  const pointerHolds = useRef(new Map<number, string>());
  const keyboardHolds = useRef(new Set<string>());

  const release = (key: string) => onKeyAction?.(key, 'release');
  const onPointerDown = (key: string) => (e: PointerEvent<HTMLButtonElement>) => {
    if (!simulator || e.button > 0) return;
    // keep focus where it is (the capture region) and stop touch text selection
    e.preventDefault();
    if (pointerHolds.current.has(e.pointerId)) release(pointerHolds.current.get(e.pointerId)!);
    pointerHolds.current.set(e.pointerId, key);
    onKeyAction(key, 'press');
  };
  const onPointerEnd = (e: PointerEvent<HTMLButtonElement>) => {
    const key = pointerHolds.current.get(e.pointerId);
    if (key === undefined) return;
    pointerHolds.current.delete(e.pointerId);
    release(key);
  };
  const onKeyDown = (key: string) => (e: KeyboardEvent<HTMLButtonElement>) => {
    if (!simulator || (e.key !== 'Enter' && e.key !== ' ')) return;
    e.preventDefault();
    if (e.repeat || keyboardHolds.current.has(key)) return;
    keyboardHolds.current.add(key);
    onKeyAction(key, 'press');
  };
  const onKeyUp = (key: string) => (e: KeyboardEvent<HTMLButtonElement>) => {
    if (!simulator || (e.key !== 'Enter' && e.key !== ' ')) return;
    e.preventDefault();
    if (keyboardHolds.current.delete(key)) release(key);
  };
  const onBlur = (key: string) => () => {
    if (keyboardHolds.current.delete(key)) release(key);
  };
  /** The line a click on the key goes to: its mapping's, else (not mapped here) its key override's. */
  const sourceOf = (cap: Cap): MappingSource | undefined =>
    cap.state === 'mapped' ? cap.description?.source : cap.override?.description.source;
  const onClick = (cap: Cap) => (e: MouseEvent<HTMLButtonElement>) => {
    setInspected(cap.key);
    const source = sourceOf(cap);
    if (simulator) return;
    if (edit && block && !e.altKey)
      edit.onEditKey(cap.key, { block: blockIndex, layer: layer ?? block.layers[0] });
    else if (source) onKeySource?.(source);
  };

  const renderCap = (cap: Cap, width: number) => {
    const held = pressed?.has(cap.key) ?? false;
    const classes = [
      'kbd-key',
      cap.kind ? `kbd-kind-${cap.kind}` : 'kbd-unmapped',
      cap.state === 'fallthrough' ? 'kbd-fallthrough' : '',
      held ? 'kbd-held' : '',
      (sourceOf(cap) && onKeySource && !simulator) || (edit && block) ? 'kbd-linked' : '',
      highlighted?.keys.includes(cap.key) ? 'kbd-combo-highlight' : '',
    ];
    return (
      <span
        key={cap.key}
        className="kbd-slot"
        style={{ '--w': width, '--fit': labelFit(cap.label, width) } as CSSProperties}
      >
        <button
          type="button"
          className={classes.filter(Boolean).join(' ')}
          title={cap.title}
          aria-label={cap.ariaLabel}
          aria-pressed={simulator ? held : undefined}
          data-key={cap.key}
          data-state={cap.state}
          onClick={onClick(cap)}
          tabIndex={cap.key === tabStop ? 0 : -1}
          onFocus={() => {
            setInspected(cap.key);
            setFocusKey(cap.key);
          }}
          onPointerEnter={() => setInspected(cap.key)}
          onPointerDown={onPointerDown(cap.key)}
          onPointerUp={onPointerEnd}
          onPointerLeave={onPointerEnd}
          onPointerCancel={onPointerEnd}
          onKeyDown={onKeyDown(cap.key)}
          onKeyUp={onKeyUp(cap.key)}
          onBlur={onBlur(cap.key)}
          onContextMenu={simulator ? (e) => e.preventDefault() : undefined}
        >
          {cap.state !== 'unmapped' && (
            <span className="kbd-legend-text" aria-hidden="true">
              {cap.legend}
            </span>
          )}
          <span className="kbd-label" aria-hidden="true">
            {labelLines(cap.label).map((line, i) => (
              <span key={i}>{line}</span>
            ))}
          </span>
          {(cap.combos.length > 0 || cap.override) && (
            <span className="kbd-marks" aria-hidden="true">
              {cap.override && (
                <span className="kbd-override-mark" data-testid="override-mark">
                  {overrideMark(cap.key, cap.override.description)}
                </span>
              )}
              {cap.combos.length > 0 && (
                <span className="kbd-combo-mark" data-testid="combo-mark">
                  {cap.combos.length > 1 ? `+${cap.combos.length}` : '+'}
                </span>
              )}
            </span>
          )}
        </button>
      </span>
    );
  };

  const inspectedCap = inspected ? capFor(inspected) : null;
  const activeList = activeLayers ?? [];

  return (
    <div className="kbd-view" data-testid="keyboard-view" ref={rootRef}>
      <div className="toolbar kbd-controls">
        {views.length > 1 && props.blockIndex === undefined && (
          <label>
            Device block
            <select value={blockIndex} onChange={(e) => setChosenBlock(Number(e.target.value))}>
              {views.map((v, i) => (
                <option key={i} value={i}>
                  {i + 1}: {v.pattern}
                </option>
              ))}
            </select>
          </label>
        )}
        {views.length > 1 && props.blockIndex !== undefined && block && (
          <span className="muted">
            Device block {blockIndex + 1}: <code>{block.pattern}</code>
          </span>
        )}
        <label>
          Layer
          <select
            value={isLive ? LIVE : (layer?.name ?? 'base')}
            onChange={(e) => setChosenLayer(e.target.value)}
            disabled={!block}
          >
            {live && <option value={LIVE}>Live (active layers)</option>}
            {(block?.layers ?? []).map((l) => (
              <option key={l.name} value={l.name}>
                {`${l.name}${edit?.layerNames?.[l.name] ? ` “${edit.layerNames[l.name]}”` : ''}${live && l.condition && conditionHolds(l.condition, active, device) ? ' (active)' : ''} · ${layerSummary(l)}`}
              </option>
            ))}
          </select>
        </label>
        {edit?.layerTools &&
          block &&
          edit.layerTools({ block: blockIndex, layer: layer ?? block.layers[0] }, setChosenLayer)}
        <label>
          Layout
          <select
            value={layoutId}
            onChange={(e) => chooseLayout(e.target.value)}
            onFocus={refreshLayouts}
            onPointerEnter={refreshLayouts}
          >
            {[true, false].map((builtIn) => {
              const group = layoutChoices.filter((l) => l.builtIn === builtIn);
              return group.length === 0 ? null : (
                <optgroup key={String(builtIn)} label={builtIn ? 'Built in' : 'Custom'}>
                  {group.map((l) => (
                    <option key={l.id} value={l.id}>
                      {l.name}
                    </option>
                  ))}
                </optgroup>
              );
            })}
          </select>
        </label>
        {live && (
          <span className="kbd-active" aria-live="polite" data-testid="keyboard-active-layers">
            {activeList.length === 0 ? (
              <span className="muted">no layer active</span>
            ) : (
              activeList.map((name) => (
                <span key={name} className={`badge kbd-badge-${name.startsWith('LK_') ? 'lock' : 'layer'}`}>
                  {name}
                </span>
              ))
            )}
          </span>
        )}
      </div>
      {!block && (
        <p className="muted">
          {views.length === 0
            ? 'No device blocks: every key passes through unchanged.'
            : 'This device matches no device block: every key passes through unchanged.'}
        </p>
      )}
      <div className="kbd-scroll">
        <div
          className={`kbd${simulator ? ' kbd-simulator' : ''}`}
          style={{ '--cols': geometry.columns, '--main-cols': geometry.mainColumns } as CSSProperties}
          role="group"
          aria-label={`${layout.name} keyboard, ${isLive ? 'live layers' : `layer ${shownName}`}`}
          onKeyDown={onArrow}
        >
          {geometry.blocks.map((b, i) => (
            <div
              key={i}
              className={i === 0 ? 'kbd-block kbd-main' : 'kbd-block'}
              style={{ '--bw': b.width, '--bh': geometry.height } as CSSProperties}
            >
              {b.keys.map((k) => (
                <div
                  key={k.key}
                  className="kbd-pos"
                  style={{ '--x': k.x - b.x, '--y': k.y, '--h': k.h } as CSSProperties}
                >
                  {renderCap(capFor(k.key), k.w)}
                </div>
              ))}
            </div>
          ))}
        </div>
      </div>
      {extraKeys.length > 0 && (
        <div className="kbd-extra" role="group" aria-labelledby={`${ids}-extra`}>
          <span id={`${ids}-extra`} className="muted">
            Not on this layout:
          </span>
          <div className="kbd-extra-keys" onKeyDown={onArrow}>
            {extraKeys.map((key) => renderCap(capFor(key), 1.6))}
          </div>
        </div>
      )}
      <p className="kbd-inspect" data-testid="keyboard-inspect">
        {inspectedCap ? (
          <>
            <kbd>{inspectedCap.key}</kbd> {inspectedCap.title}
            {sourceOf(inspectedCap) && (
              <InspectSource
                source={sourceOf(inspectedCap)!}
                onKeySource={simulator ? onKeySource : undefined}
              />
            )}
          </>
        ) : (
          <span className="muted">
            {simulator
              ? 'Press keys with the pointer (or focus one and hold Enter/Space).'
              : edit
                ? 'Click a key to change what it does in this layer (Alt+click: go to its line).'
                : onKeySource
                  ? 'Hover or focus a key for details; click a mapped key to go to its line.'
                  : 'Hover or focus a key for details.'}
          </span>
        )}
      </p>
      {combos.length > 0 && (
        <ComboList
          combos={combos}
          shown={isLive ? null : (layer ?? block?.layers[0] ?? null)}
          onKeySource={simulator ? undefined : onKeySource}
          onHighlight={setHighlighted}
        />
      )}
      <ul className="kbd-legend" aria-label="Colours">
        {KIND_LEGEND.map((k) => (
          <li key={k.kind} title={k.title}>
            <span className={`kbd-swatch kbd-kind-${k.kind}`} aria-hidden="true" /> {k.label}
          </li>
        ))}
        <li title="the key is part of a combo (listed under the keyboard)">
          <span className="kbd-swatch kbd-swatch-mark" aria-hidden="true">
            <span className="kbd-marks">
              <span className="kbd-combo-mark">+</span>
            </span>
          </span>{' '}
          in a combo
        </li>
        <li title="a key override: what the key gives while modifiers are down (key_override)">
          <span className="kbd-swatch kbd-swatch-mark" aria-hidden="true">
            <span className="kbd-marks">
              <span className="kbd-override-mark">⇧</span>
            </span>
          </span>{' '}
          key override
        </li>
        <li>
          <span className="kbd-swatch kbd-unmapped" aria-hidden="true" /> not mapped
        </li>
        <li>
          <span className="kbd-swatch kbd-kind-remap kbd-fallthrough" aria-hidden="true" /> from base (not in
          this layer)
        </li>
        {pressed && (
          <li>
            <span className="kbd-swatch kbd-held" aria-hidden="true" /> held
          </li>
        )}
      </ul>
    </div>
  );
}

/** The combos that apply, each with its keys, output and detail; a click goes to its line. */
function ComboList({
  combos,
  shown,
  onKeySource,
  onHighlight,
}: {
  combos: readonly LayerCombo[];
  /** the chosen layer (combos of others are marked with their layer); null: live */
  shown: LayerView | null;
  onKeySource?: (source: MappingSource) => void;
  onHighlight: (combo: ComboDescription | null) => void;
}) {
  const ids = useId();
  return (
    <div className="kbd-combos" data-testid="keyboard-combos">
      <h4 id={`${ids}-combos`} className="kbd-combos-title">
        Combos <span className="muted">(keys pressed together)</span>
      </h4>
      <ul aria-labelledby={`${ids}-combos`}>
        {combos.map(({ combo, layer }, i) => {
          const content = (
            <>
              <span className="kbd-combo-keys">
                {combo.keys.map((k, j) => (
                  <span key={k}>
                    {j > 0 && '+'}
                    <kbd>{k}</kbd>
                  </span>
                ))}
              </span>{' '}
              → <strong>{combo.label}</strong> <span className="muted">{combo.detail}</span>
              {layer !== shown && layer.condition !== null && <span className="badge">{layer.name}</span>}
              {shown !== null && layer !== shown && layer.condition === null && (
                <span className="muted"> (base)</span>
              )}
            </>
          );
          const source = combo.source;
          return (
            <li
              key={i}
              data-testid="combo-item"
              onPointerEnter={() => onHighlight(combo)}
              onPointerLeave={() => onHighlight(null)}
              onFocus={() => onHighlight(combo)}
              onBlur={() => onHighlight(null)}
            >
              {source && onKeySource ? (
                <button
                  type="button"
                  className="kbd-combo-link"
                  onClick={() => onKeySource(source)}
                  title={`Go to line ${source.line}`}
                >
                  {content}
                </button>
              ) : (
                <span>
                  {content}
                  {source && <span className="muted"> · line {source.line}</span>}
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </div>
  );
}

function InspectSource({
  source,
  onKeySource,
}: {
  source: MappingSource;
  onKeySource?: (source: MappingSource) => void;
}) {
  if (!onKeySource) return <span className="muted"> · line {source.line}</span>;
  return (
    <>
      {' '}
      <button type="button" className="icon-button kbd-goto" onClick={() => onKeySource(source)}>
        Go to line {source.line}
      </button>
    </>
  );
}
