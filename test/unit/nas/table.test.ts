// From lookup-table rows to the search's cost table, predictions, and the sweep a request asks for.
import { tableMismatch } from '../../../src/main/nas/handlers'
import { describe, expect, it } from 'vitest'
import type { LutEntry } from '../../../src/shared/contract/profile'
import { SearchRequestSchema } from '../../../src/shared/contract/search'
import { enumerateBlockConfigs, getSpace } from '../../../src/main/model/space'
import { architectureCost, expectedCost } from '../../../src/main/nas/latency-loss'
import { baselineEpochs, planTasks, sweepItems } from '../../../src/main/nas/job'
import { costTableFromRows, predictFromRows, rowsFromEntries } from '../../../src/main/nas/table'

const space = getSpace('small', { stemStride: 2 })
const rows: LutEntry[] = enumerateBlockConfigs(space).map((c, i) => ({
  key: c.key, kind: c.fixed ? 'fixed' : 'block', count: 5, meanMs: 0.1 + i * 0.01, stdMs: 0, energyMj: i % 2 ? 0.02 * i : 0.01 * i, energyStdMj: null,
  stage: null, kernel: null, expand: null, stride: null, inputShape: null, outputShape: null
}))

describe('cost table', () => {
  it('takes each candidate from the table, zero costs nothing, and an architecture costs what the predictor says', () => {
    const table = costTableFromRows(space, rows, 'latency')
    space.blocks.forEach((b, i) => b.candidates.forEach((op, j) => (op === 'zero' ? expect(table.perBlock[i][j]).toBe(0) : expect(table.perBlock[i][j]).toBeGreaterThan(0))))
    const choice = space.blocks.map((b) => b.candidates.length - 1)
    const arch = choice.map((j, i) => space.blocks[i].candidates[j])
    expect(architectureCost(choice, table)).toBeCloseTo(predictFromRows(space, arch, rows).latencyMs!, 10)
    // A one-hot α (huge logit) gives the architecture's own cost as E[lat].
    const alpha = space.blocks.map((b, i) => b.candidates.map((_, j) => (j === choice[i] ? 50 : 0)))
    expect(expectedCost(alpha, table)).toBeCloseTo(architectureCost(choice, table), 6)
    const energy = costTableFromRows(space, rows, 'energy')
    expect(energy.unit).toBe('mJ')
    expect(energy.fixed).not.toBeCloseTo(table.fixed, 6)
  })

  it('says which keys are missing and what to do', () => {
    expect(() => costTableFromRows(space, rows.slice(3), 'latency')).toThrow(/has no latency for 3 blocks.*profile the small space/)
    expect(() => costTableFromRows(space, rows.map((r) => ({ ...r, energyMj: null })), 'energy')).toThrow(/energy measurement on/)
    expect(() => rowsFromEntries({})).toThrow(/no rows/)
    expect(rowsFromEntries(rows)).toHaveLength(rows.length)
  })
})

describe('sweep', () => {
  const table = costTableFromRows(space, rows, 'latency')
  it('one search per target, per λ, or three automatic targets inside the table range', () => {
    expect(sweepItems(SearchRequestSchema.parse({ serial: 'x', targetsMs: [5, 10] }), table)).toEqual([
      { target: 5, lambda: null, form: 'abs#linear' },
      { target: 10, lambda: null, form: 'abs#linear' }
    ])
    const lambdas = sweepItems(SearchRequestSchema.parse({ serial: 'x', lambdas: [0.1, 2] }), table)
    expect(lambdas.map((i) => [i.lambda, i.form])).toEqual([[0.1, 'add#linear'], [2, 'add#linear']])
    const auto = sweepItems(SearchRequestSchema.parse({ serial: 'x' }), table)
    const lo = architectureCost(table.perBlock.map((c) => c.indexOf(Math.min(...c))), table)
    const hi = architectureCost(table.perBlock.map((c) => c.indexOf(Math.max(...c))), table)
    expect(auto).toHaveLength(3)
    auto.forEach((i) => expect(i.target > lo && i.target < hi).toBe(true))
    // With the space's ops known, the automatic targets are the uniform k3e3, k3e6, k5e6 networks' costs.
    const ops = space.blocks.map((b) => b.candidates)
    const uniform = (op: string): number => architectureCost(ops.map((o) => o.indexOf(op as never)), table)
    const matched = sweepItems(SearchRequestSchema.parse({ serial: 'x' }), table, ops).map((i) => i.target)
    expect(matched).toEqual(['k3e3', 'k3e6', 'k5e6'].map((op) => Number(uniform(op).toPrecision(4))).sort((a, b) => a - b))
    // Without the ops: log-spaced over the range (equal ratios between neighbours).
    expect(auto[1].target / auto[0].target).toBeCloseTo(auto[2].target / auto[1].target, 9)
    expect(sweepItems(SearchRequestSchema.parse({ serial: 'x', lambdas: [1] }), table, ops)[0].target).toBe(matched[1])
    // Sub-millisecond targets cannot use the logarithmic form.
    expect(sweepItems(SearchRequestSchema.parse({ serial: 'x', targetsMs: [0.5], lossForm: 'mul#log' }), table)[0].form).toBe('add#linear')
    expect(sweepItems(SearchRequestSchema.parse({ serial: 'x', targetsMs: [0.5] }), table)[0].form).toBe('abs#linear')
  })

  it('trains baselines as long as a searched network’s weights unless told otherwise', () => {
    expect(baselineEpochs(SearchRequestSchema.parse({ serial: 'x' }))).toBe(3)
    expect(baselineEpochs(SearchRequestSchema.parse({ serial: 'x', retrain: 'inherit' }))).toBe(2 + 2 + 3)
    expect(baselineEpochs(SearchRequestSchema.parse({ serial: 'x', retrain: 'scratch', epochs: { warmup: 1, search: 2, retrain: 4 } }))).toBe(4)
    expect(baselineEpochs(SearchRequestSchema.parse({ serial: 'x', epochs: { warmup: 1, search: 2, retrain: 4, baseline: 9 } }))).toBe(9)
  })

  it('plans warm-up, then search + retrain per item, then the baselines', () => {
    expect(planTasks(2, 1).map((t) => t.kind)).toEqual(['warmup', 'search', 'retrain', 'search', 'retrain', 'baseline'])
  })
})

describe('a search refuses a lookup table measured for another space', () => {
  const req = (over: Partial<{ space: 'small' | 'mobile'; stemStride: 1 | 2; widthMult: number }> = {}) => ({ space: 'small' as const, stemStride: 2 as const, widthMult: 1, ...over })
  it('accepts a table of the same space, stride and width', () => {
    expect(tableMismatch('small', { spaceOptions: { stemStride: 2, widthMult: 1 } }, req())).toBeNull()
    expect(tableMismatch('small', { spaceOptions: { stemStride: 1 } }, req({ stemStride: 1 }))).toBeNull()
  })
  it('names the setting to change', () => {
    expect(tableMismatch('mobile', {}, req())).toMatch(/mobile space.*choose space "mobile"/)
    // Tables from before the setting were measured at stride 1.
    expect(tableMismatch('small', { spaceOptions: {} }, req())).toMatch(/stem stride 1.*--stem-stride 1/)
    expect(tableMismatch('small', null, req())).toMatch(/stem stride 1/)
    expect(tableMismatch('small', { spaceOptions: { stemStride: 2, widthMult: 0.5 } }, req())).toMatch(/width ×0.5.*×1/)
  })
})
