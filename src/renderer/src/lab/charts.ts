// ECharts options for the Profile view, built from the theme's colours. Pure: the same inputs give the same option.
import type { LutHeatmap, PredictionView } from './lut'
import type { OpBar } from './measurement'

/** Theme colours the charts use, read from the CSS variables of theme.css. */
export interface ChartPalette {
  text: string
  textMuted: string
  border: string
  surface: string
  surface2: string
  accent: string
  accentSoft: string
  ok: string
  warn: string
  danger: string
  font: string
}

export const FALLBACK_PALETTE: ChartPalette = {
  text: '#1a1f26',
  textMuted: '#59636f',
  border: '#dfe3e8',
  surface: '#ffffff',
  surface2: '#f0f2f5',
  accent: '#2f5bd3',
  accentSoft: '#e8eefc',
  ok: '#1d7f4e',
  warn: '#9a5b00',
  danger: '#b42318',
  font: 'system-ui, sans-serif'
}

type Option = Record<string, unknown>

function baseTextStyle(p: ChartPalette) {
  return { color: p.text, fontFamily: p.font, fontSize: 12 }
}

function valueAxis(p: ChartPalette, name: string, max?: number): Option {
  return {
    type: 'value',
    name,
    nameLocation: 'middle',
    nameGap: 36,
    nameTextStyle: { color: p.textMuted },
    min: 0,
    ...(max !== undefined ? { max } : {}),
    axisLine: { show: true, lineStyle: { color: p.border } },
    axisLabel: { color: p.textMuted },
    splitLine: { lineStyle: { color: p.border, opacity: 0.6 } }
  }
}

function tooltip(p: ChartPalette, extra: Option = {}): Option {
  return {
    backgroundColor: p.surface,
    borderColor: p.border,
    textStyle: { color: p.text, fontFamily: p.font, fontSize: 12 },
    ...extra
  }
}

/** '#rrggbb' (or '#rgb') → [r, g, b]; null for anything else. */
export function parseHex(color: string): [number, number, number] | null {
  const m = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.exec(color.trim())
  if (!m) return null
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1]
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16)) as [number, number, number]
}

/** The colour t of the way from a to b (0..1), as '#rrggbb'; a when either is not a hex colour. */
export function mixHex(a: string, b: string, t: number): string {
  const ca = parseHex(a)
  const cb = parseHex(b)
  if (!ca || !cb) return a
  const k = Math.min(1, Math.max(0, t))
  return '#' + ca.map((v, i) => Math.round(v + (cb[i] - v) * k).toString(16).padStart(2, '0')).join('')
}

/** WCAG relative luminance of a hex colour (0 black .. 1 white); 1 for unknown colours. */
export function luminance(color: string): number {
  const c = parseHex(color)
  if (!c) return 1
  const [r, g, b] = c.map((v) => {
    const s = v / 255
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4
  })
  return 0.2126 * r + 0.7152 * g + 0.0722 * b
}

/** Black-ish or white text, whichever reads better on the background. */
export function readableTextOn(background: string): string {
  return luminance(background) > 0.4 ? '#111418' : '#ffffff'
}

const ms = (v: number) => `${v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2)} ms`

export function heatmapOption(h: LutHeatmap, p: ChartPalette): Option {
  const span = h.maxMs - h.minMs
  // Each cell's label picks the text colour that reads on its own fill.
  const cells = h.cells.map(([x, y, v]) => ({
    value: [x, y, v],
    label: { color: readableTextOn(mixHex(p.accentSoft, p.accent, span > 0 ? (v - h.minMs) / span : 0)) }
  }))
  return {
    backgroundColor: 'transparent',
    textStyle: baseTextStyle(p),
    animation: false,
    grid: { left: 72, right: 24, top: 16, bottom: 84 },
    tooltip: tooltip(p, {
      position: 'top',
      formatter: (params: { value: [number, number, number] }) => {
        const [x, y, v] = params.value
        return `${h.rows[y]} · ${h.columns[x]}<br/><b>${ms(v)}</b> mean`
      }
    }),
    xAxis: {
      type: 'category',
      data: h.columns,
      name: 'Kernel and expansion',
      nameLocation: 'middle',
      nameGap: 28,
      nameTextStyle: { color: p.textMuted },
      axisLabel: { color: p.textMuted },
      axisLine: { lineStyle: { color: p.border } },
      splitArea: { show: false }
    },
    yAxis: {
      type: 'category',
      data: h.rows,
      inverse: true,
      axisLabel: { color: p.textMuted },
      axisLine: { lineStyle: { color: p.border } }
    },
    visualMap: {
      min: h.minMs,
      max: h.maxMs === h.minMs ? h.minMs + 1e-6 : h.maxMs,
      calculable: false,
      orient: 'horizontal',
      left: 'center',
      bottom: 0,
      itemWidth: 12,
      itemHeight: 160,
      text: [ms(h.maxMs), ms(h.minMs)],
      textStyle: { color: p.textMuted },
      inRange: { color: [p.accentSoft, p.accent] }
    },
    series: [
      {
        type: 'heatmap',
        name: 'Mean latency',
        data: cells,
        label: { show: true, fontSize: 11, formatter: (x: { value: [number, number, number] }) => x.value[2].toFixed(x.value[2] >= 10 ? 1 : 2) },
        itemStyle: { borderColor: p.surface, borderWidth: 2, borderRadius: 4 },
        emphasis: { itemStyle: { borderColor: p.text, borderWidth: 1 } }
      }
    ]
  }
}

/** The scatter's legend names carry the check's figures, so they travel with an exported PNG. */
export function predictionLegendName(v: PredictionView): string {
  return `${Math.round(v.within10Pct * 100)} % within ±10 % · RMSE ${ms(v.rmseMs)} · Kendall τ ${v.kendallTau.toFixed(2)}`
}

export function predictionOption(v: PredictionView, p: ChartPalette): Option {
  const max = v.axisMaxMs
  const pointName = predictionLegendName(v)
  return {
    backgroundColor: 'transparent',
    textStyle: baseTextStyle(p),
    animation: false,
    grid: { left: 64, right: 24, top: 16, bottom: 100 },
    legend: {
      bottom: 0,
      left: 0,
      itemGap: 14,
      textStyle: { color: p.text },
      data: [pointName, 'Outside ±10 %', 'y = x', '±10 % band']
    },
    tooltip: tooltip(p, {
      trigger: 'item',
      formatter: (params: { seriesName: string; value: [number, number] }) =>
        params.seriesName === 'y = x' || params.seriesName === '±10 % band' || params.seriesName === 'band-base'
          ? ''
          : `Predicted <b>${ms(params.value[0])}</b><br/>Measured <b>${ms(params.value[1])}</b>`
    }),
    xAxis: valueAxis(p, 'Predicted latency (ms)', max),
    yAxis: { ...valueAxis(p, 'Measured latency (ms)', max), nameGap: 44 },
    series: [
      // The band is a stacked pair: an invisible line at 0.9x and a filled 0.2x strip on top of it.
      { name: 'band-base', type: 'line', data: [[0, 0], [max, max * 0.9]], stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, silent: true, tooltip: { show: false } },
      {
        name: '±10 % band',
        type: 'line',
        data: [[0, 0], [max, max * 0.2]],
        stack: 'band',
        symbol: 'none',
        lineStyle: { opacity: 0 },
        areaStyle: { color: p.accent, opacity: 0.12 },
        itemStyle: { color: p.accentSoft },
        silent: true,
        tooltip: { show: false }
      },
      { name: 'y = x', type: 'line', data: [[0, 0], [max, max]], symbol: 'none', lineStyle: { color: p.textMuted, type: 'dashed', width: 1 }, itemStyle: { color: p.textMuted }, silent: true, tooltip: { show: false } },
      { name: pointName, type: 'scatter', data: v.points, symbolSize: 8, itemStyle: { color: p.accent, opacity: 0.85 } },
      { name: 'Outside ±10 %', type: 'scatter', data: v.outside, symbol: 'diamond', symbolSize: 9, itemStyle: { color: p.warn, opacity: 0.9 } }
    ]
  }
}

export function opBarsOption(bars: readonly OpBar[], p: ChartPalette): Option {
  // Slowest on top: a category y axis draws its first item at the bottom, so the order is reversed.
  const ordered = [...bars].reverse()
  return {
    backgroundColor: 'transparent',
    textStyle: baseTextStyle(p),
    animation: false,
    grid: { left: 8, right: 64, top: 8, bottom: 36, containLabel: true },
    tooltip: tooltip(p, {
      trigger: 'item',
      formatter: (params: { dataIndex: number }) => {
        const b = ordered[params.dataIndex]
        return `${b.label}<br/><b>${ms(b.avgMs)}</b>${b.percent !== null ? ` · ${b.percent.toFixed(1)} % of the run` : ''}`
      }
    }),
    xAxis: { ...valueAxis(p, 'Average time per run (ms)'), nameGap: 26 },
    yAxis: {
      type: 'category',
      data: ordered.map((b) => b.label),
      axisLabel: { color: p.text, width: 240, overflow: 'truncate' },
      axisLine: { lineStyle: { color: p.border } },
      axisTick: { show: false }
    },
    series: [
      {
        type: 'bar',
        name: 'Average time',
        data: ordered.map((b) => b.avgMs),
        barMaxWidth: 18,
        itemStyle: { color: p.accent, borderRadius: [0, 4, 4, 0] },
        label: { show: true, position: 'right', color: p.textMuted, formatter: (x: { value: number }) => ms(x.value) }
      }
    ]
  }
}
