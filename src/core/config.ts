/**
 * The compiled configuration model: plain, serialisable data (key names, not codes), the
 * same shape KeyRx compiles to. The DSL compiler produces it, `.krx` files store it, and
 * the engine turns it into lookup tables when it loads it.
 */
import { resolveKey, UnknownKeyError } from './keys.ts';

export const CONFIG_VERSION = 1;
/** MD_00–MD_FE and LK_00–LK_FE: 255 ids each; FF is reserved (KeyRx). */
export const MAX_LAYER_ID = 0xfe;
export const DEFAULT_THRESHOLD_MS = 200;

export interface SimpleMapping {
  kind: 'simple';
  from: string;
  to: string;
}
export interface ModifierMapping {
  kind: 'modifier';
  from: string;
  /** MD_xx id, 0–254 */
  id: number;
}
export interface LockMapping {
  kind: 'lock';
  from: string;
  /** LK_xx id, 0–254 */
  id: number;
}
export interface TapHoldMapping {
  kind: 'tapHold';
  from: string;
  tap: string;
  /** MD_xx id activated while held */
  hold: number;
  thresholdMs: number;
}
export interface HoldOnlyMapping {
  kind: 'holdOnly';
  from: string;
  hold: number;
  thresholdMs: number;
}
export interface ModifiedOutputMapping {
  kind: 'modifiedOutput';
  from: string;
  to: string;
  shift: boolean;
  ctrl: boolean;
  alt: boolean;
  win: boolean;
}
export interface SequenceMapping {
  kind: 'sequence';
  from: string;
  keys: string[];
}

export type BaseMapping =
  | SimpleMapping
  | ModifierMapping
  | LockMapping
  | TapHoldMapping
  | HoldOnlyMapping
  | ModifiedOutputMapping
  | SequenceMapping;

export type ConditionItem =
  | { kind: 'modifier'; id: number }
  | { kind: 'lock'; id: number }
  | { kind: 'ime' }
  | { kind: 'lang'; lang: string };

export type Condition =
  | ConditionItem
  /** every item active (`when_start([...])`) */
  | { kind: 'allOf'; items: ConditionItem[] }
  /** every item inactive (`when_not_start`) */
  | { kind: 'noneOf'; items: ConditionItem[] }
  /** the event's device name or id matches the glob (`when_device_start`) */
  | { kind: 'device'; pattern: string };

export interface ConditionalBlock {
  kind: 'conditional';
  condition: Condition;
  mappings: BaseMapping[];
}

export type Mapping = BaseMapping | ConditionalBlock;

export interface DeviceBlock {
  /** glob on the device name or id: `*`, `x*`, `*x`, `*x*`, exact; case-insensitive */
  pattern: string;
  mappings: Mapping[];
}

export interface ConfigMetadata {
  compilerVersion?: string;
  /** hex SHA-256 of the main source */
  sourceHash?: string;
  sourceFile?: string;
  /** files run by load(), with their hashes, so a cache can tell when one changed */
  inputs?: { path: string; sha256: string }[];
}

export interface Config {
  version: number;
  devices: DeviceBlock[];
  metadata?: ConfigMetadata;
}

export const BASE_MAPPING_KINDS = [
  'simple',
  'modifier',
  'lock',
  'tapHold',
  'holdOnly',
  'modifiedOutput',
  'sequence',
] as const;

export class ConfigError extends Error {
  readonly path: string;
  constructor(path: string, message: string) {
    super(`${path}: ${message}`);
    this.name = 'ConfigError';
    this.path = path;
  }
}

// ---------------------------------------------------------------- validation

type Obj = Record<string, unknown>;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`;
}

function field(o: Obj, name: string, path: string): unknown {
  if (!(name in o)) throw new ConfigError(path, `missing field '${name}'`);
  return o[name];
}

function str(o: Obj, name: string, path: string): string {
  const v = field(o, name, path);
  if (typeof v !== 'string') throw new ConfigError(`${path}.${name}`, `must be a string, got ${describe(v)}`);
  return v;
}

function bool(o: Obj, name: string, path: string): boolean {
  const v = o[name] ?? false;
  if (typeof v !== 'boolean')
    throw new ConfigError(`${path}.${name}`, `must be a boolean, got ${describe(v)}`);
  return v;
}

function key(o: Obj, name: string, path: string): string {
  const v = str(o, name, path);
  try {
    resolveKey(v);
  } catch (e) {
    if (e instanceof UnknownKeyError) throw new ConfigError(`${path}.${name}`, e.message);
    throw e;
  }
  return v;
}

function layerId(o: Obj, name: string, path: string): number {
  const v = field(o, name, path);
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > MAX_LAYER_ID)
    throw new ConfigError(`${path}.${name}`, `must be an integer 0–254 (hex 00–FE), got ${describe(v)}`);
  return v;
}

function threshold(o: Obj, path: string, fallback?: number): number {
  const v = o.thresholdMs ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535)
    throw new ConfigError(`${path}.thresholdMs`, `must be an integer from 1 to 65535 ms, got ${describe(v)}`);
  return v;
}

function checkKeys(o: Obj, allowed: string[], path: string): void {
  for (const k of Object.keys(o))
    if (!allowed.includes(k))
      throw new ConfigError(path, `unknown field '${k}' (allowed: ${allowed.join(', ')})`);
}

function baseMapping(v: unknown, path: string): BaseMapping {
  if (!isObj(v)) throw new ConfigError(path, `must be an object, got ${describe(v)}`);
  const kind = str(v, 'kind', path);
  switch (kind) {
    case 'simple':
      checkKeys(v, ['kind', 'from', 'to'], path);
      return { kind, from: key(v, 'from', path), to: key(v, 'to', path) };
    case 'modifier':
    case 'lock':
      checkKeys(v, ['kind', 'from', 'id'], path);
      return { kind, from: key(v, 'from', path), id: layerId(v, 'id', path) };
    case 'tapHold':
      checkKeys(v, ['kind', 'from', 'tap', 'hold', 'thresholdMs'], path);
      return {
        kind,
        from: key(v, 'from', path),
        tap: key(v, 'tap', path),
        hold: layerId(v, 'hold', path),
        thresholdMs: threshold(v, path),
      };
    case 'holdOnly':
      checkKeys(v, ['kind', 'from', 'hold', 'thresholdMs'], path);
      return {
        kind,
        from: key(v, 'from', path),
        hold: layerId(v, 'hold', path),
        thresholdMs: threshold(v, path, DEFAULT_THRESHOLD_MS),
      };
    case 'modifiedOutput':
      checkKeys(v, ['kind', 'from', 'to', 'shift', 'ctrl', 'alt', 'win'], path);
      return {
        kind,
        from: key(v, 'from', path),
        to: key(v, 'to', path),
        shift: bool(v, 'shift', path),
        ctrl: bool(v, 'ctrl', path),
        alt: bool(v, 'alt', path),
        win: bool(v, 'win', path),
      };
    case 'sequence': {
      checkKeys(v, ['kind', 'from', 'keys'], path);
      const keys = field(v, 'keys', path);
      if (!Array.isArray(keys) || keys.length === 0)
        throw new ConfigError(`${path}.keys`, 'must be a non-empty array of key names');
      return {
        kind,
        from: key(v, 'from', path),
        keys: keys.map((k, i) => key({ k }, 'k', `${path}.keys[${i}]`)),
      };
    }
    default:
      throw new ConfigError(
        `${path}.kind`,
        `unknown mapping kind '${kind}' (expected one of: ${[...BASE_MAPPING_KINDS, 'conditional'].join(', ')})`,
      );
  }
}

function conditionItem(v: unknown, path: string): ConditionItem {
  if (!isObj(v)) throw new ConfigError(path, `must be an object, got ${describe(v)}`);
  const kind = str(v, 'kind', path);
  switch (kind) {
    case 'modifier':
    case 'lock':
      checkKeys(v, ['kind', 'id'], path);
      return { kind, id: layerId(v, 'id', path) };
    case 'ime':
      checkKeys(v, ['kind'], path);
      return { kind };
    case 'lang': {
      checkKeys(v, ['kind', 'lang'], path);
      const lang = str(v, 'lang', path);
      if (lang === '') throw new ConfigError(`${path}.lang`, 'must not be empty');
      return { kind, lang: lang.toLowerCase() };
    }
    default:
      throw new ConfigError(`${path}.kind`, `unknown condition kind '${kind}'`);
  }
}

function condition(v: unknown, path: string): Condition {
  if (!isObj(v)) throw new ConfigError(path, `must be an object, got ${describe(v)}`);
  const kind = str(v, 'kind', path);
  if (kind === 'allOf' || kind === 'noneOf') {
    checkKeys(v, ['kind', 'items'], path);
    const items = field(v, 'items', path);
    if (!Array.isArray(items) || items.length === 0)
      throw new ConfigError(`${path}.items`, 'must be a non-empty array of conditions');
    return { kind, items: items.map((it, i) => conditionItem(it, `${path}.items[${i}]`)) };
  }
  if (kind === 'device') {
    checkKeys(v, ['kind', 'pattern'], path);
    const pattern = str(v, 'pattern', path);
    if (pattern === '') throw new ConfigError(`${path}.pattern`, 'Device pattern cannot be empty');
    return { kind, pattern };
  }
  return conditionItem(v, path);
}

function mapping(v: unknown, path: string): Mapping {
  if (isObj(v) && v.kind === 'conditional') {
    checkKeys(v, ['kind', 'condition', 'mappings'], path);
    const mappings = field(v, 'mappings', path);
    if (!Array.isArray(mappings)) throw new ConfigError(`${path}.mappings`, 'must be an array');
    return {
      kind: 'conditional',
      condition: condition(field(v, 'condition', path), `${path}.condition`),
      mappings: mappings.map((m, i) => baseMapping(m, `${path}.mappings[${i}]`)),
    };
  }
  return baseMapping(v, path);
}

/** Checks untrusted data (a JSON config file, a decoded cache) and returns a typed Config. */
export function validateConfig(data: unknown): Config {
  if (!isObj(data)) throw new ConfigError('config', `must be an object, got ${describe(data)}`);
  checkKeys(data, ['version', 'devices', 'metadata'], 'config');
  const version = data.version ?? CONFIG_VERSION;
  if (version !== CONFIG_VERSION)
    throw new ConfigError('config.version', `unsupported version ${describe(version)} (expected 1)`);
  const devices = field(data, 'devices', 'config');
  if (!Array.isArray(devices)) throw new ConfigError('config.devices', 'must be an array of device blocks');
  const out: Config = {
    version: CONFIG_VERSION,
    devices: devices.map((d, i) => {
      const path = `devices[${i}]`;
      if (!isObj(d)) throw new ConfigError(path, `must be an object, got ${describe(d)}`);
      checkKeys(d, ['pattern', 'mappings'], path);
      const mappings = field(d, 'mappings', path);
      if (!Array.isArray(mappings)) throw new ConfigError(`${path}.mappings`, 'must be an array');
      return {
        pattern: str(d, 'pattern', path),
        mappings: mappings.map((m, j) => mapping(m, `${path}.mappings[${j}]`)),
      };
    }),
  };
  if (data.metadata !== undefined) {
    if (!isObj(data.metadata)) throw new ConfigError('config.metadata', 'must be an object');
    const md: ConfigMetadata = {};
    for (const k of ['compilerVersion', 'sourceHash', 'sourceFile'] as const) {
      const v = data.metadata[k];
      if (v !== undefined) {
        if (typeof v !== 'string') throw new ConfigError(`config.metadata.${k}`, 'must be a string');
        md[k] = v;
      }
    }
    const inputs = data.metadata.inputs;
    if (inputs !== undefined) {
      if (!Array.isArray(inputs)) throw new ConfigError('config.metadata.inputs', 'must be an array');
      md.inputs = inputs.map((input, i) => {
        const path = `config.metadata.inputs[${i}]`;
        if (!isObj(input)) throw new ConfigError(path, 'must be an object');
        checkKeys(input, ['path', 'sha256'], path);
        return { path: str(input, 'path', path), sha256: str(input, 'sha256', path) };
      });
    }
    out.metadata = md;
  }
  return out;
}

/** Formats an MD_/LK_ id the way profiles write it: `MD_0A`. */
export function layerName(prefix: 'MD' | 'LK', id: number): string {
  return `${prefix}_${id.toString(16).toUpperCase().padStart(2, '0')}`;
}

/** Counts for listings: mappings (conditional blocks count their contents) and distinct layers. */
export function configStats(config: Config): { mappings: number; layers: number; devices: number } {
  let mappings = 0;
  const layers = new Set<string>();
  const noteCondition = (c: Condition): void => {
    if (c.kind === 'modifier') layers.add(layerName('MD', c.id));
    else if (c.kind === 'lock') layers.add(layerName('LK', c.id));
    else if (c.kind === 'allOf' || c.kind === 'noneOf') c.items.forEach(noteCondition);
  };
  for (const d of config.devices)
    for (const m of d.mappings) {
      if (m.kind === 'conditional') {
        mappings += m.mappings.length;
        noteCondition(m.condition);
      } else mappings++;
    }
  return { mappings, layers: layers.size, devices: config.devices.length };
}
