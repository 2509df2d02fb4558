/** The main-thread side of the compile worker: promise per request, restart on a hang. */
import type { Worker } from 'node:worker_threads';
import type { Config } from '../core/index.ts';
import type { Diagnostic } from '../dsl/diagnostics.ts';
import type { LoadedFile } from '../dsl/compile.ts';
import { startWorker } from './worker-url.ts';

export interface CompileOutcome {
  ok: boolean;
  config: Config | null;
  diagnostics: Diagnostic[];
  sourceHash: string;
  loaded: LoadedFile[];
  compileMs: number;
}

/** A compile never legitimately takes this long (the operation budget stops loops far sooner). */
const COMPILE_TIMEOUT_MS = 15_000;

export class CompilerService {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly waiting = new Map<
    number,
    { resolve: (r: CompileOutcome) => void; timer: NodeJS.Timeout; file: string }
  >();

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = startWorker(import.meta.url, 'compile-worker');
    worker.unref();
    worker.on('message', (msg: { id: number; result: CompileOutcome }) => {
      const w = this.waiting.get(msg.id);
      if (!w) return;
      clearTimeout(w.timer);
      this.waiting.delete(msg.id);
      w.resolve(msg.result);
    });
    const fail = (why: string): void => {
      if (this.worker === worker) this.worker = null;
      for (const [id, w] of this.waiting) {
        clearTimeout(w.timer);
        this.waiting.delete(id);
        w.resolve(failure(w.file, why));
      }
    };
    worker.on('error', (e) => fail(`the compiler crashed: ${e.message}`));
    worker.on('exit', (code) => fail(`the compiler stopped (exit ${code})`));
    this.worker = worker;
    return worker;
  }

  compile(source: string, file: string): Promise<CompileOutcome> {
    const worker = this.ensureWorker();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve(failure(file, `compiling took longer than ${COMPILE_TIMEOUT_MS / 1000} s and was stopped`));
        void worker.terminate();
      }, COMPILE_TIMEOUT_MS);
      this.waiting.set(id, { resolve, timer, file });
      worker.postMessage({ id, source, file });
    });
  }

  async close(): Promise<void> {
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
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
