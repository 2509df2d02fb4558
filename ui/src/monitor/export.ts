/** The monitor's CSV and JSON exports: pure builders, plus the browser download. */
import { isoFromMicros, outputsAsScript } from './format.ts';
import type { MonitorKeyEvent } from './monitor-model.ts';

export type ExportFormat = 'csv' | 'json';

export interface ExportFile {
  name: string;
  mime: string;
  content: string;
  count: number;
}

export const CSV_COLUMNS = [
  'seq',
  'time',
  'device',
  'deviceName',
  'key',
  'action',
  'mapping',
  'decision',
  'outputs',
  'latencyUs',
] as const;

/** RFC 4180: quote a field that holds a comma, quote, line break or edge spaces; double its quotes. */
export function csvField(value: string | number): string {
  const text = String(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * One line per event, oldest first, CRLF line ends. `time` is ISO 8601 UTC with µs; `outputs`
 * uses the simulator's script notation (`d:Left u:Left`), so a row can be replayed.
 */
export function buildCsv(events: readonly MonitorKeyEvent[]): string {
  const lines = [CSV_COLUMNS.join(',')];
  for (const e of events) {
    lines.push(
      [
        e.seq,
        isoFromMicros(e.timeUs),
        e.device,
        e.deviceName,
        e.key,
        e.action,
        e.mapping,
        e.decision,
        outputsAsScript(e.outputs),
        e.latencyUs,
      ]
        .map(csvField)
        .join(','),
    );
  }
  return `${lines.join('\r\n')}\r\n`;
}

/** A JSON array, one event per line (readable, and grep-able), with the outputs as the daemon sent them. */
export function buildJson(events: readonly MonitorKeyEvent[]): string {
  if (events.length === 0) return '[]\n';
  const lines = events.map((e) =>
    JSON.stringify({
      seq: e.seq,
      time: isoFromMicros(e.timeUs),
      timeUs: e.timeUs,
      device: e.device,
      deviceName: e.deviceName,
      key: e.key,
      action: e.action,
      mapping: e.mapping,
      decision: e.decision,
      outputs: e.outputs,
      latencyUs: e.latencyUs,
    }),
  );
  return `[\n${lines.join(',\n')}\n]\n`;
}

/** `keyrx-events-2026-11-27T02-48-18Z.csv`: sortable, and valid on every file system. */
export function exportFileName(format: ExportFormat, at: Date): string {
  const stamp = at
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
  return `keyrx-events-${stamp}.${format}`;
}

export function buildExport(format: ExportFormat, events: readonly MonitorKeyEvent[], at: Date): ExportFile {
  return {
    name: exportFileName(format, at),
    mime: format === 'csv' ? 'text/csv;charset=utf-8' : 'application/json',
    content: format === 'csv' ? buildCsv(events) : buildJson(events),
    count: events.length,
  };
}

/** Saves `file` through a temporary object URL and a download link. */
export function downloadFile(file: ExportFile): void {
  const url = URL.createObjectURL(new Blob([file.content], { type: file.mime }));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // Some browsers start reading the URL after click() returns: revoke it a little later.
  window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
