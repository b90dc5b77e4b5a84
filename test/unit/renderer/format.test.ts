import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { formatCpuClusters, formatDurationS, formatTimeLeft, labelFigure } from '../../../src/renderer/src/lab/format'

describe('formatTimeLeft', () => {
  it('reads like a person would say it', () => {
    expect(formatTimeLeft(130_000)).toBe('2 min 10 s left')
    expect(formatTimeLeft(45_000)).toBe('45 s left')
    expect(formatTimeLeft(120_000)).toBe('2 min left')
    expect(formatTimeLeft(3_900_000)).toBe('1 h 5 min left')
    expect(formatTimeLeft(400)).toBe('Almost done')
    expect(formatTimeLeft(null)).toBe('Estimating time left…')
    expect(formatTimeLeft(Number.NaN)).toBe('Estimating time left…')
  })

  it('under an hour, the words add back up to the rounded seconds', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 3599 }), (totalS) => {
        const m = /^(?:(\d+) min)? ?(?:(\d+) s)?$/.exec(formatDurationS(totalS))
        expect(m).not.toBeNull()
        expect(Number(m![1] ?? 0) * 60 + Number(m![2] ?? 0)).toBe(totalS)
      })
    )
  })
})

describe('figures and devices', () => {
  it('names figure keys with their unit', () => {
    expect(labelFigure('latencyMs')).toBe('Latency (ms)')
    expect(labelFigure('energyPerInferenceMj')).toBe('Energy per inference (mJ)')
    expect(labelFigure('top1Accuracy')).toBe('Top1 accuracy')
  })

  it('describes CPU clusters, with or without a known clock', () => {
    expect(formatCpuClusters([{ cores: [0, 1, 2, 3], maxFreqKhz: 1_800_000 }, { cores: [4, 5], maxFreqKhz: 2_400_000 }])).toBe(
      '4 × 1.80 GHz + 2 × 2.40 GHz'
    )
    expect(formatCpuClusters([{ cores: [0, 1], maxFreqKhz: null }])).toBe('2 cores')
    expect(formatCpuClusters([])).toBeNull()
  })
})
