/**
 * The keyboard view's layout: the built-in layouts (src/core/layouts.ts, no request needed) and
 * the custom ones the daemon stores (GET /api/layouts, loaded when the selector is first hovered
 * or focused, and GET /api/layouts/:id when one is shown). The choice made in the selector is
 * remembered in localStorage and wins over detection in every keyboard view, until another is
 * chosen; a remembered custom layout that no longer exists is forgotten.
 *
 * The lists are shared by every keyboard view of the page (module state, with listeners).
 */
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { Layout } from '../../../src/core/index.ts';
import { BUILTIN_LAYOUTS, canonicalLayoutId, layoutById } from '../../../src/core/index.ts';
import { api, ApiError } from '../api.ts';

export interface LayoutChoice {
  id: string;
  name: string;
  builtIn: boolean;
}

const STORAGE_KEY = 'keyrx.keyboardLayout';

const BUILT_IN_CHOICES: readonly LayoutChoice[] = BUILTIN_LAYOUTS.map((l) => ({
  id: l.id,
  name: l.name,
  builtIn: true,
}));

// ---------------------------------------------------------------- shared state

let customChoices: readonly LayoutChoice[] = [];
let listRequest: Promise<void> | null = null;
const loaded = new Map<string, Layout>();
/** custom ids the daemon does not know (deleted since they were chosen) */
const missing = new Set<string>();
const pending = new Set<string>();
let version = 0;
const listeners = new Set<() => void>();

function changed(): void {
  version++;
  for (const l of listeners) l();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** Loads the custom layouts' names (again); failures leave the built-in ones only. */
export function refreshLayoutList(): Promise<void> {
  listRequest ??= api
    .layouts()
    .then((r) => {
      customChoices = r.layouts
        .filter((l) => !l.builtIn && l.error === undefined)
        .map((l) => ({ id: l.id, name: l.name, builtIn: false }));
      // a layout shown before may have been replaced or deleted since; one that failed may load now
      for (const id of loaded.keys()) loadCustom(id);
      for (const c of customChoices) missing.delete(c.id);
      changed();
    })
    .catch(() => undefined)
    .finally(() => {
      listRequest = null;
    });
  return listRequest;
}

function loadCustom(id: string): void {
  if (pending.has(id)) return;
  pending.add(id);
  api
    .layout(id)
    .then((detail) => {
      loaded.set(id, {
        id: detail.id,
        name: detail.name,
        ...(detail.description !== undefined ? { description: detail.description } : {}),
        keys: detail.keys,
        builtIn: false,
      });
      missing.delete(id);
    })
    .catch((e: unknown) => {
      if (e instanceof ApiError && e.status === 404) {
        // deleted: shown no more, and no longer the remembered choice
        loaded.delete(id);
        missing.add(id);
        if (remembered() === id) remember(null);
      } else if (!loaded.has(id)) missing.add(id); // unreachable for now: not retried on every render
    })
    .finally(() => {
      pending.delete(id);
      changed();
    });
}

function remembered(): string | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

function remember(id: string | null): void {
  try {
    if (id === null) localStorage.removeItem(STORAGE_KEY);
    else localStorage.setItem(STORAGE_KEY, id);
  } catch {
    // private mode or storage full: the choice lasts for this page only
  }
}

/** Forgets every custom layout and (unless `keepChoice`: a page reload) the remembered choice; for tests. */
export function resetLayoutState(opts: { keepChoice?: boolean } = {}): void {
  customChoices = [];
  loaded.clear();
  missing.clear();
  if (!opts.keepChoice) remember(null);
  changed();
}

// ---------------------------------------------------------------- the hook

export interface KeyboardLayoutState {
  /** the layout to draw (a built-in one while a custom one loads or when it is gone) */
  layout: Layout;
  /** the selector's value */
  layoutId: string;
  /** built-in layouts, then custom ones */
  choices: LayoutChoice[];
  /** the user picked a layout: shown here and remembered for every keyboard view */
  choose(id: string): void;
  /** loads the custom layouts' names (the selector calls it when it is hovered or focused) */
  refresh(): void;
}

/**
 * Which layout a keyboard view shows: the one chosen in its selector, else `explicit` (a prop),
 * else the remembered choice, else `detected` (from the profile's keys).
 */
export function useKeyboardLayout(explicit: string | undefined, detected: string): KeyboardLayoutState {
  const [chosen, setChosen] = useState<string | null>(null);
  const [stored] = useState(remembered);
  useSyncExternalStore(subscribe, () => version);

  const wanted = canonicalLayoutId(chosen ?? explicit ?? stored ?? detected);
  const builtIn = layoutById(wanted);
  const needsLoad = !builtIn && !loaded.has(wanted) && !missing.has(wanted);
  useEffect(() => {
    if (needsLoad) loadCustom(wanted);
  }, [needsLoad, wanted]);

  const fallback = layoutById(detected) ?? BUILTIN_LAYOUTS[0];
  const custom = builtIn ? undefined : loaded.get(wanted);
  const layout = builtIn ?? custom ?? fallback;
  // while a custom layout loads, the selector already shows it (as its id)
  const layoutId = builtIn || custom || needsLoad ? wanted : fallback.id;
  const choices = [...BUILT_IN_CHOICES, ...customChoices];
  if (!choices.some((c) => c.id === layoutId))
    choices.push({ id: layoutId, name: custom?.name ?? layoutId, builtIn: false });

  const choose = useCallback((id: string) => {
    if (id === '') return;
    setChosen(id);
    remember(id);
  }, []);
  const refresh = useCallback(() => {
    void refreshLayoutList();
  }, []);
  return { layout, layoutId, choices, choose, refresh };
}
