import { describe, expect, it } from 'vitest'
import type { Measurement, OpTiming } from '../../../src/shared/api'
import { energyNote, formatBytes, formatMj, formatMs, latencyRows, slowestOps } from '../../../src/renderer/src/lab/measurement'
import { FALLBACK_PALETTE, heatmapOption, opBarsOption, predictionLegendName, predictionOption } from '../../../src/renderer/src/lab/charts'
import { predictionView } from '../../../src/renderer/src/lab/lut'

function op(name: string, avgMs: number, source: OpTiming['source'] = 'tflite'): OpTiming {
  return { index: null, nodeType: name.split(':')[0], name, firstMs: null, avgMs, percent: null, timesCalled: 1, source }
}

function measurement(over: Partial<Measurement> = {}): Measurement {
  return {
    serial: 'host',
    tool: 'host tflite-wasm',
    settings: { threads: 1, runs: 50, warmupRuns: 5, minSecs: 0, cpuMaskHex: null, delegate: 'none', profileOps: true, energy: true, energySampleMs: 100 },
    modelSha256: 'x',
    modelBytes: 229_000,
    initMs: 3,
    firstMs: 4,
    warmup: null,
    steady: { count: 50, meanMs: 2.5, stdMs: 0.25, minMs: 2.1, maxMs: 3.9, medianMs: 2.4, percentilesMs: { '99': 3.8, '50': 2.4, '90': 3.1 } },
    ops: [],
    memory: { initMb: null, overallMb: 12, peakMb: null },
    energy: null,
    temperaturesC: { before: {}, after: {} },
    warnings: [],
    exitCode: 0,
    measuredAt: 0,
    durationMs: 1000,
    ...over
  }
}

describe('figures as people read them', () => {
  it('formats milliseconds, millijoules and bytes with sensible precision', () => {
    expect(formatMs(12.345)).toBe('12.35 ms')
    expect(formatMs(0.01234)).toBe('0.012 ms')
    expect(formatMs(1234.56)).toBe('1,234.6 ms')
    expect(formatMs(null)).toBe('—')
    expect(formatMj(3.14159)).toBe('3.14 mJ')
    expect(formatBytes(500)).toBe('500 bytes')
    expect(formatBytes(229_000)).toBe('224 KB')
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MB')
  })

  it('lists latency statistics with percentiles in numeric order and drops what the tool did not report', () => {
    const rows = latencyRows({ ...measurement().steady, minMs: null })
    expect(rows.map((r) => r.label)).toEqual(['Mean', 'Std. deviation', 'Median', 'Max', 'p90', 'p99', 'Timed runs'])
  })
})

describe('slowest ops', () => {
  it('shows nodes slowest first, with a delegate node replaced by the delegate ops that break its time down', () => {
    const ops = [op('TfLiteXNNPackDelegate:[a]', 9), op('CUSTOM:b', 0.5), op('Convolution (NHWC):x', 5, 'delegate'), op('Add:y', 1, 'delegate')]
    const bars = slowestOps(ops)
    expect(bars.map((b) => b.avgMs)).toEqual([5, 1, 0.5])
    expect(bars.map((b) => b.label)).not.toContain('TfLiteXNNPackDelegate · TfLiteXNNPackDelegate:[a]')
    expect(slowestOps(ops, 1)).toHaveLength(1)
  })

  it('keeps a delegate node when the tool lists no ops inside it', () => {
    expect(slowestOps([op('TfLiteXNNPackDelegate:[a]', 9), op('ADD:b', 1)]).map((b) => b.avgMs)).toEqual([9, 1])
  })
})

describe('energy note', () => {
  const energy = { energyPerInferenceMj: 1, uncertaintyMj: 0.1, idlePowerMw: 100, activePowerMw: 900, samples: 40, reliable: true, unreliableReason: null, modelled: false }
  it('says why a reading is not to be trusted, or that it is modelled', () => {
    expect(energyNote(measurement({ energy: { ...energy, reliable: false, unreliableReason: 'USB was charging the phone.' } }))).toBe('USB was charging the phone.')
    expect(energyNote(measurement({ energy: { ...energy, modelled: true } }))).toMatch(/power model/)
    expect(energyNote(measurement({ energy }))).toBeNull()
    expect(energyNote(measurement())).toMatch(/not measured/)
  })
})

describe('chart options', () => {
  it('op bars put the slowest op on top of the category axis', () => {
    const option = opBarsOption(slowestOps([op('A:a', 1), op('B:b', 3)]), FALLBACK_PALETTE) as { yAxis: { data: string[] }; series: { data: number[] }[] }
    expect(option.yAxis.data.at(-1)).toBe('B · B:b')
    expect(option.series[0].data).toEqual([1, 3])
  })

  it('the prediction legend carries the share within ±10 %, RMSE and Kendall τ, and y = x spans the axes', () => {
    const v = predictionView({
      networks: 2,
      within10Pct: 0.5,
      rmseMs: 1.25,
      kendallTau: 1,
      overheadMs: 0,
      points: [
        { architecture: 'a', predictedMs: 10, measuredMs: 10, predictedMj: null, measuredMj: null },
        { architecture: 'b', predictedMs: 10, measuredMs: 14, predictedMj: null, measuredMj: null }
      ]
    })!
    expect(predictionLegendName(v)).toBe('50 % within ±10 % · RMSE 1.25 ms · Kendall τ 1.00')
    const option = predictionOption(v, FALLBACK_PALETTE) as { series: { name: string; data: number[][] }[] }
    const diagonal = option.series.find((s) => s.name === 'y = x')!
    expect(diagonal.data).toEqual([[0, 0], [v.axisMaxMs, v.axisMaxMs]])
  })

  it('the heatmap colours come from the palette it is given', () => {
    const option = heatmapOption({ columns: ['k3 e3'], rows: ['Stage 1'], cells: [[0, 0, 1]], minMs: 1, maxMs: 1 }, { ...FALLBACK_PALETTE, accent: '#123456' }) as {
      visualMap: { inRange: { color: string[] }; max: number; min: number }
    }
    expect(option.visualMap.inRange.color).toContain('#123456')
    expect(option.visualMap.max).toBeGreaterThan(option.visualMap.min)
  })
})
