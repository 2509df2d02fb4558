/**
 * The simulator: the real engine in the browser. Live mode feeds it key presses from the
 * on-screen keyboard or the physical keyboard in real time (tap-hold timeouts fire by the
 * clock); script mode runs a `d:A t:50 u:A` script in virtual time.
 */
import type { KeyboardEvent as ReactKeyboardEvent, ReactNode } from 'react';
import { useEffect, useId, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import type {
  Condition,
  Config,
  DeviceView,
  MappingSource,
  SimulationResult,
} from '../../../src/core/index.ts';
import {
  DEFAULT_DEVICE,
  keyName,
  layerName,
  matchDeviceBlock,
  ScriptSyntaxError,
  simulate,
} from '../../../src/core/index.ts';
import { TimelineTable } from './TimelineTable.tsx';
import { keyNameForDomCode } from '../keyboard/dom-codes.ts';
import { KeyboardView } from '../keyboard/KeyboardView.tsx';
import { plural } from '../lib/format.ts';
import type { LiveSnapshot } from './live-session.ts';
import { LiveSession } from './live-session.ts';
import './simulator.css';

export interface SimulatorPanelProps {
  config: Config | null;
  views: DeviceView[];
  /** "Go to line" on a key of the live keyboard */
  onKeySource?: (source: MappingSource) => void;
  /** the live mode's on-screen keyboard (default true); a page that shows its own can hide it */
  showKeyboard?: boolean;
}

type Mode = 'live' | 'script';

/** Two Escape presses this close together leave the capture region. */
const DOUBLE_ESCAPE_MS = 600;

const EMPTY_SNAPSHOT: LiveSnapshot = {
  entries: [],
  modifiers: [],
  locks: [],
  activeLayers: [],
  held: new Set(),
  outputDown: [],
  pending: [],
  queued: 0,
  capsWord: false,
  oneShots: [],
  text: '',
  outputScript: '',
};
const noSubscription = () => () => {};
const emptySnapshot = () => EMPTY_SNAPSHOT;

/**
 * A script that shows the first tap-hold of the device's block as a tap and as a hold, else
 * the first mapping: a combo's keys pressed together, a tap dance tapped twice, a key pressed.
 */
export function suggestedScript(config: Config | null, blockIndex = 0): string {
  const block = config?.devices[blockIndex];
  const mappings = block?.mappings ?? [];
  const tapHold = mappings.find((m) => m.kind === 'tapHold' || m.kind === 'holdOnly');
  if (tapHold)
    return `d:${tapHold.from} t:50 u:${tapHold.from} t:100 d:${tapHold.from} t:${tapHold.thresholdMs + 100} u:${tapHold.from}`;
  const first = mappings.find((m) => m.kind !== 'conditional');
  if (!first) return 'd:A t:50 u:A';
  switch (first.kind) {
    case 'combo': {
      const down = first.keys.map((k) => `d:${k}`).join(' t:10 ');
      const up = first.keys.map((k) => `u:${k}`).join(' ');
      return `${down} t:50 ${up}`;
    }
    case 'tapDance':
      return `d:${first.from} t:30 u:${first.from} t:50 d:${first.from} t:30 u:${first.from} t:${first.windowMs + 50}`;
    case 'oneShot':
      return `d:${first.from} t:30 u:${first.from} t:50 d:A t:30 u:A`;
    default:
      return `d:${first.from} t:50 u:${first.from}`;
  }
}

/** A device name each block's pattern matches (for the device field's suggestions). */
/** Whether a profile has `APP:` / `TITLE:` conditions (then live mode offers the fields). */
function configUsesContext(config: Config): boolean {
  const uses = (c: Condition): boolean =>
    c.kind === 'app' ||
    c.kind === 'title' ||
    ((c.kind === 'allOf' || c.kind === 'noneOf') && c.items.some(uses));
  return config.devices.some((d) => d.mappings.some((m) => m.kind === 'conditional' && uses(m.condition)));
}

function sampleDeviceName(pattern: string): string {
  const name = pattern.replaceAll('*', ' ').trim().replace(/\s+/g, ' ');
  return name === '' ? DEFAULT_DEVICE : name;
}

type ScriptOutcome = { ok: true; result: SimulationResult } | { ok: false; message: string };

function runScript(config: Config, script: string, device: string): ScriptOutcome {
  try {
    return { ok: true, result: simulate(config, script, { settle: true, device }) };
  } catch (e) {
    if (e instanceof ScriptSyntaxError) return { ok: false, message: e.message };
    return { ok: false, message: `the simulation failed: ${(e as Error).message}` };
  }
}

export function SimulatorPanel({ config, views, onKeySource, showKeyboard = true }: SimulatorPanelProps) {
  const ids = useId();
  const [mode, setMode] = useState<Mode>('live');
  const [device, setDevice] = useState(DEFAULT_DEVICE);
  const [context, setContext] = useState({ app: '', title: '' });
  const [scriptText, setScriptText] = useState<string | null>(null);
  const [ran, setRan] = useState<{ script: string } | null>(null);

  const blockIndex = useMemo(() => (config ? matchDeviceBlock(config, [device]) : -1), [config, device]);

  // A new engine for each profile text or device: the old one releases everything first.
  const session = useMemo(() => (config ? new LiveSession(config, { device }) : null), [config, device]);
  useEffect(() => {
    if (!session) return;
    return () => session.dispose();
  }, [session]);
  // the live engine sees the app and title typed here (a new session too)
  useEffect(() => session?.setContext(context), [session, context]);
  const usesContext = useMemo(() => (config ? configUsesContext(config) : false), [config]);
  const snapshot = useSyncExternalStore(
    session ? session.subscribe : noSubscription,
    session ? session.getSnapshot : emptySnapshot,
  );

  const script = scriptText ?? suggestedScript(config, Math.max(0, blockIndex));
  const outcome = useMemo(
    () => (ran && config ? runScript(config, ran.script, device) : null),
    [ran, config, device],
  );

  const tabs: { id: Mode; label: string }[] = [
    { id: 'live', label: 'Live' },
    { id: 'script', label: 'Script' },
  ];
  const onTabKey = (e: ReactKeyboardEvent<HTMLButtonElement>) => {
    if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight' && e.key !== 'Home' && e.key !== 'End') return;
    e.preventDefault();
    const next: Mode =
      e.key === 'Home' ? 'live' : e.key === 'End' ? 'script' : mode === 'live' ? 'script' : 'live';
    setMode(next);
    document.getElementById(`${ids}-tab-${next}`)?.focus();
  };

  if (!config)
    return (
      <section className="sim" aria-label="Simulator">
        <p className="sim-disabled card" role="status" data-testid="sim-disabled">
          Fix the errors to simulate: the simulator runs the compiled profile, and this one does not compile.
        </p>
      </section>
    );

  return (
    <section className="sim" aria-label="Simulator">
      <div className="sim-head">
        <div className="sim-tabs" role="tablist" aria-label="Simulator mode">
          {tabs.map((t) => (
            <button
              key={t.id}
              type="button"
              role="tab"
              id={`${ids}-tab-${t.id}`}
              aria-selected={mode === t.id}
              aria-controls={`${ids}-panel-${t.id}`}
              tabIndex={mode === t.id ? 0 : -1}
              onClick={() => setMode(t.id)}
              onKeyDown={onTabKey}
            >
              {t.label}
            </button>
          ))}
        </div>
        <label className="sim-device">
          Device
          <input
            value={device}
            onChange={(e) => setDevice(e.target.value)}
            list={`${ids}-devices`}
            spellCheck={false}
            autoComplete="off"
            aria-describedby={`${ids}-device-match`}
          />
        </label>
        <datalist id={`${ids}-devices`}>
          {[...new Set([DEFAULT_DEVICE, ...config.devices.map((b) => sampleDeviceName(b.pattern))])].map(
            (n) => (
              <option key={n} value={n} />
            ),
          )}
        </datalist>
        {usesContext && mode === 'live' && (
          <>
            <label className="sim-device">
              App
              <input
                value={context.app}
                onChange={(e) => setContext({ ...context, app: e.target.value })}
                spellCheck={false}
                autoComplete="off"
                placeholder="firefox"
                data-testid="sim-app"
              />
            </label>
            <label className="sim-device">
              Title
              <input
                value={context.title}
                onChange={(e) => setContext({ ...context, title: e.target.value })}
                spellCheck={false}
                autoComplete="off"
                data-testid="sim-title"
              />
            </label>
          </>
        )}
        <span id={`${ids}-device-match`} className="muted sim-device-match">
          {blockIndex >= 0 ? (
            <>
              uses block {blockIndex + 1} <code>{config.devices[blockIndex].pattern}</code>
            </>
          ) : (
            'matches no device block: every key passes through'
          )}
        </span>
      </div>

      {/* Panels are not labelled by their tabs, so that "Script" names only the script field. */}
      <div role="tabpanel" id={`${ids}-panel-live`} hidden={mode !== 'live'} className="sim-panel">
        {session && (
          <LiveMode
            session={session}
            snapshot={snapshot}
            views={views}
            blockIndex={blockIndex}
            device={device}
            onKeySource={onKeySource}
            showKeyboard={showKeyboard}
          />
        )}
      </div>

      <div role="tabpanel" id={`${ids}-panel-script`} hidden={mode !== 'script'} className="sim-panel">
        <ScriptMode
          script={script}
          onScriptChange={setScriptText}
          onRun={() => setRan({ script })}
          outcome={outcome}
        />
      </div>
    </section>
  );
}

// ---------------------------------------------------------------- live mode

function LiveMode({
  session,
  snapshot,
  views,
  blockIndex,
  device,
  onKeySource,
  showKeyboard,
}: {
  session: LiveSession;
  snapshot: LiveSnapshot;
  views: DeviceView[];
  blockIndex: number;
  device: string;
  onKeySource?: (source: MappingSource) => void;
  showKeyboard: boolean;
}) {
  const ids = useId();
  const [capturing, setCapturing] = useState(false);
  const captureRef = useRef<HTMLDivElement>(null);
  // Keys pressed through the capture region, so a blur can release them (their keyup never comes).
  const capturedKeys = useRef(new Set<string>());
  const lastEscape = useRef(-Infinity);

  useEffect(() => {
    // A new session has nothing held.
    const held = capturedKeys.current;
    return () => held.clear();
  }, [session]);

  const releaseCaptured = () => {
    for (const key of capturedKeys.current) session.input(key, 'release');
    capturedKeys.current.clear();
  };

  const onKeyDown = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    const key = keyNameForDomCode(e.code);
    if (key === null) return;
    e.preventDefault();
    if (key === 'Escape' && !e.repeat) {
      const now = performance.now();
      if (now - lastEscape.current < DOUBLE_ESCAPE_MS) {
        lastEscape.current = -Infinity;
        releaseCaptured();
        captureRef.current?.blur();
        return;
      }
      lastEscape.current = now;
    }
    if (e.repeat) {
      if (capturedKeys.current.has(key)) session.input(key, 'repeat');
      return;
    }
    if (capturedKeys.current.has(key)) return;
    capturedKeys.current.add(key);
    session.input(key, 'press');
  };
  const onKeyUp = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    const key = keyNameForDomCode(e.code);
    if (key === null) return;
    e.preventDefault();
    if (capturedKeys.current.delete(key)) session.input(key, 'release');
  };

  const stopCapture = () => {
    releaseCaptured();
    captureRef.current?.blur();
  };

  return (
    <div className="sim-live">
      <div className="sim-capture-row">
        <div
          ref={captureRef}
          className={`sim-capture${capturing ? ' sim-capturing' : ''}`}
          tabIndex={0}
          role="application"
          aria-roledescription="key capture"
          aria-label="Simulator typing area"
          aria-describedby={`${ids}-capture-hint`}
          data-testid="sim-capture"
          data-capturing={capturing}
          onKeyDown={onKeyDown}
          onKeyUp={onKeyUp}
          onFocus={() => setCapturing(true)}
          onBlur={() => {
            releaseCaptured();
            setCapturing(false);
          }}
        >
          <span className="sim-capture-dot" aria-hidden="true" />
          <span id={`${ids}-capture-hint`}>
            {capturing ? (
              <>
                <strong>Typing is captured</strong>: keys go to the simulator, not the page. Press Esc twice
                to leave. Browser shortcuts (Ctrl+W, Ctrl+T…) still reach the browser.
              </>
            ) : (
              <>
                <strong>Click here</strong> (or tab here) and type: your physical keys go through the profile.
              </>
            )}
          </span>
        </div>
        <div className="sim-live-actions">
          {capturing && (
            <button type="button" onMouseDown={(e) => e.preventDefault()} onClick={stopCapture}>
              Stop capturing
            </button>
          )}
          <button type="button" onClick={() => session.reset()}>
            Reset
          </button>
        </div>
      </div>

      {showKeyboard && (
        <KeyboardView
          views={views}
          blockIndex={blockIndex}
          device={device}
          pressed={snapshot.held}
          activeLayers={snapshot.activeLayers}
          onKeyAction={(key, action) => session.input(key, action)}
          onKeySource={onKeySource}
        />
      )}

      <LiveState snapshot={snapshot} />

      <h3 className="sim-subhead" id={`${ids}-timeline`}>
        Timeline <span className="muted">(newest first)</span>
      </h3>
      <TimelineTable
        entries={snapshot.entries}
        labelledBy={`${ids}-timeline`}
        empty="No events yet: press keys on the keyboard above or type in the capture area."
        scrolls
      />
    </div>
  );
}

function KeyList({ keys, empty, className }: { keys: readonly string[]; empty: string; className?: string }) {
  if (keys.length === 0) return <span className="muted">{empty}</span>;
  return (
    <span className="sim-keys">
      {keys.map((k) => (
        <kbd key={k} className={className}>
          {k}
        </kbd>
      ))}
    </span>
  );
}

function StateGrid({ children }: { children: ReactNode }) {
  return <dl className="sim-state">{children}</dl>;
}

/** Caps word, armed one-shots and held-back input: shown only while there is something to show. */
function ExtraState({
  capsWord,
  oneShots,
  queued,
}: {
  capsWord: boolean;
  oneShots: readonly string[];
  queued: number;
}) {
  return (
    <>
      {capsWord && (
        <div>
          <dt>Caps word</dt>
          <dd data-testid="sim-caps-word">
            <span className="sim-chip sim-chip-oneshot">on</span>
          </dd>
        </div>
      )}
      {oneShots.length > 0 && (
        <div>
          <dt>One-shot armed</dt>
          <dd data-testid="sim-one-shots">
            <KeyList keys={oneShots} empty="none" className="sim-oneshot" />
          </dd>
        </div>
      )}
      {queued > 0 && (
        <div>
          <dt>Held back</dt>
          <dd data-testid="sim-queued" title="input held back until an open decision is made, then replayed">
            {plural(queued, 'event')}
          </dd>
        </div>
      )}
    </>
  );
}

function LiveState({ snapshot }: { snapshot: LiveSnapshot }) {
  return (
    <>
      <StateGrid>
        <div>
          <dt>Layers</dt>
          <dd data-testid="sim-layers">
            <KeyList keys={snapshot.modifiers} empty="none" className="sim-layer" />
          </dd>
        </div>
        <div>
          <dt>Locks</dt>
          <dd data-testid="sim-locks">
            <KeyList keys={snapshot.locks} empty="none" className="sim-lock" />
          </dd>
        </div>
        <div>
          <dt>Keys held</dt>
          <dd data-testid="sim-held">
            <KeyList keys={[...snapshot.held]} empty="none" />
          </dd>
        </div>
        <div>
          <dt>Waiting (tap or hold?)</dt>
          <dd data-testid="sim-pending">
            <KeyList keys={snapshot.pending} empty="none" className="sim-pending-key" />
          </dd>
        </div>
        <div>
          <dt>Output keys down</dt>
          <dd data-testid="sim-output-down">
            <KeyList keys={snapshot.outputDown} empty="none" />
          </dd>
        </div>
        <ExtraState capsWord={snapshot.capsWord} oneShots={snapshot.oneShots} queued={snapshot.queued} />
      </StateGrid>
      <div className="sim-typed">
        <span className="sim-typed-label">Typed (US layout)</span>
        <output className="sim-typed-text" data-testid="sim-typed">
          {snapshot.text === '' ? <span className="muted">nothing yet</span> : visibleText(snapshot.text)}
        </output>
      </div>
      {snapshot.outputScript !== '' && (
        <details className="sim-output-script">
          <summary>Output events as a script</summary>
          <code>{snapshot.outputScript}</code>
        </details>
      )}
    </>
  );
}

/** The last line or so of typed text, with Tab and Enter made visible. */
function visibleText(text: string): string {
  return text.slice(-160).replaceAll('\t', '⇥').replaceAll('\n', '⏎');
}

// ---------------------------------------------------------------- script mode

function ScriptMode({
  script,
  onScriptChange,
  onRun,
  outcome,
}: {
  script: string;
  onScriptChange: (text: string) => void;
  onRun: () => void;
  outcome: ScriptOutcome | null;
}) {
  const ids = useId();
  const error = outcome && !outcome.ok ? outcome.message : null;
  return (
    <div className="sim-script">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          onRun();
        }}
      >
        <div className="field">
          <label htmlFor={`${ids}-script`} className="label">
            Script
          </label>
          <textarea
            id={`${ids}-script`}
            className="sim-script-input"
            value={script}
            rows={3}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            aria-invalid={error !== null}
            aria-describedby={`${ids}-help${error ? ` ${ids}-error` : ''}`}
            onChange={(e) => onScriptChange(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
                e.preventDefault();
                onRun();
              }
            }}
          />
          <span id={`${ids}-help`} className="hint">
            <code>d:KEY</code> press, <code>u:KEY</code> release, <code>r:KEY</code> repeat, <code>t:MS</code>{' '}
            wait, <code>dev:NAME</code> device, <code>app:NAME</code> and <code>title:&quot;…&quot;</code> the
            focused application and window title (for <code>APP:</code>/<code>TITLE:</code> conditions).
            Pending tap-holds settle after the last token. Ctrl+Enter runs.
          </span>
          {error && (
            <span id={`${ids}-error`} className="problem" role="alert" data-testid="sim-script-error">
              {error}
            </span>
          )}
        </div>
        <div className="toolbar">
          <button type="submit" className="primary">
            Run
          </button>
        </div>
      </form>
      {outcome?.ok && <ScriptResult result={outcome.result} />}
    </div>
  );
}

function ScriptResult({ result }: { result: SimulationResult }) {
  const ids = useId();
  const { final } = result;
  return (
    <div className="sim-result" data-testid="sim-script-result">
      <div className="sim-output">
        <span className="sim-typed-label">Output</span>
        <code data-testid="sim-script-output">{result.output === '' ? '(nothing)' : result.output}</code>
      </div>
      <StateGrid>
        <div>
          <dt>Duration</dt>
          <dd>{result.durationMs} ms</dd>
        </div>
        <div>
          <dt>Layers at the end</dt>
          <dd>
            <KeyList
              keys={final.modifiers.map((id) => layerName('MD', id))}
              empty="none"
              className="sim-layer"
            />
          </dd>
        </div>
        <div>
          <dt>Locks at the end</dt>
          <dd>
            <KeyList keys={final.locks.map((id) => layerName('LK', id))} empty="none" className="sim-lock" />
          </dd>
        </div>
        <div>
          <dt>Output keys still down</dt>
          <dd>
            <KeyList keys={final.outputDown.map(keyName)} empty="none" />
          </dd>
        </div>
        <ExtraState
          capsWord={final.capsWord ?? false}
          oneShots={final.oneShots ?? []}
          queued={final.queued ?? 0}
        />
        {(final.app || final.title) && (
          <div>
            <dt>Context</dt>
            <dd data-testid="sim-context">
              {final.app && (
                <>
                  app <code>{final.app}</code>{' '}
                </>
              )}
              {final.title && (
                <>
                  title <code>{final.title}</code>
                </>
              )}
            </dd>
          </div>
        )}
      </StateGrid>
      <h3 className="sim-subhead" id={`${ids}-timeline`}>
        Timeline
      </h3>
      <TimelineTable
        entries={result.timeline}
        labelledBy={`${ids}-timeline`}
        empty="The script has no key events."
      />
    </div>
  );
}
