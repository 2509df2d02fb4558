/**
 * The CLI's offline mode: when no daemon answers, commands that only read and edit the config
 * directory open it in this process (Daemon.openOffline: its lock taken, nothing grabbed, nothing
 * activated) and send their requests through the same fastify routes in memory (app.inject) —
 * the same validation, edit model and errors as over HTTP. Closed when the command ends.
 */
import { pino } from 'pino';

export interface LocalDaemon {
  readonly dir: string;
  request(method: string, path: string, body?: unknown): Promise<{ status: number; text: string }>;
  close(): Promise<void>;
}

const open = new Set<LocalDaemon>();

export async function openLocalDaemon(configDir: string): Promise<LocalDaemon> {
  // loaded only here: a client talking to a running daemon starts faster without them
  const { Daemon } = await import('../daemon/daemon.ts');
  const { buildServer } = await import('../server/app.ts');
  const daemon = new Daemon({ configDir, logger: pino({ level: 'silent' }) });
  try {
    await daemon.openOffline();
  } catch (e) {
    await daemon.stop().catch(() => undefined);
    throw e;
  }
  const { app } = await buildServer(daemon, { auth: true, uiDir: null });
  await app.ready();
  const headers = { authorization: `Bearer ${daemon.token}`, accept: 'application/json' };
  const local: LocalDaemon = {
    dir: configDir,
    async request(method, path, body) {
      const r = await app.inject({
        method: method as 'GET',
        url: path,
        headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
      });
      return { status: r.statusCode, text: r.body };
    },
    async close() {
      open.delete(local);
      await app.close();
      await daemon.stop();
    },
  };
  open.add(local);
  return local;
}

/** Closes what commands opened (main() calls it when a command ends, however it ends). */
export async function closeLocalDaemons(): Promise<void> {
  await Promise.all([...open].map((d) => d.close()));
}
