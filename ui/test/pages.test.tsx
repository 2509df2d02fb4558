/**
 * The profiles, settings and login pages and the toasts, with only the network faked: `fetch`
 * answers like the daemon's REST API.
 */
import type { ReactNode } from 'react';
import { act, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
// The daemon's real settings schema (what GET /api/settings/schema serves): tests may read it,
// the UI may not import it.
// eslint-disable-next-line no-restricted-imports
import { defaultSettings, SettingsSchema } from '../../src/daemon/settings.ts';
import type { JsonSchema, ProfileMeta, Status } from '../src/api.ts';
import { App } from '../src/App.tsx';
import type { AppContextValue } from '../src/app-context.ts';
import { AppContext } from '../src/app-context.ts';
import { plural } from '../src/lib/format.ts';
import { ADVANCED_SETTINGS, COMMON_SETTINGS } from '../src/lib/schema-form.ts';
import { LoginPage } from '../src/pages/LoginPage.tsx';
import { ProfilesPage } from '../src/pages/ProfilesPage.tsx';
import { SettingsPage } from '../src/pages/SettingsPage.tsx';
import { ToastProvider, useToasts } from '../src/toasts.tsx';
import type { ToastKind, ToastOptions } from '../src/toasts.tsx';
import type { Call, Reply } from './fake-api.ts';
import { calls, fakeFetch, handlers, resetFakeApi } from './fake-api.ts';

// ------------------------------------------------------------------ the fake daemon

function serve(method: string, path: string, reply: Reply | ((call: Call) => Reply)) {
  handlers.push((call) =>
    call.method === method && call.path === path
      ? typeof reply === 'function'
        ? reply(call)
        : reply
      : undefined,
  );
}

beforeEach(() => {
  resetFakeApi();
  vi.stubGlobal('fetch', vi.fn(fakeFetch));
  window.history.replaceState(null, '', '/');
});
afterEach(() => {
  vi.unstubAllGlobals();
  vi.useRealTimers();
});

const STATUS: Status = {
  version: '0.1.0',
  pid: 1,
  startedAt: '2026-01-01T00:00:00.000Z',
  uptimeSec: 1,
  backend: 'virtual',
  activeProfile: 'default',
  activatedAt: null,
  profiles: 1,
  devices: 0,
  eventsProcessed: 0,
  wsClients: 0,
  suspended: false,
};

function withApp(children: ReactNode) {
  const ctx: AppContextValue = { status: STATUS, refreshStatus: vi.fn(), stream: null };
  return (
    <AppContext.Provider value={ctx}>
      <ToastProvider>{children}</ToastProvider>
    </AppContext.Provider>
  );
}

const toastTexts = () => screen.queryAllByTestId('toast').map((t) => t.querySelector('span')!.textContent);

// ------------------------------------------------------------------ plurals

describe('plural', () => {
  test('one is singular, everything else plural, irregular plurals given', () => {
    expect(plural(1, 'error')).toBe('1 error');
    expect(plural(2, 'error')).toBe('2 errors');
    expect(plural(0, 'mapping')).toBe('0 mappings');
    expect(plural(1, 'entry', 'entries')).toBe('1 entry');
    expect(plural(3, 'entry', 'entries')).toBe('3 entries');
    expect(plural(1234, 'event')).toMatch(/^1.?234 events$/);
  });
});

// ------------------------------------------------------------------ toasts

function ToastButtons({ shows }: { shows: [ToastKind, string, ToastOptions?][] }) {
  const toasts = useToasts();
  return (
    <>
      {shows.map(([kind, text, options], i) => (
        <button key={i} type="button" onClick={() => toasts.show(kind, text, options)}>
          {`show ${i}`}
        </button>
      ))}
    </>
  );
}

describe('toasts', () => {
  test('a toast of the same action replaces the earlier one; others stay', () => {
    render(
      <ToastProvider>
        <ToastButtons
          shows={[
            ['error', 'Not saved: “work” has 1 error.', { action: 'profile:work' }],
            ['error', 'device unplugged'],
            ['success', 'Activated “work”.', { action: 'profile:work' }],
            ['error', 'Could not activate other', { action: 'profile:other' }],
          ]}
        />
      </ToastProvider>,
    );
    for (const i of [0, 1, 3]) fireEvent.click(screen.getByRole('button', { name: `show ${i}` }));
    expect(toastTexts()).toEqual([
      'Not saved: “work” has 1 error.',
      'device unplugged',
      'Could not activate other',
    ]);
    fireEvent.click(screen.getByRole('button', { name: 'show 2' }));
    expect(toastTexts()).toEqual(['device unplugged', 'Could not activate other', 'Activated “work”.']);
    expect(screen.getAllByTestId('toast').map((t) => t.className)).toEqual([
      'toast toast-error',
      'toast toast-error',
      'toast toast-success',
    ]);
  });
});

// ------------------------------------------------------------------ login page

describe('login page', () => {
  test("names this daemon's origin and token file, and how long a session lasts", () => {
    render(<LoginPage tokenFile="/srv/keyrx-alt/token" origin="http://127.0.0.1:7777" />);
    expect(screen.getByTestId('login-link-example').textContent).toBe(
      'web UI (one-time login link, 10 min): http://127.0.0.1:7777/login?code=…',
    );
    expect(screen.getByTestId('login-token-hint').textContent).toContain('/srv/keyrx-alt/token');
    const text = document.body.textContent!;
    expect(text).not.toContain('9867');
    expect(text).not.toContain('~/.config');
    expect(text).not.toContain('API token changes');
    expect(text).toMatch(/sessionHours[^.]*12 hours/);
    expect(text).toMatch(/log out or the daemon restarts/);
  });

  test('the app passes the token file of GET /api/session and uses the page origin', async () => {
    serve('GET', '/api/session', {
      status: 200,
      body: { authenticated: false, authRequired: true, tokenFile: '/home/ann/.config/keyrx-test/token' },
    });
    render(<App />);
    await screen.findByRole('heading', { name: 'Log in to keyrx' });
    expect(screen.getByTestId('login-token-hint').textContent).toContain(
      '/home/ann/.config/keyrx-test/token',
    );
    expect(screen.getByTestId('login-link-example').textContent).toContain(
      `${window.location.origin}/login?code=`,
    );
  });

  test('without a token file from the daemon it names the config directory', () => {
    render(<LoginPage tokenFile={null} origin="http://127.0.0.1:7777" />);
    expect(screen.getByTestId('login-token-hint').textContent).toBe(
      "The API token is in the token file of keyrx's config directory.",
    );
  });
});

// ------------------------------------------------------------------ profile name dialogs

function profile(name: string, extra: Partial<ProfileMeta> = {}): ProfileMeta {
  return {
    name,
    active: false,
    size: 100,
    modifiedAt: '2026-01-01T00:00:00.000Z',
    devices: 1,
    mappings: 1,
    layers: 1,
    lastCompileError: null,
    ...extra,
  };
}

describe('profile name dialogs', () => {
  beforeEach(() => {
    serve('GET', '/api/profiles?limit=10000', {
      status: 200,
      body: {
        profiles: [profile('default', { active: true }), profile('work', { mappings: 2, layers: 0 })],
        total: 2,
      },
    });
    serve('GET', '/api/templates', {
      status: 200,
      body: { templates: [{ name: 'default', description: 'a starting point' }] },
    });
  });

  const problem = () => screen.queryByTestId('name-problem')?.textContent ?? null;

  test('counts are written with the right plural', async () => {
    render(withApp(<ProfilesPage />));
    const rows = await screen.findAllByTestId('profile-row');
    expect(rows[0].textContent).toContain('1 mapping, 1 layer');
    expect(rows[1].textContent).toContain('2 mappings, 0 layers');
  });

  test('New profile: the name is checked as it is typed, with the reason beside it', async () => {
    render(withApp(<ProfilesPage />));
    await screen.findAllByTestId('profile-row');
    fireEvent.click(screen.getByRole('button', { name: 'New profile' }));
    const dialog = screen.getByRole('dialog', { name: 'New profile' });
    const name = within(dialog).getByLabelText('Name');
    const create = within(dialog).getByRole('button', { name: 'Create' }) as HTMLButtonElement;
    // nothing typed yet: no complaint, but nothing to create either
    expect(problem()).toBeNull();
    expect(create.disabled).toBe(true);

    const cases: [string, RegExp][] = [
      ['my work', /no spaces/i],
      ['work.rhai', /“\.” is not allowed/],
      ['../etc', /“\.” is not allowed/],
      ['-work', /start with a letter or digit/i],
      ['_x', /start with a letter or digit/i],
      ['con', /CON is a reserved device name/],
      ['Lpt7', /LPT7 is a reserved device name/],
      ['x'.repeat(65), /at most 64 characters/i],
      ['émile', /“é” is not allowed/],
    ];
    for (const [typed, why] of cases) {
      fireEvent.change(name, { target: { value: typed } });
      expect(problem(), typed).toMatch(why);
      expect(create.disabled, typed).toBe(true);
      expect(name.getAttribute('aria-invalid')).toBe('true');
      expect(name.getAttribute('aria-describedby')).toContain(screen.getByTestId('name-problem').id);
    }
    fireEvent.change(name, { target: { value: '' } });
    expect(problem()).toMatch(/enter a name/i);

    serve('POST', '/api/profiles', (call) => ({
      status: 201,
      body: profile((call.body as { name: string }).name),
    }));
    fireEvent.change(name, { target: { value: 'Work_2-b' } });
    expect(problem()).toBeNull();
    expect(create.disabled).toBe(false);
    expect(name.getAttribute('aria-invalid')).toBe('false');
    fireEvent.click(create);
    await waitFor(() => expect(window.location.pathname).toBe('/profiles/Work_2-b'));
    expect(calls.filter((c) => c.method === 'POST').map((c) => c.body)).toEqual([
      { name: 'Work_2-b', template: 'default' },
    ]);
  });

  test('Rename and Duplicate check the new name the same way', async () => {
    render(withApp(<ProfilesPage />));
    await screen.findAllByTestId('profile-row');

    fireEvent.click(screen.getByRole('button', { name: 'Rename work' }));
    let dialog = screen.getByRole('dialog', { name: 'Rename work' });
    let field = within(dialog).getByLabelText('New name');
    let submit = within(dialog).getByRole('button', { name: 'Rename' }) as HTMLButtonElement;
    // it opens with the current name: not wrong, just nothing to do
    expect(problem()).toBeNull();
    expect(submit.disabled).toBe(true);
    fireEvent.change(field, { target: { value: 'work/2' } });
    expect(problem()).toMatch(/“\/” is not allowed/);
    expect(submit.disabled).toBe(true);
    fireEvent.change(field, { target: { value: 'nul' } });
    expect(problem()).toMatch(/NUL is a reserved device name/);
    fireEvent.change(field, { target: { value: 'job' } });
    expect(problem()).toBeNull();
    expect(submit.disabled).toBe(false);
    fireEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));

    fireEvent.click(screen.getByRole('button', { name: 'Duplicate work' }));
    dialog = screen.getByRole('dialog', { name: 'Duplicate work' });
    field = within(dialog).getByLabelText('Name of the copy');
    submit = within(dialog).getByRole('button', { name: 'Duplicate' }) as HTMLButtonElement;
    expect((field as HTMLInputElement).value).toBe('work-copy');
    expect(submit.disabled).toBe(false);
    fireEvent.change(field, { target: { value: 'work' } });
    expect(problem()).toMatch(/name of its own/);
    expect(submit.disabled).toBe(true);
    fireEvent.change(field, { target: { value: `w${'x'.repeat(64)}` } });
    expect(problem()).toMatch(/at most 64 characters/i);
    expect(submit.disabled).toBe(true);
    // a problem only the daemon knows (the name is taken) is still shown after sending
    serve('POST', '/api/profiles/work/duplicate', {
      status: 409,
      body: { error: { code: 'PROFILE_EXISTS', message: 'profile "default" already exists' } },
    });
    fireEvent.change(field, { target: { value: 'default' } });
    expect(submit.disabled).toBe(false);
    fireEvent.click(submit);
    expect((await within(dialog).findByRole('alert')).textContent).toContain('already exists');
  });
});

// ------------------------------------------------------------------ settings

describe('settings page', () => {
  const schema = JSON.parse(JSON.stringify(SettingsSchema)) as JsonSchema;

  beforeEach(() => {
    serve('GET', '/api/settings/schema', { status: 200, body: schema });
    serve('GET', '/api/settings', { status: 200, body: defaultSettings() });
  });

  test("every setting of the daemon's schema has its place in the form's layout", () => {
    const keys = Object.keys(schema.properties ?? {});
    expect([...COMMON_SETTINGS, ...ADVANCED_SETTINGS].sort()).toEqual([...keys].sort());
  });

  test('what users change comes first; the internals are under a collapsed Advanced', async () => {
    render(withApp(<SettingsPage />));
    await screen.findByRole('button', { name: 'Save settings' });
    const advanced = screen.getByTestId('settings-advanced') as HTMLDetailsElement;
    const form = advanced.closest('form')!;
    const labels = (root: Element, inside: boolean) =>
      [...root.querySelectorAll('label.label')]
        .filter((l) => (l.closest('details') !== null) === inside)
        .map((l) => l.textContent);
    expect(labels(form, false)).toEqual([
      'Emergency exit chord',
      'Default tap-hold time (ms)',
      'Session length (hours)',
      'Log level',
    ]);
    expect(labels(advanced, true)).toEqual([
      'Latency interval (ms)',
      'Output history',
      'WebSocket ring size',
      'WebSocket queue messages',
      'WebSocket queue (bytes)',
      'WebSocket max lag events',
    ]);
    expect(advanced.open).toBe(false);
    expect(within(advanced).getByText('Advanced', { exact: false }).tagName).toBe('SUMMARY');
  });

  test('a setting the daemon refuses under Advanced opens it and is marked there', async () => {
    serve('PATCH', '/api/settings', {
      status: 400,
      body: {
        error: {
          code: 'SETTINGS_INVALID',
          message: 'invalid settings',
          details: { problems: ['wsRingSize: must be a multiple of nothing'] },
        },
      },
    });
    render(withApp(<SettingsPage />));
    await screen.findByRole('button', { name: 'Save settings' });
    const advanced = screen.getByTestId('settings-advanced') as HTMLDetailsElement;
    // open it, change a field, close it again, then save
    act(() => {
      advanced.open = true;
      advanced.dispatchEvent(new Event('toggle'));
    });
    fireEvent.change(screen.getByLabelText('WebSocket ring size'), { target: { value: '20000' } });
    act(() => {
      advanced.open = false;
      advanced.dispatchEvent(new Event('toggle'));
    });
    // the browser's own toggle event for that change comes a task later (jsdom queues one too)
    await act(() => new Promise((resolve) => setTimeout(resolve, 0)));
    expect(advanced.open).toBe(false);
    fireEvent.click(screen.getByRole('button', { name: 'Save settings' }));
    await within(advanced).findByText('wsRingSize: must be a multiple of nothing');
    expect(advanced.open).toBe(true);
  });
});
