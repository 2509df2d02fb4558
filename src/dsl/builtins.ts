/**
 * KeyRx's DSL built-ins as host functions over one ProfileBuilder — the state KeyRx calls
 * ParserState: finished device blocks, the open device block and the open when-block.
 *
 * Validation errors in a built-in are recorded and the call returns `()` so the script keeps
 * running: one compile reports every independent mistake (three misspelled keys give three
 * errors), not just the first. Messages keep KeyRx's wording where users know it.
 */
import type { BaseMapping, Condition, ConditionItem, DeviceBlock, Mapping } from '../core/index.ts';
import {
  DEFAULT_THRESHOLD_MS,
  keyByName,
  MAX_LAYER_ID,
  UnknownKeyError,
  closestNames,
  ALL_KEY_NAMES,
} from '../core/index.ts';
import type { Diagnostic, SourceSpan } from './diagnostics.ts';
import { ScriptError } from './diagnostics.ts';
import type { CallContext, HostFunction } from './interpreter.ts';
import type { HostObject, Value } from './values.ts';
import { expectArray, expectBool, expectInt, expectString, UNIT } from './values.ts';

/** The value `with_shift()` and friends return; `map(key, value)` turns it into a modifiedOutput. */
export class ModifiedKey implements HostObject {
  readonly hostType = 'ModifiedKey';
  constructor(
    readonly key: string,
    readonly shift: boolean,
    readonly ctrl: boolean,
    readonly alt: boolean,
    readonly win: boolean,
  ) {}
  toDisplayString(): string {
    const mods = [this.shift && 'shift', this.ctrl && 'ctrl', this.alt && 'alt', this.win && 'win'].filter(
      Boolean,
    );
    return `ModifiedKey(${mods.join('+')}+${this.key})`;
  }
}

interface OpenDevice {
  pattern: string;
  mappings: Mapping[];
  span: SourceSpan;
}

interface OpenWhen {
  /** null when the condition was invalid: the block still opens (its when_end matches) but is dropped */
  condition: Condition | null;
  mappings: BaseMapping[];
  span: SourceSpan;
  opener: string;
}

export const MAX_SEQUENCE_LENGTH = 8;
/** Operations a recorded problem costs (suggestions are costly): a loop repeating a mistake stops soon. */
const PROBLEM_COST = 64;
const PHYSICAL_MODIFIERS = new Set(['LShift', 'RShift', 'LCtrl', 'RCtrl', 'LAlt', 'RAlt', 'LMeta', 'RMeta']);

/** A problem in the call's arguments: recorded as a diagnostic, the call does nothing. */
class Invalid extends Error {
  constructor(
    message: string,
    readonly span: SourceSpan,
    readonly extra: { hint?: string; suggestions?: string[]; code?: string } = {},
  ) {
    super(message);
  }
}

/** A message quoting a megabyte-long name stays readable (and a loop repeating it, cheap). */
function clip(message: string): string {
  return message.length <= MAX_MESSAGE_LENGTH ? message : `${message.slice(0, MAX_MESSAGE_LENGTH)}…`;
}
const MAX_MESSAGE_LENGTH = 500;

export class ProfileBuilder {
  readonly devices: DeviceBlock[] = [];
  readonly diagnostics: Diagnostic[] = [];
  device: OpenDevice | null = null;
  when: OpenWhen | null = null;
  /** where each mapping was declared (keyboard views jump from a key to its line) */
  readonly mappingSpans = new Map<BaseMapping, SourceSpan>();

  error(
    message: string,
    span: SourceSpan,
    extra: { hint?: string; suggestions?: string[]; code?: string } = {},
  ): void {
    const d: Diagnostic = {
      severity: 'error',
      code: extra.code ?? 'E_PROFILE',
      message: clip(message),
      span,
    };
    if (extra.hint) d.hint = extra.hint;
    if (extra.suggestions?.length) d.suggestions = extra.suggestions;
    this.diagnostics.push(d);
  }

  warning(message: string, span: SourceSpan, hint?: string): void {
    const d: Diagnostic = { severity: 'warning', code: 'W_PROFILE', message: clip(message), span };
    if (hint) d.hint = hint;
    this.diagnostics.push(d);
  }

  /** End of the main file: every block must be closed. */
  finish(): void {
    if (this.when)
      this.error(`${this.when.opener}(...) is never closed: add when_end()`, this.when.span, {
        code: 'E_UNCLOSED_BLOCK',
        hint: 'its mappings would be lost; every when_start/when_not_start/when_device_start needs a when_end()',
      });
    if (this.device) {
      this.error(
        `device_start("${this.device.pattern}") is never closed: add device_end()`,
        this.device.span,
        {
          code: 'E_UNCLOSED_BLOCK',
        },
      );
      this.devices.push({ pattern: this.device.pattern, mappings: this.device.mappings });
      this.device = null;
    }
  }

  /** Closes the open when-block into the open device block (an invalid one is dropped). */
  attachWhen(): void {
    if (this.when && this.device && this.when.condition)
      this.device.mappings.push({
        kind: 'conditional',
        condition: this.when.condition,
        mappings: this.when.mappings,
      });
    this.when = null;
  }

  addMapping(m: BaseMapping, fnName: string, span: SourceSpan): void {
    if (!this.device)
      throw new Invalid(
        `${fnName}() must be called inside a device_start(...) ... device_end() block`,
        span,
        {
          hint: 'open one first, e.g. device_start("*");',
        },
      );
    if (this.when) this.when.mappings.push(m);
    else this.device.mappings.push(m);
    this.mappingSpans.set(m, span);
  }
}

// ---------------------------------------------------------------- name parsing

/** An input key: `VK_` optional (KeyRx's parse_physical_key). Returns the canonical name. */
function physicalKey(name: string, span: SourceSpan): string {
  const bare = name.startsWith('VK_') ? name.slice(3) : name;
  const key = keyByName(bare);
  if (!key) throw unknownKey(bare, span);
  return key.name;
}

function unknownKey(name: string, span: SourceSpan): Invalid {
  const e = new UnknownKeyError(name);
  return new Invalid(`Unknown key name: '${name}'`, span, {
    code: 'E_UNKNOWN_KEY',
    suggestions: e.suggestions,
  });
}

/** An output key: `VK_` required (KeyRx's parse_virtual_key). */
function virtualKey(name: string, span: SourceSpan, what: string): string {
  if (!name.startsWith('VK_')) {
    const known = keyByName(name);
    throw new Invalid(`${what}: virtual key '${name}' is missing required prefix`, span, {
      code: 'E_PREFIX',
      hint: known ? `use "VK_${name}"` : undefined,
      suggestions: known ? undefined : closestNames(name, ALL_KEY_NAMES).map((n) => `VK_${n}`),
    });
  }
  return physicalKey(name, span);
}

/** `MD_xx` / `LK_xx`: hex, 00–FE (KeyRx's messages). */
function layerId(text: string, prefix: 'MD' | 'LK', span: SourceSpan): number {
  const body = text.slice(3);
  const kind = prefix === 'MD' ? 'Modifier' : 'Lock';
  if (prefix === 'MD' && PHYSICAL_MODIFIERS.has(body))
    throw new Invalid(`Physical modifier '${text}' cannot be used as MD_ identifier`, span, {
      code: 'E_LAYER_ID',
      hint: `MD_ ids are hex numbers 00–FE; to output the real key use "VK_${body}"`,
    });
  if (!/^[0-9A-Fa-f]{1,4}$/.test(body))
    throw new Invalid(
      `Invalid custom ${kind.toLowerCase()} ID prefix: expected ${prefix}_XX (hex, 00-FE), got '${text}'`,
      span,
      { code: 'E_LAYER_ID' },
    );
  const id = parseInt(body, 16);
  if (id > MAX_LAYER_ID)
    throw new Invalid(`${kind} ID ${id} exceeds maximum value ${MAX_LAYER_ID}`, span, {
      code: 'E_LAYER_ID',
      hint: `${prefix}_FF is reserved; use ${prefix}_00 to ${prefix}_FE`,
    });
  return id;
}

function conditionItem(text: string, span: SourceSpan): ConditionItem {
  if (text.startsWith('MD_')) return { kind: 'modifier', id: layerId(text, 'MD', span) };
  if (text.startsWith('LK_')) return { kind: 'lock', id: layerId(text, 'LK', span) };
  if (text === 'IME') return { kind: 'ime' };
  if (text.startsWith('LANG_')) {
    const lang = text.slice(5);
    if (lang === '')
      throw new Invalid(`Invalid condition '${text}': LANG_ needs a language, e.g. LANG_ja`, span);
    return { kind: 'lang', lang: lang.toLowerCase() };
  }
  throw new Invalid(`Invalid condition prefix: expected MD_XX, LK_XX, IME, or LANG_XX, got '${text}'`, span, {
    code: 'E_CONDITION',
  });
}

// ---------------------------------------------------------------- built-ins

function threshold(args: Value[], i: number, fnName: string, ctx: CallContext): number {
  const ms = expectInt(args, i, fnName, ctx);
  if (ms < 1 || ms > 65535)
    throw new Invalid(`${fnName}(): threshold must be 1–65535 ms, got ${ms}`, ctx.argSpans[i], {
      code: 'E_RANGE',
      hint: 'KeyRx silently wrapped larger values; 200 is a common choice',
    });
  return ms;
}

/** What a failed value-returning built-in returns: its error is reported, and map() skips it silently. */
export const INVALID_VALUE: HostObject = { hostType: 'invalid value' };

function modifiedKey(fnName: string, flags: [boolean, boolean, boolean, boolean]) {
  return (args: Value[], ctx: CallContext): Value => {
    const key = virtualKey(expectString(args, 0, fnName, ctx), ctx.argSpans[0], `Invalid key in ${fnName}()`);
    return new ModifiedKey(key, ...flags);
  };
}

export function createBuiltins(b: ProfileBuilder): HostFunction[] {
  // Each built-in validates fully before changing any state, so a failed call changes nothing.
  const fn = (
    name: string,
    params: HostFunction['params'],
    body: (args: Value[], ctx: CallContext) => Value | void,
    returnsValue = name.startsWith('with_'),
  ): HostFunction => ({
    name,
    params,
    call(args, ctx) {
      try {
        return body(args, ctx) ?? UNIT;
      } catch (e) {
        if (e instanceof Invalid) {
          b.error(e.message, e.span, e.extra);
          ctx.interpreter.chargeOperations(PROBLEM_COST, ctx.span);
          return returnsValue ? INVALID_VALUE : UNIT;
        }
        if (e instanceof ScriptError && e.code === 'E_TYPE') {
          // a wrong argument type is independent of the rest: record it and go on
          b.error(e.message, e.span ?? ctx.span, { code: 'E_TYPE', hint: e.hint });
          ctx.interpreter.chargeOperations(PROBLEM_COST, ctx.span);
          return returnsValue ? INVALID_VALUE : UNIT;
        }
        throw e;
      }
    },
  });

  const closeWhen = (name: string) => (_args: Value[], ctx: CallContext) => {
    if (!b.when)
      throw new Invalid(`${name}() called without matching when_start()`, ctx.span, { code: 'E_BLOCK' });
    if (!b.device) throw new Invalid(`${name}() outside a device block`, ctx.span, { code: 'E_BLOCK' });
    b.attachWhen();
  };

  const openWhen = (opener: string, parseCondition: () => Condition, ctx: CallContext): void => {
    if (!b.device)
      throw new Invalid(`Conditional blocks must be called inside a device() block`, ctx.span, {
        code: 'E_BLOCK',
        hint: `call ${opener}(...) between device_start(...) and device_end()`,
      });
    if (b.when)
      throw new Invalid(
        `Nested conditional blocks are not supported: ${b.when.opener}(...) opened at ${b.when.span.line}:${b.when.span.column} is still open`,
        ctx.span,
        {
          code: 'E_BLOCK',
          hint: 'close it with when_end() first, or use when_start(["MD_00", "MD_01"]) for all-of',
        },
      );
    let condition: Condition | null = null;
    try {
      condition = parseCondition();
    } catch (e) {
      // Report the bad condition but still open the block, so its when_end() is not a second error.
      if (e instanceof Invalid) b.error(e.message, e.span, e.extra);
      else if (e instanceof ScriptError && e.code === 'E_TYPE')
        b.error(e.message, e.span ?? ctx.span, { code: 'E_TYPE' });
      else throw e;
    }
    b.when = { condition, mappings: [], span: ctx.span, opener };
  };

  return [
    fn('device_start', 1, (args, ctx) => {
      const pattern = expectString(args, 0, 'device_start', ctx);
      if (b.when)
        throw new Invalid(
          `device_start() while ${b.when.opener}(...) opened at ${b.when.span.line}:${b.when.span.column} is still open`,
          ctx.span,
          {
            code: 'E_BLOCK',
            hint: 'close the when-block with when_end() and the device block with device_end()',
          },
        );
      if (b.device) {
        b.warning(
          `device_start() while device_start("${b.device.pattern}") opened at ${b.device.span.line}:${b.device.span.column} is still open: it is closed here`,
          ctx.span,
          'add device_end() before the next device_start()',
        );
        b.devices.push({ pattern: b.device.pattern, mappings: b.device.mappings });
      }
      b.device = { pattern, mappings: [], span: ctx.span };
    }),
    fn('device_end', 0, (_args, ctx) => {
      if (!b.device)
        throw new Invalid('device_end() called without matching device_start()', ctx.span, {
          code: 'E_BLOCK',
        });
      if (b.when) {
        b.error(
          `device_end() while ${b.when.opener}(...) opened at ${b.when.span.line}:${b.when.span.column} is still open`,
          ctx.span,
          { code: 'E_BLOCK', hint: 'add when_end() first' },
        );
        // close both, so one mistake gives one error rather than more at the end of the file
        b.attachWhen();
      }
      b.devices.push({ pattern: b.device.pattern, mappings: b.device.mappings });
      b.device = null;
    }),
    fn('map', 2, (args, ctx) => {
      const from = physicalKey(expectString(args, 0, 'map', ctx), ctx.argSpans[0]);
      const target = args[1];
      if (target === INVALID_VALUE) return; // already reported where it was made
      const span = ctx.argSpans[1];
      let m: BaseMapping;
      if (target instanceof ModifiedKey) {
        m = {
          kind: 'modifiedOutput',
          from,
          to: target.key,
          shift: target.shift,
          ctrl: target.ctrl,
          alt: target.alt,
          win: target.win,
        };
      } else {
        const to = expectString(args, 1, 'map', ctx);
        if (to.startsWith('VK_')) m = { kind: 'simple', from, to: physicalKey(to, span) };
        else if (to.startsWith('MD_')) m = { kind: 'modifier', from, id: layerId(to, 'MD', span) };
        else if (to.startsWith('LK_')) m = { kind: 'lock', from, id: layerId(to, 'LK', span) };
        else
          throw new Invalid(
            `Output must have VK_, MD_, or LK_ prefix: ${to} -> use VK_${to} for virtual key`,
            span,
            {
              code: 'E_PREFIX',
              suggestions: keyByName(to) ? [`VK_${to}`] : undefined,
            },
          );
      }
      b.addMapping(m, 'map', ctx.span);
    }),
    fn('with_shift', 1, modifiedKey('with_shift', [true, false, false, false])),
    fn('with_ctrl', 1, modifiedKey('with_ctrl', [false, true, false, false])),
    fn('with_alt', 1, modifiedKey('with_alt', [false, false, true, false])),
    fn('with_win', 1, modifiedKey('with_win', [false, false, false, true])),
    fn('with_mods', 5, (args, ctx) => {
      const key = virtualKey(
        expectString(args, 0, 'with_mods', ctx),
        ctx.argSpans[0],
        'Invalid key in with_mods()',
      );
      return new ModifiedKey(
        key,
        expectBool(args, 1, 'with_mods', ctx),
        expectBool(args, 2, 'with_mods', ctx),
        expectBool(args, 3, 'with_mods', ctx),
        expectBool(args, 4, 'with_mods', ctx),
      );
    }),
    fn('tap_hold', 4, (args, ctx) => {
      const from = physicalKey(expectString(args, 0, 'tap_hold', ctx), ctx.argSpans[0]);
      const tapText = expectString(args, 1, 'tap_hold', ctx);
      if (!tapText.startsWith('VK_'))
        throw new Invalid(`tap_hold tap parameter must have VK_ prefix, got: ${tapText}`, ctx.argSpans[1], {
          code: 'E_PREFIX',
        });
      const tap = physicalKey(tapText, ctx.argSpans[1]);
      const holdText = expectString(args, 2, 'tap_hold', ctx);
      if (!holdText.startsWith('MD_'))
        throw new Invalid(`tap_hold hold parameter must have MD_ prefix, got: ${holdText}`, ctx.argSpans[2], {
          code: 'E_PREFIX',
        });
      const hold = layerId(holdText, 'MD', ctx.argSpans[2]);
      const thresholdMs = threshold(args, 3, 'tap_hold', ctx);
      b.addMapping({ kind: 'tapHold', from, tap, hold, thresholdMs }, 'tap_hold', ctx.span);
    }),
    fn('hold_only', [2, 3], (args, ctx) => {
      const from = physicalKey(expectString(args, 0, 'hold_only', ctx), ctx.argSpans[0]);
      const holdText = expectString(args, 1, 'hold_only', ctx);
      if (!holdText.startsWith('MD_'))
        throw new Invalid(
          `hold_only hold parameter must have MD_ prefix, got: ${holdText}`,
          ctx.argSpans[1],
          { code: 'E_PREFIX' },
        );
      const hold = layerId(holdText, 'MD', ctx.argSpans[1]);
      const thresholdMs = args.length > 2 ? threshold(args, 2, 'hold_only', ctx) : DEFAULT_THRESHOLD_MS;
      b.addMapping({ kind: 'holdOnly', from, hold, thresholdMs }, 'hold_only', ctx.span);
    }),
    fn('sequence', 2, (args, ctx) => {
      const from = physicalKey(expectString(args, 0, 'sequence', ctx), ctx.argSpans[0]);
      const list = expectArray(args, 1, 'sequence', ctx);
      if (list.length === 0)
        throw new Invalid('Sequence must have at least one output key', ctx.argSpans[1], { code: 'E_RANGE' });
      if (list.length > MAX_SEQUENCE_LENGTH)
        throw new Invalid(
          `Sequence too long: ${list.length} keys (max ${MAX_SEQUENCE_LENGTH})`,
          ctx.argSpans[1],
          { code: 'E_RANGE' },
        );
      const keys = list.map((k, i) => {
        if (typeof k !== 'string')
          throw new Invalid('Sequence keys must be strings', ctx.argSpans[1], { code: 'E_TYPE' });
        try {
          return virtualKey(k, ctx.argSpans[1], `Invalid sequence key ${i}`);
        } catch (e) {
          if (e instanceof Invalid && e.extra.code === 'E_UNKNOWN_KEY')
            throw new Invalid(`Invalid sequence key ${i}: ${e.message}`, e.span, e.extra);
          throw e;
        }
      });
      b.addMapping({ kind: 'sequence', from, keys }, 'sequence', ctx.span);
    }),
    fn('when_start', 1, (args, ctx) =>
      openWhen(
        'when_start',
        () => {
          const v = args[0];
          if (Array.isArray(v)) {
            if (v.length === 0)
              throw new Invalid('when_start([]) needs at least one condition', ctx.argSpans[0], {
                code: 'E_CONDITION',
              });
            const items = v.map((item) => {
              if (typeof item !== 'string')
                throw new Invalid('Only single conditions allowed in array', ctx.argSpans[0], {
                  code: 'E_CONDITION',
                });
              return conditionItem(item, ctx.argSpans[0]);
            });
            return items.length === 1 ? items[0] : { kind: 'allOf', items };
          }
          return conditionItem(expectString(args, 0, 'when_start', ctx), ctx.argSpans[0]);
        },
        ctx,
      ),
    ),
    fn('when_not_start', 1, (args, ctx) =>
      openWhen(
        'when_not_start',
        () => {
          const v = args[0];
          // KeyRx takes one condition; an array (none of them active) is our extension.
          const texts = Array.isArray(v) ? v : [expectString(args, 0, 'when_not_start', ctx)];
          if (texts.length === 0)
            throw new Invalid('when_not_start([]) needs at least one condition', ctx.argSpans[0], {
              code: 'E_CONDITION',
            });
          const items = texts.map((t) => {
            if (typeof t !== 'string')
              throw new Invalid('Only single conditions allowed in when_not', ctx.argSpans[0], {
                code: 'E_CONDITION',
              });
            return conditionItem(t, ctx.argSpans[0]);
          });
          return { kind: 'noneOf', items };
        },
        ctx,
      ),
    ),
    fn('when_device_start', 1, (args, ctx) =>
      openWhen(
        'when_device_start',
        () => {
          const pattern = expectString(args, 0, 'when_device_start', ctx);
          if (pattern === '')
            throw new Invalid('Device pattern cannot be empty', ctx.argSpans[0], { code: 'E_CONDITION' });
          return { kind: 'device', pattern };
        },
        ctx,
      ),
    ),
    fn('when_end', 0, closeWhen('when_end')),
    fn('when_not_end', 0, closeWhen('when_not_end')),
    fn('when_device_end', 0, closeWhen('when_device_end')),
  ];
}

export const BUILTIN_NAMES = [
  'device_start',
  'device_end',
  'map',
  'with_shift',
  'with_ctrl',
  'with_alt',
  'with_win',
  'with_mods',
  'tap_hold',
  'hold_only',
  'sequence',
  'when_start',
  'when_end',
  'when_not_start',
  'when_not_end',
  'when_device_start',
  'when_device_end',
  'load',
] as const;
