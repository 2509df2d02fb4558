/**
 * Compile worker: profiles compile here so load()'s synchronous file reads and long
 * compiles never block the daemon's event loop.
 */
import { parentPort } from 'node:worker_threads';
import { compileProfile } from '../dsl/compile.ts';
import { defaultStdlibDirs, nodeProfileFs } from './profile-files.ts';

export interface CompileRequest {
  id: number;
  source: string;
  file: string;
}

parentPort?.on('message', (req: CompileRequest) => {
  const start = performance.now();
  const r = compileProfile(req.source, {
    file: req.file,
    fs: nodeProfileFs,
    stdlibDirs: defaultStdlibDirs(),
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
