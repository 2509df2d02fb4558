/**
 * The monitor page against a real WebSocket server speaking the daemon's stream protocol
 * (docs/websocket.md): hello, snapshot, events single and batched, resume with `since`, resync.
 * The page's client is the `ws` package's WebSocket: jsdom's (undici's) throws on `open` and
 * `close` under vitest because the global Event is jsdom's, so its onclose never fires.
 */
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { Profiler } from 'react';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { WebSocket as NodeWebSocket, WebSocketServer } from 'ws';
import type { Decision, MappingKind } from '../../src/core/index.ts';
import type { Metrics } from '../src/api.ts';
import { DECISION_HELP, MAPPING_HELP } from '../src/lib/decisions.ts';
import type { Envelope, KeyEventData, SnapshotData } from '../src/stream/event-stream.ts';
import { buildCsv, buildJson, csvField, exportFileName } from '../src/monitor/export.ts';
import { formatClock, formatOutputs, isoFromMicros, outputsAsScript } from '../src/monitor/format.ts';
import type { MonitorKeyEvent } from '../src/monitor/monitor-model.ts';
import { filterTerms, matchesFilter, MonitorModel } from '../src/monitor/monitor-model.ts';
import { MonitorStore } from '../src/monitor/monitor-store.ts';
import { RingBuffer } from '../src/monitor/ring-buffer.ts';
import MonitorPage from '../src/pages/MonitorPage.tsx';

const WebSocketImpl = NodeWebSocket as unknown as typeof WebSocket;
const nowUs = () => Date.now() * 1000;

type Output = KeyEventData['outputs'][number];

interface Connection {
  socket: NodeWebSocket;
  url: URL;
}

/** A stand-in for the daemon's `/ws`: the protocol's behaviour, driven by the test. */
class FakeDaemon {
  readonly connections: Connection[] = [];
  seq = 0;
  instance = 'daemon-1';
  state: Omit<SnapshotData, 'resync'> = {
    activeProfile: 'default',
    modifiers: [],
    locks: [],
    held: [],
    devices: [],
  };
  /** events a resuming client can get back (the daemon's ring) */
  retained: Envelope[] = [];

  private constructor(
    private readonly server: WebSocketServer,
    readonly port: number,
  ) {
    server.on('connection', (socket, request) => this.accept(socket, request.url ?? '/'));
  }

  static async start(): Promise<FakeDaemon> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    return new FakeDaemon(server, (server.address() as { port: number }).port);
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get latest(): Connection {
    const c = this.connections.at(-1);
    if (!c) throw new Error('no client connected');
    return c;
  }

  private accept(socket: NodeWebSocket, rawUrl: string): void {
    const url = new URL(rawUrl, 'http://daemon');
    this.connections.push({ socket, url });
    const sinceParam = url.searchParams.get('since');
    const since = sinceParam === null ? null : Number(sinceParam);
    const hello = {
      server: 'keyrx',
      version: '0.1.0',
      protocol: 1,
      clientId: `c${this.connections.length}`,
      capabilities: ['resume', 'filter', 'batch', 'lagged'],
      topics: (url.searchParams.get('topics') ?? '').split(','),
      seq: this.seq,
      instance: this.instance,
      startedAt: '2026-11-27T02:48:10.512Z',
    };
    socket.send(JSON.stringify(envelope('hello', since ?? this.seq, hello)));
    if (since === null) {
      socket.send(JSON.stringify(envelope('snapshot', this.seq, this.state)));
      return;
    }
    const oldest = this.retained[0]?.seq ?? this.seq + 1;
    if (since > this.seq || oldest > since + 1) {
      socket.send(JSON.stringify(envelope('snapshot', this.seq, { resync: true, ...this.state })));
      return;
    }
    const replay = this.retained.filter((e) => e.seq > since);
    if (replay.length > 0) socket.send(JSON.stringify(replay));
  }

  /** A new event (next seq), kept for resuming; not sent. */
  event<T>(type: string, data: T): Envelope<T> {
    const e = envelope(type, ++this.seq, data);
    this.retained.push(e);
    return e;
  }

  key(key: string, action: KeyEventData['action'], more: Partial<KeyEventData> = {}): Envelope<KeyEventData> {
    const outputs: Output[] =
      action === 'press' || action === 'release' || action === 'repeat'
        ? [{ key, action, timeUs: nowUs() }]
        : [];
    return this.event<KeyEventData>('key', {
      device: 'kb1',
      key,
      action,
      outputs,
      mapping: 'passthrough',
      decision: action === 'press' ? 'passthrough' : action,
      latencyUs: 40,
      ...more,
    });
  }

  /** Sends events as the daemon batches them: one object alone, an array for several. */
  send(...events: Envelope[]): void {
    this.latest.socket.send(JSON.stringify(events.length === 1 ? events[0] : events));
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.socket.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function envelope<T>(type: string, seq: number, data: T): Envelope<T> {
  return { type, seq, time: nowUs(), data };
}

function rows(): HTMLElement[] {
  return screen.queryAllByTestId('monitor-row');
}

function rowKeys(): string[] {
  return rows().map((r) => r.querySelectorAll('td')[2].textContent ?? '');
}

function chips(listName: string): string[] {
  const list = screen.queryByRole('list', { name: listName });
  return list
    ? within(list)
        .getAllByRole('listitem')
        .map((li) => li.textContent ?? '')
    : [];
}

type LatencyTotals = Metrics['latencyUs'];
const NO_KEYS: LatencyTotals = { count: 0, min: 0, p50: 0, p95: 0, p99: 0, max: 0 };

async function openPage(daemon: FakeDaemon, sinceStart: LatencyTotals = NO_KEYS): Promise<void> {
  const loadMetrics = () => Promise.resolve({ latencyUs: sinceStart });
  render(<MonitorPage streamUrl={daemon.url} WebSocketImpl={WebSocketImpl} loadMetrics={loadMetrics} />);
  await waitFor(() => expect(screen.getByTestId('monitor-connection').textContent).toContain('live'));
}

function monitorEvent(over: Partial<MonitorKeyEvent>): MonitorKeyEvent {
  const outputs = over.outputs ?? [];
  return {
    id: 1,
    seq: 1,
    timeUs: Date.UTC(2026, 10, 27, 2, 48, 18, 688) * 1000 + 964,
    device: 'kb1',
    deviceName: 'laptop',
    key: 'A',
    action: 'press',
    outputs,
    mapping: 'simple',
    decision: 'remap',
    latencyUs: 12,
    outputsText: formatOutputs(outputs),
    searchText: '',
    ...over,
  };
}

describe('pure helpers', () => {
  test('the ring buffer keeps the newest items and overwrites the oldest', () => {
    const ring = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i);
    expect(ring.size).toBe(3);
    expect(ring.toArray()).toEqual([3, 4, 5]);
    expect([ring.newest(0), ring.newest(2)]).toEqual([5, 3]);
    expect(() => ring.newest(3)).toThrow(RangeError);
    ring.clear();
    expect(ring.toArray()).toEqual([]);
  });

  test('outputs, times and file names are written as documented', () => {
    const outputs: Output[] = [
      { key: 'Left', action: 'press', timeUs: 1 },
      { key: 'Left', action: 'release', timeUs: 2 },
      { key: 'A', action: 'repeat', timeUs: 3 },
      // mouse keys: pointer motion on an axis
      { key: 'X', action: 'move', timeUs: 4, value: 8 },
      { key: 'Wheel', action: 'move', timeUs: 4, value: -1 },
    ];
    expect(formatOutputs(outputs)).toBe('↓Left ↑Left ↻A mv:X+8 mv:Wheel-1');
    expect(outputsAsScript(outputs)).toBe('d:Left u:Left r:A mv:X+8 mv:Wheel-1');
    const us = Date.UTC(2026, 10, 27, 2, 48, 18, 688) * 1000 + 964;
    expect(isoFromMicros(us)).toBe('2026-11-27T02:48:18.688964Z');
    expect(formatClock(us)).toMatch(/^\d\d:48:18\.688$/);
    expect(exportFileName('csv', new Date(Date.UTC(2026, 10, 27, 2, 48, 18, 688)))).toBe(
      'keyrx-events-2026-11-27T02-48-18Z.csv',
    );
  });

  test('CSV quotes commas, quotes, line breaks and edge spaces, and nothing else', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField(42)).toBe('42');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField(' padded')).toBe('" padded"');
    const csv = buildCsv([
      monitorEvent({
        seq: 7,
        device: 'usb-1,2',
        deviceName: 'Kbd "Pro", rev 2',
        key: 'H',
        outputs: [
          { key: 'Left', action: 'press', timeUs: 1 },
          { key: 'Left', action: 'release', timeUs: 1 },
        ],
      }),
      monitorEvent({
        seq: 8,
        device: '',
        deviceName: '',
        key: '',
        action: 'release-all',
        decision: 'release-all',
      }),
    ]);
    const lines = csv.split('\r\n');
    expect(lines[0]).toBe('seq,time,device,deviceName,key,action,mapping,decision,outputs,latencyUs');
    expect(lines[1]).toBe(
      '7,2026-11-27T02:48:18.688964Z,"usb-1,2","Kbd ""Pro"", rev 2",H,press,simple,remap,d:Left u:Left,12',
    );
    expect(lines[2]).toBe('8,2026-11-27T02:48:18.688964Z,,,,release-all,simple,release-all,,12');
    expect(lines[3]).toBe('');
    expect(lines).toHaveLength(4);
  });

  test('JSON export is an array of the events, one per line, that parses back', () => {
    const tricky = monitorEvent({ deviceName: 'a "quoted"\nname, with comma' });
    const json = buildJson([tricky, monitorEvent({ seq: 2, key: 'B' })]);
    expect(json.split('\n')).toHaveLength(5);
    const parsed = JSON.parse(json) as {
      deviceName: string;
      key: string;
      time: string;
      outputs: unknown[];
    }[];
    expect(parsed.map((e) => e.key)).toEqual(['A', 'B']);
    expect(parsed[0].deviceName).toBe('a "quoted"\nname, with comma');
    expect(parsed[0].time).toBe('2026-11-27T02:48:18.688964Z');
    expect(buildJson([])).toBe('[]\n');
  });

  test('the filter needs every word somewhere in key, device, mapping, decision or outputs', () => {
    const model = new MonitorModel(10);
    model.ingest([
      envelope('key', 1, {
        device: 'kb1',
        key: 'CapsLock',
        action: 'release',
        outputs: [{ key: 'Escape', action: 'press', timeUs: 1 }],
        mapping: 'tapHold',
        decision: 'tap',
        latencyUs: 5,
      } satisfies KeyEventData),
    ]);
    const [event] = model.events.toArray();
    for (const f of ['caps', 'KB1', 'taphold tap', '↓escape', 'd:Escape', 'release'])
      expect(matchesFilter(event, filterTerms(f)), f).toBe(true);
    for (const f of ['enter', 'caps remap']) expect(matchesFilter(event, filterTerms(f)), f).toBe(false);
  });

  test('the model skips events it already has and tracks held keys', () => {
    const model = new MonitorModel(10);
    const press = envelope('key', 5, {
      device: 'kb1',
      key: 'A',
      action: 'press',
      outputs: [],
      mapping: 'passthrough',
      decision: 'passthrough',
      latencyUs: 1,
    } satisfies KeyEventData);
    model.ingest([
      envelope('snapshot', 4, { activeProfile: 'p', modifiers: [], locks: [], held: [], devices: [] }),
    ]);
    model.ingest([press, press]);
    expect(model.events.size).toBe(1);
    expect([...model.held.values()]).toEqual([{ device: 'kb1', key: 'A' }]);
    expect(model.ingest([envelope('hello', 5, { instance: 'x' })]).daemonRestarted).toBe(false);
    expect(model.ingest([envelope('hello', 5, { instance: 'y' })]).daemonRestarted).toBe(true);
  });
});

describe('MonitorStore batching', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('1,000 events over one second publish about ten views, not one per event', () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const store = new MonitorStore();
    let notifications = 0;
    store.subscribe(() => notifications++);
    for (let i = 1; i <= 1000; i++) {
      store.ingest([
        envelope('key', i, {
          device: 'kb1',
          key: `K${i}`,
          action: 'press',
          outputs: [],
          mapping: 'passthrough',
          decision: 'passthrough',
          latencyUs: 3,
        } satisfies KeyEventData),
      ]);
      vi.advanceTimersByTime(1);
    }
    vi.advanceTimersByTime(100);
    const view = store.getView();
    expect(view.stats.keyEventsSeen).toBe(1000);
    expect(view.table.rows).toHaveLength(300);
    expect(view.table.rows[0].key).toBe('K1000');
    expect(view.table.matching).toBe(1000);
    expect(notifications).toBe(store.flushCount);
    expect(store.flushCount).toBeGreaterThanOrEqual(9);
    expect(store.flushCount).toBeLessThanOrEqual(11);
  });
});

describe('MonitorPage with a live stream', () => {
  let daemon: FakeDaemon;

  beforeEach(async () => {
    daemon = await FakeDaemon.start();
  });

  afterEach(async () => {
    cleanup();
    vi.restoreAllMocks();
    await daemon.close();
  });

  test('asks for every topic including key, shows live, and lists single and batched key events newest first', async () => {
    await openPage(daemon);
    const topics = daemon.connections[0].url.searchParams.get('topics')?.split(',');
    expect(topics?.sort()).toEqual(['device', 'error', 'key', 'latency', 'profile', 'state']);
    expect(daemon.connections[0].url.searchParams.has('since')).toBe(false);
    expect(screen.getByTestId('monitor-events').querySelector('caption')?.textContent).toMatch(/key events/i);

    daemon.send(
      daemon.key('H', 'press', {
        outputs: [
          { key: 'Left', action: 'press', timeUs: nowUs() },
          { key: 'Left', action: 'release', timeUs: nowUs() },
        ],
        mapping: 'simple',
        decision: 'remap',
        latencyUs: 182,
      }),
    );
    await waitFor(() => expect(rowKeys()).toEqual(['H']));
    const cells = [...rows()[0].querySelectorAll('td')].map((td) => td.textContent);
    expect(cells.slice(1)).toEqual(['kb1', 'H', 'press', 'simple', 'remap', '↓Left ↑Left', '182']);
    expect(cells[0]).toMatch(/^\d\d:\d\d:\d\d\.\d{3}$/);

    // One frame holding an array of envelopes, as the daemon batches a burst.
    daemon.send(
      daemon.key('CapsLock', 'press', { mapping: 'tapHold', decision: 'pending', outputs: [] }),
      daemon.key('J', 'press'),
      daemon.key('J', 'release'),
    );
    await waitFor(() => expect(rowKeys()).toEqual(['J', 'J', 'CapsLock', 'H']));
    expect(rows()[2].textContent).toContain('(pending)');
  });

  /** A latency card's figure and the words under it. */
  function card(id: 'p50' | 'p99' | 'events-per-second'): { value: string; hint: string } {
    const el = screen.getByTestId(`monitor-stat-${id}`);
    return {
      value: el.querySelector('.monitor-stat-value')!.textContent!,
      hint: el.querySelector('.monitor-stat-hint')!.textContent!,
    };
  }
  const latency = (count: number, p50: number, p99: number) => ({
    count,
    min: Math.min(p50, 5),
    p50,
    p95: p99,
    p99,
    max: p99,
    eventsPerSecond: count,
  });

  test('latency cards: the last window while keys flow, then the last window that had keys, labelled', async () => {
    await openPage(daemon);
    await waitFor(() => expect(card('p50').hint).toBe('no keys yet'));
    expect(card('p50').value).toBe('—');

    daemon.send(daemon.event('latency', latency(6, 42, 498)));
    await waitFor(() => expect(card('p50')).toEqual({ value: '42 µs', hint: 'last window' }));
    expect(card('p99')).toEqual({ value: '498 µs', hint: 'last window' });

    // typing stopped: the daemon sends one empty window; the figures stay, labelled as older
    daemon.send(daemon.event('latency', latency(0, 0, 0)));
    await waitFor(() => expect(card('p50').hint).toMatch(/^last window with keys, \d\d:\d\d:\d\d$/));
    expect(card('p50').value).toBe('42 µs');
    expect(card('p99').value).toBe('498 µs');
    expect(card('p99').hint).toBe(card('p50').hint);
    expect(card('events-per-second').value).toBe('0');

    // keys again: the new window
    daemon.send(daemon.event('latency', latency(3, 17, 60)));
    await waitFor(() => expect(card('p50')).toEqual({ value: '17 µs', hint: 'last window' }));
    expect(card('p99').value).toBe('60 µs');
  });

  test('a page opened after typing stopped shows the since-start figures of GET /api/metrics', async () => {
    await openPage(daemon, { count: 120, min: 5, p50: 33, p95: 70, p99: 77, max: 90 });
    await waitFor(() => expect(card('p50')).toEqual({ value: '33 µs', hint: 'since the daemon started' }));
    expect(card('p99')).toEqual({ value: '77 µs', hint: 'since the daemon started' });
    expect(screen.getByTestId('monitor-stat-p50').title).toMatch(/since the daemon started/);
    // a window with keys takes over
    daemon.send(daemon.event('latency', latency(4, 21, 55)));
    await waitFor(() => expect(card('p50')).toEqual({ value: '21 µs', hint: 'last window' }));
  });

  test("the table, filter and exports use the API's names; each is explained in a tooltip and the legend", async () => {
    await openPage(daemon);
    daemon.send(
      daemon.key('CapsLock', 'press', { mapping: 'tapHold', decision: 'pending', outputs: [] }),
      daemon.key('CapsLock', 'release', {
        mapping: 'tapHold',
        decision: 'tap',
        outputs: [
          { key: 'Escape', action: 'press', timeUs: nowUs() },
          { key: 'Escape', action: 'release', timeUs: nowUs() },
        ],
      }),
      daemon.key('A', 'press', { mapping: 'passthrough', decision: 'passthrough' }),
      daemon.event<KeyEventData>('key', {
        device: '',
        key: '',
        action: 'release-all',
        outputs: [],
        mapping: 'none',
        decision: 'release-all',
        latencyUs: 0,
      }),
    );
    await waitFor(() => expect(rows()).toHaveLength(4));
    const cells = rows().map((r) => {
      const td = r.querySelectorAll('td');
      return [td[4].textContent, td[4].title, td[5].textContent, td[5].querySelector('span')!.title];
    });
    expect(cells).toEqual([
      [
        'none',
        expect.stringMatching(/released every output/),
        'release-all',
        expect.stringMatching(/released/),
      ],
      ['passthrough', MAPPING_HELP.passthrough, 'passthrough', DECISION_HELP.passthrough],
      ['tapHold', MAPPING_HELP.tapHold, 'tap', DECISION_HELP.tap],
      ['tapHold', MAPPING_HELP.tapHold, 'pending', DECISION_HELP.pending],
    ]);

    // the filter takes the same names
    fireEvent.change(screen.getByLabelText('Filter'), { target: { value: 'tapHold' } });
    expect(rowKeys()).toEqual(['CapsLock', 'CapsLock']);
    fireEvent.change(screen.getByLabelText('Filter'), { target: { value: 'tap-hold' } });
    expect(rows()).toHaveLength(0);
    fireEvent.change(screen.getByLabelText('Filter'), { target: { value: 'tapHold tap' } });
    expect(screen.getByTestId('monitor-summary').textContent).toBe('2 matching events.');
    fireEvent.change(screen.getByLabelText('Filter'), { target: { value: 'tapHold pending' } });
    expect(screen.getByTestId('monitor-summary').textContent).toBe('1 matching event.');

    // and so does the export
    const blobs: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return 'blob:monitor-test';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(() => {});
    fireEvent.click(screen.getByRole('button', { name: 'Export JSON' }));
    const exported = JSON.parse(await blobs[0].text()) as { mapping: string; decision: string }[];
    expect(exported.map((e) => [e.mapping, e.decision])).toEqual([['tapHold', 'pending']]);

    // the legend under the table: every kind and decision of the engine, and the daemon's release-all
    const help = screen.getByTestId('vocab-help');
    const entries = (label: string) =>
      Object.fromEntries(
        [...within(help).getByLabelText(label).querySelectorAll('dt')].map((dt) => [
          dt.textContent,
          dt.nextElementSibling!.textContent,
        ]),
      );
    const mappings = entries('Mapping kinds');
    const decisions = entries('Decisions');
    for (const [k, text] of Object.entries(MAPPING_HELP)) expect(mappings[k as MappingKind]).toBe(text);
    for (const [d, text] of Object.entries(DECISION_HELP)) expect(decisions[d as Decision]).toBe(text);
    expect(mappings.none).toMatch(/released every output/);
    expect(decisions['release-all']).toMatch(/released/);
  });

  test('the filter narrows rows; pause freezes them and counts new ones; resume and clear', async () => {
    await openPage(daemon);
    daemon.send(daemon.key('A', 'press'), daemon.key('A', 'release'), daemon.key('CapsLock', 'press'));
    await waitFor(() => expect(rows()).toHaveLength(3));

    const filter = screen.getByLabelText('Filter');
    fireEvent.change(filter, { target: { value: 'caps' } });
    expect(rowKeys()).toEqual(['CapsLock']);
    fireEvent.change(filter, { target: { value: 'a release' } });
    expect(rowKeys()).toEqual(['A']);
    fireEvent.change(filter, { target: { value: 'nothing-like-this' } });
    expect(rows()).toHaveLength(0);
    expect(screen.getByTestId('monitor-events').textContent).toContain('No event matches');
    fireEvent.change(filter, { target: { value: '' } });
    expect(rows()).toHaveLength(3);

    fireEvent.click(screen.getByRole('button', { name: 'Pause' }));
    daemon.send(daemon.key('B', 'press'), daemon.key('B', 'release'));
    await waitFor(() => expect(screen.getByTestId('monitor-new').textContent).toBe('2 new'));
    expect(rowKeys()).toEqual(['CapsLock', 'A', 'A']);
    // Still counted while paused: the stat card follows the stream.
    expect(screen.getByText('Key events seen').parentElement?.textContent).toContain('5');

    fireEvent.click(screen.getByRole('button', { name: 'Resume' }));
    expect(rowKeys()).toEqual(['B', 'B', 'CapsLock', 'A', 'A']);
    expect(screen.queryByTestId('monitor-new')).toBeNull();

    fireEvent.click(screen.getByRole('button', { name: 'Clear' }));
    expect(rows()).toHaveLength(0);
    expect(screen.getByRole('button', { name: 'Export CSV' })).toHaveProperty('disabled', true);
    daemon.send(daemon.key('C', 'press'));
    await waitFor(() => expect(rowKeys()).toEqual(['C']));
  });

  test('Export CSV downloads the filtered buffer through an object URL', async () => {
    await openPage(daemon);
    daemon.send(
      daemon.key('A', 'press'),
      daemon.key('Comma', 'press', { device: 'kb,"2"' }),
      daemon.key('A', 'release'),
    );
    await waitFor(() => expect(rows()).toHaveLength(3));
    fireEvent.change(screen.getByLabelText('Filter'), { target: { value: 'press' } });

    const blobs: Blob[] = [];
    vi.spyOn(URL, 'createObjectURL').mockImplementation((blob) => {
      blobs.push(blob as Blob);
      return 'blob:monitor-test';
    });
    vi.spyOn(URL, 'revokeObjectURL').mockImplementation(() => {});
    const downloads: { name: string; href: string }[] = [];
    vi.spyOn(HTMLAnchorElement.prototype, 'click').mockImplementation(function (this: HTMLAnchorElement) {
      downloads.push({ name: this.download, href: this.href });
    });

    fireEvent.click(screen.getByRole('button', { name: 'Export CSV' }));
    expect(downloads).toHaveLength(1);
    expect(downloads[0].name).toMatch(/^keyrx-events-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ\.csv$/);
    expect(downloads[0].href).toBe('blob:monitor-test');
    expect(blobs[0].type).toBe('text/csv;charset=utf-8');
    const lines = (await blobs[0].text()).trim().split('\r\n');
    expect(lines).toHaveLength(3);
    expect(lines[1]).toMatch(/^1,.*,kb1,,A,press,passthrough,passthrough,d:A,40$/);
    expect(lines[2]).toMatch(/^2,.*,"kb,""2""",,Comma,press,/);

    fireEvent.click(screen.getByRole('button', { name: 'Export JSON' }));
    expect(downloads[1].name).toMatch(/\.json$/);
    const parsed = JSON.parse(await blobs[1].text()) as { key: string; device: string }[];
    expect(parsed.map((e) => e.device)).toEqual(['kb1', 'kb,"2"']);
  });

  test('state chips follow the snapshot, then key and state events; release-all clears held keys', async () => {
    daemon.state = {
      activeProfile: 'work',
      modifiers: ['MD_00'],
      locks: [],
      held: [{ device: 'kb1', key: 'CapsLock' }],
      devices: [],
    };
    await openPage(daemon);
    await waitFor(() => expect(chips('Physical keys held')).toEqual(['CapsLock']));
    expect(chips('Active modifiers')).toEqual(['MD_00']);
    expect(screen.getByTestId('monitor-state').textContent).toContain('work');

    daemon.send(daemon.key('H', 'press'), daemon.event('state', { modifiers: ['MD_00'], locks: ['LK_01'] }));
    await waitFor(() => expect(chips('Physical keys held')).toEqual(['CapsLock', 'H']));
    expect(chips('Active locks')).toEqual(['LK_01']);

    daemon.send(
      daemon.key('CapsLock', 'release'),
      daemon.event('state', { modifiers: [], locks: ['LK_01'] }),
    );
    await waitFor(() => expect(chips('Physical keys held')).toEqual(['H']));
    expect(chips('Active modifiers')).toEqual([]);

    daemon.send(
      daemon.key('', 'release-all', { device: '', mapping: 'none', decision: 'release-all', latencyUs: 0 }),
      daemon.event('profile', { action: 'activated', name: 'play', compileMs: 0.4, cached: true }),
    );
    await waitFor(() => expect(chips('Physical keys held')).toEqual([]));
    expect(screen.getByTestId('monitor-state').textContent).toContain('play');
    expect(screen.getByText('activated play')).toBeTruthy();
    expect(rows()[0].textContent).toContain('all keys');
  });

  test('errors go to the page log, devices and profiles to the activity list', async () => {
    await openPage(daemon);
    const device = {
      id: 'virtual',
      name: 'laptop',
      deviceName: 'virtual',
      enabled: true,
      connected: true,
      grabbed: true,
      backend: 'virtual',
      path: null,
      layout: null,
      matchedBlock: { index: 0, pattern: '*' },
    };
    daemon.send(
      daemon.event('device', { action: 'added', device }),
      daemon.event('error', {
        code: 'PROFILE_COMPILE_FAILED',
        message: "activating 'work' failed",
        context: {},
        timestamp: '2026-11-27T02:48:18.688Z',
      }),
    );
    const errors = await screen.findByRole('list', { name: 'Recent daemon errors' });
    expect(errors.textContent).toContain('PROFILE_COMPILE_FAILED');
    expect(errors.textContent).toContain("activating 'work' failed");
    expect(screen.getByRole('list', { name: 'Profile and device activity' }).textContent).toContain(
      'device laptop added',
    );
    expect(chips('Devices: 1 connected')).toEqual(['laptop']);
    // An error *reply* (it has data.id) is not a daemon error.
    daemon.latest.socket.send(
      JSON.stringify(envelope('error', daemon.seq, { id: 3, code: 'BAD_TOPIC', message: 'x' })),
    );
    daemon.send(daemon.key('A', 'press', { device: 'virtual' }));
    await waitFor(() => expect(rows()).toHaveLength(1));
    expect(within(errors).getAllByRole('listitem')).toHaveLength(1);
    expect(rows()[0].textContent).toContain('laptop');
  });

  test('after the server closes the socket it reconnects with since=<last seq> and gets the missed events', async () => {
    await openPage(daemon);
    daemon.send(daemon.key('A', 'press'), daemon.key('A', 'release'));
    await waitFor(() => expect(rows()).toHaveLength(2));

    daemon.latest.socket.close(1001, 'daemon going away');
    await waitFor(() =>
      expect(screen.getByTestId('monitor-connection').textContent).toContain('reconnecting'),
    );
    expect(document.querySelector('.monitor-connection')?.textContent).toContain(
      'last close: daemon going away',
    );
    expect(document.querySelector('.monitor-connection')?.textContent).toContain('resuming after seq 2');
    // Published while the page was away: it must come back through the resume.
    daemon.key('Z', 'press');

    await waitFor(() => expect(daemon.connections).toHaveLength(2));
    expect(daemon.connections[1].url.searchParams.get('since')).toBe('2');
    await waitFor(() => expect(screen.getByTestId('monitor-connection').textContent).toContain('live'));
    await waitFor(() => expect(rowKeys()).toEqual(['Z', 'A', 'A']));
    expect(screen.queryByText(/missed events while disconnected/i)).toBeNull();
  });

  test('a resume the daemon cannot serve shows the resync notice and reloads state', async () => {
    await openPage(daemon);
    daemon.send(daemon.key('A', 'press'));
    await waitFor(() => expect(rows()).toHaveLength(1));
    daemon.key('B', 'press');
    daemon.retained = []; // the ring moved on: B is gone too
    daemon.state = { ...daemon.state, activeProfile: 'other', held: [{ device: 'kb1', key: 'B' }] };
    daemon.latest.socket.terminate();
    await waitFor(() => expect(daemon.connections).toHaveLength(2));
    expect(daemon.connections[1].url.searchParams.get('since')).toBe('1');
    await screen.findByText(/missed events while disconnected — state reloaded/i);
    expect(chips('Physical keys held')).toEqual(['B']);
    expect(screen.getByTestId('monitor-state').textContent).toContain('other');
    fireEvent.click(screen.getByRole('button', { name: 'Dismiss this notice' }));
    expect(document.querySelector('.monitor-notice')).toBeNull();
  });

  test('a restarted daemon (new instance) is read from a fresh snapshot, not from a stale since', async () => {
    await openPage(daemon);
    daemon.send(daemon.key('A', 'press'), daemon.key('A', 'release'));
    await waitFor(() => expect(rows()).toHaveLength(2));
    for (const c of daemon.connections) c.socket.terminate();
    // The new daemon's seqs started again and already passed ours: a resume would look valid.
    daemon.instance = 'daemon-2';
    daemon.retained = [];
    for (let i = 0; i < 5; i++) daemon.key('Q', 'press');
    await waitFor(() => expect(daemon.connections).toHaveLength(3));
    expect(daemon.connections[1].url.searchParams.get('since')).toBe('2');
    expect(daemon.connections[2].url.searchParams.has('since')).toBe(false);
    await screen.findByText(/daemon restarted — state reloaded/i);
    daemon.send(daemon.key('N', 'press'));
    await waitFor(() => expect(rowKeys()).toEqual(['N', 'A', 'A']));
  });

  test('unmounting stops the stream', async () => {
    await openPage(daemon);
    const closed = new Promise<number>((resolve) =>
      daemon.latest.socket.once('close', (code) => resolve(code)),
    );
    cleanup();
    expect(await closed).toBe(1000);
    await new Promise((r) => setTimeout(r, 700));
    expect(daemon.connections).toHaveLength(1);
  });

  test('1,000 events in one second: the buffer keeps them all, the table renders a bounded batch', async () => {
    let commits = 0;
    let renderMs = 0;
    render(
      <Profiler
        id="monitor"
        onRender={(_id, _phase, actualDuration) => {
          commits++;
          renderMs += actualDuration;
        }}
      >
        <MonitorPage streamUrl={daemon.url} WebSocketImpl={WebSocketImpl} />
      </Profiler>,
    );
    await waitFor(() => expect(screen.getByTestId('monitor-connection').textContent).toContain('live'));
    commits = 0;
    renderMs = 0;

    // 50 frames of 20 events, one every 20 ms: 1,000 events/s, batched as the daemon does. The
    // timer runs in this process, so a slow render delays it: the elapsed time is measured.
    const started = performance.now();
    await new Promise<void>((resolve) => {
      let frame = 0;
      const timer = setInterval(() => {
        const batch: Envelope[] = [];
        for (let i = 0; i < 10; i++)
          batch.push(daemon.key(`K${frame}`, 'press'), daemon.key(`K${frame}`, 'release'));
        daemon.send(...batch);
        if (++frame === 50) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    await waitFor(() =>
      expect(screen.getByText('Key events seen').parentElement?.textContent).toMatch(/1,?000/),
    );
    const elapsed = performance.now() - started;
    await waitFor(() => expect(rows()).toHaveLength(300));
    expect(rowKeys()[0]).toBe('K49');
    expect(screen.getByTestId('monitor-summary').textContent).toMatch(/newest 300 of 1,?000/);

    // A render per event would be 1,000 commits; a flush every 100 ms is about one per 100 ms.
    const budget = Math.ceil(elapsed / 100) + 3;
    console.info(
      `monitor burst: 1000 events in ${elapsed.toFixed(0)} ms -> ${commits} commits (budget ${budget}), ` +
        `${renderMs.toFixed(1)} ms rendering (${(renderMs / Math.max(1, commits)).toFixed(1)} ms per commit)`,
    );
    expect(commits).toBeGreaterThan(1);
    expect(commits).toBeLessThanOrEqual(budget);
  });
});
