/**
 * `keyrx record start|stop|show|clear|macro|save`: the daemon's macro recorder (in memory only,
 * src/daemon/macro-recorder.ts) and turning a recording into a key's `macro(…)` mapping.
 */
import type { Command } from 'commander';
import type { MacroStep } from '../core/index.ts';
import { plural } from '../core/index.ts';
import type { RecordingState } from '../daemon/macro-recorder.ts';
import { ArgumentError, macroMapping } from '../dsl/argument-mappings.ts';
import type { ConnectionOptions } from './client.ts';
import { connect } from './client.ts';
import { client } from './client-commands.ts';
import type { KeyOptions } from './config-commands.ts';
import { setKey } from './config-commands.ts';
import { CliError } from './errors.ts';
import type { Output } from './profile-commands.ts';

type Options = ConnectionOptions & { json?: boolean };
type MacroOptions = { input?: boolean; minWait?: string };
type Summary = Omit<RecordingState, 'events'>;

function macroQuery(opts: MacroOptions): string {
  const params = new URLSearchParams();
  if (opts.input) params.set('source', 'input');
  if (opts.minWait !== undefined) {
    if (!/^\d+$/.test(opts.minWait) || Number(opts.minWait) > 60_000)
      throw new CliError(`--min-wait takes milliseconds (0–60000), got '${opts.minWait}'`, 2);
    params.set('minWaitMs', opts.minWait);
  }
  const q = params.toString();
  return q ? `?${q}` : '';
}

async function macroOf(
  opts: Options & MacroOptions,
): Promise<{ steps: MacroStep[]; text: string; count: number }> {
  const api = await connect(opts);
  const m = await api.get<{ steps: MacroStep[]; text: string; count: number }>(
    `/api/recording/macro${macroQuery(opts)}`,
  );
  if (m.steps.length === 0)
    throw new CliError(
      m.count === 0
        ? 'nothing recorded: keyrx record start, type, keyrx record stop'
        : `the recording has no ${opts.input ? 'key presses' : 'output keys'} to replay`,
      1,
    );
  return m;
}

export function registerRecordCommands(program: Command, io: Output): void {
  const record = program
    .command('record')
    .description(
      "record keys typed into the running daemon and make a macro of them (kept in the daemon's memory only: at most 5000 keys or 10 minutes)",
    );
  client(record.command('start').description('start recording (a new recording)')).action(
    async (opts: Options) => {
      const s = await (await connect(opts)).post<Summary>('/api/recording/start');
      if (opts.json) return io.out(JSON.stringify(s, null, 2));
      io.out(
        'recording: type the macro, then keyrx record stop (everything typed is recorded, passwords too)',
      );
    },
  );
  client(record.command('stop').description('stop recording')).action(async (opts: Options) => {
    const s = await (await connect(opts)).post<Summary>('/api/recording/stop');
    if (opts.json) return io.out(JSON.stringify(s, null, 2));
    io.out(`stopped: ${plural(s.count, 'key event')} recorded (keyrx record macro shows them as steps)`);
  });
  client(record.command('show').description('the keys recorded, with their outputs')).action(
    async (opts: Options) => {
      const r = await (await connect(opts)).get<RecordingState>('/api/recording');
      if (opts.json) return io.out(JSON.stringify(r, null, 2));
      const head = r.recording
        ? `recording since ${r.startedAt}`
        : r.startedAt
          ? `recorded ${r.startedAt} – ${r.stoppedAt}${r.stoppedBy === 'limit' || r.stoppedBy === 'time' ? ` (stopped by itself: ${r.stoppedBy === 'limit' ? '5000 keys' : '10 minutes'})` : ''}`
          : 'nothing recorded';
      const lines = r.events.map(
        (e) =>
          `${`+${e.atMs} ms`.padStart(10)}  ${e.action === 'press' ? 'd' : 'u'}:${e.key}  (${e.device})${e.outputs.length ? ` → ${e.outputs.map((o) => `${o.action === 'press' ? 'd' : 'u'}:${o.key}`).join(' ')}` : ''}`,
      );
      io.out([`${head}: ${plural(r.count, 'key event')}`, ...lines].join('\n'));
    },
  );
  client(record.command('clear').description('forget the recording')).action(async (opts: Options) => {
    const s = await (await connect(opts)).delete<Summary>('/api/recording');
    if (opts.json) return io.out(JSON.stringify(s, null, 2));
    io.out('recording cleared');
  });
  const macroOptions = (cmd: Command): Command =>
    cmd
      .option('--input', 'the keys pressed, not what the engine wrote for them')
      .option('--min-wait <ms>', 'leave out pauses shorter than this (default 10; 0 keeps all)');
  client(
    macroOptions(
      record.command('macro').description("the recording as a macro's steps (keyrx config set-macro's form)"),
    ),
  ).action(async (opts: Options & MacroOptions) => {
    const m = await macroOf(opts);
    io.out(opts.json ? JSON.stringify(m, null, 2) : m.text);
  });
  client(
    macroOptions(
      record
        .command('save')
        .description('map a key of a profile to the recording, as a macro')
        .argument('<profile>')
        .argument('<key>')
        .option('--layer <layer>', 'in this layer (MD_xx, LK_xx or its name)')
        .option('--block <n>', 'in this device block (default 0)')
        .option('--override', 'the key is mapped by code: add an explicit mapping ahead of it'),
    ),
  ).action(async (profile: string, key: string, opts: KeyOptions & MacroOptions) => {
    const m = await macroOf(opts);
    let mapping;
    try {
      mapping = macroMapping(key, m.text);
    } catch (e) {
      if (e instanceof ArgumentError) throw new CliError(e.message, 2);
      throw e;
    }
    await setKey(profile, key, mapping, opts, io);
  });
}
