#!/usr/bin/env node
/** The `keyrx` command. Each subcommand is a thin shell over the library layers. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { KEYS } from '../core/keys.ts'; // not the core's index: the daemon's start does without the rest
import { colorFor } from './color.ts';
import { CliError } from './errors.ts';
import type { DaemonCliOptions } from './daemon-command.ts';
import type { Output, ProfileArgOptions } from './profile-commands.ts';
import { VERSION } from './version.ts';

/** Commands load their modules on demand, so `keyrx status` does not load the compiler. */
const profileCommands = () => import('./profile-commands.ts');

/** The argument of the commands that read a profile, and where a profile name is looked up. */
const PROFILE_ARG = 'a .rhai, .krx or .json file, or the name of a profile in the config directory';
const PROFILE_SOURCE_ARG = 'a .rhai file, or the name of a profile in the config directory';
const PROFILE_CONFIG_DIR = [
  '--config-dir <dir>',
  'config directory: a profile name means <dir>/profiles/<name>.rhai, and load() reads <dir>/stdlib (env KEYRX_CONFIG_DIR; default $XDG_CONFIG_HOME/keyrx)',
] as const;

/**
 * The commands' modules (they load the compiler, the API client, schemas …). `keyrx daemon`
 * does without them: its key path goes live before any of that loads (input-first.ts).
 */
async function registerOtherCommands(program: Command, io: Output): Promise<void> {
  const [client, config, record, migrate, layers, layouts, monitor, mcp, install] = await Promise.all([
    import('./client-commands.ts'),
    import('./config-commands.ts'),
    import('./record-commands.ts'),
    import('./migrate-command.ts'),
    import('./layers-commands.ts'),
    import('./layout-commands.ts'),
    import('./monitor.ts'),
    import('./mcp-command.ts'),
    import('./install-command.ts'),
  ]);
  client.registerClientCommands(program, io);
  config.registerConfigCommands(program, io);
  record.registerRecordCommands(program, io);
  migrate.registerMigrateCommand(program, io);
  layers.registerLayersCommands(program, io);
  layouts.registerLayoutCommands(program, io);
  monitor.registerMonitorCommand(program, io);
  mcp.registerMcpCommand(program, io);
  install.registerInstallCommands(program, io);
}

/** `keyrx daemon …` / `keyrx run …` without a help flag: only that command is needed. */
function isDaemonStart(argv: string[]): boolean {
  return (argv[0] === 'daemon' || argv[0] === 'run') && !argv.some((a) => a === '-h' || a === '--help');
}

async function buildProgram(io: Output, argv: string[]): Promise<Command> {
  const print = io.out;
  const program = new Command('keyrx')
    .description('Keyboard remapper that runs KeyRx profiles')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run keyrx --help for usage)')
    .exitOverride();

  program
    .command('simulate')
    .description('run an input script through the engine and print the output events')
    .argument('<profile>', PROFILE_ARG)
    .option('-e, --events <script>', 'input script, e.g. "d:CapsLock t:250 d:H u:H u:CapsLock"')
    .option('--events-file <path>', 'read the input script from a file')
    .option('--device <name>', 'device name for events before any dev: token', 'virtual')
    .option('--settle', 'after the script, let pending decisions time out (e.g. of a tapHold key still held)')
    .option('--json', 'print the full timeline as JSON')
    .option('--explain', 'print a table: each input, the decision it got, what else it decided, its output')
    .option(...PROFILE_CONFIG_DIR)
    .action(async (profile: string, opts) =>
      print(await (await import('./simulate.ts')).runSimulate(profile, opts, io)),
    );

  program
    .command('compile')
    .description('compile a .rhai profile to a .krx cache')
    .argument('<profile>', PROFILE_SOURCE_ARG)
    .option(
      '-o, --output <file>',
      'output file (default: the input with .krx; for a profile name, <name>.krx here)',
    )
    .option(...PROFILE_CONFIG_DIR)
    .action(async (input: string, opts: ProfileArgOptions & { output?: string }) =>
      (await profileCommands()).runCompile(input, opts, io),
    );

  program
    .command('test')
    .description(
      'run scenario files (a profile, then cases: input script → expected output) through the engine; no paths: <config dir>/tests/*.txt',
    )
    .argument('[paths...]', 'scenario files (.txt) or folders of them')
    .option(
      '-p, --profile <profile>',
      'run every file against this profile instead of its own (a file or a profile name)',
    )
    .option('-s, --scenario <name>', 'only the cases whose name contains this')
    .option('--json', 'print the results as JSON')
    .option(...PROFILE_CONFIG_DIR)
    .action(async (paths: string[], opts) => (await import('./test-command.ts')).runTest(paths, opts, io));

  program
    .command('verify')
    .description(
      'check a .krx file as the daemon does (magic, version, hash, a valid config) and say what it holds',
    )
    .argument('<file>', 'a .krx file')
    .option('--source <file>', 'also check that it was compiled from this .rhai source as it is now')
    .action(async (file: string, opts: { source?: string }) =>
      (await profileCommands()).runVerify(file, opts, io),
    );

  program
    .command('hash')
    .description("print a .krx file's payload SHA-256; --verify recomputes and compares it")
    .argument('<file>', 'a .krx file')
    .option('--verify', 'recompute the hash (exit 1 on a mismatch)')
    .action(async (file: string, opts: { verify?: boolean }) =>
      (await profileCommands()).runHash(file, opts, io),
    );

  program
    .command('check')
    .description('check a profile and print every diagnostic (exit 1 on errors)')
    .argument('<profile>', PROFILE_SOURCE_ARG)
    .option(...PROFILE_CONFIG_DIR)
    .action(async (input: string, opts: ProfileArgOptions) =>
      (await profileCommands()).runCheck(input, opts, io),
    );

  program
    .command('parse')
    .description('print the compiled config of a profile')
    .argument('<profile>', PROFILE_ARG)
    .option('--json', 'print the config model as JSON')
    .option(...PROFILE_CONFIG_DIR)
    .action(async (input: string, opts: ProfileArgOptions & { json?: boolean }) =>
      (await profileCommands()).runParse(input, opts, io),
    );

  program
    .command('view')
    .description('write a standalone HTML keyboard map of the base layer and every MD_/LK_ layer')
    .argument('<profile>', PROFILE_ARG)
    .option(
      '-o, --output <file>',
      'output file (default: the input with .html; for a profile name, <name>.html here)',
    )
    .option(
      '--layout <id>',
      'keyboard layout: ansi-104, ansi-87, iso-105, iso-88, jis-109, compact-60/65/75/96, hhkb, numpad, or a custom one (keyrx layouts list)',
      'ansi-104',
    )
    .option(...PROFILE_CONFIG_DIR)
    .action(async (input: string, opts: ProfileArgOptions & { output?: string; layout?: string }) =>
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
      .option(
        '--backend <kind>',
        'input backend: auto, linux, windows or virtual (env KEYRX_BACKEND; default auto)',
      )
      .option('--log-level <level>', 'fatal, error, warn, info, debug or trace')
      .option(
        '--log-format <format>',
        'pretty (readable lines, the default on a terminal) or json (one object per line, the default otherwise; env KEYRX_LOG_FORMAT)',
      )
      .option(
        '--allowed-host <name>',
        'also answer to this Host name (name or name:port; repeatable; env KEYRX_ALLOWED_HOSTS, comma-separated)',
        (value: string, all: string[] = []) => [...all, value],
      )
      .option('--no-auth', 'no API token (refused unless the host is loopback)')
      .option(
        '--tray',
        'show a tray icon: Open UI, Reload, Suspend/Resume, Exit (default on Windows, and on Linux in a desktop session: a StatusNotifierItem on the session bus)',
      )
      .option('--no-tray', 'no tray icon')
      .option(
        '-c, --config <file>',
        "run this .rhai profile (KeyRx's run -c): it is saved in the config directory under its file name and activated",
      )
      // loaded on demand: fastify and the daemon are not needed by the other commands
      .action(async (opts: DaemonCliOptions) => (await import('./daemon-command.ts')).runDaemon(opts, io));
  }

  if (!isDaemonStart(argv)) await registerOtherCommands(program, io);

  program
    .command('doctor')
    .description('check that keyboards can be grabbed on this machine, and say how to fix what is missing')
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => (await import('./doctor.ts')).runDoctorCommand(opts, io));

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
    .description('print this help and run a short demo simulation, then say how to try your own profile')
    .addOption(new Option('--no-help-text', 'skip the help text'))
    .action(async (opts: { helpText: boolean }) => {
      if (opts.helpText) print(program.helpInformation());
      print((await import('./demo.ts')).runDemo());
    });

  return program;
}

export async function main(argv: string[], io: Output = processOutput()): Promise<number> {
  const program = await buildProgram(io, argv);
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
  } finally {
    // the config directory a command opened in-process (no daemon running) is released
    await (await import('./local-daemon.ts')).closeLocalDaemons();
  }
}

function processOutput(): Output {
  return {
    out: (text) => process.stdout.write(`${text}\n`),
    err: (text) => process.stderr.write(`${text}\n`),
    // a terminal, and no NO_COLOR (https://no-color.org): see color.ts
    color: colorFor(process.stderr),
    outColor: colorFor(process.stdout),
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
if (invokedDirectly()) {
  // `keyrx parse x.rhai | head`: the reader went away; that is not an error of ours
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  process.exitCode = await main(process.argv.slice(2));
}
