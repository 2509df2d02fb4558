/**
 * The on-screen keyboard: what each physical key does in the base layer or a chosen layer of
 * a device block, coloured by kind. The editor uses it to jump to a mapping's line; the
 * simulator presses its keys and shows the live layer state on it.
 */
import type { CSSProperties, KeyboardEvent, PointerEvent } from 'react';
import { useId, useMemo, useRef, useState } from 'react';
import type { DeviceView, KeyDescription, LayerView, MappingSource } from '../../../src/core/index.ts';
import { LAYOUTS } from '../../../src/core/index.ts';
import { keyLegend } from './legends.ts';
import type { KindClass } from './model.ts';
import { conditionHolds, detectLayout, kindClass, layoutGeometry, moveFocus, resolveLive } from './model.ts';
import './keyboard.css';

export type LayoutId = 'ansi' | 'iso' | 'jis';

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

const LAYOUT_CHOICES: { id: LayoutId; name: string }[] = [
  { id: 'ansi', name: LAYOUTS.ansi.name },
  { id: 'iso', name: LAYOUTS.iso.name },
  { id: 'jis', name: LAYOUTS.jis.name },
];

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
  title: string;
  ariaLabel: string;
}

function describeCap(
  key: string,
  legend: string,
  shown: string,
  resolved: { layer: LayerView; description: KeyDescription } | null,
  dimmed: boolean,
): Cap {
  if (!resolved) {
    const title = `${key}: not mapped${shown === 'base' ? '' : ` (not in ${shown} or base)`}`;
    return {
      key,
      legend,
      label: legend,
      state: 'unmapped',
      kind: null,
      description: null,
      layer: 'base',
      title,
      ariaLabel: title,
    };
  }
  const { layer, description } = resolved;
  const fallthrough = dimmed && layer.name === 'base';
  const title = fallthrough
    ? `${description.detail} (base; not mapped in ${shown})`
    : `${description.detail} (${layer.name})`;
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

function layerKeyCount(layer: LayerView): number {
  return Object.keys(layer.keys).length;
}

export function KeyboardView(props: KeyboardViewProps) {
  const { views, onKeySource, pressed, activeLayers, onKeyAction, device } = props;
  const simulator = onKeyAction !== undefined;
  const live = activeLayers !== undefined;
  const ids = useId();

  // null = not chosen by the user: follow the prop / detection as the views change
  const [chosenLayout, setChosenLayout] = useState<LayoutId | null>(null);
  const [chosenBlock, setChosenBlock] = useState(0);
  const [chosenLayer, setChosenLayer] = useState<string | null>(null);
  const [inspected, setInspected] = useState<string | null>(null);

  const detected = useMemo(() => detectLayout(views), [views]);
  const layoutId = chosenLayout ?? props.layout ?? detected;
  const layout = LAYOUTS[layoutId];

  const blockIndex = Math.min(props.blockIndex ?? chosenBlock, Math.max(0, views.length - 1));
  const block: DeviceView | undefined = blockIndex < 0 ? undefined : views[blockIndex];
  const active = useMemo(() => new Set(activeLayers ?? []), [activeLayers]);

  const layerChoice = chosenLayer ?? (live ? LIVE : 'base');
  const isLive = live && layerChoice === LIVE;
  const layer: LayerView | undefined = isLive
    ? undefined
    : (block?.layers.find((l) => l.name === layerChoice) ?? block?.layers[0]);
  const shownName = isLive ? 'live' : (layer?.name ?? 'base');

  const capFor = (key: string): Cap => {
    const legend = keyLegend(key, layoutId);
    if (!block) return describeCap(key, legend, 'base', null, false);
    if (isLive) {
      const resolved = resolveLive(block, key, active, device);
      return describeCap(key, legend, 'the active layers', resolved, active.size > 0);
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
      );
    const fromBase = base.keys[key] ? { layer: base, description: base.keys[key] } : null;
    return describeCap(key, legend, current.name, fromBase, current !== base);
  };

  // Mapped keys the chosen layout has no place for (numpad, F13–F24, media…) still get a cap.
  const extraKeys = useMemo(() => {
    const onLayout = new Set<string>();
    for (const row of layout.rows) for (const slot of row) if (slot.key) onLayout.add(slot.key);
    const extra = new Set<string>();
    const layers = isLive ? (block?.layers ?? []) : [block?.layers[0], layer].filter((l) => l !== undefined);
    for (const l of layers) for (const key of Object.keys(l.keys)) if (!onLayout.has(key)) extra.add(key);
    return [...extra];
  }, [layout, block, layer, isLive]);

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
  const onClick = (cap: Cap) => () => {
    setInspected(cap.key);
    const source = cap.description?.source;
    if (!simulator && cap.state === 'mapped' && source) onKeySource?.(source);
  };

  const renderCap = (cap: Cap, width: number) => {
    const held = pressed?.has(cap.key) ?? false;
    const classes = [
      'kbd-key',
      cap.kind ? `kbd-kind-${cap.kind}` : 'kbd-unmapped',
      cap.state === 'fallthrough' ? 'kbd-fallthrough' : '',
      held ? 'kbd-held' : '',
      cap.state === 'mapped' && cap.description?.source && onKeySource && !simulator ? 'kbd-linked' : '',
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
                {`${l.name}${live && l.condition && conditionHolds(l.condition, active, device) ? ' (active)' : ''} · ${layerKeyCount(l)} keys`}
              </option>
            ))}
          </select>
        </label>
        <label>
          Layout
          <select value={layoutId} onChange={(e) => setChosenLayout(e.target.value as LayoutId)}>
            {LAYOUT_CHOICES.map((l) => (
              <option key={l.id} value={l.id}>
                {l.name}
              </option>
            ))}
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
          style={
            {
              '--cols': geometry.mainColumns + (geometry.navColumns > 0 ? 0.5 + geometry.navColumns : 0),
              '--main-cols': geometry.mainColumns,
            } as CSSProperties
          }
          role="group"
          aria-label={`${layout.name} keyboard, ${isLive ? 'live layers' : `layer ${shownName}`}`}
          onKeyDown={onArrow}
        >
          {[geometry.main, geometry.nav].map((rows, b) =>
            rows.every((row) => row.length === 0) ? null : (
              <div key={b} className={b === 0 ? 'kbd-block kbd-main' : 'kbd-block kbd-nav'}>
                {rows.map((row, r) => (
                  <div className="kbd-row" key={r}>
                    {row.map((slot, i) =>
                      slot.key ? (
                        renderCap(capFor(slot.key), slot.w)
                      ) : (
                        <span
                          key={`gap-${i}`}
                          className="kbd-slot kbd-gap"
                          style={{ '--w': slot.w } as CSSProperties}
                          aria-hidden="true"
                        />
                      ),
                    )}
                  </div>
                ))}
              </div>
            ),
          )}
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
            {inspectedCap.state === 'mapped' && inspectedCap.description?.source && (
              <InspectSource
                source={inspectedCap.description.source}
                onKeySource={simulator ? onKeySource : undefined}
              />
            )}
          </>
        ) : (
          <span className="muted">
            {simulator
              ? 'Press keys with the pointer (or focus one and hold Enter/Space).'
              : onKeySource
                ? 'Hover or focus a key for details; click a mapped key to go to its line.'
                : 'Hover or focus a key for details.'}
          </span>
        )}
      </p>
      <ul className="kbd-legend" aria-label="Colours">
        <li>
          <span className="kbd-swatch kbd-kind-remap" aria-hidden="true" /> remap
        </li>
        <li>
          <span className="kbd-swatch kbd-kind-layer" aria-hidden="true" /> layer key
        </li>
        <li>
          <span className="kbd-swatch kbd-kind-lock" aria-hidden="true" /> lock
        </li>
        <li>
          <span className="kbd-swatch kbd-kind-taphold" aria-hidden="true" /> tap / hold
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
