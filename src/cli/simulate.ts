/** `keyrx simulate`: runs a script through the engine and prints the output or a timeline. */
import { readFile } from 'node:fs/promises';
import type { SimulationResult } from '../core/index.ts';
import { ScriptSyntaxError, simulate } from '../core/index.ts';
import { CliError, describeFsError } from './errors.ts';
import type { Output, ProfileArgOptions } from './profile-commands.ts';
import { loadProfile, resolveProfile } from './profile-commands.ts';

export interface SimulateCliOptions extends ProfileArgOptions {
  events?: string;
  eventsFile?: string;
  json?: boolean;
  explain?: boolean;
  device?: string;
  settle?: boolean;
}

export async function runSimulate(profile: string, opts: SimulateCliOptions, io: Output): Promise<string> {
  if ((opts.events === undefined) === (opts.eventsFile === undefined))
    throw new CliError('give the input as exactly one of --events "<script>" or --events-file <path>', 2);
  const script = opts.events ?? (await readEventsFile(opts.eventsFile!));
  const config = await loadProfile(await resolveProfile(profile, opts), io);
  let result: SimulationResult;
  try {
    result = simulate(config, script, { device: opts.device, settle: opts.settle });
  } catch (e) {
    if (e instanceof ScriptSyntaxError)
      throw new CliError(`${opts.events !== undefined ? '--events' : '--events-file'}: ${e.message}`, 2);
    throw e;
  }
  if (opts.json)
    return JSON.stringify(
      {
        output: result.output,
        durationMs: result.durationMs,
        timeline: result.timeline,
        final: result.final,
      },
      null,
      2,
    );
  if (opts.explain) return explain(result);
  return result.output;
}

async function readEventsFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read --events-file '${path}': ${describeFsError(e)}`, 1);
  }
}

/**
 * The timeline as a table a person reads: when, what came in, what the engine decided, what went
 * out. Decisions and mapping kinds are the engine's names (`Decision`, `MappingKind`), as in --json
 * and the API: `pending (tapHold)` is the decision `pending` of a `tapHold` mapping.
 */
function explain(result: SimulationResult): string {
  const rows = result.timeline.map((e) => [
    `${e.timeMs} ms`,
    e.input,
    e.mapping === 'passthrough' || e.mapping === e.decision ? e.decision : `${e.decision} (${e.mapping})`,
    e.also.length > 0 ? e.also.join(', ') : '',
    e.outputs.join(' '),
    [...e.modifiers, ...e.locks].join(' '),
  ]);
  const header = ['time', 'input', 'decision', 'also decided', 'output', 'layers'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line), '', `output: ${result.output || '(nothing)'}`].join('\n');
}
