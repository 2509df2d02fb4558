/** `keyrx simulate`: runs a script through the engine and prints the output or a timeline. */
import { readFile } from 'node:fs/promises';
import type { SimulationResult } from '../core/index.ts';
import { ScriptSyntaxError, simulate } from '../core/index.ts';
import { CliError } from './errors.ts';
import type { Output } from './profile-commands.ts';
import { loadProfile } from './profile-commands.ts';

export interface SimulateCliOptions {
  events?: string;
  eventsFile?: string;
  json?: boolean;
  device?: string;
  settle?: boolean;
}

export async function runSimulate(profile: string, opts: SimulateCliOptions, io: Output): Promise<string> {
  if ((opts.events === undefined) === (opts.eventsFile === undefined))
    throw new CliError('give the input as exactly one of --events "<script>" or --events-file <path>', 2);
  const script = opts.events ?? (await readFile(opts.eventsFile!, 'utf8'));
  const config = await loadProfile(profile, io);
  let result: SimulationResult;
  try {
    result = simulate(config, script, { device: opts.device, settle: opts.settle });
  } catch (e) {
    if (e instanceof ScriptSyntaxError) throw new CliError(`--events: ${e.message}`, 2);
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
  return result.output;
}
