// ECharts options of the Quantize view: accuracy and reward per episode, and the cost of each episode's policy
// against the budget. Pure functions of the report and the palette, so they follow the theme.
import type { QuantizeEpisode, QuantizeReport } from '../../../../shared/api'
import type { ChartPalette } from '../../lab/charts'

type Option = Record<string, unknown>

const axisStyle = (p: ChartPalette) => ({
  axisLine: { lineStyle: { color: p.border } },
  axisLabel: { color: p.textMuted },
  splitLine: { lineStyle: { color: p.border, opacity: 0.6 } },
  nameTextStyle: { color: p.textMuted }
})

const tooltipStyle = (p: ChartPalette) => ({ backgroundColor: p.surface, borderColor: p.border, textStyle: { color: p.text } })

/** The figure the budget limits, in the unit the chart shows (KB for size). */
export function costOf(e: QuantizeEpisode, metric: 'latency' | 'energy' | 'size'): number | null {
  if (metric === 'latency') return e.latencyMs
  if (metric === 'energy') return e.energyMj
  return e.sizeBytes / 1000
}

export function costAxisName(metric: 'latency' | 'energy' | 'size'): string {
  return metric === 'latency' ? 'Latency (ms)' : metric === 'energy' ? 'Energy (mJ)' : 'Size (KB)'
}

export function accuracyRewardOption(report: QuantizeReport, p: ChartPalette): Option {
  const x = (e: QuantizeEpisode) => e.episode + 1
  return {
    backgroundColor: 'transparent',
    animation: false,
    textStyle: { color: p.text, fontFamily: p.font },
    grid: { left: 52, right: 56, top: 30, bottom: 56 },
    legend: { bottom: 0, left: 0, textStyle: { color: p.text }, data: ['Accuracy', 'Reward', 'Warm-up (random)'] },
    tooltip: { trigger: 'axis', ...tooltipStyle(p) },
    xAxis: { type: 'value', minInterval: 1, min: 1, ...axisStyle(p) },
    yAxis: [
      { type: 'value', name: 'Accuracy (%)', scale: true, ...axisStyle(p) },
      { type: 'value', name: 'Reward', scale: true, ...axisStyle(p), splitLine: { show: false } }
    ],
    series: [
      { name: 'Accuracy', type: 'line', data: report.episodes.map((e) => [x(e), e.accuracy]), symbolSize: 6, itemStyle: { color: p.accent }, lineStyle: { color: p.accent, width: 2 } },
      { name: 'Reward', type: 'line', yAxisIndex: 1, data: report.episodes.map((e) => [x(e), e.reward]), symbolSize: 5, itemStyle: { color: p.ok }, lineStyle: { color: p.ok, width: 1.5, type: 'dashed' } },
      { name: 'Warm-up (random)', type: 'scatter', data: report.episodes.filter((e) => e.warmup).map((e) => [x(e), e.accuracy]), symbol: 'emptyCircle', symbolSize: 10, itemStyle: { color: p.textMuted } }
    ]
  }
}

export function costOption(report: QuantizeReport, p: ChartPalette): Option {
  const metric = report.budget?.metric ?? 'latency'
  const points = report.episodes.map((e) => [e.episode + 1, costOf(e, metric)]).filter((d) => d[1] !== null)
  const limit = report.budget?.limit ?? null
  const limitShown = limit === null ? null : metric === 'size' ? limit / 1000 : limit
  const last = Math.max(2, report.episodes.length)
  const baselines = report.results.filter((r) => r.role === 'baseline')
  const baselineValue = (name: string) => {
    const r = baselines.find((b) => b.name === name)
    if (!r) return null
    return metric === 'latency' ? r.latencyMs : metric === 'energy' ? r.energyMj : r.sizeBytes / 1000
  }
  const flat = (name: string, value: number | null, color: string, type: string) =>
    value === null ? [] : [{ name, type: 'line', data: [[1, value], [last, value]], symbol: 'none', lineStyle: { color, type, width: 1.5 }, itemStyle: { color }, tooltip: { show: false } }]
  const series = [
    { name: `Policy ${metric}${report.costSource === 'table' ? ' (table)' : ' (device)'}`, type: 'line', data: points, symbolSize: 6, itemStyle: { color: p.accent }, lineStyle: { color: p.accent, width: 2 } },
    ...flat('Budget', limitShown, p.danger, 'solid'),
    ...flat('fp32 measured', baselineValue('uniform fp32'), p.textMuted, 'dotted'),
    ...flat('int8 measured', baselineValue('uniform int8'), p.ok, 'dotted')
  ]
  return {
    backgroundColor: 'transparent',
    animation: false,
    textStyle: { color: p.text, fontFamily: p.font },
    grid: { left: 56, right: 20, top: 30, bottom: 56 },
    legend: { bottom: 0, left: 0, textStyle: { color: p.text } },
    tooltip: { trigger: 'axis', ...tooltipStyle(p) },
    xAxis: { type: 'value', minInterval: 1, min: 1, max: last, ...axisStyle(p) },
    yAxis: { type: 'value', name: costAxisName(metric), scale: true, ...axisStyle(p) },
    series
  }
}
