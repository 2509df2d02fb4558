import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a sibling module as a worker: the built .js directly, or — when running from
 * TypeScript sources under tsx — through a bootstrap that registers tsx in the worker.
 */
export function startWorker(importMetaUrl: string, base: string, options: WorkerOptions = {}): Worker {
  if (importMetaUrl.endsWith('.ts')) {
    const entry = new URL(`./${base}.ts`, importMetaUrl).href;
    return new Worker(new URL('./ts-worker.mjs', import.meta.url), {
      ...options,
      workerData: { tsEntry: entry },
    });
  }
  return new Worker(new URL(`./${base}.js`, importMetaUrl), options);
}
