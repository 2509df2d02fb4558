#!/usr/bin/env node
/** The `keyrx` command. Each subcommand is a thin shell over the library layers. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { KEYS } from '../core/index.ts';
import { registerClientCommands } from './client-commands.ts';
import { registerMonitorCommand } from './monitor.ts';
import { runDemo } from './demo.ts';
import { CliError } from './errors.ts';
import type { DaemonCliOptions } from './daemon-command.ts';
import type { Output } from './profile-commands.ts';
import { VERSION } from './version.ts';

/** Commands load their modules on demand, so `keyrx status` does not load the compiler. */
const profileCommands = () => import('./profile-commands.ts');

function buildProgram(io: Output): Command {
  const print = io.out;
  const program = new Command('keyrx')
    .description('Keyboard remapper that runs KeyRx profiles')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run keyrx --help for usage)')
    .exitOverride();

  program
    .command('simulate')
    .description('run an input script through the engine and print the output events')
    .argument('<profile>', 'profile: .rhai source, .krx cache or .json config')
    .option('-e, --events <script>', 'input script, e.g. "d:CapsLock t:250 d:H u:H u:CapsLock"')
    .option('--events-file <path>', 'read the input script from a file')
    .option('--device <name>', 'device name for events before any dev: token', 'virtual')
    .option('--settle', 'after the script, let pending tap-holds time out')
    .option('--json', 'print the full timeline as JSON')
    .option('--explain', 'print a table: each input, the decision it got, what else it decided, its output')
    .action(async (profile: string, opts) =>
      print(await (await import('./simulate.ts')).runSimulate(profile, opts, io)),
    );

  program
    .command('compile')
    .description('compile a .rhai profile to a .krx cache')
    .argument('<input>', 'profile source (.rhai)')
    .option('-o, --output <file>', 'output file (default: the input with .krx)')
    .action(async (input: string, opts: { output?: string }) =>
      (await profileCommands()).runCompile(input, opts, io),
    );

  program
    .command('check')
    .description('check a profile and print every diagnostic (exit 1 on errors)')
    .argument('<input>', 'profile source (.rhai)')
    .action(async (input: string) => (await profileCommands()).runCheck(input, io));

  program
    .command('parse')
    .description('print the compiled config of a profile')
    .argument('<input>', 'profile: .rhai, .krx or .json')
    .option('--json', 'print the config model as JSON')
    .action(async (input: string, opts: { json?: boolean }) =>
      (await profileCommands()).runParse(input, opts, io),
    );

  program
    .command('view')
    .description('write a standalone HTML keyboard map of the base layer and every MD_/LK_ layer')
    .argument('<input>', 'profile: .rhai, .krx or .json')
    .option('-o, --output <file>', 'output file (default: the input with .html)')
    .option('--layout <name>', 'keyboard layout: ansi, iso or jis', 'ansi')
    .action(async (input: string, opts: { output?: string; layout?: string }) =>
      (await profileCommands()).runView(input, opts, io),
    );

  for (const name of ['daemon', 'run']) {
    program
      .command(name)
      .description(
        name === 'daemon' ? 'start the daemon: input thread, REST API and web UI' : 'alias of daemon',
      )
      .option('--config-dir <dir>', 'config directory (env KEYRX_CONFIG_DIR; default $XDG_CONFIG_HOME/keyrx)')
      .option('--host <address>', 'address to listen on (env KEYRX_BIND_HOST; default 127.0.0.1)')
      .option('--port <n>', 'port (env KEYRX_PORT; default 9867)')
      .option('--backend <kind>', 'input backend: auto, linux or virtual (env KEYRX_BACKEND; default auto)')
      .option('--log-level <level>', 'fatal, error, warn, info, debug or trace')
      .option(
        '--allowed-host <name>',
        'also answer to this Host name (name or name:port; repeatable; env KEYRX_ALLOWED_HOSTS, comma-separated)',
        (value: string, all: string[] = []) => [...all, value],
      )
      .option('--no-auth', 'no API token (refused unless the host is loopback)')
      // loaded on demand: fastify and the daemon are not needed by the other commands
      .action(async (opts: DaemonCliOptions) => (await import('./daemon-command.ts')).runDaemon(opts, io));
  }

  registerClientCommands(program, io);
  registerMonitorCommand(program, io);

  program
    .command('doctor')
    .description('check that keyboards can be grabbed on this machine, and say how to fix what is missing')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      const { runDoctor, formatDoctorReport } = await import('../platform/linux/index.ts');
      const report = await runDoctor();
      print(opts.json ? JSON.stringify(report, null, 2) : formatDoctorReport(report));
      if (!report.ok) throw new CliError('some checks failed (see above)', 1);
    });

  program
    .command('keys')
    .description('list every key name profiles and scripts accept')
    .option('--json', 'print as JSON')
    .action((opts: { json?: boolean }) => {
      if (opts.json) print(JSON.stringify(KEYS, null, 2));
      else
        print(
          KEYS.map(
            (k) => `${k.name.padEnd(18)} ${String(k.code).padStart(3)}  ${k.aliases.slice(1).join(', ')}`,
          ).join('\n'),
        );
    });

  program
    .command('demo')
    .description('print this help and run a short demo simulation')
    .addOption(new Option('--no-help-text', 'skip the help text'))
    .action((opts: { helpText: boolean }) => {
      if (opts.helpText) print(program.helpInformation());
      print(runDemo());
    });

  return program;
}

export async function main(argv: string[], io: Output = processOutput()): Promise<number> {
  const program = buildProgram(io);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit with 0; every other commander error is a usage error
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliError) {
      io.err(`keyrx: ${e.message}`);
      return e.exitCode;
    }
    throw e;
  }
}

function processOutput(): Output {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    // https://no-color.org: any non-empty NO_COLOR disables colour
    color: process.stderr.isTTY === true && !process.env.NO_COLOR,
  };
}

function invokedDirectly(): boolean {
  // true when run as `node main.js` or through the npm bin symlink, false when imported
  try {
    return realpathSync(process.argv[1] ?? '') === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}
if (invokedDirectly()) process.exitCode = await main(process.argv.slice(2));
