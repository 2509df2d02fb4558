#!/usr/bin/env node
/** The `keyrx` command. Each subcommand is a thin shell over the library layers. */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { KEYS } from '../core/index.ts';
import { runDemo } from './demo.ts';
import { CliError } from './errors.ts';
import { runSimulate } from './simulate.ts';
import { VERSION } from './version.ts';

function buildProgram(print: (text: string) => void): Command {
  const program = new Command('keyrx')
    .description('Keyboard remapper that runs KeyRx profiles')
    .version(VERSION, '-V, --version')
    .showHelpAfterError('(run keyrx --help for usage)')
    .exitOverride();

  program
    .command('simulate')
    .description('run an input script through the engine and print the output events')
    .argument('<profile>', 'profile file (.json config)')
    .option('-e, --events <script>', 'input script, e.g. "d:CapsLock t:250 d:H u:H u:CapsLock"')
    .option('--events-file <path>', 'read the input script from a file')
    .option('--device <name>', 'device name for events before any dev: token', 'virtual')
    .option('--settle', 'after the script, let pending tap-holds time out')
    .option('--json', 'print the full timeline as JSON')
    .action(async (profile: string, opts) => print(await runSimulate(profile, opts)));

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

export async function main(argv: string[], print = (t: string) => console.log(t)): Promise<number> {
  const program = buildProgram(print);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      // help and version exit with 0; every other commander error is a usage error
      return e.exitCode === 0 ? 0 : 2;
    }
    if (e instanceof CliError) {
      process.stderr.write(`keyrx: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  }
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
