/**
 * Compile worker: profiles compile here so load()'s synchronous (bounded) file reads and long
 * compiles never block the daemon's event loop. One request at a time (CompilerService queues
 * the rest); "ready" is posted once the module is loaded, so a request's deadline counts the
 * compile, not the worker's start.
 */
import { parentPort } from 'node:worker_threads';
import type { Limits } from '../dsl/interpreter.ts';
import { compileProfile } from '../dsl/compile.ts';
import { confinedProfileFs } from './profile-files.ts';

export interface CompileRequest {
  id: number;
  source: string;
  file: string;
  /** stdlib folders: searched by load() and allowed roots besides the profile's folder */
  stdlibDirs: string[];
  limits?: Partial<Limits>;
}

parentPort?.on('message', (req: CompileRequest) => {
  const start = performance.now();
  const r = compileProfile(req.source, {
    file: req.file,
    fs: confinedProfileFs(),
    stdlibDirs: req.stdlibDirs,
    limits: req.limits,
  });
  parentPort!.postMessage({
    id: req.id,
    result: {
      ok: r.ok,
      config: r.config,
      diagnostics: r.diagnostics,
      sourceHash: r.sourceHash,
      loaded: r.loaded,
      compileMs: performance.now() - start,
    },
  });
});
parentPort?.postMessage({ ready: true });
