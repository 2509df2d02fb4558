/**
 * The diagnostics report (`GET /api/diagnostics`, `keyrx diagnostics`): what a bug report needs —
 * the build and platform, the backend and the machine's checks (the doctor's), memory, event-loop
 * lag, key-path latency, the devices and recent errors — and nothing it must not carry.
 *
 * Redacted before it leaves the daemon: the API token (any string holding it), the home directory
 * in paths (shown as `~`), the input context's application and window title, and the contents of
 * keys — no key events are included, and error contexts keep their field names only.
 */
import os from 'node:os';
import type { DoctorCheck } from '../platform/linux/doctor.ts';

export interface DiagnosticsError {
  time: string;
  code: string;
  message: string;
  /** the names of the error's context fields; their values may hold keys or titles */
  contextFields: string[];
}

export interface DiagnosticsReport {
  generatedAt: string;
  keyrx: { version: string };
  runtime: {
    node: string;
    v8: string;
    platform: string;
    arch: string;
    osRelease: string;
    cpus: number;
    totalMemoryMb: number;
  };
  daemon: {
    /** false: the report was made from the config directory, no daemon was running */
    running: boolean;
    pid: number;
    uptimeSec: number;
    backend: string;
    /** how the input thread is scheduled (linux: SCHED_FIFO where permitted); null: not said */
    inputScheduling: string | null;
    configDir: string;
    activeProfile: string | null;
    profiles: number;
    suspended: boolean;
    wsClients: number;
    eventsProcessed: number;
    memory: { rssMb: number; heapUsedMb: number; externalMb: number };
    /** main-thread event-loop delay since the daemon started, ms */
    eventLoopLagMs: { mean: number; p99: number; max: number } | null;
    latencyUs: { count: number; p50: number; p99: number; max: number };
    devices: Array<{
      id: string;
      name: string;
      enabled: boolean;
      connected: boolean;
      grabbed: boolean;
      vendor: number | null;
      product: number | null;
    }>;
    settings: Record<string, unknown>;
    /** the input context: which fields are set, not their values */
    context: { app: boolean; title: boolean; ime: boolean; language: string };
  };
  checks:
    | { ok: boolean; items: Array<Pick<DoctorCheck, 'id' | 'title' | 'status' | 'detail'>> }
    | { error: string };
  recentErrors: DiagnosticsError[];
  /** what was taken out */
  redacted: string[];
}

export const REDACTIONS = [
  'the API token',
  'the home directory in paths (~)',
  "the input context's application and window title",
  'key events and the values of error contexts',
];

export function runtimeInfo(): DiagnosticsReport['runtime'] {
  return {
    node: process.versions.node,
    v8: process.versions.v8,
    platform: process.platform,
    arch: process.arch,
    osRelease: os.release(),
    cpus: os.cpus().length,
    totalMemoryMb: Math.round(os.totalmem() / 2 ** 20),
  };
}

/**
 * Every string in `value` with the token replaced and the home directory shown as `~` (a copy;
 * the input is not changed). Applied to the whole report last, so nothing added later escapes it.
 */
export function redact<T>(value: T, secrets: { token: string; home: string }): T {
  const home = secrets.home.length > 1 ? secrets.home.replace(/[/\\]+$/, '') : '';
  const fix = (s: string): string => {
    let out = secrets.token ? s.split(secrets.token).join('[redacted]') : s;
    if (home) out = out.split(home).join('~');
    return out;
  };
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return fix(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [fix(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

const MARK: Record<string, string> = { ok: 'ok', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** The report as Markdown, to paste into a bug report. */
export function formatDiagnostics(r: DiagnosticsReport): string {
  const d = r.daemon;
  const lines: string[] = [
    `## keyrx diagnostics (${r.generatedAt})`,
    '',
    `- keyrx ${r.keyrx.version}, Node ${r.runtime.node} (V8 ${r.runtime.v8})`,
    `- ${r.runtime.platform} ${r.runtime.arch}, kernel/OS ${r.runtime.osRelease}, ${r.runtime.cpus} CPUs, ${r.runtime.totalMemoryMb} MB`,
    d.running
      ? `- daemon: pid ${d.pid}, up ${d.uptimeSec} s, backend ${d.backend}${d.inputScheduling ? ` (input thread: ${d.inputScheduling})` : ''}${d.suspended ? ', SUSPENDED (keys pass through)' : ''}`
      : '- daemon: not running (this report was made from the config directory)',
    `- config dir: ${d.configDir}; ${d.profiles} profile(s), active: ${d.activeProfile ?? 'none'}`,
  ];
  if (d.running) {
    lines.push(
      `- memory: rss ${d.memory.rssMb} MB, heap ${d.memory.heapUsedMb} MB, external ${d.memory.externalMb} MB`,
      d.eventLoopLagMs
        ? `- event-loop lag: mean ${d.eventLoopLagMs.mean} ms, p99 ${d.eventLoopLagMs.p99} ms, max ${d.eventLoopLagMs.max} ms`
        : '- event-loop lag: not measured',
      `- key path: ${d.latencyUs.count} events, p50 ${d.latencyUs.p50} µs, p99 ${d.latencyUs.p99} µs, max ${d.latencyUs.max} µs; ${d.eventsProcessed} processed`,
      `- stream clients: ${d.wsClients}; context: app ${d.context.app ? 'set' : '-'}, title ${d.context.title ? 'set' : '-'}, ime ${d.context.ime ? 'on' : 'off'}, language ${d.context.language || '-'}`,
    );
  }
  lines.push('', '### Devices', '');
  if (d.devices.length === 0) lines.push('none');
  for (const x of d.devices) {
    const ids = x.vendor === null ? '' : ` ${hex(x.vendor)}:${hex(x.product ?? 0)}`;
    lines.push(
      `- ${x.name} (${x.id}${ids}): ${x.connected ? (x.grabbed ? 'grabbed' : 'connected') : 'not connected'}, ${x.enabled ? 'remapped' : 'disabled'}`,
    );
  }
  lines.push('', '### Checks', '');
  if ('error' in r.checks) lines.push(`could not run: ${r.checks.error}`);
  else
    for (const c of r.checks.items) lines.push(`- [${MARK[c.status] ?? c.status}] ${c.title}: ${c.detail}`);
  lines.push('', '### Recent errors', '');
  if (r.recentErrors.length === 0) lines.push('none');
  for (const e of r.recentErrors)
    lines.push(
      `- ${e.time} ${e.code}: ${e.message}${e.contextFields.length ? ` (context: ${e.contextFields.join(', ')})` : ''}`,
    );
  lines.push(
    '',
    '### Settings',
    '',
    '```json',
    JSON.stringify(d.settings, null, 2),
    '```',
    '',
    `Redacted: ${r.redacted.join('; ')}.`,
  );
  return lines.join('\n');
}

const hex = (n: number): string => n.toString(16).padStart(4, '0');
