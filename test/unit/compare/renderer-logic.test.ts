// Logic of the Runs, Compare and candidate stores and of the Compare chart option (no DOM needed).
import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { CompareFronts, RunSummary } from '../../../src/shared/api'
import { architectureBlocks, measurementWithOps, precisionLayers, predictionError, wholeModelPrecisionText } from '../../../src/renderer/src/stores/candidates'
import { namedPairs, parseRunIds } from '../../../src/renderer/src/stores/compare'
import { EMPTY_FILTER, filterAndSortRuns, parseTags, runDurationMs, type RunSortKey } from '../../../src/renderer/src/stores/runs'
import { buildFrontsChart, legendName } from '../../../src/renderer/src/components/compare/fronts-option'
import { FALLBACK_THEME } from '../../../src/renderer/src/components/compare/chart-theme'
import { tableCsv, tableJson } from '../../../src/renderer/src/components/compare/download'
import { parseCsv } from '../../../src/main/compare/csv'

function run(p: Partial<RunSummary> & { id: string }): RunSummary {
  return { kind: 'search', name: p.id, deviceSerial: 'phone-a', status: 'succeeded', createdAt: 0, finishedAt: null, tags: [], settings: null, figures: {}, ...p }
}
const LABELS: Record<string, string> = { 'phone-a': 'Pixel 7', 'phone-b': 'Galaxy A52' }
const label = (s: string | null) => LABELS[s ?? ''] ?? 'This computer'

describe('runs list', () => {
  const list = [
    run({ id: 'r1', name: 'Latency search', createdAt: 1, finishedAt: 1001, tags: ['baseline'] }),
    run({ id: 'r2', name: 'Energy search', kind: 'search', deviceSerial: 'phone-b', createdAt: 2, status: 'failed' }),
    run({ id: 'r3', name: 'HAQ', kind: 'quantize', createdAt: 3, finishedAt: 103 }),
    run({ id: 'r4', name: 'Profile', kind: 'profile', deviceSerial: null, createdAt: 4, finishedAt: 5004 })
  ]
  const newest = { key: 'createdAt', dir: 'desc' } as const

  it('filters by kind, device, status and words (name, tag, device label)', () => {
    expect(filterAndSortRuns(list, { ...EMPTY_FILTER, kind: 'search' }, newest, label).map((r) => r.id)).toEqual(['r2', 'r1'])
    expect(filterAndSortRuns(list, { ...EMPTY_FILTER, device: 'host' }, newest, label).map((r) => r.id)).toEqual(['r4'])
    expect(filterAndSortRuns(list, { ...EMPTY_FILTER, status: 'failed' }, newest, label).map((r) => r.id)).toEqual(['r2'])
    expect(filterAndSortRuns(list, { ...EMPTY_FILTER, text: 'galaxy' }, newest, label).map((r) => r.id)).toEqual(['r2'])
    expect(filterAndSortRuns(list, { ...EMPTY_FILTER, text: 'BASELINE search' }, newest, label).map((r) => r.id)).toEqual(['r1'])
  })

  it('sorts by name, device and duration (running runs last when shortest first)', () => {
    expect(filterAndSortRuns(list, EMPTY_FILTER, { key: 'name', dir: 'asc' }, label).map((r) => r.name)).toEqual(['Energy search', 'HAQ', 'Latency search', 'Profile'])
    expect(filterAndSortRuns(list, EMPTY_FILTER, { key: 'duration', dir: 'asc' }, label).map((r) => r.id)).toEqual(['r3', 'r1', 'r4', 'r2'])
    expect(filterAndSortRuns(list, EMPTY_FILTER, { key: 'device', dir: 'asc' }, label).map((r) => r.id)).toEqual(['r2', 'r3', 'r1', 'r4'])
    expect(runDurationMs(list[0])).toBe(1000)
    expect(runDurationMs(list[1])).toBeNull()
  })

  it('sorting keeps every run, and filtering keeps only runs of the list', () => {
    const keys: RunSortKey[] = ['createdAt', 'name', 'kind', 'device', 'status', 'duration']
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.constantFrom<'asc' | 'desc'>('asc', 'desc'), fc.string(), (key, dir, text) => {
        const all = filterAndSortRuns(list, EMPTY_FILTER, { key, dir }, label)
        expect(all.map((r) => r.id).sort()).toEqual(['r1', 'r2', 'r3', 'r4'])
        const some = filterAndSortRuns(list, { ...EMPTY_FILTER, text }, { key, dir }, label)
        expect(some.every((r) => list.includes(r))).toBe(true)
      })
    )
  })

  it('reads tags from a comma list', () => {
    expect(parseTags(' fast, pixel ,, fast ')).toEqual(['fast', 'pixel'])
  })
})

describe('compare state', () => {
  it('reads chosen runs from the address', () => {
    expect(parseRunIds('a, b,a,,c')).toEqual(['a', 'b', 'c'])
    expect(parseRunIds(['a', 'b'])).toEqual(['a', 'b'])
    expect(parseRunIds(undefined)).toEqual([])
  })
})

const fronts: CompareFronts = {
  objective: 'latency',
  xAxis: 'measured',
  xUnit: 'ms',
  reference: [40, 0.5],
  runs: [
    {
      runId: 'r1',
      name: 'A',
      kind: 'search',
      deviceSerial: 'phone-a',
      deviceLabel: 'Pixel 7',
      points: [
        { candidateId: 'c1', name: 'c1', accuracy: 0.8, x: 10, latencyMs: 10, energyMj: 12, predictedLatencyMs: 9, predictedEnergyMj: null, sizeBytes: 2048, macs: 1e6, rank: 0, dominated: false },
        { candidateId: 'c2', name: 'c2', accuracy: 0.7, x: 20, latencyMs: 20, energyMj: null, predictedLatencyMs: null, predictedEnergyMj: null, sizeBytes: 4096, macs: 2e6, rank: 1, dominated: true },
        { candidateId: 'c3', name: 'c3', accuracy: 0.9, x: 30, latencyMs: 30, energyMj: 40, predictedLatencyMs: 31, predictedEnergyMj: null, sizeBytes: 8192, macs: 3e6, rank: 0, dominated: false }
      ],
      front: ['c1', 'c3'],
      step: [
        [10, 0.5],
        [10, 0.8],
        [30, 0.8],
        [30, 0.9],
        [40, 0.9]
      ],
      hypervolume: 9,
      missing: 0
    },
    { runId: 'r2', name: 'B', kind: 'quantize', deviceSerial: 'phone-b', deviceLabel: 'Galaxy', points: [], front: [], step: [], hypervolume: 0, missing: 2 }
  ],
  attainment: [{ runA: 'r1', runB: 'r2', hypervolumeA: 9, hypervolumeB: 0, hypervolumeUnion: 9, addedByA: 9, addedByB: 0, coverageAB: 0, coverageBA: 0, bFrontDominatedByA: 0, aFrontDominatedByB: 0 }]
}

describe('Compare chart option', () => {
  it('draws per run a front series, a faded dominated series and the step line, and maps clicks back to candidates', () => {
    const built = buildFrontsChart(fronts, { logX: false, third: 'size', encoding: 'colour' }, FALLBACK_THEME)
    const series = built.option.series as { type: string; name: string; data: unknown[]; itemStyle?: { opacity?: number } }[]
    expect(series.map((s) => s.type)).toEqual(['scatter', 'scatter', 'line', 'scatter', 'scatter', 'line'])
    expect(series[0].data).toHaveLength(2) // the front comes first
    expect(series[1].itemStyle!.opacity!).toBeLessThan(series[0].itemStyle!.opacity!)
    expect(series[2].data).toEqual(fronts.runs[0].step)
    expect(built.pointAt(1, 0)?.point.candidateId).toBe('c2')
    expect(built.pointAt(0, 1)?.point.candidateId).toBe('c3')
    expect(built.pointAt(2, 0)).toBeNull()
    expect(series[0].name).toBe(legendName(fronts.runs[0]))
    expect(legendName(fronts.runs[0])).toContain('HV 9')
    expect(built.option.visualMap).toMatchObject({ dimension: 2, min: 2, max: 8 })
  })

  it('a log axis and size encoding change the axis type and drop the colour map', () => {
    const built = buildFrontsChart(fronts, { logX: true, third: 'macs', encoding: 'size' }, FALLBACK_THEME)
    expect((built.option.xAxis as { type: string }).type).toBe('log')
    expect(built.option.visualMap).toBeUndefined()
    const sizeOf = (built.option.series as { symbolSize: (v: number[]) => number }[])[0].symbolSize
    expect(sizeOf([10, 0.8, 3])).toBeGreaterThan(sizeOf([10, 0.8, 1]))
  })

  it('names attainment pairs', () => {
    expect(namedPairs(fronts)).toEqual([{ a: 'A', b: 'B', addedByA: 9, addedByB: 0, coverageAB: 0, coverageBA: 0 }])
  })
})

describe('candidate page', () => {
  it('reads blocks, skips and per-layer precision', () => {
    expect(architectureBlocks(['k3e6', 'zero', 'k7e3'])).toEqual([
      { index: 0, op: 'k3e6', kernel: 3, expand: 6, skip: false },
      { index: 1, op: 'zero', kernel: null, expand: null, skip: true },
      { index: 2, op: 'k7e3', kernel: 7, expand: 3, skip: false }
    ])
    expect(architectureBlocks({ ops: ['k5e3'] })?.[0].kernel).toBe(5)
    expect(architectureBlocks({ layers: 3 })).toBeNull()
    // A search candidate stores the compact form inside its description.
    expect(architectureBlocks({ space: 'small', architecture: 'k7e6-zero-k3e3', origin: { kind: 'search' } })?.map((b) => [b.kernel, b.expand, b.skip])).toEqual([
      [7, 6, false],
      [null, null, true],
      [3, 3, false]
    ])
    expect(architectureBlocks('k5e3')?.[0].expand).toBe(3)
    expect(architectureBlocks('')).toBeNull()
    expect(precisionLayers([8, 4])).toEqual([
      { name: 'Layer 1', bits: 8 },
      { name: 'Layer 2', bits: 4 }
    ])
    expect(precisionLayers([{ name: 'stem', weightBits: 6 }])).toEqual([{ name: 'stem', bits: 6 }])
    expect(precisionLayers({ stem: 8, head: 5 })).toEqual([
      { name: 'stem', bits: 8 },
      { name: 'head', bits: 5 }
    ])
    expect(precisionLayers(null)).toBeNull()
  })

  it('a search candidate exported whole in int8 is not called a float model', () => {
    expect(precisionLayers('int8')).toBeNull()
    expect(wholeModelPrecisionText('int8')).toMatch(/^Whole model in int8/)
    expect(wholeModelPrecisionText('fp32')).toMatch(/^Float model/)
    expect(wholeModelPrecisionText(null)).toMatch(/^Float model/)
  })

  it('measured against predicted is a signed share of the prediction', () => {
    expect(predictionError(11, 10)).toBeCloseTo(0.1)
    expect(predictionError(9, 10)).toBeCloseTo(-0.1)
    expect(predictionError(null, 10)).toBeNull()
    expect(predictionError(5, 0)).toBeNull()
  })

  it('takes per-op bars from the device the candidate was measured on when it has them', () => {
    const m = (serial: string, ops: number) => ({ id: serial + ops, runId: null, deviceSerial: serial, deviceLabel: serial, measurement: { ops: Array.from({ length: ops }, () => ({})) } }) as never
    expect(measurementWithOps([m('b', 2), m('a', 2)], 'a')).toMatchObject({ deviceSerial: 'a' })
    expect(measurementWithOps([m('a', 0), m('b', 2)], 'a')).toMatchObject({ deviceSerial: 'b' })
    expect(measurementWithOps([m('a', 0)], 'a')).toBeNull()
  })
})

describe('table exports', () => {
  it('CSV reads back to the same cells; JSON keys rows by the header', () => {
    const header = ['name', 'value']
    const rows = [
      ['a, "quoted"', 1.5],
      ['line\nbreak', null]
    ]
    expect(parseCsv(tableCsv(header, rows))).toEqual([header, ['a, "quoted"', '1.5'], ['line\nbreak', '']])
    expect(JSON.parse(tableJson(header, rows))).toEqual([
      { name: 'a, "quoted"', value: 1.5 },
      { name: 'line\nbreak', value: null }
    ])
  })
})
