import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { architectureKeys, enumerateBlockConfigs, getSpace, parseArchitecture } from '../../../src/main/model/space'
import { MIN_NETWORKS_FOR_SCALE, fitLine, fitOverhead, leaveOneOut, predictNetwork, predictionCheck, sumEntries } from '../../../src/main/profile/predictor'
import { kendallTau, kendallTauBruteForce, rmse, shareWithin } from '../../../src/main/profile/stats'
import { makeEntry } from '../../../src/main/profile/table'
import { describeCalibration } from '../../../src/shared/contract/profile'

describe('predictor', () => {
  const space = getSpace('small')
  const configs = enumerateBlockConfigs(space)
  const rows = configs.map((c, i) => makeEntry(space, c.key, { count: 1, meanMs: i + 1, stdMs: 0, energyMj: 2 * (i + 1), energyStdMj: 0 }))
  const arch = parseArchitecture(space, 'k3e3-zero-k5e3-zero-k7e6-k3e3-zero')

  it('sums the entries of a network, fixed layers included, plus the overhead', () => {
    const keys = architectureKeys(space, arch)
    expect(keys).toHaveLength(4 + 4)
    const expected = keys.reduce((s, k) => s + configs.findIndex((c) => c.key === k) + 1, 0)
    expect(sumEntries(rows, keys).latencyMs).toBe(expected)
    expect(sumEntries(rows, keys).energyMj).toBe(2 * expected)
    const p = predictNetwork(rows, keys, { networks: 1, within10Pct: 1, rmseMs: 0, kendallTau: 0, overheadMs: 0.5, overheadMj: 1, points: [] })
    expect(p.latencyMs).toBe(expected + 0.5)
    expect(p.energyMj).toBe(2 * expected + 1)
  })

  it('names missing keys and gives no energy when an entry lacks it', () => {
    const partial = rows.slice(1).map((r, i) => (i === 0 ? { ...r, energyMj: null } : r))
    const s = sumEntries(partial, architectureKeys(space, arch))
    expect(s.missingKeys).toEqual([rows[0].key])
    expect(s.energyMj).toBeNull()
  })

  it('fits the overhead as the least-squares intercept (slope 1)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 1, maxLength: 40 }), fc.double({ min: -5, max: 5, noNaN: true }), (sums, o) => {
        expect(fitOverhead(sums, sums.map((s) => s + o))).toBeCloseTo(o, 8)
      })
    )
    // Minimises the squared error: moving it either way makes the error larger.
    const sums = [1, 2, 3, 10]
    const measured = [2, 2.5, 4.5, 10.2]
    const o = fitOverhead(sums, measured)
    const sse = (x: number) => sums.reduce((a, s, i) => a + (s + x - measured[i]) ** 2, 0)
    expect(sse(o)).toBeLessThan(sse(o + 0.01))
    expect(sse(o)).toBeLessThan(sse(o - 0.01))
  })

  it('fits scale and overhead by least squares, and predicts with both', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 100, noNaN: true }), { minLength: 3, maxLength: 40 }), fc.double({ min: 0.2, max: 5, noNaN: true }), fc.double({ min: -5, max: 5, noNaN: true }), (sums, a, b) => {
        fc.pre(Math.max(...sums) - Math.min(...sums) > 1)
        const c = fitLine(sums, sums.map((s) => a * s + b))
        expect(c.scale).toBeCloseTo(a, 6)
        expect(c.overhead).toBeCloseTo(b, 5)
      })
    )
    // Constant sums: no slope to fit, slope 1 and the mean residual.
    expect(fitLine([2, 2, 2], [3, 4, 5])).toEqual({ scale: 1, overhead: 2 })
    const keys = architectureKeys(space, arch)
    const expected = keys.reduce((s, k) => s + configs.findIndex((c) => c.key === k) + 1, 0)
    const p = predictNetwork(rows, keys, { networks: 1, within10Pct: 1, rmseMs: 0, kendallTau: 0, overheadMs: 0.5, scale: 0.8, overheadMj: 1, scaleMj: 2, points: [] })
    expect(p.latencyMs).toBeCloseTo(0.8 * expected + 0.5, 10)
    expect(p.energyMj).toBeCloseTo(2 * 2 * expected + 1, 10)
  })

  it('states the fitted predictor in words', () => {
    expect(describeCalibration({ overheadMs: 0.12, scale: 1.08 })).toBe('1.080 × table sum + 0.120 ms')
    expect(describeCalibration({ overheadMs: -0.05 })).toBe('table sum − 0.050 ms')
  })

  it('leave-one-out: each point is predicted by a fit that did not see it', () => {
    const sums = [1, 2, 3, 4, 10]
    const measured = [1.5, 2.4, 3.6, 4.4, 11]
    const loo = leaveOneOut(sums, measured, (s, m) => ({ scale: 1, overhead: fitOverhead(s, m) }))
    // Point 4 (sum 10) by the mean residual of the other four: (0.5 + 0.4 + 0.6 + 0.4) / 4 = 0.475.
    expect(loo[4]).toBeCloseTo(10.475, 10)
    // An outlier does not predict itself: its leave-one-out error is larger than its in-sample error.
    const inSample = fitOverhead(sums, measured)
    expect(Math.abs(loo[4] - 11)).toBeGreaterThan(Math.abs(10 + inSample - 11))
  })

  it('keeps the scale only when it predicts unseen networks better', () => {
    // Blocks run 30% slower inside a network, plus 0.2 ms per invoke: the scale wins and predicts exactly.
    const sums = Array.from({ length: 12 }, (_, i) => 0.3 + 0.2 * i)
    const scaled = predictionCheck(sums.map((s, i) => ({ architecture: `a${i}`, sumMs: s, sumMj: null, measuredMs: 1.3 * s + 0.2, measuredMj: null })))
    expect(scaled.scale).toBeCloseTo(1.3, 8)
    expect(scaled.overheadMs).toBeCloseTo(0.2, 8)
    expect(scaled.within10Pct).toBe(1)
    expect(scaled.outOfSample).toBe(true)
    // A pure offset with noise that is unrelated to the sum: slope 1 is kept.
    const noise = [0.03, -0.02, 0.01, -0.03, 0.02, 0, -0.01, 0.03, -0.02, 0.01, -0.03, 0.02]
    const offset = predictionCheck(sums.map((s, i) => ({ architecture: `a${i}`, sumMs: s, sumMj: null, measuredMs: s + 0.2 + noise[i], measuredMj: null })))
    expect(offset.scale).toBe(1)
    // Too few networks for a second parameter: offset only.
    const few = predictionCheck(sums.slice(0, MIN_NETWORKS_FOR_SCALE - 1).map((s, i) => ({ architecture: `a${i}`, sumMs: s, sumMj: null, measuredMs: 1.3 * s, measuredMj: null })))
    expect(few.scale).toBe(1)
  })

  it('checks: exact predictions give 100% within ±10%, RMSE 0, tau 1', () => {
    const samples = [3, 1, 4, 1.5, 9, 2.6].map((s, i) => ({ architecture: `a${i}`, sumMs: s, sumMj: null, measuredMs: s + 0.7, measuredMj: null }))
    const c = predictionCheck(samples)
    expect(c.overheadMs).toBeCloseTo(0.7, 10)
    expect(c.within10Pct).toBe(1)
    expect(c.rmseMs).toBeCloseTo(0, 10)
    expect(c.kendallTau).toBeCloseTo(1, 10)
    expect(c.points).toHaveLength(6)
  })

  it('rmse and share within ±10% by hand', () => {
    expect(rmse([1, 2], [2, 4])).toBeCloseTo(Math.sqrt(2.5), 12)
    expect(shareWithin([10, 10, 10, 10], [10.5, 11.2, 9.2, 9.0], 10)).toBe(0.5)
  })
})

describe('Kendall tau-b', () => {
  it('agrees with the O(n^2) pair count, ties included', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 6 })), { minLength: 0, maxLength: 60 }), (pairs) => {
        const x = pairs.map((p) => p[0])
        const y = pairs.map((p) => p[1])
        expect(kendallTau(x, y)).toBeCloseTo(kendallTauBruteForce(x, y), 10)
      }),
      { numRuns: 300 }
    )
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.double({ noNaN: true, min: -1e3, max: 1e3 }), fc.double({ noNaN: true, min: -1e3, max: 1e3 })), { maxLength: 80 }), (pairs) => {
        const x = pairs.map((p) => p[0])
        const y = pairs.map((p) => p[1])
        expect(kendallTau(x, y)).toBeCloseTo(kendallTauBruteForce(x, y), 10)
      })
    )
  })

  it('is 1 for the same order, -1 for the reverse, 0 for a constant list', () => {
    expect(kendallTau([1, 2, 3, 4], [10, 20, 30, 40])).toBe(1)
    expect(kendallTau([1, 2, 3, 4], [4, 3, 2, 1])).toBe(-1)
    expect(kendallTau([1, 2, 3], [5, 5, 5])).toBe(0)
    expect(kendallTauBruteForce([1, 2, 3, 4], [1, 3, 2, 4])).toBeCloseTo(4 / 6, 12)
  })
})
