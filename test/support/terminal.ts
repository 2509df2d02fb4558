/** Running a command on a pseudo-terminal with script(1), for the tests of what keyrx does on one. */
import { spawnSync } from 'node:child_process';

/** Whether script(1) is installed (util-linux). */
export const hasScript = spawnSync('script', ['--version'], { encoding: 'utf8' }).status === 0;

/**
 * `script` and its arguments to run argv on a pseudo-terminal (stdin, stdout and stderr). The
 * shell script(1) starts (`$SHELL`, else /bin/sh) execs argv, so the exit status and the
 * signals are argv's own: dash, unlike bash, would otherwise wait as a parent and die of the ^C
 * meant for the command (exit 130). The terminal writes \r\n for \n.
 */
export function onTerminal(argv: string[]): [string, string[]] {
  const quoted = argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return ['script', ['-qec', `exec ${quoted}`, '/dev/null']];
}
