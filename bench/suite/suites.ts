/**
 * The suite's parts: each runs one benchmark module and turns its result into figures, with the
 * seed's figure next to ours where the seed (KeyRx v0.1.1's performance report) has one.
 */
import { runApiBench } from '../api.bench.ts';
import { runCompileBench } from '../compile.bench.ts';
import { runEngineBench } from '../engine.bench.ts';
import { runLifecycleBench } from '../lifecycle.bench.ts';
import { runPipelineBench } from '../pipeline.bench.ts';
import { runSerializeBench } from '../serialize.bench.ts';
import { runStartupBench } from '../startup.bench.ts';
import { runWsBench } from '../ws.bench.ts';
import type { FigureSpec, Measured } from './figures.ts';

export interface SuiteContext {
  quick: boolean;
  progress(line: string): void;
  /** what the suite pinned to which CPU, for the report */
  pinned(note: string): void;
}

export interface Suite {
  name: string;
  title: string;
  /** runs in a full pass and in --quick */
  runs: { full: number; quick: number };
  measure(ctx: SuiteContext): Promise<Measured>;
}

const S = {
  api: '2A API latency (one client)',
  concurrency: '2D Concurrent requests',
  ws: '2B WebSocket',
  memory: '2C Memory',
  cold: '2E Cold vs warm',
  cycles: '3 Create/destroy cycles and serialisation',
  engine: 'Engine and compiler',
  keyPath: 'Key path (input → output)',
} as const;

// ratio goals of the issue (§4), against the seed
const atLeast = (times: number, text: string): FigureSpec['goal'] => ({
  text,
  met: (v, seed) => seed !== undefined && v > 0 && seed / v >= times,
});
const throughputAtLeast = (times: number, text: string): FigureSpec['goal'] => ({
  text,
  met: (v, seed) => seed !== undefined && v / seed >= times,
});

function add(out: Measured, spec: FigureSpec, value: number): void {
  out.push({ spec, value });
}

function engineSuite(features: boolean): Suite {
  const id = features ? 'engine.features' : 'engine';
  const what = features ? 'engine with every feature beyond KeyRx' : 'engine';
  return {
    name: features ? 'engine-features' : 'engine',
    title: features
      ? 'engine ns/event, every feature beyond KeyRx in one profile (home-row mods, combos, one-shot, tap dance, macros …)'
      : 'engine ns/event (300 mappings, 10 layers, 10 tap-holds, typing stream)',
    runs: { full: 5, quick: 2 },
    async measure({ quick }) {
      const r = runEngineBench({ events: quick ? 50_000 : 200_000, rounds: quick ? 2 : 5, features });
      const out: Measured = [];
      const base = { section: S.engine, scale: 'cpu' as const };
      add(
        out,
        { ...base, id: `${id}.p50`, label: `${what} per event, p50`, unit: 'ns', better: 'lower' },
        r.p50Ns,
      );
      add(
        out,
        {
          ...base,
          id: `${id}.p99`,
          label: `${what} per event, p99`,
          unit: 'ns',
          better: 'lower',
          goal: { text: '< 2 µs', met: (v) => v < 2000 },
          tolerance: 0.25,
        },
        r.p99Ns,
      );
      add(
        out,
        {
          ...base,
          id: `${id}.throughput`,
          label: `${what} throughput, one core`,
          unit: 'events/s',
          better: 'higher',
          goal: { text: '≥ 1 M/s', met: (v) => v >= 1e6 },
        },
        r.eventsPerSecond,
      );
      return out;
    },
  };
}
const engine = engineSuite(false);
const engineFeatures = engineSuite(true);

let compileColdMeasured = false;

const compile: Suite = {
  name: 'compile',
  title: 'profile compiler (the 491-line example)',
  runs: { full: 3, quick: 1 },
  async measure({ quick }) {
    const r = runCompileBench({ rounds: quick ? 10 : 30 });
    const out: Measured = [];
    const base = { section: S.engine, scale: 'cpu' as const };
    add(
      out,
      {
        ...base,
        id: 'compile.warm',
        label: `compile ${r.profileLines}-line profile, warm median`,
        unit: 'ms',
        better: 'lower',
        seed: { value: 50, note: '"~50 ms for typical profile" (§6)' },
        goal: { text: '< 20 ms', met: (v) => v < 20 },
        tolerance: 0.2,
      },
      r.warmCompileMedianMs,
    );
    // only the process's first compile is cold; later runs of the suite would measure a warm one
    if (!compileColdMeasured) {
      compileColdMeasured = true;
      add(
        out,
        {
          ...base,
          id: 'compile.cold',
          label: 'compile, first in the process (cold)',
          unit: 'ms',
          better: 'lower',
          gated: false,
        },
        r.coldCompileMs,
      );
    }
    add(
      out,
      {
        ...base,
        id: 'compile.krxLoad',
        label: 'load a verified .krx cache',
        unit: 'ms',
        better: 'lower',
        goal: { text: '< 1 ms', met: (v) => v < 1 },
        tolerance: 0.25,
      },
      r.krxLoadMedianMs,
    );
    return out;
  },
};

const api: Suite = {
  name: 'api',
  title: 'REST API (autocannon; 101 profiles; daemon and load pinned to different CPUs)',
  runs: { full: 3, quick: 1 },
  async measure({ quick, progress, pinned }) {
    const r = await runApiBench({ quick, concurrency: [1, 10], durationSec: quick ? 1 : 2, progress });
    pinned(r.pinningNote);
    const out: Measured = [];
    const seedC1: Record<string, number> = { '/api/status': 47, '/api/profiles': 78, '/api/settings': 42 };
    const seedC10: Record<string, { ms: number; rps: number }> = {
      '/api/status': { ms: 78, rps: 128 },
      '/api/profiles': { ms: 85, rps: 118 },
    };
    for (const run of r.runs) {
      const path = run.endpoint.replace(/^GET /, '');
      const key = path.replace('/api/', '');
      const c = run.connections;
      const section = c === 1 ? S.api : S.concurrency;
      const base = { section, scale: 'cpu' as const, tolerance: 0.25 };
      add(
        out,
        {
          ...base,
          id: `api.${key}.c${c}.p50`,
          label: `${run.endpoint}, concurrency ${c}, p50`,
          unit: 'ms',
          better: 'lower',
          ...(c === 1 && seedC1[path] ? { seed: { value: seedC1[path], note: 'latency (§2A)' } } : {}),
        },
        run.latencyMs.p50,
      );
      const c10 = c === 10 ? seedC10[path] : undefined;
      add(
        out,
        {
          ...base,
          id: `api.${key}.c${c}.p99`,
          label: `${run.endpoint}, concurrency ${c}, p99`,
          unit: 'ms',
          better: 'lower',
          tolerance: 0.5,
          ...(c10 ? { seed: { value: c10.ms, note: '10 concurrent (§2D)' } } : {}),
          ...(c10 ? { goal: atLeast(20, '≥ 20× better than the seed') } : {}),
        },
        run.latencyMs.p99,
      );
      add(
        out,
        {
          ...base,
          id: `api.${key}.c${c}.rps`,
          label: `${run.endpoint}, concurrency ${c}, throughput`,
          unit: 'req/s',
          better: 'higher',
          ...(c10 ? { seed: { value: c10.rps, note: '10 concurrent (§2D)' } } : {}),
          ...(c10 ? { goal: throughputAtLeast(80, '≥ 80× the seed') } : {}),
        },
        run.reqPerSec,
      );
    }
    const base = { section: S.api, scale: 'cpu' as const, tolerance: 0.3 };
    add(
      out,
      {
        ...base,
        id: 'api.activate.warm',
        label: 'POST /api/profiles/:name/activate, warm (verified cache)',
        unit: 'ms',
        better: 'lower',
        seed: { value: 127, note: 'POST /api/profiles/activate (§2A)' },
        goal: atLeast(10, '≥ 10× faster than the seed'),
      },
      r.activation.warm.medianMs,
    );
    add(
      out,
      {
        ...base,
        id: 'api.activate.cold',
        label: 'activate, cold (no cache: compiles the 491-line profile)',
        unit: 'ms',
        better: 'lower',
        seed: { value: 189, note: 'profile activation, cold (§2E)' },
        goal: atLeast(10, '≥ 10× faster than the seed'),
      },
      r.activation.cold.medianMs,
    );
    add(
      out,
      {
        ...base,
        id: 'api.create.template',
        label: 'POST /api/profiles from a template',
        unit: 'ms',
        better: 'lower',
      },
      r.create.template.medianMs,
    );
    add(
      out,
      {
        ...base,
        id: 'api.create.big',
        label: 'POST /api/profiles with the 491-line source (compiled first)',
        unit: 'ms',
        better: 'lower',
      },
      r.create.bigSource.medianMs,
    );
    add(
      out,
      {
        ...base,
        id: 'api.delete',
        label: 'DELETE /api/profiles/:name',
        unit: 'ms',
        better: 'lower',
        seed: { value: 96, note: 'DELETE /api/profiles (§2A)' },
      },
      r.delete.medianMs,
    );
    return out;
  },
};

const ws: Suite = {
  name: 'ws',
  title: 'WebSocket stream (daemon and clients pinned to different CPUs)',
  runs: { full: 2, quick: 1 },
  async measure({ quick, progress, pinned }) {
    const r = await runWsBench({ quick, stallSeconds: quick ? 10 : 20, progress });
    pinned(r.pinningNote);
    const out: Measured = [];
    const base = { section: S.ws, scale: 'cpu' as const, tolerance: 0.5 };
    add(
      out,
      {
        ...base,
        id: 'ws.connect.p50',
        label: 'connect (TCP → hello), p50',
        unit: 'ms',
        better: 'lower',
        seed: { value: 42, note: 'connection establish (§2B)' },
      },
      r.connection.tcpToHello.p50Ms,
    );
    add(
      out,
      { ...base, id: 'ws.connect.p99', label: 'connect (TCP → hello), p99', unit: 'ms', better: 'lower' },
      r.connection.tcpToHello.p99Ms,
    );
    add(
      out,
      {
        ...base,
        id: 'ws.firstMessage.p99',
        label: 'open → first message, p99',
        unit: 'ms',
        better: 'lower',
        seed: { value: 15, note: 'first message latency (§2B)' },
      },
      r.connection.openToFirstMessage.p99Ms,
    );
    add(
      out,
      {
        ...base,
        id: 'ws.subscribe.p99',
        label: 'subscribe → ack, p99',
        unit: 'ms',
        better: 'lower',
        seed: { value: 22, note: 'subscription setup (§2B)' },
      },
      r.connection.subscribeToAck.p99Ms,
    );
    for (const b of r.broadcast)
      add(
        out,
        {
          ...base,
          id: `ws.broadcast.${b.subscribers}.p99`,
          label: `broadcast inject → receipt, ${b.subscribers} subscribers, p99`,
          unit: 'ms',
          better: 'lower',
          tolerance: 1,
          seed: { value: 28, note: 'broadcast latency (§2B; subscriber count not stated)' },
          ...(b.subscribers >= 500
            ? { goal: atLeast(5, '≥ 5× better than the seed at 10× the subscribers') }
            : {}),
        },
        b.injectToReceipt.p99Ms,
      );
    for (const t of r.throughput)
      add(
        out,
        {
          ...base,
          id: `ws.throughput.${t.subscribers}`,
          label: `messages delivered per second, ${t.subscribers} subscribers`,
          unit: 'msg/s',
          better: 'higher',
          ...(t.subscribers === 50 ? { seed: { value: 1110, note: '50 WebSocket subscribers (§2D)' } } : {}),
        },
        t.messagesPerSec,
      );
    add(
      out,
      {
        section: S.memory,
        scale: 'raw',
        tolerance: 0.5,
        id: 'ws.memory.perConnection',
        label: `RSS per idle WebSocket connection (${r.idle.connections} open)`,
        unit: 'bytes',
        better: 'lower',
        seed: { value: 400, note: 'estimate from struct sizes, not measured (§2C)' },
      },
      r.idle.rssPerConnectionBytes,
    );
    add(
      out,
      {
        section: S.memory,
        scale: 'raw',
        tolerance: 1,
        id: 'ws.stalled.rssGrowth',
        label: `daemon RSS growth while a stalled client is fed ${r.stalled.eventsPerSecond} events/s`,
        unit: 'bytes',
        better: 'lower',
        gated: false,
      },
      r.stalled.rssGrowthBytes,
    );
    if (r.stalled.disconnectMs !== null)
      add(
        out,
        {
          section: S.memory,
          scale: 'raw',
          tolerance: 0.5,
          id: 'ws.stalled.disconnect',
          label: 'stalled client: stream start → disconnected by the lag rule',
          unit: 'ms',
          better: 'lower',
          gated: false,
        },
        r.stalled.disconnectMs,
      );
    add(
      out,
      {
        section: S.cold,
        scale: 'cpu',
        tolerance: 1,
        id: 'ws.cold.connect',
        label: 'first WebSocket connection after start (TCP → hello)',
        unit: 'ms',
        better: 'lower',
        seed: { value: 89, note: 'first WS connection, cold (§2E)' },
      },
      r.connection.cold.tcpToHelloMs,
    );
    return out;
  },
};

const pipeline: Suite = {
  name: 'pipeline',
  title: 'key path through the real input loop (linux backend on pipes), idle and under API + WS load',
  runs: { full: 2, quick: 1 },
  async measure({ quick, progress, pinned }) {
    const r = await runPipelineBench({ quick, progress });
    pinned(r.pinningNote);
    const out: Measured = [];
    const base = { section: S.keyPath, scale: 'cpu' as const, tolerance: 1 };
    add(
      out,
      { ...base, id: 'keypath.idle.p50', label: 'key path, idle, p50 (daemon)', unit: 'µs', better: 'lower' },
      r.idle.daemonUs.p50,
    );
    add(
      out,
      {
        ...base,
        id: 'keypath.idle.p99',
        label: 'key path, idle, p99 (daemon)',
        unit: 'µs',
        better: 'lower',
        goal: { text: '< 100 µs', met: (v) => v < 100 },
      },
      r.idle.daemonUs.p99,
    );
    add(
      out,
      {
        ...base,
        id: 'keypath.load.p99',
        label: `key path under load (${r.load.api.targetPerSec} req/s offered + ${r.load.ws.clients} WS clients), p99`,
        unit: 'µs',
        better: 'lower',
        goal: { text: '< 100 µs', met: (v) => v < 100 },
      },
      r.load.daemonUs.p99,
    );
    add(
      out,
      {
        ...base,
        id: 'keypath.floor.p99',
        label: "this machine's floor: the same pipes through an echo process, p99",
        unit: 'µs',
        better: 'lower',
        gated: false,
      },
      r.floor.daemonUs.p99,
    );
    add(
      out,
      {
        section: S.concurrency,
        scale: 'raw',
        id: 'mixed.api.rps',
        label: `mixed: API req/s served (offered ${r.load.api.targetPerSec}/s) while ${r.load.ws.clients} WS clients get every key`,
        unit: 'req/s',
        better: 'higher',
        seed: { value: 195, note: 'mixed workload API + WS (§2D)' },
        gated: false,
      },
      r.load.api.perSec,
    );
    return out;
  },
};

const serialize: Suite = {
  name: 'serialize',
  title: 'profile list JSON (GET /api/profiles with 100 and 1,000 profiles)',
  runs: { full: 2, quick: 1 },
  async measure({ quick, progress, pinned }) {
    const r = await runSerializeBench({ quick, progress });
    pinned(r.pinningNote);
    const out: Measured = [];
    for (const run of r.runs) {
      add(
        out,
        {
          section: S.cycles,
          scale: 'cpu',
          tolerance: 0.5,
          id: `serialize.${run.profiles}.roundTrip`,
          label: `GET /api/profiles with ${run.profiles} profiles (${Math.round(run.bytes / 1024)} KB), p50`,
          unit: 'ms',
          better: 'lower',
          seed: { value: 28, note: '/api/profiles JSON, average (§3; profile count not stated)' },
        },
        run.roundTripMs.p50,
      );
      add(
        out,
        {
          section: S.cycles,
          scale: 'cpu',
          tolerance: 0.5,
          id: `serialize.${run.profiles}.stringify`,
          label: `JSON.stringify of that list (${run.profiles} profiles)`,
          unit: 'µs',
          better: 'lower',
        },
        run.stringifyUs,
      );
    }
    return out;
  },
};

const lifecycle: Suite = {
  name: 'lifecycle',
  title: 'create/destroy cycles of profiles and WebSocket connections (leak check)',
  runs: { full: 2, quick: 1 },
  async measure({ quick, progress, pinned }) {
    const r = await runLifecycleBench({ quick, progress });
    pinned(r.pinningNote);
    const out: Measured = [];
    const phases = [
      [
        'profiles',
        r.profiles,
        'create → activate → activate back → delete',
        195,
        'profile activation cycle (§3)',
      ],
      [
        'connections',
        r.connections,
        'WebSocket open → snapshot → close',
        42,
        'WebSocket connection (closed) (§3)',
      ],
    ] as const;
    for (const [key, p, what, seed, note] of phases) {
      add(
        out,
        {
          section: S.cycles,
          scale: 'cpu',
          tolerance: 0.5,
          id: `cycles.${key}.p50`,
          label: `${p.cycles} cycles: ${what}, p50 per cycle`,
          unit: 'ms',
          better: 'lower',
          seed: { value: seed, note },
        },
        p.cycleMs.p50,
      );
      add(
        out,
        {
          section: S.cycles,
          scale: 'raw',
          id: `cycles.${key}.heapGrowth`,
          label: `${key}: daemon heap growth per cycle (leak check${p.clean ? '; cleaned up' : '; NOT cleaned up'})`,
          unit: 'bytes',
          better: 'lower',
          gated: false,
        },
        p.heapGrowthPerCycleBytes,
      );
    }
    return out;
  },
};

const startup: Suite = {
  name: 'startup',
  title: 'cold start (process start → first served request) and first vs warm requests',
  runs: { full: 2, quick: 1 },
  async measure({ quick, progress }) {
    const r = await runStartupBench({ quick, progress });
    const out: Measured = [];
    for (const rt of r.runtimes) {
      add(
        out,
        {
          section: S.cold,
          scale: 'cpu',
          tolerance: 0.5,
          id: `startup.${rt.runtime}.first`,
          label: `process start → first served request, first start (${rt.runtime})`,
          unit: 'ms',
          better: 'lower',
          gated: false,
        },
        rt.firstStartMs,
      );
      add(
        out,
        {
          section: S.cold,
          scale: 'cpu',
          tolerance: 0.5,
          id: `startup.${rt.runtime}.restart`,
          label: `process start → first served request, restart (${rt.runtime})`,
          unit: 'ms',
          better: 'lower',
        },
        rt.restartMs.median,
      );
    }
    if (r.remapLive) {
      add(
        out,
        {
          section: S.cold,
          scale: 'cpu',
          tolerance: 0.5,
          id: 'startup.live.first',
          label: `process start → first remapped key, first start: compiles (${r.remapLive.runtime}, pipes)`,
          unit: 'ms',
          better: 'lower',
          gated: false,
        },
        r.remapLive.firstStartMs,
      );
      add(
        out,
        {
          section: S.cold,
          scale: 'cpu',
          tolerance: 0.5,
          id: 'startup.live.restart',
          label: `process start → first remapped key, restart: from the cache (${r.remapLive.runtime}, pipes)`,
          unit: 'ms',
          better: 'lower',
          goal: { text: '< 1 s', met: (v) => v < 1000 },
        },
        r.remapLive.restartMs.median,
      );
    }
    const pairs = [
      ['status', 'GET /api/status', r.firstRequest.statusMs, r.warm.statusMs, 156, 47],
      ['ws', 'WebSocket connect → hello', r.firstRequest.wsHelloMs, r.warm.wsHelloMs, 89, 42],
      ['activate', 'activation', r.firstRequest.activationMs, r.warm.activationMs, 189, 127],
    ] as const;
    for (const [key, label, first, warm, seedCold, seedWarm] of pairs) {
      add(
        out,
        {
          section: S.cold,
          scale: 'cpu',
          tolerance: 1,
          id: `startup.first.${key}`,
          label: `${label}, first after start`,
          unit: 'ms',
          better: 'lower',
          seed: { value: seedCold, note: 'cold (§2E)' },
          gated: false,
        },
        first,
      );
      add(
        out,
        {
          section: S.cold,
          scale: 'cpu',
          tolerance: 0.5,
          id: `startup.warm.${key}`,
          label: `${label}, warm`,
          unit: 'ms',
          better: 'lower',
          seed: { value: seedWarm, note: 'warm (§2E)' },
        },
        warm,
      );
    }
    return out;
  },
};

export const SUITES: Suite[] = [
  engine,
  engineFeatures,
  compile,
  api,
  ws,
  pipeline,
  serialize,
  lifecycle,
  startup,
];
