/** The suite's report: the result as JSON, a Markdown table like the seed's, and an HTML page with inline SVG charts. */
import type { Figure } from './figures.ts';
import { seedRatio, spread } from './figures.ts';
import type { GateResult } from './gate.ts';

export interface SuiteRun {
  name: string;
  title: string;
  runs: number;
  seconds: number;
  /** what the suite pinned to which CPU, as it reported it */
  pinning: string[];
  error?: string;
}

export interface ReportFigure extends Omit<Figure, 'goal'> {
  goal?: { text: string; met: boolean };
  ratio: number | null;
  spread: number | null;
}

export interface RunResult {
  version: 1;
  startedAt: string;
  durationSec: number;
  quick: boolean;
  only: string[] | null;
  machine: {
    node: string;
    cpu: string;
    cpus: number;
    platform: string;
    loadAverage: { before: number; after: number };
  };
  referenceMs: { before: number; after: number; used: number };
  method: string[];
  suites: SuiteRun[];
  figures: ReportFigure[];
  gate: GateResult | null;
}

export function toReportFigures(figures: Figure[]): ReportFigure[] {
  return figures.map((f) => {
    const { goal, ...rest } = f;
    return {
      ...rest,
      ...(goal
        ? { goal: { text: goal.text, met: Number.isFinite(f.value) && goal.met(f.value, f.seed?.value) } }
        : {}),
      ratio: seedRatio(f),
      spread: spread(f),
    };
  });
}

export function formatValue(value: number | null, unit: string): string {
  if (value === null || !Number.isFinite(value)) return '—';
  if (unit === 'bytes') {
    if (Math.abs(value) >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MB`;
    if (Math.abs(value) >= 1024) return `${(value / 1024).toFixed(1)} KB`;
    return `${Math.round(value)} B`;
  }
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  const text = value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: 0 });
  return `${text} ${unit}`;
}

export function formatRatio(ratio: number | null): string {
  if (ratio === null) return '—';
  if (ratio >= 10) return `${Math.round(ratio).toLocaleString('en-US')}× better`;
  if (ratio >= 1) return `${ratio.toFixed(1)}× better`;
  return `${(1 / ratio).toFixed(1)}× worse`;
}

function formatSpread(s: number | null, runs: number): string {
  return s === null ? `${runs} run` : `±${((s / 2) * 100).toFixed(0)} % (${runs} runs)`;
}

function goalCell(f: ReportFigure): string {
  if (!f.goal) return '';
  return `${f.goal.met ? '✅' : '❌'} ${f.goal.text}`;
}

function sections(figures: ReportFigure[]): Map<string, ReportFigure[]> {
  const out = new Map<string, ReportFigure[]>();
  for (const f of figures) out.set(f.section, [...(out.get(f.section) ?? []), f]);
  return out;
}

function mdEscape(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The figures with a goal, one line each: what the README shows. */
export function headline(r: RunResult): ReportFigure[] {
  return r.figures.filter((f) => f.goal);
}

export function figureTable(figures: ReportFigure[]): string {
  const lines = [
    '| figure | seed (KeyRx v0.1.1) | keyrx (this run) | ratio | spread | goal |',
    '|---|---:|---:|---:|---|---|',
  ];
  for (const f of figures)
    lines.push(
      `| ${mdEscape(f.label)} | ${f.seed ? formatValue(f.seed.value, f.unit) : '—'} | ${formatValue(f.value, f.unit)} | ${formatRatio(f.ratio)} | ${formatSpread(f.spread, f.runs.length)} | ${goalCell(f)} |`,
    );
  return lines.join('\n');
}

export function renderMarkdown(r: RunResult): string {
  const out: string[] = [];
  out.push(`# keyrx performance report`, '');
  out.push(
    `Run ${r.startedAt} (${r.quick ? 'quick pass' : 'full pass'}${r.only ? `, only ${r.only.join(', ')}` : ''}), ${Math.round(r.durationSec)} s. ` +
      `Node ${r.machine.node}, ${r.machine.cpus} × ${r.machine.cpu}, load average ${r.machine.loadAverage.before.toFixed(2)} → ${r.machine.loadAverage.after.toFixed(2)}. ` +
      `Reference workload ${r.referenceMs.used.toFixed(1)} ms (before ${r.referenceMs.before.toFixed(1)}, after ${r.referenceMs.after.toFixed(1)}).`,
    '',
  );
  out.push(
    'Seed: KeyRx v0.1.1 daemon performance report (its own machine). Ratio: how many times better keyrx is (latency: seed ÷ ours; throughput: ours ÷ seed). Spread: half the min–max range of the runs around their median.',
    '',
  );
  const goals = headline(r);
  if (goals.length > 0) out.push('## Goals', '', figureTable(goals), '');
  for (const [section, figures] of sections(r.figures))
    out.push(`## ${section}`, '', figureTable(figures), '');
  const failed = r.suites.filter((s) => s.error);
  out.push('## Suites', '', '| suite | what | runs | time | pinning |', '|---|---|---:|---:|---|');
  for (const s of r.suites)
    out.push(
      `| ${s.name} | ${mdEscape(s.title)}${s.error ? ` — **failed: ${mdEscape(s.error)}**` : ''} | ${s.runs} | ${Math.round(s.seconds)} s | ${mdEscape((s.pinning ?? []).join('; ') || '—')} |`,
    );
  out.push('');
  if (failed.length > 0) out.push(`**${failed.length} suite(s) failed**; their figures are missing.`, '');
  if (r.gate) out.push('## Regression gate', '', gateTable(r.gate), '');
  out.push('## Method', '', ...r.method.map((m) => `- ${m}`), '');
  return out.join('\n');
}

export function gateTable(g: GateResult): string {
  const lines = [
    `Reference workload: baseline ${g.referenceMs.baseline.toFixed(1)} ms, this run ${g.referenceMs.current.toFixed(1)} ms. ` +
      `"vs baseline" is this run ÷ the baseline after scaling CPU-bound figures by the reference (> 1 is worse).`,
    '',
    '| figure | baseline | this run | vs baseline | tolerance | status |',
    '|---|---:|---:|---:|---:|---|',
  ];
  const order: Record<string, number> = {
    worse: 0,
    better: 1,
    new: 2,
    'not measured': 3,
    ok: 4,
    'not gated': 5,
  };
  for (const row of [...g.rows].sort((a, b) => order[a.status] - order[b.status]))
    lines.push(
      `| ${mdEscape(row.label)} | ${formatValue(row.baseline, row.unit)} | ${formatValue(row.current, row.unit)} | ${row.worseBy === null ? '—' : row.worseBy.toFixed(2)} | ${Math.round(row.tolerance * 100)} % | ${row.status === 'worse' ? '❌ worse' : row.status} |`,
    );
  return lines.join('\n');
}

// ---------------------------------------------------------------- HTML with inline SVG

function esc(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);
}

/** Horizontal bars on a log scale: keyrx and the seed side by side for each figure. */
function pairedBars(title: string, figures: ReportFigure[]): string {
  if (figures.length === 0) return '';
  const rowH = 34;
  const left = 360;
  const width = 900;
  const plot = width - left - 120;
  const values = figures
    .flatMap((f) => [f.value, f.seed?.value ?? NaN])
    .filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  const x = (v: number) => left + ((Math.log10(v) - lo) / Math.max(1, hi - lo)) * plot;
  const height = figures.length * rowH + 50;
  const parts: string[] = [
    `<svg viewBox="0 0 ${width} ${height}" width="100%" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="12">`,
  ];
  for (let d = lo; d <= hi; d++) {
    const gx = x(10 ** d);
    parts.push(`<line x1="${gx}" y1="20" x2="${gx}" y2="${height - 24}" stroke="#ddd"/>`);
    parts.push(
      `<text x="${gx}" y="${height - 8}" text-anchor="middle" fill="#666">${esc(formatValue(10 ** d, ''))}</text>`,
    );
  }
  figures.forEach((f, i) => {
    const y = 24 + i * rowH;
    parts.push(
      `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${esc(f.label.length > 55 ? `${f.label.slice(0, 54)}…` : f.label)}</text>`,
    );
    if (f.value > 0) {
      parts.push(
        `<rect x="${left}" y="${y + 2}" width="${Math.max(1, x(f.value) - left)}" height="11" fill="#2f6fdb"><title>keyrx ${esc(formatValue(f.value, f.unit))}</title></rect>`,
      );
      parts.push(
        `<text x="${x(f.value) + 4}" y="${y + 12}" fill="#2f6fdb">${esc(formatValue(f.value, f.unit))}</text>`,
      );
    }
    if (f.seed && f.seed.value > 0) {
      parts.push(
        `<rect x="${left}" y="${y + 15}" width="${Math.max(1, x(f.seed.value) - left)}" height="11" fill="#c2603a"><title>seed ${esc(formatValue(f.seed.value, f.unit))}</title></rect>`,
      );
      parts.push(
        `<text x="${x(f.seed.value) + 4}" y="${y + 25}" fill="#c2603a">${esc(formatValue(f.seed.value, f.unit))}</text>`,
      );
    }
  });
  parts.push('</svg>');
  return `<figure><figcaption>${esc(title)} <span class="key"><b style="color:#2f6fdb">■</b> keyrx <b style="color:#c2603a">■</b> seed (KeyRx v0.1.1)</span> — log scale</figcaption>${parts.join('')}</figure>`;
}

function htmlTable(figures: ReportFigure[]): string {
  const rows = figures
    .map(
      (f) =>
        `<tr><td>${esc(f.label)}</td><td class="n">${esc(f.seed ? formatValue(f.seed.value, f.unit) : '—')}</td><td class="n">${esc(formatValue(f.value, f.unit))}</td><td class="n">${esc(formatRatio(f.ratio))}</td><td>${esc(formatSpread(f.spread, f.runs.length))}</td><td>${esc(goalCell(f))}</td></tr>`,
    )
    .join('');
  return `<table><thead><tr><th>figure</th><th>seed (KeyRx v0.1.1)</th><th>keyrx (this run)</th><th>ratio</th><th>spread</th><th>goal</th></tr></thead><tbody>${rows}</tbody></table>`;
}

export function renderHtml(r: RunResult): string {
  const latency = r.figures.filter(
    (f) => f.better === 'lower' && ['ms', 'µs', 'ns'].includes(f.unit) && f.seed,
  );
  const throughput = r.figures.filter((f) => f.better === 'higher' && f.seed);
  const body: string[] = [];
  body.push(`<h1>keyrx performance report</h1>`);
  body.push(
    `<p>Run ${esc(r.startedAt)} (${r.quick ? 'quick pass' : 'full pass'}), ${Math.round(r.durationSec)} s. Node ${esc(r.machine.node)}, ${r.machine.cpus} × ${esc(r.machine.cpu)}, load average ${r.machine.loadAverage.before.toFixed(2)} → ${r.machine.loadAverage.after.toFixed(2)}. Reference workload ${r.referenceMs.used.toFixed(1)} ms.</p>`,
  );
  body.push(pairedBars('Latency: keyrx vs the seed', latency));
  body.push(pairedBars('Throughput: keyrx vs the seed', throughput));
  const goals = headline(r);
  if (goals.length > 0) body.push('<h2>Goals</h2>', htmlTable(goals));
  for (const [section, figures] of sections(r.figures)) {
    body.push(`<h2>${esc(section)}</h2>`, htmlTable(figures));
    const withPercentiles = figures.filter((f) => f.unit !== 'bytes' && f.better === 'lower');
    if (withPercentiles.length > 1 && withPercentiles.some((f) => f.seed))
      body.push(pairedBars(`${section}: keyrx vs the seed`, withPercentiles));
  }
  if (r.gate) body.push('<h2>Regression gate</h2>', `<pre>${esc(gateTable(r.gate))}</pre>`);
  body.push('<h2>Method</h2>', `<ul>${r.method.map((m) => `<li>${esc(m)}</li>`).join('')}</ul>`);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>keyrx performance report</title><style>
body{font:14px/1.45 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1b1f24}
table{border-collapse:collapse;width:100%;margin:.5rem 0 1.5rem}th,td{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
td.n{text-align:right;white-space:nowrap}th{font-size:12px;color:#555}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}.key{font-weight:400;color:#555;margin-left:1rem}
pre{white-space:pre-wrap;font-size:12px}
</style></head><body>${body.join('\n')}</body></html>\n`;
}
