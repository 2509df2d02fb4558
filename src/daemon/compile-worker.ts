/**
 * Compile worker: profiles compile here so load()'s synchronous (bounded) file reads and long
 * compiles never block the daemon's event loop. One request at a time (CompilerService queues
 * the rest); "ready" is posted once the module is loaded, so a request's deadline counts the
 * compile, not the worker's start.
 */
import { parentPort } from 'node:worker_threads';
import type { Limits } from '../dsl/interpreter.ts';
import { compileProfile } from '../dsl/compile.ts';
import type { KeyEdit } from '../dsl/edit.ts';
import { editProfile } from '../dsl/edit.ts';
import { confinedProfileFs } from './profile-files.ts';

export interface CompileRequest {
  id: number;
  source: string;
  file: string;
  /** stdlib folders: searched by load() and allowed roots besides the profile's folder */
  stdlibDirs: string[];
  limits?: Partial<Limits>;
  /** an edit of one key's mapping (src/dsl/edit.ts) instead of a plain compile */
  edit?: KeyEdit;
}

parentPort?.on('message', (req: CompileRequest) => {
  const start = performance.now();
  const opts = { file: req.file, fs: confinedProfileFs(), stdlibDirs: req.stdlibDirs, limits: req.limits };
  if (req.edit) {
    const e = editProfile(req.source, req.edit, opts);
    parentPort!.postMessage({
      id: req.id,
      result: {
        ok: e.ok,
        config: e.ok ? e.config : null,
        diagnostics: [],
        sourceHash: '',
        loaded: [],
        compileMs: performance.now() - start,
        edit: e.ok ? { ok: true, source: e.source } : { ok: false, code: e.code, message: e.message },
      },
    });
    return;
  }
  const r = compileProfile(req.source, opts);
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
