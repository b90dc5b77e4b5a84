import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { TimeLeftEstimator } from '../../../src/main/jobs/eta'

describe('TimeLeftEstimator', () => {
  it('has no estimate from a single report, then extrapolates the rate', () => {
    const eta = new TimeLeftEstimator()
    expect(eta.update(0.1, 1000)).toBeNull()
    // 0.1 per 1000 ms, 0.8 left -> 8000 ms
    expect(eta.update(0.2, 2000)).toBe(8000)
  })

  it('decreases step by step at a steady rate, and reaches 0 at the end', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 200 }), fc.integer({ min: 1, max: 10_000 }), (steps, stepMs) => {
        const eta = new TimeLeftEstimator()
        const estimates: number[] = []
        for (let i = 1; i <= steps; i++) {
          const left = eta.update(i / steps, i * stepMs)
          if (left !== null) estimates.push(left)
        }
        for (let i = 1; i < estimates.length; i++) expect(estimates[i]).toBeLessThan(estimates[i - 1])
        expect(estimates[estimates.length - 1]).toBe(0)
      })
    )
  })

  it('follows a slow-down smoothly: one slow step raises the estimate but less than the raw rate would', () => {
    const eta = new TimeLeftEstimator(0.3)
    eta.update(0.0, 0)
    eta.update(0.1, 1000)
    const before = eta.update(0.2, 2000)!
    const after = eta.update(0.3, 6000)! // one step took 4x longer
    expect(after).toBeGreaterThan(before)
    expect(after).toBeLessThan((0.7 / 0.1) * 4000)
  })

  it('starts afresh when progress goes backwards (a new phase)', () => {
    const eta = new TimeLeftEstimator()
    eta.update(0.5, 0)
    eta.update(0.6, 100)
    expect(eta.update(0.1, 200)).toBeNull()
    expect(eta.update(0.2, 1200)).toBe(8000)
  })
})
