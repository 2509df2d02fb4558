/**
 * Compile worker: profiles compile here so load()'s synchronous (bounded) file reads and long
 * compiles never block the daemon's event loop. One request at a time (CompilerService queues
 * the rest); "ready" is posted once the module is loaded, so a request's deadline counts the
 * compile, not the worker's start.
 */
import { parentPort } from 'node:worker_threads';
import type { Limits } from '../dsl/interpreter.ts';
import { compileProfile } from '../dsl/compile.ts';
import type { ProfileEdit } from '../dsl/profile-edit.ts';
import { applyEdit } from '../dsl/profile-edit.ts';
import { confinedProfileFs } from './profile-files.ts';

export interface CompileRequest {
  id: number;
  source: string;
  file: string;
  /** stdlib folders: searched by load() and allowed roots besides the profile's folder */
  stdlibDirs: string[];
  limits?: Partial<Limits>;
  /** an edit without code (a key's mapping, a layer) instead of a plain compile */
  edit?: ProfileEdit;
}

parentPort?.on('message', (req: CompileRequest) => {
  const start = performance.now();
  const opts = { file: req.file, fs: confinedProfileFs(), stdlibDirs: req.stdlibDirs, limits: req.limits };
  if (req.edit) {
    const e = applyEdit(req.source, req.edit, opts);
    parentPort!.postMessage({
      id: req.id,
      result: {
        ok: e.ok,
        config: e.ok ? e.config : null,
        diagnostics: [],
        sourceHash: '',
        loaded: [],
        compileMs: performance.now() - start,
        edit: e.ok
          ? { ok: true, source: e.source, notes: e.notes ?? [] }
          : { ok: false, code: e.code, message: e.message },
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
