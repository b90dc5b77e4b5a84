// ECharts options of the Search view: loss and accuracy per step, the expected latency (or energy) against each
// search's target, and the op probabilities of every block. Pure functions of the history and the theme palette.
import type { SearchHistory, SearchHistoryPhase, SearchProbabilities } from '../../../../shared/api'
import { mixHex, readableTextOn, type ChartPalette } from '../../lab/charts'

type Option = Record<string, unknown>

const axisStyle = (p: ChartPalette) => ({
  axisLine: { lineStyle: { color: p.border } },
  axisLabel: { color: p.textMuted },
  splitLine: { lineStyle: { color: p.border, opacity: 0.6 } },
  nameTextStyle: { color: p.textMuted }
})
const tooltipStyle = (p: ChartPalette) => ({ backgroundColor: p.surface, borderColor: p.border, textStyle: { color: p.text, fontSize: 12 } })
const base = (p: ChartPalette) => ({ backgroundColor: 'transparent', animation: false, textStyle: { color: p.text, fontFamily: p.font, fontSize: 12 } })

export const PHASE_NAMES: Record<SearchHistoryPhase['kind'], string> = { warmup: 'Warm-up', search: 'Search', retrain: 'Retrain', baseline: 'Baseline' }

/** Each phase's span of steps [first, last], for shading and for drawing a target across its search. */
export function phaseSpans(h: Pick<SearchHistory, 'phases' | 'points'>): { phase: number; info: SearchHistoryPhase; from: number; to: number }[] {
  const spans: { phase: number; info: SearchHistoryPhase; from: number; to: number }[] = []
  for (const pt of h.points) {
    const info = h.phases[pt.phase]
    if (!info) continue
    const last = spans.at(-1)
    if (last && last.phase === pt.phase) last.to = pt.step
    else spans.push({ phase: pt.phase, info, from: info.firstStep, to: pt.step })
  }
  return spans
}

/** Loss (left axis) and training accuracy in % (right axis) per step; search phases shaded. */
export function trainingOption(h: Pick<SearchHistory, 'phases' | 'points'>, p: ChartPalette): Option {
  const spans = phaseSpans(h)
  const shade = mixHex(p.surface, p.accent, 0.08)
  return {
    ...base(p),
    grid: { left: 48, right: 52, top: 34, bottom: 52 },
    legend: { bottom: 0, left: 0, textStyle: { color: p.text }, data: ['Loss', 'Accuracy'] },
    tooltip: {
      trigger: 'axis',
      ...tooltipStyle(p),
      formatter: (items: { seriesName: string; value: [number, number]; dataIndex: number }[]) => {
        if (items.length === 0) return ''
        const step = items[0].value[0]
        const span = spans.find((s) => step >= s.from && step <= s.to)
        return [`Step ${step}${span ? ` · ${span.info.label}` : ''}`, ...items.map((i) => `${i.seriesName} <b>${i.seriesName === 'Accuracy' ? `${i.value[1].toFixed(1)} %` : i.value[1].toFixed(3)}</b>`)].join('<br/>')
      }
    },
    xAxis: { type: 'value', name: 'Step', nameLocation: 'middle', nameGap: 26, min: 0, minInterval: 1, ...axisStyle(p) },
    yAxis: [
      { type: 'value', name: 'Loss', scale: true, ...axisStyle(p) },
      { type: 'value', name: 'Accuracy (%)', min: 0, max: 100, ...axisStyle(p), splitLine: { show: false } }
    ],
    series: [
      {
        name: 'Loss',
        type: 'line',
        data: h.points.map((pt) => [pt.step, pt.loss]),
        showSymbol: false,
        itemStyle: { color: p.accent },
        lineStyle: { color: p.accent, width: 2 },
        markArea: {
          silent: true,
          itemStyle: { color: shade },
          label: { color: p.textMuted, fontSize: 11, position: 'insideTop' },
          data: spans.filter((s) => s.info.kind === 'search').map((s) => [{ name: 'search', xAxis: s.from }, { xAxis: s.to }])
        }
      },
      { name: 'Accuracy', type: 'line', yAxisIndex: 1, data: h.points.map((pt) => [pt.step, pt.accuracy * 100]), showSymbol: false, itemStyle: { color: p.ok }, lineStyle: { color: p.ok, width: 1.5 } }
    ]
  }
}

/** E[latency] or E[energy] of α per step during the searches, each with its target as a dashed line across it. */
export function expectedCostOption(h: Pick<SearchHistory, 'phases' | 'points' | 'unit' | 'objective'>, p: ChartPalette): Option {
  const spans = phaseSpans(h).filter((s) => s.info.kind === 'search')
  const what = h.objective === 'energy' ? 'energy' : 'latency'
  const costName = `Expected ${what}`
  const series: Option[] = spans.map((s, i) => ({
    name: costName,
    type: 'line',
    data: h.points.filter((pt) => pt.phase === s.phase && pt.expectedCost !== null).map((pt) => [pt.step, pt.expectedCost]),
    showSymbol: false,
    itemStyle: { color: p.accent },
    lineStyle: { color: p.accent, width: 2 },
    z: 3,
    id: `cost-${i}`
  }))
  for (const [i, s] of spans.entries()) {
    if (s.info.target === null) continue
    series.push({
      name: 'Target',
      type: 'line',
      data: [
        [s.from, s.info.target],
        [Math.max(s.to, s.from + 1), s.info.target]
      ],
      symbol: 'none',
      lineStyle: { color: p.danger, type: 'dashed', width: 1.5 },
      itemStyle: { color: p.danger },
      id: `target-${i}`
    })
  }
  return {
    ...base(p),
    grid: { left: 56, right: 20, top: 34, bottom: 52 },
    legend: { bottom: 0, left: 0, textStyle: { color: p.text }, data: [costName, 'Target'] },
    tooltip: { trigger: 'axis', ...tooltipStyle(p), valueFormatter: (v: number) => `${Number(v).toFixed(3)} ${h.unit}` },
    xAxis: { type: 'value', name: 'Step', nameLocation: 'middle', nameGap: 26, minInterval: 1, scale: true, ...axisStyle(p) },
    yAxis: { type: 'value', name: `${what[0].toUpperCase()}${what.slice(1)} (${h.unit})`, scale: true, ...axisStyle(p) },
    series
  }
}

/** Ops in a fixed order (kernel, then expansion, skip last), whatever order the blocks list them in. */
export function opOrder(ops: readonly (readonly string[])[]): string[] {
  const all = [...new Set(ops.flat())]
  const rank = (op: string) => (op === 'zero' ? 1e6 : Number(/^k(\d+)e(\d+)$/.exec(op)?.[1] ?? 99) * 100 + Number(/^k(\d+)e(\d+)$/.exec(op)?.[2] ?? 99))
  return all.sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
}

export const opLabel = (op: string): string => (op === 'zero' ? 'skip' : op)

/** Blocks × ops heatmap of p; an op a block does not offer has no cell, the likeliest op of each block is outlined. */
export function probabilitiesOption(probs: Pick<SearchProbabilities, 'ops' | 'values'>, p: ChartPalette): Option {
  const ops = opOrder(probs.ops)
  const blocks = probs.ops.map((_, b) => `B${b + 1}`)
  const cells = probs.ops.flatMap((row, b) => {
    const best = probs.values[b].reduce((k, v, j, all) => (v > all[k] ? j : k), 0)
    return row.map((op, j) => {
      const v = probs.values[b][j]
      return {
        value: [b, ops.indexOf(op), v],
        label: { color: readableTextOn(mixHex(p.accentSoft, p.accent, v)) },
        itemStyle: j === best ? { borderColor: p.text, borderWidth: 1.5 } : {}
      }
    })
  })
  return {
    ...base(p),
    grid: { left: 52, right: 16, top: 10, bottom: 58 },
    tooltip: {
      ...tooltipStyle(p),
      position: 'top',
      formatter: (x: { value: [number, number, number] }) => `Block ${x.value[0] + 1} · ${opLabel(ops[x.value[1]])}<br/>p = <b>${x.value[2].toFixed(3)}</b>`
    },
    xAxis: { type: 'category', data: blocks, name: 'Block', nameLocation: 'middle', nameGap: 24, axisLabel: { color: p.textMuted }, axisLine: { lineStyle: { color: p.border } }, nameTextStyle: { color: p.textMuted } },
    yAxis: { type: 'category', data: ops.map(opLabel), inverse: true, axisLabel: { color: p.textMuted }, axisLine: { lineStyle: { color: p.border } } },
    visualMap: { min: 0, max: 1, show: false, inRange: { color: [p.accentSoft, p.accent] } },
    series: [
      {
        type: 'heatmap',
        name: 'Probability',
        data: cells,
        label: { show: true, fontSize: 10, formatter: (x: { value: [number, number, number] }) => (x.value[2] >= 0.995 ? '1' : x.value[2].toFixed(2).replace(/^0/, '')) },
        itemStyle: { borderColor: p.surface, borderWidth: 2, borderRadius: 3 },
        emphasis: { itemStyle: { borderColor: p.text, borderWidth: 1 } }
      }
    ]
  }
}
