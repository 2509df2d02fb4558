/**
 * Live latency chart: p50 and p99 (µs, left axis) and events/s (right axis) over a sliding
 * window. A thin wrapper around uPlot: created in an effect, fed with `setData`, resized with a
 * ResizeObserver, destroyed on unmount. uPlot is loaded on demand and only where a canvas can be
 * drawn on (not in jsdom, where importing it would fail on `matchMedia`).
 */
import { useEffect, useRef, useState } from 'react';
import type uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { LATENCY_WINDOW_SECONDS } from './monitor-model.ts';
import type { LatencySeries } from './monitor-store.ts';

const CHART_HEIGHT = 200;

let canvasSupport: boolean | undefined;

/** Whether this browser can draw on a 2D canvas (jsdom cannot); checked once. */
export function canDrawCharts(): boolean {
  if (canvasSupport === undefined) {
    try {
      canvasSupport =
        typeof window.matchMedia === 'function' && document.createElement('canvas').getContext('2d') !== null;
    } catch {
      canvasSupport = false;
    }
  }
  return canvasSupport;
}

interface ChartColors {
  text: string;
  muted: string;
  border: string;
  p50: string;
  p99: string;
  eventsPerSecond: string;
}

function themeColors(element: Element): ChartColors {
  const style = getComputedStyle(element);
  const read = (name: string, fallback: string) => style.getPropertyValue(name).trim() || fallback;
  return {
    text: read('--text', 'currentColor'),
    muted: read('--muted', 'currentColor'),
    border: read('--border', 'currentColor'),
    p50: read('--accent', 'currentColor'),
    p99: read('--danger', 'currentColor'),
    eventsPerSecond: read('--lock', 'currentColor'),
  };
}

/** Bumps when the theme changes (the app's data-theme attribute or the system's preference). */
function useThemeVersion(): number {
  const [version, setVersion] = useState(0);
  useEffect(() => {
    const bump = () => setVersion((v) => v + 1);
    const observer = new MutationObserver(bump);
    observer.observe(document.documentElement, {
      attributes: true,
      attributeFilter: ['data-theme', 'class'],
    });
    const media =
      typeof window.matchMedia === 'function' ? window.matchMedia('(prefers-color-scheme: dark)') : null;
    media?.addEventListener('change', bump);
    return () => {
      observer.disconnect();
      media?.removeEventListener('change', bump);
    };
  }, []);
  return version;
}

/** A scale's top: 10 % headroom, rounded up to 1, 2 or 5 × 10ⁿ; at least `floor`. */
export function niceCeiling(max: number | null, floor: number): number {
  const target = Math.max(floor, (max ?? 0) * 1.1);
  const magnitude = 10 ** Math.floor(Math.log10(target));
  for (const step of [1, 2, 5, 10]) if (step * magnitude >= target) return step * magnitude;
  return 10 * magnitude;
}

const numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 1 });

function formatValue(value: number | null | undefined, unit: string): string {
  return value == null ? '—' : `${numberFormat.format(value)}${unit}`;
}

function toAlignedData(series: LatencySeries): uPlot.AlignedData {
  return [series.t, series.p50, series.p99, series.eventsPerSecond];
}

function chartOptions(width: number, colors: ChartColors, xWindow: () => [number, number]): uPlot.Options {
  const axis = {
    stroke: colors.muted,
    grid: { stroke: colors.border, width: 1 },
    ticks: { stroke: colors.border, width: 1 },
    font: '12px system-ui, sans-serif',
    labelFont: '12px system-ui, sans-serif',
  };
  return {
    width,
    height: CHART_HEIGHT,
    // The window slides with time, so zooming by dragging would be undone a second later.
    cursor: { drag: { x: false, y: false, setScale: false } },
    legend: { show: true, live: true },
    scales: {
      x: { time: true, range: () => xWindow() },
      us: { range: (_u, _min, max) => [0, niceCeiling(max, 100)] },
      eps: { range: (_u, _min, max) => [0, niceCeiling(max, 10)] },
    },
    axes: [
      { ...axis },
      {
        ...axis,
        scale: 'us',
        label: 'µs',
        size: 56,
        values: (_u, splits) => splits.map((v) => numberFormat.format(v)),
      },
      {
        ...axis,
        scale: 'eps',
        side: 1,
        label: 'events/s',
        size: 56,
        grid: { show: false },
        values: (_u, splits) => splits.map((v) => numberFormat.format(v)),
      },
    ],
    series: [
      { value: (_u, v) => (v == null ? '—' : new Date(v * 1000).toLocaleTimeString()) },
      { label: 'p50', scale: 'us', stroke: colors.p50, width: 2, value: (_u, v) => formatValue(v, ' µs') },
      { label: 'p99', scale: 'us', stroke: colors.p99, width: 2, value: (_u, v) => formatValue(v, ' µs') },
      {
        label: 'events/s',
        scale: 'eps',
        stroke: colors.eventsPerSecond,
        width: 1.5,
        dash: [5, 4],
        value: (_u, v) => formatValue(v, ''),
      },
    ],
  };
}

export interface LatencyChartProps {
  series: LatencySeries;
  /** daemon clock minus local clock (ms), so the window ends at the daemon's "now" */
  clockOffsetMs: number;
}

export function LatencyChart({ series, clockOffsetMs }: LatencyChartProps) {
  const containerRef = useRef<HTMLDivElement>(null);
  const plotRef = useRef<uPlot | null>(null);
  const seriesRef = useRef(series);
  const offsetRef = useRef(clockOffsetMs);
  const [supported] = useState(canDrawCharts);
  const [failed, setFailed] = useState(false);
  const themeVersion = useThemeVersion();

  useEffect(() => {
    seriesRef.current = series;
    offsetRef.current = clockOffsetMs;
    const plot = plotRef.current;
    if (!plot) return;
    plot.setData(toAlignedData(series));
  }, [series, clockOffsetMs]);

  useEffect(() => {
    const container = containerRef.current;
    if (!supported || !container) return;
    const xWindow = (): [number, number] => {
      const now = (Date.now() + offsetRef.current) / 1000;
      return [now - LATENCY_WINDOW_SECONDS, now];
    };
    let cancelled = false;
    let plot: uPlot | null = null;
    let resizeObserver: ResizeObserver | null = null;
    import('uplot')
      .then(({ default: UPlot }) => {
        if (cancelled) return;
        const width = Math.max(200, Math.floor(container.clientWidth));
        plot = new UPlot(
          chartOptions(width, themeColors(container), xWindow),
          toAlignedData(seriesRef.current),
          container,
        );
        plotRef.current = plot;
        if (typeof ResizeObserver === 'function') {
          resizeObserver = new ResizeObserver(([entry]) => {
            const w = Math.max(200, Math.floor(entry.contentRect.width));
            if (plot && w !== plot.width) plot.setSize({ width: w, height: CHART_HEIGHT });
          });
          resizeObserver.observe(container);
        }
      })
      .catch(() => {
        if (!cancelled) setFailed(true);
      });
    // Slide the window once a second even when no report arrives (idle keyboard).
    const slide = window.setInterval(() => {
      const [min, max] = xWindow();
      plotRef.current?.setScale('x', { min, max });
    }, 1000);
    return () => {
      cancelled = true;
      window.clearInterval(slide);
      resizeObserver?.disconnect();
      plot?.destroy();
      plotRef.current = null;
    };
  }, [supported, themeVersion]);

  if (!supported || failed) {
    return (
      <p className="muted monitor-chart-fallback">
        The chart needs a canvas, which this browser does not provide; the figures above stay live.
      </p>
    );
  }
  return <div ref={containerRef} className="monitor-chart" aria-hidden="true" />;
}
