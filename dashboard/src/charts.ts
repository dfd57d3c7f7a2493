/**
 * ECharts, trimmed to what the dashboard draws (bar and line charts, grid, tooltip, legend,
 * mark lines) through `echarts/core`, so the bundle carries a fraction of the full library.
 * The SVG renderer: crisp at any zoom and on phones, and its text is in the DOM (the browser
 * test reads axis labels; screen readers get an aria-label per chart instead).
 */
import { BarChart, LineChart, type BarSeriesOption, type LineSeriesOption } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  type GridComponentOption,
  type LegendComponentOption,
  type MarkLineComponentOption,
  type TooltipComponentOption,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { clock, dateTime, pct, pctValue } from './format.ts';
import { t } from './i18n.ts';

echarts.use([
  BarChart,
  LineChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
  SVGRenderer,
]);

type Option = echarts.ComposeOption<
  | BarSeriesOption
  | LineSeriesOption
  | GridComponentOption
  | LegendComponentOption
  | MarkLineComponentOption
  | TooltipComponentOption
>;

/** The same stack as app.css: charts are SVG text and need the CJK fallbacks too. */
export const FONT =
  'system-ui, -apple-system, "Segoe UI", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", sans-serif';

const COLOR = {
  meets: '#15803d',
  below: '#c2410c',
  empty: '#cbd5e1',
  target: '#b91c1c',
  line: '#1d4ed8',
  axis: '#475569',
  grid: '#e2e8f0',
};
const PALETTE = ['#1d4ed8', '#15803d', '#c2410c', '#7c3aed', '#0e7490', '#be185d', '#4d7c0f', '#a16207'];

/** Time axis labels that read the same in both languages (ECharts' defaults are English month names). */
const TIME_LABELS = {
  year: '{yyyy}',
  month: '{yyyy}-{MM}',
  day: '{MM}-{dd}',
  hour: '{HH}:{mm}',
  minute: '{HH}:{mm}',
  second: '{HH}:{mm}:{ss}',
  millisecond: '{HH}:{mm}:{ss}',
};

/** One chart bound to a host element; resizes with it and frees itself on dispose. */
export class Chart {
  readonly #chart: echarts.ECharts;
  readonly #observer: ResizeObserver;

  constructor(readonly host: HTMLElement) {
    host.setAttribute('role', 'img');
    this.#chart = echarts.init(host, undefined, { renderer: 'svg' });
    this.#observer = new ResizeObserver(() => this.#chart.resize());
    this.#observer.observe(host);
  }

  /** Replaces the whole option (no merging: rows may disappear) and the accessible summary. */
  set(option: Option, summary: string): void {
    this.host.setAttribute('aria-label', summary);
    this.#chart.setOption({ textStyle: { fontFamily: FONT }, ...option }, { notMerge: true });
  }

  dispose(): void {
    this.#observer.disconnect();
    this.#chart.dispose();
  }
}

function targetLine(target: number, axis: 'x' | 'y'): MarkLineComponentOption {
  const value = pctValue(target) ?? 50;
  return {
    silent: true,
    animation: false,
    symbol: 'none',
    lineStyle: { color: COLOR.target, type: 'dashed', width: 2 },
    label: {
      formatter: t('chart.target', { value: pct(target) }),
      color: COLOR.target,
      fontWeight: 'bold',
      fontFamily: FONT,
      // Vertical line (bars): below the last bar, clear of the value axis on top.
      position: axis === 'x' ? 'end' : 'insideEndTop',
    },
    data: [axis === 'x' ? { xAxis: value } : { yAxis: value }],
  };
}

/** Tooltip formatters return HTML: names from the ledger must go in as text. */
function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface BarRow {
  name: string;
  rate: number | null;
  networked: number;
  digital: number;
}

/** Rows per bar chart height: every name stays readable at 13 px. */
export function barHeight(rows: number): number {
  return Math.max(140, rows * 30 + 64);
}

/** Horizontal bars of networked rates (0–100%) against the target line. */
export function rateBars(rows: readonly BarRow[], target: number): Option {
  const labels = rows.map((r) => (r.rate === null ? t('chart.noDevices') : pct(r.rate)));
  return {
    animation: false, // a live page redraws often; growing bars on every refresh would only distract
    grid: { left: 8, right: 56, top: 28, bottom: 28, containLabel: true },
    tooltip: {
      trigger: 'item',
      formatter: (p: unknown) => {
        const i = (p as { dataIndex: number }).dataIndex;
        const r = rows[i];
        return r ? `${escapeHtml(r.name)}<br/>${labels[i] ?? ''} (${r.networked}/${r.digital})` : '';
      },
    },
    xAxis: {
      type: 'value',
      min: 0,
      max: 100,
      position: 'top',
      axisLabel: { formatter: '{value}%', color: COLOR.axis },
      splitLine: { lineStyle: { color: COLOR.grid } },
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rows.map((r) => r.name),
      axisLabel: { color: '#1e293b', fontSize: 13 },
      axisTick: { show: false },
      axisLine: { lineStyle: { color: COLOR.grid } },
    },
    series: [
      {
        type: 'bar',
        barMaxWidth: 18,
        data: rows.map((r) => ({
          value: pctValue(r.rate) ?? 0,
          itemStyle: {
            color: r.rate === null ? COLOR.empty : r.rate >= target ? COLOR.meets : COLOR.below,
            borderRadius: [0, 3, 3, 0],
          },
        })),
        label: {
          show: true,
          position: 'right',
          color: '#1e293b',
          formatter: (p: unknown) => labels[(p as { dataIndex: number }).dataIndex] ?? '',
        },
        markLine: targetLine(target, 'x'),
      },
    ],
  };
}

/**
 * Province rate per sub-window, drawn as steps: each sub-window's rate holds from its start to
 * its end (one more point at the window's end closes the last step).
 */
export function trendLine(
  points: readonly [number, number | null][],
  target: number,
  stepMs: number,
): Option {
  const short = stepMs < 3_600_000; // sub-windows within a day: the end needs only its clock time
  return {
    animation: false,
    grid: { left: 8, right: 24, top: 24, bottom: 8, containLabel: true },
    tooltip: {
      trigger: 'axis',
      formatter: (ps: unknown) => {
        const p = (ps as { dataIndex: number; value: [number, number | null] }[])[0];
        if (!p) return '';
        const [at, v] = p.value;
        const time = p.dataIndex >= points.length ? at - stepMs : at; // the closing point: the last sub-window
        return `${dateTime(time)} – ${short ? clock(time + stepMs) : dateTime(time + stepMs)}<br/>${t('chart.rate')}: ${v === null ? t('common.none') : `${v.toFixed(1)}%`}`;
      },
    },
    xAxis: {
      type: 'time',
      axisLabel: { color: COLOR.axis, hideOverlap: true, formatter: TIME_LABELS },
      axisLine: { lineStyle: { color: COLOR.grid } },
    },
    yAxis: {
      type: 'value',
      min: 0,
      max: 100,
      axisLabel: { formatter: '{value}%', color: COLOR.axis },
      splitLine: { lineStyle: { color: COLOR.grid } },
    },
    series: [
      {
        type: 'line',
        name: t('chart.rate'),
        step: 'end',
        data: [
          ...points.map(([time, v]) => ({ value: [time, pctValue(v)] })),
          ...points.slice(-1).map(([time, v]) => ({ value: [time + stepMs, pctValue(v)], symbol: 'none' })),
        ],
        connectNulls: false,
        symbolSize: 5,
        lineStyle: { color: COLOR.line, width: 2 },
        itemStyle: { color: COLOR.line },
        areaStyle: { color: 'rgba(29, 78, 216, 0.08)' },
        markLine: targetLine(target, 'y'),
      },
    ],
  };
}

type Point = { time: number; value: number | boolean | string | null; good: boolean };

/** A device's metrics over time; booleans as 0/1, text and bad-quality values as gaps. */
export function seriesLines(series: readonly { metric: string; points: readonly Point[] }[]): Option {
  const numeric = series.filter((s) =>
    s.points.some((p) => typeof p.value === 'number' || typeof p.value === 'boolean'),
  );
  return {
    color: PALETTE,
    animation: false,
    grid: { left: 8, right: 24, top: numeric.length > 1 ? 40 : 16, bottom: 8, containLabel: true },
    legend: numeric.length > 1 ? { top: 0, type: 'scroll' } : { show: false },
    tooltip: { trigger: 'axis' },
    xAxis: { type: 'time', axisLabel: { color: COLOR.axis, hideOverlap: true, formatter: TIME_LABELS } },
    yAxis: {
      type: 'value',
      scale: true,
      axisLabel: { color: COLOR.axis },
      splitLine: { lineStyle: { color: COLOR.grid } },
    },
    series: numeric.map((s) => ({
      type: 'line',
      name: s.metric,
      showSymbol: s.points.length < 40,
      connectNulls: false,
      data: s.points.map((p) => [
        p.time,
        !p.good
          ? null
          : typeof p.value === 'boolean'
            ? Number(p.value)
            : typeof p.value === 'number'
              ? p.value
              : null,
      ]),
    })),
  };
}
