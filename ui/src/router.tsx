/**
 * A small history-API router: the app has a handful of flat routes, so a dependency would
 * add more than it saves. The daemon answers every non-API path with index.html.
 */
import type { AnchorHTMLAttributes, MouseEvent } from 'react';
import { useSyncExternalStore } from 'react';

type NavigationGuard = () => boolean;
const guards = new Set<NavigationGuard>();
const listeners = new Set<() => void>();

function notify(): void {
  for (const l of listeners) l();
}

/** Where the app is; Back/Forward that a guard vetoes are undone by returning here. */
let shownLocation = typeof window !== 'undefined' ? currentLocation() : '/';

if (typeof window !== 'undefined')
  window.addEventListener('popstate', () => {
    for (const g of guards)
      if (!g()) {
        window.history.pushState(null, '', shownLocation);
        return;
      }
    shownLocation = currentLocation();
    notify();
  });

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function currentLocation(): string {
  return window.location.pathname + window.location.search;
}

export function useLocation(): { path: string; query: URLSearchParams } {
  const loc = useSyncExternalStore(subscribe, currentLocation, () => '/');
  const q = loc.indexOf('?');
  return { path: q < 0 ? loc : loc.slice(0, q), query: new URLSearchParams(q < 0 ? '' : loc.slice(q)) };
}

/**
 * Registers a guard (e.g. unsaved changes) that can veto in-app navigation; returns the
 * function that removes it.
 */
export function addNavigationGuard(guard: NavigationGuard): () => void {
  guards.add(guard);
  return () => guards.delete(guard);
}

export function navigate(to: string, opts: { replace?: boolean; force?: boolean } = {}): boolean {
  if (!opts.force) for (const g of guards) if (!g()) return false;
  if (opts.replace) window.history.replaceState(null, '', to);
  else window.history.pushState(null, '', to);
  shownLocation = currentLocation();
  notify();
  return true;
}

/** Matches `/profiles/:name` style patterns; returns decoded params or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i].startsWith(':')) {
      if (s[i] === '') return null;
      try {
        params[p[i].slice(1)] = decodeURIComponent(s[i]);
      } catch {
        return null;
      }
    } else if (p[i] !== s[i]) return null;
  }
  return params;
}

export function Link(props: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const { onClick, ...rest } = props;
  const handle = (e: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(e);
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(props.href);
  };
  return <a {...rest} onClick={handle} />;
}
