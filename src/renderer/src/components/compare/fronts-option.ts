// The Compare chart as an ECharts option: accuracy against latency or energy, per run its points (dominated ones
// faded) and its front as a step line, a third figure as colour or size. Pure: same inputs, same option.
import type { CompareFronts, ComparePoint, RunFront } from '../../../../shared/contract/compare'
import type { ChartTheme } from './chart-theme'

export type ThirdFigure = 'none' | 'size' | 'macs' | 'other'
export type ThirdEncoding = 'colour' | 'size'

export interface FrontsChartSettings {
  logX: boolean
  third: ThirdFigure
  encoding: ThirdEncoding
}

type Option = Record<string, unknown>

const SYMBOLS = ['circle', 'diamond', 'triangle', 'rect', 'roundRect', 'pin', 'arrow']

export function formatValue(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–'
  const a = Math.abs(v)
  if (a >= 1e9) return `${(v / 1e9).toPrecision(digits)} G`
  if (a >= 1e6) return `${(v / 1e6).toPrecision(digits)} M`
  if (a >= 1e4) return `${(v / 1e3).toPrecision(digits)} k`
  if (a > 0 && a < 1e-3) return v.toExponential(2)
  return String(Number(v.toPrecision(digits)))
}

export function formatAccuracy(v: number): string {
  return v <= 1 ? `${(v * 100).toFixed(1)} %` : v.toFixed(2)
}

export function thirdLabel(third: ThirdFigure, objective: CompareFronts['objective']): string {
  if (third === 'size') return 'Size (KiB)'
  if (third === 'macs') return 'MACs (M)'
  if (third === 'other') return objective === 'latency' ? 'Energy (mJ)' : 'Latency (ms)'
  return ''
}

export function thirdValue(p: ComparePoint, third: ThirdFigure, objective: CompareFronts['objective']): number | null {
  if (third === 'size') return p.sizeBytes / 1024
  if (third === 'macs') return p.macs / 1e6
  if (third === 'other') return objective === 'latency' ? p.energyMj : p.latencyMs
  return null
}

export function xLabel(f: Pick<CompareFronts, 'objective' | 'xAxis' | 'xUnit'>): string {
  return `${f.xAxis === 'measured' ? 'Measured' : 'Predicted'} ${f.objective} (${f.xUnit})`
}

export function legendName(run: RunFront): string {
  return `${run.name} · HV ${formatValue(run.hypervolume)}`
}

export interface BuiltFrontsChart {
  option: Option
  /** The candidate drawn at (seriesIndex, dataIndex), or null for a line. */
  pointAt(seriesIndex: number, dataIndex: number): { run: RunFront; point: ComparePoint } | null
}

export function buildFrontsChart(fronts: CompareFronts, settings: FrontsChartSettings, theme: ChartTheme): BuiltFrontsChart {
  const series: Option[] = []
  const lookup: Array<{ run: RunFront; points: ComparePoint[] } | null> = []
  const scatterIndices: number[] = []
  const third = settings.third
  const thirdValues = fronts.runs.flatMap((r) => r.points.map((p) => thirdValue(p, third, fronts.objective))).filter((v): v is number => v !== null)
  const tMin = thirdValues.length ? Math.min(...thirdValues) : 0
  const tMax = thirdValues.length ? Math.max(...thirdValues) : 1
  const useColour = third !== 'none' && settings.encoding === 'colour' && thirdValues.length > 0
  const useSize = third !== 'none' && settings.encoding === 'size' && thirdValues.length > 0
  const sizeOf = (t: number, base: number) => (useSize ? 4 + 14 * ((t - tMin) / (tMax - tMin || 1)) : base)

  fronts.runs.forEach((run, i) => {
    const colour = theme.series[i % theme.series.length]
    const name = legendName(run)
    const symbol = useColour ? SYMBOLS[i % SYMBOLS.length] : 'circle'
    const onFront = new Set(run.front)
    const front = run.points.filter((p) => onFront.has(p.candidateId))
    const dominated = run.points.filter((p) => !onFront.has(p.candidateId))
    const toData = (points: ComparePoint[]) => points.map((p) => [p.x, p.accuracy, thirdValue(p, third, fronts.objective) ?? tMin])
    // The front series comes first: the legend takes its icon from the first series of a name.
    for (const [points, isFront] of [
      [front, true],
      [dominated, false]
    ] as const) {
      scatterIndices.push(series.length)
      lookup.push({ run, points })
      series.push({
        type: 'scatter',
        name,
        data: toData(points),
        symbol,
        symbolSize: (value: number[]) => sizeOf(value[2], isFront ? 9 : 6),
        itemStyle: { color: colour, opacity: isFront ? 0.95 : 0.3, borderColor: isFront ? theme.surface : undefined, borderWidth: isFront ? 1 : 0 },
        emphasis: { scale: 1.6, itemStyle: { opacity: 1 } },
        z: isFront ? 4 : 2
      })
    }
    lookup.push(null)
    series.push({
      type: 'line',
      name,
      data: run.step,
      symbol: 'none',
      silent: true,
      lineStyle: { color: colour, width: 2 },
      itemStyle: { color: colour },
      tooltip: { show: false },
      z: 3
    })
  })

  const accuracies = fronts.runs.flatMap((r) => r.points.map((p) => p.accuracy))
  const percent = accuracies.length > 0 && Math.max(...accuracies) <= 1
  const axisCommon = {
    nameLocation: 'middle',
    nameTextStyle: { color: theme.textMuted },
    axisLine: { show: true, lineStyle: { color: theme.border } },
    axisLabel: { color: theme.textMuted },
    splitLine: { lineStyle: { color: theme.border, opacity: 0.7 } }
  }
  const option: Option = {
    backgroundColor: 'transparent',
    animation: false,
    textStyle: { color: theme.text, fontFamily: theme.font, fontSize: 12 },
    grid: { left: 64, right: useColour ? 72 : 24, top: 16 + 22 * Math.ceil(fronts.runs.length / 2), bottom: 52 },
    legend: {
      top: 0,
      left: 0,
      type: 'plain',
      textStyle: { color: theme.text },
      data: fronts.runs.map((r, i) => ({ name: legendName(r), icon: useColour ? SYMBOLS[i % SYMBOLS.length] : 'circle' }))
    },
    tooltip: {
      trigger: 'item',
      backgroundColor: theme.surface,
      borderColor: theme.border,
      textStyle: { color: theme.text, fontFamily: theme.font, fontSize: 12 },
      formatter: (params: { seriesIndex: number; dataIndex: number }) => {
        const hit = lookup[params.seriesIndex]
        const p = hit?.points[params.dataIndex]
        if (!hit || !p) return ''
        return [
          `<b>${escapeHtml(p.name)}</b> · ${escapeHtml(hit.run.name)}`,
          `Accuracy <b>${formatAccuracy(p.accuracy)}</b>`,
          `Latency ${formatValue(p.latencyMs)} ms${p.predictedLatencyMs !== null ? ` (predicted ${formatValue(p.predictedLatencyMs)})` : ''}`,
          `Energy ${formatValue(p.energyMj)} mJ`,
          `Size ${formatValue(p.sizeBytes / 1024)} KiB · ${formatValue(p.macs)} MACs`,
          p.dominated ? `<span style="color:${theme.textMuted}">Dominated (rank ${p.rank})</span>` : `<span style="color:${theme.ok}">On the front</span>`,
          `<span style="color:${theme.textMuted}">Click to open</span>`
        ].join('<br/>')
      }
    },
    xAxis: { ...axisCommon, type: settings.logX ? 'log' : 'value', name: xLabel(fronts), nameGap: 30, scale: true },
    yAxis: {
      ...axisCommon,
      type: 'value',
      name: 'Accuracy',
      nameGap: 46,
      scale: true,
      axisLabel: { color: theme.textMuted, formatter: (v: number) => (percent ? `${Number((v * 100).toFixed(1))} %` : formatValue(v)) }
    },
    dataZoom: [
      { type: 'inside', xAxisIndex: 0, filterMode: 'none' },
      { type: 'inside', yAxisIndex: 0, filterMode: 'none' }
    ],
    series
  }
  if (useColour) {
    option.visualMap = {
      type: 'continuous',
      dimension: 2,
      seriesIndex: scatterIndices,
      min: tMin,
      max: tMax > tMin ? tMax : tMin + 1,
      right: 0,
      top: 'middle',
      itemHeight: 140,
      itemWidth: 12,
      calculable: false,
      text: [formatValue(tMax), formatValue(tMin)],
      textStyle: { color: theme.textMuted, fontSize: 11 },
      inRange: { color: ['#3b82f6', '#22c55e', '#eab308', '#ef4444'] }
    }
  }
  return {
    option,
    pointAt(seriesIndex, dataIndex) {
      const hit = lookup[seriesIndex]
      const point = hit?.points[dataIndex]
      return hit && point ? { run: hit.run, point } : null
    }
  }
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] as string)
}
