import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import type { LookupTableSummary, LutEntry, PredictionCheck } from '../../../src/shared/api'
import {
  SPACE_CHOICES,
  isWithinBand,
  latestTable,
  lutHeatmap,
  lutToCsv,
  niceCeil,
  parseLutKey,
  predictionView,
  sortLutRows,
  spaceChoice,
  tableFacts,
  toRowView,
  type LutRowView
} from '../../../src/renderer/src/lab/lut'

function block(stage: number, kernel: number, expand: number, meanMs: number, inShape = [14, 14, 40], skip = 1): LutEntry {
  const dims = (s: number[]) => s.join('x')
  return {
    key: `expanded_conv-input:${dims(inShape)}-output:${dims(inShape)}-expand:${expand}-kernel:${kernel}-stride:1-idskip:${skip}`,
    kind: 'block',
    count: 30,
    meanMs,
    stdMs: meanMs / 10,
    energyMj: null,
    energyStdMj: null,
    stage,
    kernel,
    expand,
    stride: 1,
    inputShape: inShape,
    outputShape: inShape
  }
}

const stem: LutEntry = {
  key: 'Conv-input:28x28x1-output:28x28x16',
  kind: 'fixed',
  count: 30,
  meanMs: 0.2,
  stdMs: 0.01,
  energyMj: 0.05,
  energyStdMj: 0.01,
  stage: null,
  kernel: null,
  expand: null,
  stride: null,
  inputShape: null,
  outputShape: null
}

function summary(over: Partial<LookupTableSummary>): LookupTableSummary {
  return {
    id: 't1',
    deviceSerial: 'emulator-1',
    deviceLabel: 'Pixel',
    space: 'small',
    method: 'packed',
    precision: 'fp32',
    settings: {},
    entries: 10,
    createdAt: 1000,
    runId: null,
    check: null,
    durationMs: { packed: 60_000, perBlock: null },
    source: 'measured',
    ...over
  }
}

describe('lookup-table keys and rows', () => {
  it('reads the parts of a ProxylessNAS key, including the skip flag the entry does not carry', () => {
    expect(parseLutKey('expanded_conv-input:14x14x40-output:7x7x80-expand:6-kernel:5-stride:2-idskip:0')).toEqual({
      name: 'expanded_conv',
      fields: { input: '14x14x40', output: '7x7x80', expand: '6', kernel: '5', stride: '2', idskip: '0' }
    })
    const row = toRowView(block(1, 5, 6, 2))
    expect(row.skip).toBe(true)
    expect(row.layer).toBe('MBConv')
  })

  it('fills shapes of fixed layers from the key', () => {
    const row = toRowView(stem)
    expect(row.inputShape).toEqual([28, 28, 1])
    expect(row.outputShape).toEqual([28, 28, 16])
    expect(row.layer).toBe('Stem conv')
    expect(row.skip).toBeNull()
  })
})

describe('sorting', () => {
  const rows = [block(0, 3, 3, 1.5), block(1, 7, 6, 4.25), stem, block(0, 5, 6, 0.75)].map(toRowView)

  it('sorts by mean latency both ways', () => {
    expect(sortLutRows(rows, 'meanMs', 'ascending').map((r) => r.meanMs)).toEqual([0.2, 0.75, 1.5, 4.25])
    expect(sortLutRows(rows, 'meanMs', 'descending').map((r) => r.meanMs)).toEqual([4.25, 1.5, 0.75, 0.2])
  })

  it('keeps rows without a value last whichever the direction', () => {
    expect(sortLutRows(rows, 'kernel', 'ascending').at(-1)?.layer).toBe('Stem conv')
    expect(sortLutRows(rows, 'kernel', 'descending').at(-1)?.layer).toBe('Stem conv')
  })

  it('is a stable permutation: same rows, ordered, ties in their first order', () => {
    const arb = fc.array(fc.record({ stage: fc.integer({ min: 0, max: 3 }), meanMs: fc.double({ min: 0.01, max: 50, noNaN: true }) }), { maxLength: 40 })
    fc.assert(
      fc.property(arb, fc.constantFrom('ascending' as const, 'descending' as const), (specs, dir) => {
        const input: LutRowView[] = specs.map((s, i) => ({ ...toRowView(block(s.stage, 3, 3, s.meanMs)), key: `k${i}` }))
        const out = sortLutRows(input, 'stage', dir)
        expect([...out].map((r) => r.key).sort()).toEqual(input.map((r) => r.key).sort())
        for (let i = 1; i < out.length; i++) {
          const a = out[i - 1]
          const b = out[i]
          if (a.stage === b.stage) expect(Number(a.key.slice(1))).toBeLessThan(Number(b.key.slice(1)))
          else expect(dir === 'ascending' ? a.stage! < b.stage! : a.stage! > b.stage!).toBe(true)
        }
      })
    )
  })
})

describe('CSV', () => {
  it('has one line per row plus a header, with units in the header and empty cells for missing values', () => {
    const csv = lutToCsv([toRowView(stem), toRowView(block(2, 3, 6, 1.25))])
    const lines = csv.trimEnd().split('\n')
    expect(lines).toHaveLength(3)
    expect(lines[0]).toBe('key,kind,stage,input,output,kernel,expand,stride,skip,count,mean_ms,std_ms,energy_mj')
    expect(lines[1]).toBe('Conv-input:28x28x1-output:28x28x16,fixed,,28x28x1,28x28x16,,,,,30,0.2,0.01,0.05')
    expect(lines[2].split(',')).toHaveLength(13)
  })
})

describe('heatmap', () => {
  it('averages each stage’s blocks per (kernel, expansion), ordered by kernel then expansion', () => {
    const h = lutHeatmap([block(0, 5, 6, 2), block(0, 5, 6, 4), block(0, 3, 3, 1), block(1, 3, 3, 5), stem].map(toRowView))!
    expect(h.columns).toEqual(['k3 e3', 'k5 e6'])
    expect(h.rows).toEqual(['Stage 1', 'Stage 2'])
    expect(h.cells).toContainEqual([1, 0, 3])
    expect(h.cells).toContainEqual([0, 1, 5])
    expect(h.cells).toHaveLength(3)
    expect([h.minMs, h.maxMs]).toEqual([1, 5])
  })

  it('is absent when the table has no searchable blocks', () => {
    expect(lutHeatmap([toRowView(stem)])).toBeNull()
  })
})

describe('prediction check', () => {
  const check: PredictionCheck = {
    networks: 3,
    within10Pct: 2 / 3,
    rmseMs: 0.5,
    kendallTau: 0.8,
    overheadMs: 0.1,
    points: [
      { architecture: 'a', predictedMs: 10, measuredMs: 10.5, predictedMj: null, measuredMj: null },
      { architecture: 'b', predictedMs: 20, measuredMs: 21.9, predictedMj: null, measuredMj: null },
      { architecture: 'c', predictedMs: 12, measuredMs: 9, predictedMj: null, measuredMj: null }
    ]
  }

  it('splits points by the ±10 % band and sizes the axes to hold them all', () => {
    const v = predictionView(check)!
    expect(v.points).toEqual([[10, 10.5], [20, 21.9]])
    expect(v.outside).toEqual([[12, 9]])
    expect(v.axisMaxMs).toBeGreaterThanOrEqual(21.9)
  })

  it('the band is relative to the measured latency', () => {
    expect(isWithinBand(11, 10)).toBe(true)
    expect(isWithinBand(11.01, 10)).toBe(false)
    expect(isWithinBand(9, 10)).toBe(true)
  })

  it('nice axis ends are at least the value and less than 2.5 times it', () => {
    fc.assert(
      fc.property(fc.double({ min: 1e-3, max: 1e6, noNaN: true }), (x) => {
        const n = niceCeil(x)
        expect(n).toBeGreaterThanOrEqual(x * (1 - 1e-9))
        expect(n).toBeLessThan(x * 2.5)
      })
    )
  })
})

describe('choosing the table to show', () => {
  it('takes the newest table of the device for the chosen space and input', () => {
    const fm = spaceChoice('small-fashion-mnist')
    const cifar = spaceChoice('small-cifar10')
    const tables = [
      summary({ id: 'old', createdAt: 1 }),
      summary({ id: 'new', createdAt: 5 }),
      summary({ id: 'cifar', createdAt: 9, settings: { spaceOptions: { input: 'cifar10' } } }),
      summary({ id: 'cifar-old', createdAt: 8, settings: { input: 'cifar10' } }),
      summary({ id: 'other-phone', createdAt: 10, deviceSerial: 'x' }),
      summary({ id: 'mobile', createdAt: 11, space: 'mobile' })
    ]
    expect(latestTable(tables, 'emulator-1', fm)?.id).toBe('new')
    expect(latestTable(tables, 'emulator-1', cifar)?.id).toBe('cifar')
    expect(latestTable(tables, 'emulator-1', spaceChoice('mobile'))?.id).toBe('mobile')
    expect(latestTable(tables, 'nobody', fm)).toBeNull()
  })

  it('offers the three spaces with their input shapes', () => {
    expect(SPACE_CHOICES.map((c) => c.inputShape)).toEqual([[28, 28, 1], [32, 32, 3], [224, 224, 3]])
  })

  it('lists the table facts: both durations and the settings it was measured with', () => {
    const facts = tableFacts(
      summary({ method: 'both', durationMs: { packed: 10_000, perBlock: 40_000 }, settings: { threads: 2, runs: 30, warmupRuns: 5, energy: true } }),
      (ms) => `${ms / 1000} s`,
      () => 'today'
    )
    const byLabel = Object.fromEntries(facts.map((f) => [f.label, f.value]))
    expect(byLabel.Duration).toBe('packed 10 s · per-block 40 s (per-block took 4.0× as long)')
    expect(byLabel.Settings).toBe('2 threads · 30 runs · 5 warm-up · energy on')
    expect(byLabel.Created).toBe('today')
  })
})
