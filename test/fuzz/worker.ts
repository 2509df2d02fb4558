/** Worker entry of runInWorker(): runs one synchronous target and reports its result. */
import { parentPort, workerData } from 'node:worker_threads';
import type { RunOptions, SyncTarget, TargetName } from './harness.ts';
import { runSync } from './harness.ts';

const data = workerData as {
  target: TargetName;
  run: RunOptions;
  shared: SharedArrayBuffer;
};

async function load(name: TargetName): Promise<SyncTarget> {
  switch (name) {
    case 'dsl':
      return (await import('./dsl-cases.ts')).dslTarget;
    case 'krx':
      return (await import('./krx-cases.ts')).krxTarget;
    case 'engine':
      return (await import('./engine-cases.ts')).engineTarget;
    case 'script':
      return (await import('./parser-cases.ts')).scriptTarget;
  }
}

const current = new Int32Array(data.shared, 0, 1);
const startedAt = new Float64Array(data.shared, 8, 1);
try {
  const target = await load(data.target);
  const result = runSync(target, data.run, (index) => {
    startedAt[0] = performance.timeOrigin + performance.now();
    Atomics.store(current, 0, index);
  });
  parentPort!.postMessage({ result });
} catch (e) {
  parentPort!.postMessage({ error: e instanceof Error ? (e.stack ?? e.message) : String(e) });
}
