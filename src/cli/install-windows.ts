/**
 * `keyrx install` and `keyrx uninstall` on Windows: only autostart (the HKCU Run value, see
 * platform/windows/autostart.ts). There is nothing else to set up: the low-level hook needs no
 * driver, group or admin right. Like the Linux command, a second run says "already done" and
 * --dry-run only prints the plan.
 *
 * windowsInstallPlan() decides from the current value (pure, tested on Linux); runWindowsInstall()
 * reads the value, prints and runs the plan.
 */
import {
  autostartCommand,
  readAutostart,
  reg,
  regAddArgs,
  regDeleteArgs,
  RUN_KEY,
  RUN_VALUE,
} from '../platform/windows/autostart.ts';
import { CliError } from './errors.ts';
import type { Output } from './profile-commands.ts';

export type WindowsInstallPlan =
  { kind: 'done'; detail: string } | { kind: 'todo'; detail: string; regArgs: string[] };

/** What to do, given the Run value now (`current`, null: none) and the command autostart should run. */
export function windowsInstallPlan(
  current: string | null,
  command: string,
  remove: boolean,
): WindowsInstallPlan {
  const where = `${RUN_KEY}\\${RUN_VALUE}`;
  if (remove)
    return current === null
      ? { kind: 'done', detail: `no ${where}` }
      : { kind: 'todo', detail: `${where} = ${current}`, regArgs: regDeleteArgs() };
  if (current === command) return { kind: 'done', detail: `${where} = ${current}` };
  return {
    kind: 'todo',
    detail: current === null ? `no ${where}` : `${where} = ${current} (replacing it)`,
    regArgs: regAddArgs(command),
  };
}

/** A command line as a user would type it in cmd.exe. */
export function showRegCommand(args: string[]): string {
  const quote = (a: string): string => (/[\s"]/.test(a) ? `"${a.replace(/"/g, '\\"')}"` : a);
  return ['reg', ...args].map(quote).join(' ');
}

export async function runWindowsInstall(
  opts: { dryRun?: boolean; remove?: boolean },
  io: Output,
  daemonCommand: string[],
): Promise<void> {
  const remove = opts.remove === true;
  const [node, main] = daemonCommand;
  const command = autostartCommand(node, main);
  const name = remove ? 'keyrx uninstall' : 'keyrx install';
  io.out(`${name}: ${remove ? 'removes' : 'sets up'} autostart at login (${RUN_KEY}, value ${RUN_VALUE})`);
  const plan = windowsInstallPlan(await readAutostart(), command, remove);
  if (plan.kind === 'done') {
    io.out(`already done: ${plan.detail}`);
    return;
  }
  io.out(`now: ${plan.detail}`);
  const shown = showRegCommand(plan.regArgs);
  if (opts.dryRun) {
    io.out(`would run: ${shown}`);
    io.out('Dry run: nothing was changed.');
    return;
  }
  io.out(`running: ${shown}`);
  const r = await reg(plan.regArgs);
  const after = await readAutostart();
  const ok = r.code === 0 && (remove ? after === null : after === command);
  if (!ok)
    throw new CliError(
      `reg.exe failed (exit ${r.code ?? 'none'}): ${(r.stderr || r.stdout).trim() || 'the value did not change'}; run by hand: ${shown}`,
      1,
    );
  if (remove) io.out('done: keyrx no longer starts at login (a running daemon keeps running).');
  else
    io.out(
      `done: keyrx starts at your next login (${command}). Start it now with \`keyrx daemon\`; \`keyrx uninstall\` undoes this.`,
    );
}
