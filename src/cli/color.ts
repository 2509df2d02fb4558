/**
 * Colour for the CLI's terminal output: the one place that decides whether to colour and how.
 *
 * A stream is coloured only when it is a terminal and NO_COLOR is unset or empty
 * (https://no-color.org); `--json` output never is. `keyrx check` (its diagnostics on stderr),
 * `keyrx doctor` and `keyrx monitor` (their reports on stdout) all decide here.
 */

/** Whether text written to `stream` may carry colour. */
export function colorFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

const CODES = {
  bold: 1,
  dim: 2,
  red: 31,
  green: 32,
  yellow: 33,
  blue: 34,
  magenta: 35,
  cyan: 36,
} as const;

export type ColorName = keyof typeof CODES;

/** Wraps text in a colour when enabled, else returns it as is. */
export type Painter = Record<ColorName, (text: string) => string>;

export function painter(enabled: boolean): Painter {
  const paint = {} as Painter;
  for (const [name, code] of Object.entries(CODES) as [ColorName, number][])
    paint[name] = enabled ? (text) => (text === '' ? text : `\x1b[${code}m${text}\x1b[0m`) : (text) => text;
  return paint;
}

/** Plain text, no colour: what formatters use unless told otherwise. */
export const PLAIN: Painter = painter(false);

/** The colour of a status word: ok green, warn yellow, fail red (doctor's marks, check's verdict). */
export function statusColor(status: 'ok' | 'warn' | 'fail' | 'skip'): ColorName | null {
  return status === 'ok' ? 'green' : status === 'warn' ? 'yellow' : status === 'fail' ? 'red' : null;
}
