// Binary gates and the α update: the BinaryConnect gradient equals the exact derivative of the relaxed loss,
// two-path updates keep unsampled probabilities, and a larger latency weight derives a faster network.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { AlphaAdam, alphaGradFromGates, rescaleTwoPath, sampleGates, softmax } from '../../../src/main/nas/gates'
import { architectureCost, expectedCost, expectedCostGrad, latencyLoss, mostProbableWithin, type CostTable } from '../../../src/main/nas/latency-loss'
import { updateAlpha } from '../../../src/main/nas/search'
import { SavableRng } from '../../../src/main/nas/random'

const alphaArb = fc.array(fc.double({ min: -3, max: 3, noNaN: true }), { minLength: 2, maxLength: 7 })

describe('binary gates', () => {
  it('∂L/∂α from gate gradients (Eq. 4) matches finite differences of L(softmax(α)) for a loss linear-then-smooth in g', () => {
    fc.assert(
      fc.property(alphaArb, fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 7, maxLength: 7 }), (alpha, o) => {
        // Toy supernet: y = Σ_j g_j o_j, L = (y − 0.3)²; at g = p, ∂L/∂g_j = 2(y − 0.3) o_j.
        const loss = (a: number[]) => {
          const y = softmax(a).reduce((s, pj, j) => s + pj * o[j], 0)
          return (y - 0.3) ** 2
        }
        const p = softmax(alpha)
        const y = p.reduce((s, pj, j) => s + pj * o[j], 0)
        const gateGrad = alpha.map((_, j) => 2 * (y - 0.3) * o[j])
        const grad = alphaGradFromGates(alpha, gateGrad, alpha.map((_, i) => i))
        const h = 1e-6
        alpha.forEach((_, i) => {
          const up = [...alpha]
          const down = [...alpha]
          up[i] += h
          down[i] -= h
          expect(grad[i]).toBeCloseTo((loss(up) - loss(down)) / (2 * h), 6)
        })
      })
    )
  })

  it('two-path sampling draws two distinct paths, the active one among them', () => {
    const rng = new SavableRng(3)
    for (let t = 0; t < 200; t++) {
      const s = sampleGates([0.1, -0.4, 2, 0, 0.3, -1, 0.5], 'two', rng.next)
      expect(s.involved).toHaveLength(2)
      expect(s.involved[0]).not.toBe(s.involved[1])
      expect(s.involved).toContain(s.active)
    }
  })

  it('full_v2 sampling follows p', () => {
    const rng = new SavableRng(5)
    const counts = [0, 0, 0]
    for (let t = 0; t < 20000; t++) counts[sampleGates([0, Math.log(2), Math.log(7)], 'full_v2', rng.next).active]++
    expect(counts[0] / 20000).toBeCloseTo(0.1, 1)
    expect(counts[2] / 20000).toBeCloseTo(0.7, 1)
  })

  it('a two-path update with rescaling keeps the probabilities of the unsampled paths', () => {
    fc.assert(
      fc.property(alphaArb, fc.integer({ min: 1, max: 1000 }), fc.double({ min: -5, max: 5, noNaN: true }), (alpha, seed, gradScale) => {
        const rng = new SavableRng(seed)
        const s = sampleGates(alpha, 'two', rng.next)
        const before = softmax(alpha)
        const a = [...alpha]
        const adam = new AlphaAdam([a.length], 0.5)
        const gateGrad = a.map((_, i) => (i === s.active ? gradScale : -gradScale))
        adam.step([a], [alphaGradFromGates(alpha, gateGrad, s.involved)])
        rescaleTwoPath(alpha, a, s.involved)
        const after = softmax(a)
        after.forEach((p, i) => {
          if (!s.involved.includes(i)) expect(p).toBeCloseTo(before[i], 12)
        })
        // The two involved paths share the same total probability as before, redistributed.
        const sum = (q: number[]) => s.involved.reduce((x, i) => x + q[i], 0)
        expect(sum(after)).toBeCloseTo(sum(before), 12)
      })
    )
  })

  it('without the rescaling, a two-path update would move the unsampled probabilities (the test can fail)', () => {
    const alpha = [0, 0, 0, 0]
    const a = [...alpha]
    new AlphaAdam([4], 0.5).step([a], [alphaGradFromGates(alpha, [1, -1, 0, 0], [0, 1])])
    expect(softmax(a)[2]).not.toBeCloseTo(0.25, 3)
  })
})

describe('expected latency and the latency losses', () => {
  const table: CostTable = { unit: 'ms', fixed: 2, perBlock: [[1, 3, 5, 0], [2, 4, 8]] }

  it('E[lat] = fixed + Σ p·F (Eq. 5) and its α gradient matches finite differences', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 4, maxLength: 4 }), fc.array(fc.double({ min: -2, max: 2, noNaN: true }), { minLength: 3, maxLength: 3 }), (a0, a1) => {
        const alpha = [a0, a1]
        const g = expectedCostGrad(alpha, table)
        const h = 1e-6
        alpha.forEach((row, b) =>
          row.forEach((_, i) => {
            const up = alpha.map((r) => [...r])
            const down = alpha.map((r) => [...r])
            up[b][i] += h
            down[b][i] -= h
            expect(g[b][i]).toBeCloseTo((expectedCost(up, table) - expectedCost(down, table)) / (2 * h), 6)
          })
        )
      })
    )
    expect(expectedCost([[0, 0, 0, 0], [0, 0, 0]], table)).toBeCloseTo(2 + 9 / 4 + 14 / 3, 12)
  })

  it('both loss forms report ∂L/∂E[lat] matching finite differences, with the paper defaults', () => {
    for (const form of ['mul#log', 'add#linear', 'abs#linear'] as const) {
      for (const cost of [3, 8, 40]) {
        const s = { form, target: 10 }
        const v = latencyLoss(0.9, cost, s)
        const h = 1e-6
        expect(v.dCost).toBeCloseTo((latencyLoss(0.9, cost + h, s).loss - latencyLoss(0.9, cost - h, s).loss) / (2 * h), 6)
        expect(v.dCe).toBeCloseTo((latencyLoss(0.9 + h, cost, s).loss - latencyLoss(0.9 - h, cost, s).loss) / (2 * h), 6)
      }
    }
    // mul#log: CE·0.2·(log E / log T)^0.3; add#linear: CE + 0.1·(E − T)/T.
    expect(latencyLoss(1, 100, { form: 'mul#log', target: 10 }).loss).toBeCloseTo(0.2 * Math.pow(2, 0.3), 12)
    expect(latencyLoss(1, 20, { form: 'add#linear', target: 10 }).loss).toBeCloseTo(1.1, 12)
    expect(() => latencyLoss(1, 0.5, { form: 'mul#log', target: 0.8 })).toThrow(/add#linear/)
    // abs#linear: CE + 1·|E/T − 1|, pulling towards the target from both sides.
    expect(latencyLoss(1, 15, { form: 'abs#linear', target: 10 }).loss).toBeCloseTo(1.5, 12)
    expect(latencyLoss(1, 5, { form: 'abs#linear', target: 10 }).loss).toBeCloseTo(1.5, 12)
    expect(latencyLoss(1, 15, { form: 'abs#linear', target: 10 }).dCost).toBeGreaterThan(0)
    expect(latencyLoss(1, 5, { form: 'abs#linear', target: 10 }).dCost).toBeLessThan(0)
  })
})

describe('the most probable network within a target', () => {
  /** Every architecture, by brute force. */
  function brute(alpha: number[][], table: CostTable, limit: number): { logp: number; cost: number } | null {
    let best: { logp: number; cost: number } | null = null
    const walk = (b: number, logp: number, cost: number): void => {
      if (b === alpha.length) {
        if (cost + table.fixed <= limit + 1e-12 && (!best || logp > best.logp)) best = { logp, cost: cost + table.fixed }
        return
      }
      const p = softmax(alpha[b])
      p.forEach((pj, j) => walk(b + 1, logp + Math.log(pj), cost + table.perBlock[b][j]))
    }
    walk(0, 0, 0)
    return best
  }

  it('meets the limit and is as probable as the best network found by brute force (up to cost rounding)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.tuple(fc.double({ min: -2, max: 2, noNaN: true }), fc.oneof(fc.constant(0), fc.double({ min: 0.01, max: 5, noNaN: true }))), { minLength: 2, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (blocks, q) => {
          const alpha = blocks.map((b) => b.map(([a]) => a))
          const table: CostTable = { unit: 'ms', fixed: 0.5, perBlock: blocks.map((b) => b.map(([, c]) => c)) }
          const lo = architectureCost(table.perBlock.map((c) => c.indexOf(Math.min(...c))), table)
          const hi = architectureCost(table.perBlock.map((c) => c.indexOf(Math.max(...c))), table)
          const limit = lo + q * (hi - lo)
          const got = mostProbableWithin(alpha, table, limit)
          const want = brute(alpha, table, limit)
          // Costs are rounded up to 1/2000 of the budget, so only networks within that margin of the limit can be missed.
          const tight = brute(alpha, table, limit - (limit - table.fixed) * (alpha.length / 2000))
          if (got === null) {
            expect(tight).toBeNull()
            return
          }
          expect(architectureCost(got, table)).toBeLessThanOrEqual(limit + 1e-9)
          const logp = got.reduce((s, j, b) => s + Math.log(softmax(alpha[b])[j]), 0)
          const tol = 1e-9 * (1 + Math.abs(want!.logp))
          if (tight) expect(logp).toBeGreaterThanOrEqual(tight.logp - tol)
          expect(logp).toBeLessThanOrEqual(want!.logp + tol)
        }
      ),
      { numRuns: 300 }
    )
  })

  it('with a floor, picks the most probable network between the floor and the limit', () => {
    const table: CostTable = { unit: 'ms', fixed: 1, perBlock: [[1, 2, 3], [1, 2, 3]] }
    const alpha = [[2, 0, 0], [2, 0, 0]]
    expect(mostProbableWithin(alpha, table, 8)).toEqual([0, 0])
    const got = mostProbableWithin(alpha, table, 6, { floor: 5.5 }) as number[]
    expect(architectureCost(got, table)).toBe(6)
  })

  it('is the argmax when that fits, and null when nothing fits', () => {
    const table: CostTable = { unit: 'ms', fixed: 1, perBlock: [[1, 2, 3], [1, 2, 3]] }
    const alpha = [[0, 0, 1], [0, 1, 0]]
    expect(mostProbableWithin(alpha, table, 100)).toEqual([2, 1])
    expect(architectureCost(mostProbableWithin(alpha, table, 4) as number[], table)).toBeLessThanOrEqual(4)
    expect(mostProbableWithin(alpha, table, 2.5)).toBeNull()
  })
})

describe('the α update on a toy problem', () => {
  // 6 blocks of 4 ops: op j costs (j+1) ms and lowers the cross-entropy by 0.05·j (bigger ops are more accurate).
  const blocks = 6
  const table: CostTable = { unit: 'ms', fixed: 1, perBlock: Array.from({ length: blocks }, () => [1, 2, 3, 4]) }
  function derive(lambda: number, mode: 'full_v2' | 'two'): number {
    const rng = new SavableRng(11)
    const alpha = Array.from({ length: blocks }, () => [0, 0, 0, 0])
    const adam = new AlphaAdam(alpha.map((a) => a.length), 1e-2)
    for (let step = 0; step < 600; step++) {
      const samples = alpha.map((a) => sampleGates(a, mode, rng.next))
      const ce = 1.5 - samples.reduce((s, g) => s + 0.05 * g.active, 0)
      const gateGrad = alpha.map((a) => a.map((_, j) => -0.05 * j)) // ∂CE/∂g_j
      updateAlpha(alpha, adam, { ce, gateGrad, involved: samples.map((s) => s.involved) }, { table, loss: { form: 'add#linear', target: 12, lambda } }, mode)
    }
    return architectureCost(alpha.map((a) => a.indexOf(Math.max(...a))), table)
  }

  it('with abs#linear and the within-target derivation, a sweep of targets gives networks spread over the range', () => {
    const costs: number[] = []
    for (const target of [9, 14, 20]) {
      const rng = new SavableRng(11)
      const alpha = Array.from({ length: blocks }, () => [0, 0, 0, 0])
      const adam = new AlphaAdam(alpha.map((a) => a.length), 1e-3)
      for (let step = 0; step < 30; step++) {
        const samples = alpha.map((a) => sampleGates(a, 'full_v2', rng.next))
        const ce = 1.5 - samples.reduce((s, g) => s + 0.05 * g.active, 0)
        const gateGrad = alpha.map((a) => a.map((_, j) => -0.05 * j))
        updateAlpha(alpha, adam, { ce, gateGrad, involved: samples.map((s) => s.involved) }, { table, loss: { form: 'abs#linear', target } }, 'full_v2')
      }
      const cost = architectureCost(mostProbableWithin(alpha, table, target, { floor: 0.9 * target }) as number[], table)
      expect(cost).toBeLessThanOrEqual(target)
      expect(cost).toBeGreaterThanOrEqual(0.9 * target - 1e-9)
      costs.push(cost)
    }
    // A higher target gives a costlier (here: more accurate) network; the argmax alone would give one network.
    expect(costs[1]).toBeGreaterThan(costs[0])
    expect(costs[2]).toBeGreaterThan(costs[1])
  })

  it('raising λ lowers the latency of the derived network (full_v2 and two-path)', () => {
    for (const mode of ['full_v2', 'two'] as const) {
      const weak = derive(0.01, mode)
      const strong = derive(3, mode)
      expect(strong).toBeLessThan(weak)
      expect(strong).toBeLessThanOrEqual(12)
    }
  })
})

describe('supernet training workers', () => {
  it('uses the cores but keeps at least 32 images per shard (batch-norm statistics come from the shard)', async () => {
    const { supernetWorkers } = await import('../../../src/main/nas/job')
    expect(supernetWorkers(2, 64)).toBe(2)
    expect(supernetWorkers(16, 64)).toBe(2)
    expect(supernetWorkers(16, 256)).toBe(8)
    expect(supernetWorkers(2, 32)).toBe(1)
    expect(supernetWorkers(1, 256)).toBe(1)
    expect(supernetWorkers(4, 8)).toBe(1)
  })
})
