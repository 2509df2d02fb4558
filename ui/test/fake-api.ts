/**
 * The network for UI tests: a `fetch` that answers like the daemon's REST API from handlers a
 * test pushes. Later handlers win, so a test can override its defaults; a call no handler
 * answers gets the daemon's 404 envelope.
 */
export interface Call {
  method: string;
  path: string;
  body: unknown;
}
export type Reply = { status: number; body: unknown };
export type Handler = (call: Call) => Reply | undefined;

/** Every call made so far, in order. */
export const calls: Call[] = [];
/** The answers, newest first in effect. */
export const handlers: Handler[] = [];

/** Forgets the calls and the handlers (before each test). */
export function resetFakeApi(): void {
  calls.length = 0;
  handlers.length = 0;
}

export function fakeFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
  const path = String(input);
  const call: Call = {
    method: init?.method ?? 'GET',
    path,
    body: typeof init?.body === 'string' ? JSON.parse(init.body) : undefined,
  };
  calls.push(call);
  let reply: Reply | undefined;
  for (let i = handlers.length - 1; i >= 0 && !reply; i--) reply = handlers[i](call);
  reply ??= {
    status: 404,
    body: { error: { code: 'NOT_FOUND', message: `no route ${call.method} ${path}` } },
  };
  const text = JSON.stringify(reply.body);
  return Promise.resolve({
    ok: reply.status >= 200 && reply.status < 300,
    status: reply.status,
    statusText: String(reply.status),
    text: () => Promise.resolve(text),
  } as Response);
}
