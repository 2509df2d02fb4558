/** Main-thread handle of the input thread: typed requests with replies, and its event stream. */
import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import type { FromInput, ToInput } from './input-protocol.ts';
import { startWorker } from './worker-url.ts';

type Request = Extract<ToInput, { id: number }>;
type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

export interface InputThreadEvents {
  message: [FromInput];
  exit: [number];
}

export class InputThread extends EventEmitter<InputThreadEvents> {
  private readonly worker: Worker;
  private nextId = 1;
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  private exited = false;
  /** linux backend: written after each message so the loop blocked in ppoll wakes up */
  private wake: ((fd: number) => void) | null = null;
  private wakeFd = -1;

  constructor() {
    super();
    this.worker = startWorker(import.meta.url, 'input-thread');
    this.worker.on('message', (msg: FromInput) => {
      if (msg.t === 'ack') {
        const p = this.pending.get(msg.id);
        if (!p) return;
        this.pending.delete(msg.id);
        if (msg.error !== undefined) p.reject(new Error(msg.error));
        else p.resolve(msg.result);
        return;
      }
      this.emit('message', msg);
    });
    this.worker.on('error', (e) => this.failAll(new Error(`input thread crashed: ${e.message}`)));
    this.worker.on('exit', (code) => {
      this.exited = true;
      this.failAll(new Error(`input thread exited (${code})`));
      this.emit('exit', code);
    });
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e);
    this.pending.clear();
  }

  setWake(fd: number, signal: (fd: number) => void): void {
    this.wakeFd = fd;
    this.wake = signal;
  }

  private postToWorker(msg: ToInput): void {
    this.worker.postMessage(msg);
    if (this.wake && this.wakeFd >= 0) this.wake(this.wakeFd);
  }

  /** Starts the backend; resolves with the `ready` message. */
  init(msg: Extract<ToInput, { t: 'init' }>): Promise<Extract<FromInput, { t: 'ready' }>> {
    return new Promise((resolve, reject) => {
      const onMessage = (m: FromInput): void => {
        if (m.t !== 'ready') return;
        this.off('message', onMessage);
        resolve(m);
      };
      this.on('message', onMessage);
      this.worker.once('error', reject);
      this.once('exit', (code) => reject(new Error(`the input thread exited during start (${code})`)));
      this.postToWorker(msg);
    });
  }

  request<T>(msg: DistributiveOmit<Request, 'id'>): Promise<T> {
    if (this.exited) return Promise.reject(new Error('input thread is not running'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.postToWorker({ ...msg, id } as Request);
    });
  }

  post(msg: Exclude<ToInput, { id: number }>): void {
    if (!this.exited) this.postToWorker(msg);
  }

  /** Asks for a clean stop (release everything) and waits at most `timeoutMs`, then terminates. */
  async shutdown(timeoutMs = 1500): Promise<void> {
    if (this.exited) return;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, timeoutMs).unref());
    await Promise.race([this.request({ t: 'shutdown' }).catch(() => undefined), timeout]);
    await this.worker.terminate();
  }
}
