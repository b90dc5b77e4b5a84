import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { budgetLimit, enforceBudget, parseBudget } from '../../../src/main/quant/budget'

describe('parseBudget', () => {
  it('reads absolute amounts and fractions of the fp32 cost', () => {
    expect(parseBudget('latency:0.6')).toEqual({ metric: 'latency', kind: 'fraction', value: 0.6 })
    expect(parseBudget('latency:60%')).toEqual({ metric: 'latency', kind: 'fraction', value: 0.6 })
    expect(parseBudget('latency:6ms')).toEqual({ metric: 'latency', kind: 'absolute', value: 6 })
    expect(parseBudget(' energy : 12mJ ')).toEqual({ metric: 'energy', kind: 'absolute', value: 12 })
    expect(parseBudget('size:2MB')).toEqual({ metric: 'size', kind: 'absolute', value: 2e6 })
    expect(parseBudget('size:500KB')).toEqual({ metric: 'size', kind: 'absolute', value: 5e5 })
    expect(budgetLimit(parseBudget('latency:0.5'), { latencyMs: 12, sizeBytes: 1 })).toBe(6)
  })

  it('explains what to write when it cannot read a budget', () => {
    expect(() => parseBudget('latency:6')).toThrow(/no unit and is above 1.*latency:6ms/)
    expect(() => parseBudget('size:3ms')).toThrow(/unit "ms", which does not fit size/)
    expect(() => parseBudget('speed:0.5')).toThrow(/not understood/)
    expect(() => budgetLimit(parseBudget('energy:0.5'), { sizeBytes: 10 })).toThrow(/no energy figure/)
  })
})

describe('HAQ budget walk', () => {
  /** Monotone costs: each slot adds a non-decreasing amount per level, plus a monotone interaction term. */
  const problem = fc.integer({ min: 1, max: 8 }).chain((slots) =>
    fc.record({
      increments: fc.array(fc.array(fc.float({ min: 0, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 }), { minLength: slots, maxLength: slots }),
      start: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: slots, maxLength: slots }),
      mins: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: slots, maxLength: slots }),
      base: fc.float({ min: 0, max: 3, noNaN: true }),
      interaction: fc.float({ min: 0, max: Math.fround(0.2), noNaN: true }),
      limit: fc.float({ min: 0, max: 60, noNaN: true })
    })
  )

  it('ends within budget or says it cannot, and never raises a slot', async () => {
    await fc.assert(fc.asyncProperty(problem, async (p) => {
      const mins = p.mins.map((m, i) => Math.min(m, p.start[i]))
      const cost = (levels: number[]): number => {
        const parts = levels.map((l, t) => p.base + p.increments[t].slice(0, l).reduce((a, b) => a + b, 0))
        const sum = parts.reduce((a, b) => a + b, 0)
        return sum + p.interaction * sum * sum
      }
      const r = await enforceBudget(p.start, mins, async (l) => cost(l), p.limit, { metric: 'latency', lowest: 'int8 everywhere' })
      r.levels.forEach((l, i) => {
        expect(l).toBeLessThanOrEqual(p.start[i])
        expect(l).toBeGreaterThanOrEqual(mins[i])
      })
      expect(r.cost).toBe(cost(r.levels))
      if (r.withinBudget) {
        expect(r.cost).toBeLessThanOrEqual(p.limit)
      } else {
        expect(r.levels).toEqual(mins)
        expect(r.cost).toBeGreaterThan(p.limit)
        expect(r.message).toMatch(/^Even int8 everywhere needs .* ms, above the .* ms budget: raise the budget or choose a smaller network\.$/)
      }
      if (cost(p.start) <= p.limit) expect(r.levels).toEqual(p.start)
    }), { numRuns: 300 })
  })

  it('lowers the last slot first, one notch at a time, as HAQ does', async () => {
    const levels: number[][] = []
    const r = await enforceBudget([2, 2, 2], [0, 0, 0], async (l) => {
      levels.push([...l])
      return l.reduce((a, b) => a + b, 0)
    }, 4, { metric: 'size', lowest: 'int8 everywhere' })
    expect(levels).toEqual([[2, 2, 2], [2, 2, 1], [2, 1, 1]])
    expect(r).toMatchObject({ levels: [2, 1, 1], cost: 4, withinBudget: true, steps: 2 })
  })

  it('says in a sentence when even the cheapest policy is over budget', async () => {
    const r = await enforceBudget([1, 1], [0, 0], async (l) => 3.95 + l[0] + l[1], 3, { metric: 'latency', lowest: 'int8 everywhere' })
    expect(r.withinBudget).toBe(false)
    expect(r.message).toBe('Even int8 everywhere needs 3.95 ms, above the 3.00 ms budget: raise the budget or choose a smaller network.')
  })
})
