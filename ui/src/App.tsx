import type { ReactNode } from 'react';
import { lazy, Suspense, useCallback, useEffect, useMemo, useState } from 'react';
import type { Status } from './api.ts';
import { api, ApiError, onUnauthorized } from './api.ts';
import { AppContext, useApp, useConnectionState, useStreamEvents } from './app-context.ts';
import { Link, matchPath, useLocation } from './router.tsx';
import { EventStream } from './stream/event-stream.ts';
import type { ThemeChoice } from './theme.ts';
import { applyTheme, loadTheme } from './theme.ts';
import { ToastProvider, useToasts } from './toasts.tsx';
import { DevicesPage } from './pages/DevicesPage.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { ProfilesPage } from './pages/ProfilesPage.tsx';
import { SettingsPage } from './pages/SettingsPage.tsx';

// The editor (CodeMirror + the compiler), simulator and monitor (uPlot) load on first visit.
const EditorPage = lazy(() => import('./pages/EditorPage.tsx'));
const SimulatorPage = lazy(() => import('./pages/SimulatorPage.tsx'));
const MonitorPage = lazy(() => import('./pages/MonitorPage.tsx'));

type AuthState =
  { kind: 'checking' } | { kind: 'ok' } | { kind: 'login' } | { kind: 'unreachable'; message: string };

export function App() {
  const [auth, setAuth] = useState<AuthState>({ kind: 'checking' });
  const [status, setStatus] = useState<Status | null>(null);
  const [authRequired, setAuthRequired] = useState(false);
  // where this daemon keeps its API token, for the login page
  const [tokenFile, setTokenFile] = useState<string | null>(null);

  const refreshStatus = useCallback(() => {
    api
      .session()
      .then((session) => {
        setAuthRequired(session.authRequired);
        if (typeof session.tokenFile === 'string') setTokenFile(session.tokenFile);
        if (!session.authenticated) throw new ApiError(401, 'UNAUTHORIZED', 'not logged in');
        return api.status();
      })
      .then((s) => {
        setStatus(s);
        setAuth({ kind: 'ok' });
      })
      .catch((e: unknown) => {
        if (e instanceof ApiError && e.status === 401) setAuth({ kind: 'login' });
        else setAuth((a) => (a.kind === 'ok' ? a : { kind: 'unreachable', message: (e as Error).message }));
      });
  }, []);

  useEffect(() => {
    applyTheme(loadTheme());
    refreshStatus();
    return onUnauthorized(() => setAuth({ kind: 'login' }));
  }, [refreshStatus]);

  const stream = useMemo(
    () =>
      auth.kind === 'ok'
        ? new EventStream({
            topics: ['state', 'latency', 'profile', 'device', 'error', 'suspend', 'recording'],
          })
        : null,
    [auth.kind],
  );
  useEffect(() => {
    if (!stream) return;
    stream.start();
    return () => stream.stop();
  }, [stream]);

  const ctx = useMemo(() => ({ status, refreshStatus, stream }), [status, refreshStatus, stream]);

  // The session ends on the daemon too (its cookie would otherwise stay valid until it expires).
  const logout = useCallback(() => {
    api
      .logout()
      .catch(() => undefined)
      .finally(() => setAuth({ kind: 'login' }));
  }, []);

  if (auth.kind === 'checking') return <p className="splash">Connecting to the keyrx daemon…</p>;
  if (auth.kind === 'login') return <LoginPage tokenFile={tokenFile} />;
  if (auth.kind === 'unreachable')
    return (
      <main className="splash" role="alert">
        <h1>Cannot reach the keyrx daemon</h1>
        <p>{auth.message}</p>
        <button type="button" onClick={refreshStatus}>
          Try again
        </button>
      </main>
    );
  return (
    <AppContext.Provider value={ctx}>
      <ToastProvider>
        <Shell onLogout={authRequired ? logout : undefined} />
      </ToastProvider>
    </AppContext.Provider>
  );
}

const NAV: { href: string; label: string; match: (path: string) => boolean }[] = [
  { href: '/', label: 'Profiles', match: (p) => p === '/' || p.startsWith('/profiles/') },
  { href: '/simulator', label: 'Simulator', match: (p) => p === '/simulator' },
  { href: '/monitor', label: 'Monitor', match: (p) => p === '/monitor' },
  { href: '/devices', label: 'Devices', match: (p) => p === '/devices' },
  { href: '/settings', label: 'Settings', match: (p) => p === '/settings' },
];

function Shell({ onLogout }: { onLogout?: () => void }) {
  const { path } = useLocation();
  const toasts = useToasts();
  const connection = useConnectionState();
  const [theme, setTheme] = useState<ThemeChoice>(loadTheme);
  const ctx = useApp();

  // Errors nobody asked about (a reload that failed, a device problem) surface on every page.
  useStreamEvents(['error', 'profile', 'suspend'], (e) => {
    if (e.type === 'error') toasts.show('error', (e.data as { message?: string }).message ?? 'daemon error');
    else ctx.refreshStatus();
  });

  useEffect(() => {
    const page = NAV.find((n) => n.match(path))?.label ?? 'keyrx';
    document.title = `${page} · keyrx`;
  }, [path]);

  const cycleTheme = () => {
    const next: ThemeChoice = theme === 'system' ? 'dark' : theme === 'dark' ? 'light' : 'system';
    setTheme(next);
    applyTheme(next);
  };

  return (
    <div className="shell">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          keyrx
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={n.match(path) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="topbar-end">
          <span className="active-profile" title="Active profile">
            {ctx.status?.activeProfile ? (
              <Link href={`/profiles/${encodeURIComponent(ctx.status.activeProfile)}`}>
                {ctx.status.activeProfile}
              </Link>
            ) : (
              <em>no profile active</em>
            )}
          </span>
          <SuspendSwitch />
          <span
            className={`conn conn-${connection}`}
            role="status"
            aria-label={`Live connection: ${connection}`}
          >
            <span className="conn-dot" aria-hidden="true" />
            <span className="conn-label">{connection === 'open' ? 'live' : connection}</span>
          </span>
          <button
            type="button"
            className="icon-button"
            onClick={cycleTheme}
            aria-label={`Theme: ${theme} (change)`}
          >
            {theme === 'dark' ? '☾' : theme === 'light' ? '☀' : '◐'}
          </button>
          {onLogout && (
            <button type="button" className="icon-button" onClick={onLogout}>
              Log out
            </button>
          )}
        </div>
      </header>
      <main id="main" tabIndex={-1}>
        <Suspense fallback={<p className="loading">Loading…</p>}>
          <Routes path={path} />
        </Suspense>
      </main>
    </div>
  );
}

/**
 * The global Suspend switch (POST /api/suspend, /api/resume): the same one the CLI and the tray
 * flip; the stream's `suspend` events keep it true when they do.
 */
function SuspendSwitch() {
  const ctx = useApp();
  const toasts = useToasts();
  const [busy, setBusy] = useState(false);
  const suspended = ctx.status?.suspended ?? false;
  const flip = () => {
    setBusy(true);
    api
      .setSuspended(!suspended)
      .then((r) =>
        toasts.show(
          'success',
          r.suspended ? 'Suspended: every key passes through untouched' : 'Remapping again',
        ),
      )
      .catch((e: unknown) => toasts.show('error', (e as Error).message))
      .finally(() => {
        setBusy(false);
        ctx.refreshStatus();
      });
  };
  return (
    <button
      type="button"
      className={`suspend-switch${suspended ? ' suspended' : ''}`}
      role="switch"
      aria-checked={!suspended}
      aria-label="Remapping"
      title={
        suspended
          ? 'Suspended: keys pass through untouched. Click to remap again.'
          : 'Remapping. Click to suspend: keys then pass through untouched.'
      }
      disabled={busy || !ctx.status}
      onClick={flip}
      data-testid="suspend-switch"
    >
      <span className="suspend-knob" aria-hidden="true" />
      {suspended ? 'Suspended' : 'Remapping'}
    </button>
  );
}

function Routes({ path }: { path: string }): ReactNode {
  if (path === '/') return <ProfilesPage />;
  const editor = matchPath('/profiles/:name', path);
  if (editor) return <EditorPage key={editor.name} name={editor.name} />;
  if (path === '/simulator') return <SimulatorPage />;
  if (path === '/monitor') return <MonitorPage />;
  if (path === '/devices') return <DevicesPage />;
  if (path === '/settings') return <SettingsPage />;
  return (
    <section className="page">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link href="/">Go to the profiles</Link>.
      </p>
    </section>
  );
}
