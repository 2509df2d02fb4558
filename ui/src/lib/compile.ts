/**
 * The daemon's compiler, run in the browser: live diagnostics in the editor, keyboard views
 * and the simulator all come from this one call on the current (unsaved) text.
 */
import type { BaseMapping, Config, DeviceView } from '../../../src/core/index.ts';
import { describeConfig } from '../../../src/core/index.ts';
import type { CompileResult } from '../../../src/dsl/compile.ts';
import { compileProfile } from '../../../src/dsl/compile.ts';
import type { Diagnostic } from '../../../src/dsl/diagnostics.ts';

export interface BrowserCompile {
  ok: boolean;
  config: Config | null;
  diagnostics: Diagnostic[];
  /** per device block: layers and what each key does, with the declaring line when in this file */
  views: DeviceView[];
  /** load() of files the browser cannot see (only the bundled stdlib is available here) */
  unresolvedLoads: boolean;
  ms: number;
}

/** The file name diagnostics and key sources carry for the edited profile. */
export function profileFile(name: string): string {
  return `${name}.rhai`;
}

export function compileInBrowser(source: string, file = 'profile.rhai'): BrowserCompile {
  const started = performance.now();
  const result: CompileResult = compileProfile(source, { file });
  const locate = (m: BaseMapping) => {
    const span = result.mappingSpans.get(m);
    return span && span.file === file ? span : undefined;
  };
  const views = result.config ? describeConfig(result.config, locate) : [];
  return {
    ok: result.ok,
    config: result.config,
    diagnostics: result.diagnostics,
    views,
    unresolvedLoads: result.diagnostics.some(
      (d) => d.code === 'E_LOAD' && d.message.includes('file not found'),
    ),
    ms: performance.now() - started,
  };
}
