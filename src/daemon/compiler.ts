/**
 * The main-thread side of the compile worker: a promise per request, one compile at a time.
 *
 * Requests wait in a queue here; each is sent to the worker only when the previous one has
 * finished and the worker is ready, and its deadline starts then. A compile that overruns it, or
 * a worker that crashes, fails that one request: the worker is terminated and dropped, and the
 * next request in the queue runs on a fresh worker.
 */
import type { Worker } from 'node:worker_threads';
import type { Config } from '../core/index.ts';
import type { Diagnostic } from '../dsl/diagnostics.ts';
import type { LoadedFile } from '../dsl/compile.ts';
import type { EditErrorCode } from '../dsl/edit.ts';
import type { ProfileEdit } from '../dsl/profile-edit.ts';
import type { Limits } from '../dsl/interpreter.ts';
import type { CompileRequest } from './compile-worker.ts';
import { stdlibDirsOf } from './profile-cache.ts';
import { defaultStdlibDirs } from './profile-files.ts';
import { startWorker } from './worker-url.ts';

export interface CompileOutcome {
  ok: boolean;
  config: Config | null;
  diagnostics: Diagnostic[];
  sourceHash: string;
  loaded: LoadedFile[];
  compileMs: number;
  /** an edit's result: the edited source, or why it was refused */
  edit?: EditOutcome;
}

export type EditOutcome =
  | { ok: true; source: string; /** what the edit left as it was, worth saying */ notes: string[] }
  | { ok: false; code: EditErrorCode; message: string };

export interface CompilerServiceOptions {
  /** the config directory in use: its `stdlib` folder is searched by load() and allowed (default: resolveConfigDir()) */
  configDir?: string;
  /** deadline of one compile, from when it is sent to the worker (default 15 s) */
  timeoutMs?: number;
  /** tests only: the compiler's limits (e.g. no operation limit, for a compile that never ends) */
  limits?: Partial<Limits>;
}

/** A compile never legitimately takes this long (the operation budget stops loops far sooner). */
const COMPILE_TIMEOUT_MS = 15_000;

interface Job {
  id: number;
  source: string;
  file: string;
  edit?: ProfileEdit;
  resolve: (r: CompileOutcome) => void;
  timer?: NodeJS.Timeout;
}

export class CompilerService {
  private worker: Worker | null = null;
  private ready = false;
  private running: Job | null = null;
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;
  private readonly timeoutMs: number;
  private readonly stdlibDirs: string[];
  private readonly limits: Partial<Limits> | undefined;

  constructor(opts: CompilerServiceOptions = {}) {
    this.timeoutMs = opts.timeoutMs ?? COMPILE_TIMEOUT_MS;
    this.stdlibDirs = opts.configDir !== undefined ? stdlibDirsOf(opts.configDir) : defaultStdlibDirs();
    this.limits = opts.limits;
  }

  compile(source: string, file: string): Promise<CompileOutcome> {
    if (this.closed) return Promise.resolve(failure(file, 'the compiler is shut down'));
    return new Promise((resolve) => {
      this.queue.push({ id: this.nextId++, source, file, resolve });
      this.pump();
    });
  }

  /** Runs an edit without code (src/dsl/profile-edit.ts) in the worker: the edited source, or why not. */
  async edit(source: string, file: string, edit: ProfileEdit): Promise<EditOutcome> {
    if (this.closed) return { ok: false, code: 'E_EDIT_REFUSED', message: 'the compiler is shut down' };
    const outcome = await new Promise<CompileOutcome>((resolve) => {
      this.queue.push({ id: this.nextId++, source, file, edit, resolve });
      this.pump();
    });
    return (
      outcome.edit ?? {
        ok: false,
        code: 'E_EDIT_REFUSED',
        message: outcome.diagnostics[0]?.message ?? 'failed',
      }
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = [...(this.running ? [this.running] : []), ...this.queue.splice(0)];
    for (const job of pending) {
      clearTimeout(job.timer);
      job.resolve(failure(job.file, 'the compiler is shut down'));
    }
    this.running = null;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }

  /** Sends the next request when the worker is free and ready (starting one if needed). */
  private pump(): void {
    if (this.closed || this.running || this.queue.length === 0) return;
    if (!this.worker) this.startWorker();
    if (!this.ready) return; // "ready" calls pump() again
    const job = this.queue.shift()!;
    const worker = this.worker!;
    this.running = job;
    job.timer = setTimeout(() => {
      this.discard(worker);
      this.finish(
        job,
        failure(job.file, `compiling took longer than ${this.timeoutMs / 1000} s and was stopped`),
      );
    }, this.timeoutMs);
    const request: CompileRequest = {
      id: job.id,
      source: job.source,
      file: job.file,
      stdlibDirs: this.stdlibDirs,
      ...(this.limits ? { limits: this.limits } : {}),
      ...(job.edit ? { edit: job.edit } : {}),
    };
    worker.postMessage(request);
  }

  private finish(job: Job, outcome: CompileOutcome): void {
    if (this.running !== job) return;
    clearTimeout(job.timer);
    this.running = null;
    job.resolve(outcome);
    this.pump();
  }

  /** Drops a worker (hung or dead): its late messages and its exit are ignored from now on. */
  private discard(worker: Worker): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.ready = false;
    void worker.terminate();
  }

  private startWorker(): void {
    const worker = startWorker(import.meta.url, 'compile-worker');
    worker.unref();
    this.worker = worker;
    this.ready = false;
    worker.on('message', (msg: { ready?: true; id?: number; result?: CompileOutcome }) => {
      if (this.worker !== worker) return;
      if (msg.ready) {
        this.ready = true;
        this.pump();
        return;
      }
      const job = this.running;
      if (job && msg.id === job.id && msg.result) this.finish(job, msg.result);
    });
    const died = (why: string): void => {
      if (this.worker !== worker) return;
      const started = this.ready;
      this.discard(worker);
      const job = this.running;
      if (job)
        this.finish(job, failure(job.file, why)); // the rest run on a fresh worker
      else if (!started) {
        // it died starting: fail what waits rather than restart it forever; the next compile retries
        for (const waiting of this.queue.splice(0)) waiting.resolve(failure(waiting.file, why));
      } else this.pump();
    };
    worker.on('error', (e) => died(`the compiler crashed: ${e.message}`));
    worker.on('exit', (code) => died(`the compiler stopped (exit ${code})`));
  }
}

function failure(file: string, message: string): CompileOutcome {
  return {
    ok: false,
    config: null,
    diagnostics: [
      {
        severity: 'error',
        code: 'E_INTERNAL',
        message,
        span: { file, line: 1, column: 1, length: 0, offset: 0 },
      },
    ],
    sourceHash: '',
    loaded: [],
    compileMs: 0,
  };
}
