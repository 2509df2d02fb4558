/**
 * Scenario files: a profile plus cases of input script → expected output.
 *
 *   # comment
 *   == config              (JSON config model), or
 *   == profile             (Rhai source, compiled by the caller), or
 *   == profile-file: PATH  (a profile file, relative to the scenario file; read by the caller)
 *   { ... }
 *   == case: tap gives Escape
 *   in:  d:CapsLock t:100 u:CapsLock
 *   out: t:100 d:Escape u:Escape
 *   held: none             (optional: output keys down at the end)
 *   layers: MD_00          (optional: active MD_/LK_ ids at the end, or none)
 *   device: kb1            (optional: device of the case's first events)
 *   settle: true           (optional: let pending tap-holds time out at the end)
 *   decisions: pending tap (optional: the simulator timeline's decision per row, in order)
 */
import type { Config } from './config.ts';
import { keyName } from './keys.ts';
import { simulate } from './simulate.ts';
import { layerName } from './config.ts';

export interface ScenarioCase {
  name: string;
  line: number;
  input: string;
  output: string;
  held?: string;
  layers?: string;
  device?: string;
  settle?: boolean;
  decisions?: string;
}

export interface ScenarioFile {
  /** for `file`, `text` is the path as written */
  profile: { kind: 'config' | 'profile' | 'file'; text: string; line: number };
  cases: ScenarioCase[];
}

export class ScenarioFormatError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ScenarioFormatError';
  }
}

export function parseScenario(text: string, file = 'scenario'): ScenarioFile {
  const lines = text.split(/\r?\n/);
  let profile: ScenarioFile['profile'] | undefined;
  const cases: ScenarioCase[] = [];
  let section: 'none' | 'profile' | 'case' = 'none';
  let body: string[] = [];
  let current: ScenarioCase | undefined;
  const closeProfile = (): void => {
    if (section === 'profile' && profile) profile.text = body.join('\n');
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    const lineNo = i + 1;
    const header = /^==\s*(config|profile|profile-file:\s*(.*)|case:\s*(.*))\s*$/.exec(line);
    if (header) {
      closeProfile();
      body = [];
      if (header[1].startsWith('profile-file')) {
        if (profile) throw new ScenarioFormatError(file, lineNo, 'a scenario file has one profile section');
        profile = { kind: 'file', text: header[2].trim(), line: lineNo };
        section = 'none';
      } else if (header[1] === 'config' || header[1] === 'profile') {
        if (profile) throw new ScenarioFormatError(file, lineNo, 'a scenario file has one profile section');
        profile = { kind: header[1], text: '', line: lineNo + 1 };
        section = 'profile';
      } else {
        current = { name: header[3].trim() || `case at line ${lineNo}`, line: lineNo, input: '', output: '' };
        cases.push(current);
        section = 'case';
      }
      continue;
    }
    if (section === 'profile') {
      body.push(line);
      continue;
    }
    if (/^\s*(#.*)?$/.test(line)) continue;
    if (section !== 'case' || !current)
      throw new ScenarioFormatError(
        file,
        lineNo,
        'expected "== config", "== profile", "== profile-file: PATH" or "== case: NAME"',
      );
    const field = /^(in|out|held|layers|device|settle|decisions):\s?(.*)$/.exec(line.trim());
    if (!field)
      throw new ScenarioFormatError(
        file,
        lineNo,
        `expected in:, out:, held:, layers:, device:, settle: or decisions:`,
      );
    const value = field[2].trim();
    switch (field[1]) {
      case 'in':
        current.input = current.input ? `${current.input} ${value}` : value;
        break;
      case 'out':
        current.output = current.output ? `${current.output} ${value}` : value;
        break;
      case 'settle':
        current.settle = value === 'true';
        break;
      default:
        current[field[1] as 'held' | 'layers' | 'device' | 'decisions'] = value;
    }
  }
  closeProfile();
  if (!profile) throw new ScenarioFormatError(file, 1, 'missing "== config" or "== profile" section');
  if (cases.length === 0) throw new ScenarioFormatError(file, 1, 'no "== case:" sections');
  for (const c of cases)
    if (!c.input) throw new ScenarioFormatError(file, c.line, `case '${c.name}' has no in: line`);
  return { profile, cases };
}

export interface CaseResult {
  case: ScenarioCase;
  ok: boolean;
  actual: { output: string; held: string; layers: string; decisions: string };
  problems: string[];
}

const normalise = (s: string): string => s.trim().split(/\s+/).filter(Boolean).join(' ');

/** Runs every case against a config; a case fails on any difference in output, held keys or layers. */
export function runScenario(config: Config, scenario: ScenarioFile): CaseResult[] {
  return scenario.cases.map((c) => {
    const result = simulate(config, c.input, { device: c.device, settle: c.settle });
    const held = result.final.outputDown.map(keyName).join(' ') || 'none';
    const layers =
      [
        ...result.final.modifiers.map((id) => layerName('MD', id)),
        ...result.final.locks.map((id) => layerName('LK', id)),
      ].join(' ') || 'none';
    const problems: string[] = [];
    if (normalise(result.output) !== normalise(c.output))
      problems.push(
        `output\n    expected: ${normalise(c.output) || '(nothing)'}\n    actual:   ${result.output || '(nothing)'}`,
      );
    if (c.held !== undefined && normalise(c.held) !== held)
      problems.push(`held keys: expected ${normalise(c.held)}, actual ${held}`);
    if (c.layers !== undefined && normalise(c.layers) !== layers)
      problems.push(`layers: expected ${normalise(c.layers)}, actual ${layers}`);
    const decisions = result.timeline.map((e) => e.decision).join(' ');
    if (c.decisions !== undefined && normalise(c.decisions) !== decisions)
      problems.push(`decisions: expected ${normalise(c.decisions)}, actual ${decisions}`);
    return {
      case: c,
      ok: problems.length === 0,
      actual: { output: result.output, held, layers, decisions },
      problems,
    };
  });
}
