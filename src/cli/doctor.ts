/**
 * `keyrx doctor`: the backend's checks (platform/linux/doctor.ts, on Windows platform/windows/doctor.ts),
 * coloured on a terminal.
 */
import type { Painter } from './color.ts';
import { painter, statusColor } from './color.ts';
import { CliError } from './errors.ts';
import type { Output } from './profile-commands.ts';

/** The status marks formatDoctorReport starts check lines with: `[ok  ]`, `[WARN]`, `[FAIL]`, `[skip]`. */
const MARK_STATUS: Record<string, 'ok' | 'warn' | 'fail' | 'skip'> = {
  ok: 'ok',
  WARN: 'warn',
  FAIL: 'fail',
  skip: 'skip',
};

/** Colours the status word of each check line: ok green, WARN yellow, FAIL red, skip dim. */
export function colorDoctorReport(text: string, paint: Painter): string {
  return text.replace(/^\[(ok|WARN|FAIL|skip)( *)\]/gm, (whole, word: string, pad: string) => {
    const status = MARK_STATUS[word];
    const color = statusColor(status) ?? 'dim';
    return `[${paint[color](word)}${pad}]`;
  });
}

export async function runDoctorCommand(opts: { json?: boolean }, io: Output): Promise<void> {
  if (process.platform === 'win32') {
    const { runWindowsDoctor, formatWindowsDoctorReport } = await import('../platform/windows/doctor.ts');
    const report = await runWindowsDoctor();
    if (opts.json) io.out(JSON.stringify(report, null, 2));
    else io.out(colorDoctorReport(formatWindowsDoctorReport(report), painter(io.outColor)));
    if (!report.ok) throw new CliError('some checks failed (see above)', 1);
    return;
  }
  const { runDoctor, formatDoctorReport } = await import('../platform/linux/index.ts');
  const report = await runDoctor();
  if (opts.json) io.out(JSON.stringify(report, null, 2));
  else io.out(colorDoctorReport(formatDoctorReport(report), painter(io.outColor)));
  if (!report.ok) throw new CliError('some checks failed (see above)', 1);
}
