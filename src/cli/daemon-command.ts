/** `keyrx daemon` (alias `run`): starts the daemon and its HTTP server; handles signals. */
import { pino, type Logger } from 'pino';
import { spawn } from 'node:child_process';
import { createServer, isIP, type Server, type Socket } from 'node:net';
import type { Daemon } from '../daemon/daemon.ts';
import { DaemonError } from '../daemon/errors.ts';
import type { BackendChoice, EarlyStart } from '../daemon/input-first.ts';
import { resolveConfigDir } from '../daemon/paths.ts';
import { STARTING } from '../server/envelope.ts';
import type { PipeBackend } from '../platform/linux/index.ts';
import type { LinuxTray } from '../platform/linux/tray.ts';
import { colorFor } from './color.ts';
import { CliError } from './errors.ts';
import type { Output } from './profile-commands.ts';

export interface DaemonCliOptions {
  configDir?: string;
  host?: string;
  port?: string;
  backend?: string;
  logLevel?: string;
  logFormat?: string;
  allowedHost?: string[];
  auth: boolean;
  /** --tray / --no-tray: the tray icon (windows backend); default on on Windows */
  tray?: boolean;
  /** -c FILE (KeyRx's run -c): this profile, saved under its file name and activated */
  config?: string;
}

export const DEFAULT_PORT = 9867;
const SHUTDOWN_GRACE_MS = 2000;

export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1' || host === '[::1]';
}

/**
 * The daemon's log on stderr: readable, coloured lines on a terminal ("pretty"), one JSON object
 * per line otherwise ("json": journald, files, log shippers), or as --log-format says.
 */
async function createLogger(level: string, format: string | undefined): Promise<Logger> {
  const chosen = format ?? (process.stderr.isTTY ? 'pretty' : 'json');
  if (chosen !== 'pretty' && chosen !== 'json')
    throw new CliError(`invalid --log-format '${format}' (pretty or json)`, 2);
  if (chosen === 'json')
    return pino({ level, base: { pid: process.pid } }, pino.destination({ dest: 2, sync: false }));
  const { default: pretty } = await import('pino-pretty');
  return pino(
    { level, base: undefined },
    pretty({
      destination: 2,
      // a terminal: every line written before the next statement, and nothing lost on exit
      sync: true,
      colorize: colorFor(process.stderr),
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname',
      singleLine: true,
    }),
  );
}

function parsePort(text: string | undefined): number {
  if (text === undefined) return DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new CliError(`invalid port '${text}' (0–65535; 0 picks a free one)`, 2);
  return port;
}

export async function runDaemon(opts: DaemonCliOptions, io: Output): Promise<void> {
  const host = opts.host ?? process.env.KEYRX_BIND_HOST ?? '127.0.0.1';
  const port = parsePort(opts.port ?? process.env.KEYRX_PORT);
  const backend = (opts.backend ?? process.env.KEYRX_BACKEND ?? 'auto') as BackendChoice;
  if (!['auto', 'virtual', 'linux', 'windows'].includes(backend))
    throw new CliError(`invalid --backend '${backend}' (auto, virtual, linux or windows)`, 2);
  if (!opts.auth && !isLoopback(host))
    throw new CliError(
      `--no-auth is refused on ${host}: without a token anyone who can reach it could read and type keys; bind to 127.0.0.1 or keep auth`,
      2,
    );
  const logLevel = opts.logLevel ?? process.env.KEYRX_LOG_LEVEL ?? 'info';
  const logger = await createLogger(logLevel, opts.logFormat ?? process.env.KEYRX_LOG_FORMAT);

  // on by default on Windows, and on a Linux desktop (a session bus and a display)
  const tray = opts.tray ?? defaultTray(process.env);
  const configDir = resolveConfigDir(opts.configDir);
  const asCliError = (e: unknown): unknown => (e instanceof DaemonError ? new CliError(e.message, 1) : e);

  // The port first: a daemon that cannot serve changes nothing (it is held until the server
  // takes it over). Then the key path, before the server, the compiler and the schemas load: the
  // config dir is checked and locked (a second daemon on it stops here) and, when the active
  // profile's cache is current, keyboards are remapped from here on (input-first.ts).
  const linuxPipes = pipesFromEnv(process.env);
  // what is running so far, for a shutdown at any point of the start (a signal, a fatal error)
  let reserved: Awaited<ReturnType<typeof reservePort>> | null = null;
  let early: EarlyStart | null = null;
  let daemon: Daemon | null = null;
  let closeServer: (() => Promise<unknown>) | null = null;
  let linuxTray: LinuxTray | null = null;
  let closing: Promise<void> | null = null;
  const shutdown = (reason: string, code: number): Promise<void> => {
    closing ??= (async () => {
      logger.info({ reason }, 'shutting down');
      const force = setTimeout(() => process.exit(code), SHUTDOWN_GRACE_MS);
      force.unref();
      // the key path first: held keys are released at once (and new requests get 503)
      if (daemon) await daemon.stop().catch(() => undefined);
      else if (early) {
        // what the input thread says while it stops (or said before) goes to the log
        early.input?.takeOver((m) => {
          if (m.t === 'log') logger.info(m.context ?? {}, m.message);
          else if (m.t === 'error') logger.error({ code: m.code, ...m.context }, m.message);
        });
        await (await import('../daemon/input-first.ts')).stopEarlyStart(early);
      }
      reserved?.close();
      await linuxTray?.close().catch(() => undefined);
      await closeServer?.().catch(() => undefined);
      // the log is written asynchronously: its last lines (the input thread's) before the exit
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      process.exit(code);
    })();
    return closing;
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM', 0));
  process.on('SIGINT', () => void shutdown('SIGINT', 0));

  reserved = await reservePort(host, port);
  try {
    const { startInputFirst } = await import('../daemon/input-first.ts');
    early = await startInputFirst({
      configDir,
      backend,
      tray,
      pipes: linuxPipes,
      deferInput: opts.config !== undefined ? 'run -c FILE' : undefined,
      warn: (context, message) => logger.warn(context, message),
    });
  } catch (e) {
    reserved.close();
    throw asCliError(e);
  }
  if (closing) return; // a signal during the start: shutdown() stops what runs
  if (early.input)
    logger.info(
      {
        backend: early.input.backend,
        profile: early.input.profile?.name ?? null,
        sinceProcessStartMs: Math.round(process.uptime() * 1000),
      },
      'remapping live',
    );
  else logger.debug({ reason: early.deferred }, 'the key path starts once the profile is compiled');

  const { Daemon } = await import('../daemon/daemon.ts');
  daemon = new Daemon({ configDir, logger, tray, early, linuxPipes });
  const fail = async (e: unknown): Promise<never> => {
    reserved?.close();
    await daemon?.stop().catch(() => undefined);
    throw asCliError(e);
  };
  await daemon.prepare().catch(fail);
  if (opts.config !== undefined) await useConfigFile(daemon, opts.config, io).catch(fail);
  const list = (text: string | undefined): string[] =>
    (text ?? '')
      .split(',')
      .map((o) => o.trim())
      .filter(Boolean);
  const { buildServer } = await import('../server/app.ts');
  const server = await buildServer(daemon, {
    auth: opts.auth,
    allowedOrigins: list(process.env.KEYRX_ALLOWED_ORIGINS),
    allowedHosts: [...(opts.allowedHost ?? []), ...list(process.env.KEYRX_ALLOWED_HOSTS)],
    bindHost: host,
    logger,
  });
  const { app, auth } = server;
  closeServer = () => app.close();
  const started: Daemon = daemon;
  started.onFatal = (reason) => void shutdown(reason, reason === 'emergency exit chord' ? 0 : 3);
  started.onExitRequested = (reason) => void shutdown(reason, 0);
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading the active profile from disk');
    started.reloadActive().catch(() => undefined);
  });
  if (closing) return;

  // requests that arrive while it starts get 503 STARTING
  try {
    await reserved.release();
    await app.listen({ host, port: reserved.port });
  } catch (e) {
    await app.close().catch(() => undefined);
    await started.stop().catch(() => undefined);
    throw listenError(e, host, port);
  }
  try {
    await started.start(backend);
  } catch (e) {
    await app.close().catch(() => undefined);
    await fail(e);
  }
  if (closing) return;
  if (!opts.logLevel && !process.env.KEYRX_LOG_LEVEL) logger.level = daemon.settings.logLevel;
  const address = app.server.address();
  const actualPort = typeof address === 'object' && address ? address.port : port;
  const shownHost = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  const base = `http://${shownHost}:${actualPort}`;
  const status = daemon.status();
  io.out(
    `keyrx ${status.version} listening on ${base} (backend ${status.backend}, profile ${status.activeProfile ?? 'none: keys pass through unchanged'})`,
  );
  io.out(`config: ${daemon.paths.root}`);
  daemon.onOpenUi = () => {
    const url = opts.auth ? `${base}/login?code=${auth.newLoginCode()}` : `${base}/`;
    void openUrl(url).then((ok) => {
      if (!ok) logger.warn('the web UI could not be opened in the browser');
    });
  };
  if (tray && process.platform === 'linux') linuxTray = await startTrayOnLinux(daemon, logger);
  else if (tray && status.backend !== 'windows')
    logger.info({ backend: status.backend }, 'no tray icon: on Windows it needs the windows backend');
  if (opts.auth) io.out(`web UI (one-time login link, 10 min): ${base}/login?code=${auth.newLoginCode()}`);
  else io.out(`web UI: ${base}/ (authentication disabled)`);
  io.out(`API token: ${daemon.paths.token}`);
}

/** A listen() failure as the user should read it. */
function listenError(e: unknown, host: string, port: number): unknown {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE')
    return new CliError(`port ${port} on ${host} is in use: is keyrx already running? (use --port)`, 1);
  if (code === 'EADDRNOTAVAIL') return new CliError(`cannot bind to ${host}: no such local address`, 1);
  return e;
}

/** What a client connecting while the port is only held hears: the server's own 503 STARTING. */
const STARTING_REPLY = (() => {
  const body = JSON.stringify(STARTING);
  return (
    'HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json; charset=utf-8\r\n' +
    `retry-after: 1\r\nconnection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`
  );
})();

/**
 * The API's port, bound before anything else starts and held until the server listens on it
 * (`release()` just before): a port in use stops the start before a keyboard is grabbed. Port 0
 * picks a free one; `port` is the one bound. Meanwhile every connection gets 503 STARTING.
 */
async function reservePort(
  host: string,
  port: number,
): Promise<{ port: number; release(): Promise<void>; close(): void }> {
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.end(STARTING_REPLY);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(listenError(e, host, port)));
    server.listen({ host, port, exclusive: true }, resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  const close = (done?: () => void): void => {
    server.close(() => done?.());
    for (const socket of sockets) socket.destroy();
  };
  return { port: bound, release: () => new Promise<void>((resolve) => close(resolve)), close: () => close() };
}

/**
 * Benchmarks and host tests only (bench/startup.bench.ts): `KEYRX_PIPE_FDS=<fd>[,<fd>…]:<fd>`
 * runs the linux backend on inherited pipe fds (keyboards, then the output) instead of devices,
 * as DaemonOptions.linuxPipes does in-process.
 */
export function pipesFromEnv(env: NodeJS.ProcessEnv): PipeBackend | undefined {
  const spec = env.KEYRX_PIPE_FDS;
  if (spec === undefined || spec === '') return undefined;
  const m = /^(\d+(?:,\d+)*):(\d+)$/.exec(spec);
  const fds = m ? [...m[1].split(','), m[2]].map(Number) : [];
  if (!m || fds.some((fd) => fd < 3 || fd > 1023) || new Set(fds).size !== fds.length)
    throw new CliError(
      `invalid KEYRX_PIPE_FDS '${spec}': keyboard fds, a colon and the output fd (e.g. 3,4:5; each 3–1023, all different)`,
      2,
    );
  return {
    devices: fds.slice(0, -1).map((fd, i) => ({ fd, name: `pipe keyboard ${i + 1}` })),
    output: fds[fds.length - 1],
  };
}

/** Show a tray icon unless told otherwise: on Windows, and on a Linux desktop session. */
export function defaultTray(env: NodeJS.ProcessEnv, platform: NodeJS.Platform = process.platform): boolean {
  if (platform === 'win32') return true;
  return (
    platform === 'linux' &&
    Boolean(env.DBUS_SESSION_BUS_ADDRESS) &&
    Boolean(env.DISPLAY || env.WAYLAND_DISPLAY)
  );
}

/**
 * The Linux tray (StatusNotifierItem over D-Bus) on this thread: its menu drives the daemon, and
 * the daemon's stream keeps its tooltip and Suspend/Resume item current. No session bus: logged,
 * the daemon runs headless.
 */
async function startTrayOnLinux(daemon: Daemon, logger: Logger): Promise<LinuxTray | null> {
  const { startLinuxTray } = await import('../platform/linux/tray.ts');
  let locks: string[] = [];
  const state = () => ({ suspended: daemon.suspended, profile: daemon.activeProfileName(), layers: locks });
  const r = await startLinuxTray({
    onChoice: (action) => daemon.onTray(action),
    log: (message, context) => logger.info(context ?? {}, message),
    state: state(),
  });
  if (!r.ok) {
    logger.info({ reason: r.reason }, 'no tray icon');
    return null;
  }
  daemon.hub.subscribe((e) => {
    if (e.type === 'state') locks = (e.data as { locks?: string[] }).locks ?? [];
    if (e.type === 'state' || e.type === 'suspend' || e.type === 'profile') r.tray.setState(state());
  });
  logger.info({ name: r.tray.busName, shown: r.tray.registered }, 'tray icon on the session bus');
  return r.tray;
}

/** Opens a URL in the desktop's browser: ShellExecute on Windows, xdg-open elsewhere. */
async function openUrl(url: string): Promise<boolean> {
  if (process.platform === 'win32') {
    const { openInBrowser } = await import('../platform/windows/tray.ts');
    return openInBrowser(url);
  }
  return new Promise((resolve) => {
    const child = spawn('xdg-open', [url], { detached: true, stdio: 'ignore' });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/**
 * `keyrx run -c FILE` (KeyRx's spelling): FILE becomes the profile named after it, in the config
 * directory, and the one the daemon starts with. Checked before anything is grabbed: a file that
 * does not compile stops the start with its errors at file:line:col; a different profile of that
 * name is never replaced; a file that load()s others must be imported as a bundle, since its
 * relative loads would not resolve from the profiles folder.
 */
async function useConfigFile(daemon: Daemon, file: string, io: Output): Promise<void> {
  const { readFile } = await import('node:fs/promises');
  const { basename, join } = await import('node:path');
  const { compileSource } = await import('../daemon/profile-files.ts');
  const { formatDiagnostic } = await import('../dsl/diagnostics.ts');
  const { isValidProfileName } = await import('../daemon/names.ts');
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (e) {
    throw new CliError(`-c ${file}: ${(e as Error).message}`, 1);
  }
  const name = basename(file).replace(/\.rhai$/i, '');
  if (!isValidProfileName(name))
    throw new CliError(
      `-c ${file}: '${name}' is not a profile name (letters, digits, _ and -): rename the file`,
      2,
    );
  const compiled = compileSource(source, file, { configDir: daemon.paths.root });
  if (!compiled.config) {
    io.err(
      compiled.diagnostics
        .map((d) => formatDiagnostic(d, compiled.sources.get(d.span.file) ?? ''))
        .join('\n\n'),
    );
    throw new CliError(`-c ${file}: the profile does not compile (see above)`, 1);
  }
  if (compiled.loaded.length > 0)
    throw new CliError(
      `-c ${file}: it load()s other files, which would not be found from the profiles folder: export and import it as a bundle (keyrx profiles import), or put it in ${daemon.paths.profiles}`,
      2,
    );
  // the daemon's index is built when it starts: the file itself says what is there
  const existing = await readFile(join(daemon.paths.profiles, `${name}.rhai`), 'utf8')
    .then((text) => ({ source: text }))
    .catch(() => null);
  if (existing && existing.source !== source)
    throw new CliError(
      `-c ${file}: a different profile '${name}' is in ${daemon.paths.profiles}: rename the file, or replace it with keyrx profiles import ${file} --overwrite`,
      1,
    );
  if (!existing) await daemon.importProfile({ name, source });
  await daemon.setStartupProfile(name);
  io.err(`keyrx: -c ${file}: running it as profile '${name}'`);
}
