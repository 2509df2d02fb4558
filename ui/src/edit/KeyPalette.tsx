/**
 * The key palette, and the key field every key of the mapping dialog is typed or picked in.
 *
 * A field is a text box (a key name or alias, checked as it is typed, like the compiler does) with
 * a **Choose** button that opens the palette under it: a search over names, aliases and
 * descriptions (`esc`, `arrow`, `backtick`), the favourites (☆ on any key, kept in localStorage),
 * the last 10 keys used, every key by group, and **Press the key you mean**, which takes the next
 * key pressed on the real keyboard (its `KeyboardEvent.code`, so the physical key whatever the
 * OS layout). Fields that take a layer list the profile's layers and the next free id as well.
 */
import type { KeyboardEvent as ReactKeyboardEvent } from 'react';
import { useEffect, useId, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { resolveKey, UnknownKeyError } from '../../../src/core/index.ts';
import { keyNameForDomCode } from '../keyboard/dom-codes.ts';
import type { LayerOption, PaletteEntry, PaletteGroupId } from './palette.ts';
import {
  KEY_ENTRIES,
  keyEntry,
  keyMemory,
  layerEntry,
  PALETTE_GROUPS,
  parseLayerText,
  searchEntries,
} from './palette.ts';

function useKeyMemory() {
  const memory = keyMemory();
  const favourites = useSyncExternalStore(memory.subscribe, memory.favourites, memory.favourites);
  const recents = useSyncExternalStore(memory.subscribe, memory.recents, memory.recents);
  return { memory, favourites, recents };
}

/** Why a typed key name is not one, or null (empty is the form's business). */
export function keyProblem(value: string, layers?: readonly LayerOption[]): string | null {
  const v = value.trim();
  if (v === '') return null;
  if (layers && parseLayerText(v)) return null;
  try {
    resolveKey(v);
    return null;
  } catch (e) {
    return e instanceof UnknownKeyError ? e.message : String(e);
  }
}

/**
 * The release of a captured key must not act either (Space and Enter click a focused button on
 * release): it is swallowed, up to a moment later if it never comes (the window lost focus).
 */
function swallowRelease(code: string): void {
  const onKeyUp = (e: KeyboardEvent) => {
    e.preventDefault();
    e.stopPropagation();
    if (e.code === code) done();
  };
  const timer = setTimeout(done, 2000);
  function done() {
    clearTimeout(timer);
    window.removeEventListener('keyup', onKeyUp, true);
  }
  window.addEventListener('keyup', onKeyUp, true);
}

export interface KeyPaletteProps {
  onPick(name: string): void;
  onClose(): void;
  /** layers offered in the Layers group (fields that take a layer) */
  layers?: readonly LayerOption[];
  /** groups listed first (a modifier field: modifiers) */
  prefer?: readonly PaletteGroupId[];
  /** what the palette picks for, for its label (`Tap key`) */
  label: string;
}

export function KeyPalette({ onPick, onClose, layers, prefer = [], label }: KeyPaletteProps) {
  const ids = useId();
  const { memory, favourites, recents } = useKeyMemory();
  const [query, setQuery] = useState('');
  const [group, setGroup] = useState<PaletteGroupId | 'all'>('all');
  const [capturing, setCapturing] = useState(false);
  const [captureNote, setCaptureNote] = useState<string | null>(null);
  const listRef = useRef<HTMLDivElement>(null);
  const searchRef = useRef<HTMLInputElement>(null);

  useEffect(() => searchRef.current?.focus(), []);

  const layerEntries = useMemo(() => (layers ?? []).map(layerEntry), [layers]);
  const all = useMemo(() => [...KEY_ENTRIES, ...layerEntries], [layerEntries]);
  const entryOf = (name: string): PaletteEntry =>
    keyEntry(name) ??
    layerEntries.find((e) => e.name === name) ?? {
      name,
      aliases: [name],
      group: name.startsWith('MD_') || name.startsWith('LK_') ? 'layers' : 'editing',
      description: name,
      legend: name,
    };
  // layer fields take only layers they can name; a key field drops remembered layers
  const usable = (name: string) => layers !== undefined || !/^(MD|LK)_/.test(name);

  const results = useMemo(() => {
    const found = searchEntries(query, all);
    const typedLayer = layers ? parseLayerText(query) : null;
    if (typedLayer && !found.some((e) => e.name === typedLayer))
      found.unshift(layerEntry({ ref: typedLayer, name: null, isNew: true }));
    return found;
  }, [query, all, layers]);

  const groups = useMemo(() => {
    const ordered = [
      ...prefer.map((id) => PALETTE_GROUPS.find((g) => g.id === id)!),
      ...PALETTE_GROUPS.filter((g) => !prefer.includes(g.id)),
    ].filter((g) => g.id !== 'layers' || layerEntries.length > 0);
    return ordered.map((g) => ({
      ...g,
      entries: g.id === 'layers' ? layerEntries : KEY_ENTRIES.filter((e) => e.group === g.id),
    }));
  }, [prefer, layerEntries]);

  const pick = (name: string) => {
    memory.use(name);
    onPick(name);
  };

  // "press the key you mean": the next key pressed anywhere is taken, never acted on
  const pickRef = useRef(pick);
  useEffect(() => {
    pickRef.current = pick;
  });
  useEffect(() => {
    if (!capturing) return;
    const onKeyDown = (e: KeyboardEvent) => {
      e.preventDefault();
      e.stopPropagation();
      window.removeEventListener('keydown', onKeyDown, true);
      swallowRelease(e.code);
      const name = keyNameForDomCode(e.code);
      setCapturing(false);
      if (name) pickRef.current(name);
      else setCaptureNote(`keyrx does not see that key (${e.code || e.key}): choose it from the list`);
    };
    window.addEventListener('keydown', onKeyDown, true);
    return () => window.removeEventListener('keydown', onKeyDown, true);
  }, [capturing]);

  const onSearchKey = (e: ReactKeyboardEvent<HTMLInputElement>) => {
    if (e.key === 'Enter') {
      // Enter picks the best match, never submits the dialog
      e.preventDefault();
      const first = results.find((r) => usable(r.name));
      if (query.trim() !== '' && first) pick(first.name);
    } else if (e.key === 'ArrowDown') {
      e.preventDefault();
      listRef.current?.querySelector<HTMLButtonElement>('button[data-pick]')?.focus();
    }
  };
  const onPaletteKey = (e: ReactKeyboardEvent<HTMLDivElement>) => {
    if (e.key === 'Escape') {
      // closes the palette, not the dialog around it
      e.preventDefault();
      e.stopPropagation();
      onClose();
    }
  };

  const renderEntries = (entries: readonly PaletteEntry[], section: string) => (
    <ul className="key-palette-keys" aria-label={section}>
      {entries.map((e) => {
        const favourite = favourites.includes(e.name);
        return (
          <li key={e.name}>
            <button
              type="button"
              className={`key-chip key-chip-${e.group}`}
              data-pick={e.name}
              title={`${e.name}: ${e.description}${e.aliases.length > 1 ? ` (also ${e.aliases.slice(1).join(', ')})` : ''}`}
              onClick={() => pick(e.name)}
            >
              <span className="key-chip-name">{e.name}</span>
              {e.legend !== e.name && (
                <span className="key-chip-legend" aria-hidden="true">
                  {e.legend}
                </span>
              )}
            </button>
            <button
              type="button"
              className={`key-star${favourite ? ' is-on' : ''}`}
              aria-pressed={favourite}
              aria-label={favourite ? `Remove ${e.name} from favourites` : `Add ${e.name} to favourites`}
              onClick={() => memory.toggleFavourite(e.name)}
            >
              {favourite ? '★' : '☆'}
            </button>
          </li>
        );
      })}
    </ul>
  );

  const favouriteEntries = favourites.filter(usable).map(entryOf);
  const recentEntries = recents.filter(usable).map(entryOf);
  const shownGroups = group === 'all' ? groups : groups.filter((g) => g.id === group);

  return (
    <div
      className="key-palette"
      role="group"
      aria-label={`Key palette: ${label}`}
      data-testid="key-palette"
      onKeyDown={onPaletteKey}
    >
      <div className="key-palette-top">
        <input
          ref={searchRef}
          type="search"
          aria-label="Search keys"
          placeholder="Search: name, alias or what it is"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={onSearchKey}
          autoComplete="off"
          spellCheck={false}
        />
        <button
          type="button"
          className={capturing ? 'key-capture is-capturing' : 'key-capture'}
          aria-pressed={capturing}
          onClick={() => {
            setCaptureNote(null);
            setCapturing((c) => !c);
          }}
        >
          {capturing ? 'Press a key now…' : 'Press the key you mean'}
        </button>
        <button type="button" className="icon-button" aria-label="Close the palette" onClick={onClose}>
          ×
        </button>
      </div>
      {(capturing || captureNote) && (
        <p className="key-palette-note" role="status">
          {capturing ? 'The next key you press is picked (any key: Esc, Tab and Enter too).' : captureNote}
        </p>
      )}
      {query === '' && (
        <div className="key-palette-groups" role="group" aria-label="Groups">
          {[{ id: 'all' as const, label: 'All' }, ...groups].map((g) => (
            <button
              key={g.id}
              type="button"
              className="key-group-chip"
              aria-pressed={group === g.id}
              onClick={() => setGroup(g.id)}
            >
              {g.label}
            </button>
          ))}
        </div>
      )}
      <div className="key-palette-list" ref={listRef}>
        {query !== '' ? (
          results.length > 0 ? (
            <section aria-labelledby={`${ids}-results`}>
              <h4 id={`${ids}-results`}>
                Matches <span className="muted">(Enter picks the first)</span>
              </h4>
              {renderEntries(results.filter((r) => usable(r.name)).slice(0, 60), 'Matches')}
            </section>
          ) : (
            <p className="muted">No key matches “{query}”.</p>
          )
        ) : (
          <>
            {group === 'all' && favouriteEntries.length > 0 && (
              <section aria-labelledby={`${ids}-fav`}>
                <h4 id={`${ids}-fav`}>Favourites</h4>
                {renderEntries(favouriteEntries, 'Favourites')}
              </section>
            )}
            {group === 'all' && recentEntries.length > 0 && (
              <section aria-labelledby={`${ids}-recent`}>
                <h4 id={`${ids}-recent`}>Recent</h4>
                {renderEntries(recentEntries, 'Recent')}
              </section>
            )}
            {shownGroups.map((g) => (
              <section key={g.id} aria-labelledby={`${ids}-${g.id}`}>
                <h4 id={`${ids}-${g.id}`}>{g.label}</h4>
                {renderEntries(g.entries, g.label)}
              </section>
            ))}
          </>
        )}
      </div>
    </div>
  );
}

export interface KeyFieldProps {
  label: string;
  value: string;
  onChange(value: string): void;
  /** layers the field takes besides keys (the palette lists them) */
  layers?: readonly LayerOption[];
  prefer?: readonly PaletteGroupId[];
  /** a problem the form found (the compiler's, or a missing value) */
  problem?: string;
  hint?: string;
  placeholder?: string;
}

/** A key (or layer) name, typed or chosen in the palette. */
export function KeyField({
  label,
  value,
  onChange,
  layers,
  prefer,
  problem,
  hint,
  placeholder,
}: KeyFieldProps) {
  const id = useId();
  const [open, setOpen] = useState(false);
  const inputRef = useRef<HTMLInputElement>(null);
  const typed = keyProblem(value, layers);
  const shown = problem ?? typed;
  const described = [hint ? `${id}-hint` : '', shown ? `${id}-problem` : ''].filter(Boolean).join(' ');
  return (
    <div className="field key-field">
      <label htmlFor={id} className="label">
        {label}
      </label>
      <div className="key-field-row">
        <input
          id={id}
          ref={inputRef}
          value={value}
          placeholder={placeholder ?? 'a key name, e.g. Escape'}
          onChange={(e) => onChange(e.target.value)}
          aria-invalid={shown ? true : undefined}
          aria-describedby={described || undefined}
          autoComplete="off"
          spellCheck={false}
        />
        <button
          type="button"
          aria-expanded={open}
          aria-label={`Choose ${label.toLowerCase()}`}
          onClick={() => setOpen((o) => !o)}
        >
          Choose…
        </button>
      </div>
      {hint && (
        <span className="hint" id={`${id}-hint`}>
          {hint}
        </span>
      )}
      {shown && (
        <span className="problem" id={`${id}-problem`}>
          {shown}
        </span>
      )}
      {open && (
        <KeyPalette
          label={label}
          layers={layers}
          prefer={prefer}
          onPick={(name) => {
            onChange(name);
            setOpen(false);
            inputRef.current?.focus();
          }}
          onClose={() => {
            setOpen(false);
            inputRef.current?.focus();
          }}
        />
      )}
    </div>
  );
}
