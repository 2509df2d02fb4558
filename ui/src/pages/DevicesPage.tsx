import { useCallback, useEffect, useRef, useState } from 'react';
import type { DeviceInfo, LayoutId } from '../api.ts';
import { api } from '../api.ts';
import { useApp, useStreamEvents } from '../app-context.ts';
import { useToasts } from '../toasts.tsx';

interface LayoutOption {
  id: LayoutId | '';
  label: string;
}

/**
 * Until GET /api/layouts answers (built-in and custom ones) the choice is "not set" and the
 * device's own layout; the layout tables stay out of the first page's bundle.
 */
const NOT_SET: LayoutOption[] = [{ id: '', label: 'not set' }];

type SortKey = 'name' | 'status' | 'id';

/** Connected and remapped first, then connected, then the ones remembered but unplugged. */
function statusRank(d: DeviceInfo): number {
  return d.connected ? (d.enabled ? 0 : 1) : 2;
}

/** The devices the search matches (name, its own name, id, serial, physical path), sorted. */
export function visibleDevices(devices: DeviceInfo[], query: string, sort: SortKey): DeviceInfo[] {
  const q = query.trim().toLowerCase();
  const shown = q
    ? devices.filter((d) =>
        [d.name, d.deviceName, d.id, d.serial ?? '', d.phys ?? ''].some((v) => v.toLowerCase().includes(q)),
      )
    : devices;
  const byName = (a: DeviceInfo, b: DeviceInfo) =>
    a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }) || a.id.localeCompare(b.id);
  return [...shown].sort((a, b) =>
    sort === 'id'
      ? a.id.localeCompare(b.id)
      : sort === 'status'
        ? statusRank(a) - statusRank(b) || byName(a, b)
        : byName(a, b),
  );
}

export function DevicesPage() {
  const [devices, setDevices] = useState<DeviceInfo[] | null>(null);
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<SortKey>('status');
  const [error, setError] = useState<string | null>(null);
  const { status } = useApp();
  const load = useCallback(() => {
    api
      .devices()
      .then((d) => {
        setDevices(d);
        setError(null);
      })
      .catch((e: Error) => setError(e.message));
  }, []);
  useEffect(load, [load]);
  useStreamEvents(['device', 'profile'], load);
  const [layouts, setLayouts] = useState<LayoutOption[]>(NOT_SET);
  useEffect(() => {
    api
      .layouts()
      .then((r) =>
        setLayouts([
          ...NOT_SET,
          ...r.layouts
            .filter((l) => l.error === undefined)
            .map((l) => ({ id: l.id, label: l.builtIn ? l.name : `${l.name} (custom)` })),
        ]),
      )
      .catch(() => undefined); // the device's own layout is still shown
  }, []);

  return (
    <section className="page" aria-labelledby="devices-title">
      <div className="toolbar">
        <h1 id="devices-title" style={{ margin: 0 }}>
          Devices
        </h1>
        <button type="button" onClick={load}>
          Refresh
        </button>
        {devices && devices.length > 0 && (
          <>
            <input
              type="search"
              aria-label="Search devices"
              placeholder="Search name, id, serial…"
              value={query}
              onChange={(e) => setQuery(e.target.value)}
            />
            <label>
              Sort by{' '}
              <select value={sort} onChange={(e) => setSort(e.target.value as SortKey)}>
                <option value="status">status</option>
                <option value="name">name</option>
                <option value="id">id</option>
              </select>
            </label>
          </>
        )}
      </div>
      <p className="muted">
        Backend: <strong>{status?.backend ?? '…'}</strong>.{' '}
        {status?.backend === 'virtual'
          ? 'No keyboard is grabbed: keys come from the simulator and the inject API. The virtual device appears with the first injected key.'
          : 'Keyboards are grabbed while enabled; a disabled keyboard is released and types unchanged.'}
      </p>
      {error && (
        <p className="error-text" role="alert">
          Could not load the devices: {error}
        </p>
      )}
      {devices === null && !error && <p className="loading">Loading devices…</p>}
      {devices && devices.length === 0 && <p className="card">No input devices yet.</p>}
      {devices && devices.length > 0 && (
        <div className="table-wrap">
          <table data-testid="devices-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Grab</th>
                <th scope="col">Layout</th>
                <th scope="col">Profile block</th>
                <th scope="col" className="hide-narrow">
                  Device
                </th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {visibleDevices(devices, query, sort).map((d) => (
                <DeviceRow key={d.id} device={d} layouts={layouts} onChange={load} />
              ))}
            </tbody>
          </table>
          {visibleDevices(devices, query, sort).length === 0 && (
            <p className="muted" role="status">
              No device matches “{query}”.
            </p>
          )}
        </div>
      )}
    </section>
  );
}

function DeviceRow({
  device,
  layouts,
  onChange,
}: {
  device: DeviceInfo;
  layouts: LayoutOption[];
  onChange(): void;
}) {
  const [name, setName] = useState(device.name);
  const [saving, setSaving] = useState(false);
  const toasts = useToasts();
  const [seen, setSeen] = useState(device.name);
  // A rename elsewhere (another tab, the CLI) replaces the field unless the user is typing.
  if (device.name !== seen) {
    setSeen(device.name);
    setName(device.name);
  }
  const inFlight = useRef<string | null>(null);
  const patch = async (p: { name?: string; enabled?: boolean; layout?: LayoutId | null }, what: string) => {
    setSaving(true);
    inFlight.current = p.name ?? null;
    try {
      await api.patchDevice(device.id, p);
      toasts.show('success', what, { action: `device:${device.id}` });
      onChange();
    } catch (e) {
      toasts.show('error', (e as Error).message, { action: `device:${device.id}` });
      setName(device.name);
    } finally {
      setSaving(false);
      inFlight.current = null;
    }
  };
  const [confirming, setConfirming] = useState(false);
  const forget = async () => {
    setSaving(true);
    try {
      const r = await api.forgetDevice(device.id);
      toasts.show('success', r.device ? `Forgot the settings of ${device.name}` : `Forgot ${device.name}`, {
        action: `device:${device.id}`,
      });
      onChange();
    } catch (e) {
      toasts.show('error', (e as Error).message, { action: `device:${device.id}` });
    } finally {
      setSaving(false);
      setConfirming(false);
    }
  };
  // a device with nothing saved (its own name, remapped, no layout) has nothing to forget
  const hasSettings = device.name !== device.deviceName || !device.enabled || device.layout !== null;
  const commitName = () => {
    const n = name.trim();
    // Enter commits, then disabling the input blurs it: one rename, not two.
    if (n === device.name || inFlight.current === n) return;
    if (n === '') {
      setName(device.name);
      return;
    }
    void patch({ name: n }, `Renamed to ${n}`);
  };
  return (
    <tr data-testid="device-row">
      <td>
        <input
          aria-label={`Name of ${device.deviceName}`}
          value={name}
          maxLength={64}
          disabled={saving}
          onChange={(e) => setName(e.target.value)}
          onBlur={commitName}
          onKeyDown={(e) => {
            if (e.key === 'Enter') commitName();
            if (e.key === 'Escape') setName(device.name);
          }}
        />{' '}
        <span className={`badge${device.connected ? '' : ' muted'}`}>
          {device.connected ? (device.grabbed ? 'grabbed' : 'connected') : 'disconnected'}
        </span>
      </td>
      <td>
        <label>
          <input
            type="checkbox"
            checked={device.enabled}
            disabled={saving}
            onChange={(e) =>
              void patch(
                { enabled: e.target.checked },
                `${e.target.checked ? 'Enabled' : 'Disabled'} ${device.name}`,
              )
            }
          />
          <span className="visually-hidden">Remap {device.name}</span>
          <span aria-hidden="true">{device.enabled ? 'on' : 'off'}</span>
        </label>
      </td>
      <td>
        <select
          aria-label={`Layout of ${device.name}`}
          value={device.layout ?? ''}
          disabled={saving}
          onChange={(e) =>
            void patch(
              { layout: e.target.value === '' ? null : (e.target.value as LayoutId) },
              `Layout of ${device.name}: ${e.target.value || 'not set'}`,
            )
          }
        >
          {layouts.map((l) => (
            <option key={l.id} value={l.id}>
              {l.label}
            </option>
          ))}
          {device.layout !== null && !layouts.some((l) => l.id === device.layout) && (
            <option value={device.layout}>{device.layout} (not found)</option>
          )}
        </select>
      </td>
      <td>
        {device.matchedBlock ? (
          <code title={`device block #${device.matchedBlock.index + 1} of the active profile`}>
            device_start("{device.matchedBlock.pattern}")
          </code>
        ) : (
          <span className="muted">none: keys pass through</span>
        )}
      </td>
      <td className="hide-narrow muted">
        <div>{device.deviceName}</div>
        <small>
          {device.backend}
          {device.path ? ` · ${device.path}` : ''} · id {device.id}
          {device.serial ? ` · serial ${device.serial}` : ''}
        </small>
      </td>
      <td>
        {confirming ? (
          <span role="group" aria-label={`Forget ${device.name}?`}>
            <button type="button" className="danger" disabled={saving} onClick={() => void forget()}>
              Forget
            </button>{' '}
            <button type="button" disabled={saving} onClick={() => setConfirming(false)}>
              Keep
            </button>
          </span>
        ) : (
          <button
            type="button"
            disabled={saving || !hasSettings}
            title={
              hasSettings
                ? `Forget the name, remapping switch and layout saved for ${device.name}`
                : 'Nothing saved for this device'
            }
            onClick={() => setConfirming(true)}
          >
            Forget…
          </button>
        )}
      </td>
    </tr>
  );
}
