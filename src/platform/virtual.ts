/**
 * The virtual backend: input comes from simulation scripts (POST /api/inject), output goes
 * nowhere but the monitoring stream. Runs everywhere; used for tests, demos and machines
 * without a grabbable keyboard.
 */
import type { OutputEvent, ScriptStep } from '../core/index.ts';
import type { DeviceDescriptor, InputBackend, KeyInput, KeyProcessor } from './types.ts';
import { monotonicUs } from './types.ts';

export interface PlayResult {
  events: number;
  durationMs: number;
}

/**
 * Plays scripts into a processor. Real-time mode waits for each `t:N`; instant mode gives
 * events virtual timestamps and runs them at once (deadlines still decide by those times).
 */
export class ScriptPlayer {
  private lastUs = 0;
  private readonly known = new Map<string, DeviceDescriptor>();
  /** serialises playbacks so two scripts never interleave their events */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly processor: KeyProcessor,
    private readonly write: (events: OutputEvent[]) => void,
  ) {}

  devices(): DeviceDescriptor[] {
    return [...this.known.values()];
  }

  play(steps: ScriptStep[], instant: boolean, device = 'virtual'): Promise<PlayResult> {
    const run = this.queue.then(() =>
      instant ? this.playInstant(steps, device) : this.playRealTime(steps, device),
    );
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Monotonic, never behind a previous event (instant playback runs ahead of the clock). */
  now(): number {
    this.lastUs = Math.max(this.lastUs, monotonicUs());
    return this.lastUs;
  }

  private ensureDevice(name: string): void {
    if (this.known.has(name)) return;
    const d: DeviceDescriptor = { id: name, name, isKeyboard: true, isPointer: false, grabbed: true };
    this.known.set(name, d);
    this.processor.deviceAdded(d);
  }

  private dispatch(input: KeyInput): void {
    const started = monotonicUs();
    const outputs = this.processor.process(input);
    if (outputs.length > 0) this.write(outputs);
    // latency is the processing path from dispatch to written output
    this.processor.processed({ ...input, timeUs: started }, outputs, monotonicUs());
  }

  private async playRealTime(steps: ScriptStep[], device: string): Promise<PlayResult> {
    const start = this.now();
    let events = 0;
    for (const step of steps) {
      if (step.type === 'wait') await sleep(step.ms);
      else if (step.type === 'device') device = step.name;
      else if (step.type === 'key') {
        this.ensureDevice(device);
        this.dispatch({ key: step.key, action: step.action, timeUs: this.now(), device });
        events++;
      }
    }
    return { events, durationMs: (this.now() - start) / 1000 };
  }

  private playInstant(steps: ScriptStep[], device: string): PlayResult {
    // Anchor the script so it ends now when it can: the engine's clock then stays with the real
    // one, and a real-time script played next is not compressed.
    const span = steps.reduce((sum, s) => sum + (s.type === 'wait' ? Math.round(s.ms * 1000) : 0), 0);
    const start = Math.max(this.lastUs, monotonicUs() - span);
    let t = start;
    let events = 0;
    for (const step of steps) {
      if (step.type === 'wait') t += Math.round(step.ms * 1000);
      else if (step.type === 'device') device = step.name;
      else if (step.type === 'key') {
        this.ensureDevice(device);
        // deadlines passed during the wait decide (and are reported) before the next key
        const due = this.processor.tick(t);
        if (due.length > 0) this.write(due);
        this.dispatch({ key: step.key, action: step.action, timeUs: t, device });
        events++;
      }
    }
    // deadlines inside the script's time span decide now, as they would have in real time
    const outputs = this.processor.tick(t);
    if (outputs.length > 0) this.write(outputs);
    this.lastUs = Math.max(this.lastUs, t);
    return { events, durationMs: (t - start) / 1000 };
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export class VirtualBackend implements InputBackend {
  readonly kind = 'virtual' as const;
  player: ScriptPlayer | null = null;

  async start(processor: KeyProcessor): Promise<void> {
    this.player = new ScriptPlayer(processor, () => undefined);
  }

  /** Output has no device to go to; the monitoring stream and GET /api/output show it. */
  write(_events: OutputEvent[]): void {}

  devices(): DeviceDescriptor[] {
    return this.player?.devices() ?? [];
  }

  async stop(): Promise<void> {}
}
