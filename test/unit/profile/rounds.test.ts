// Profile rounds: a key's entry is the median over interleaved rounds, with the total spread; checkpoints written
// before rounds existed resume as round 1.
import { describe, expect, it } from 'vitest'
import { combineRounds, profileCheckpointOf } from '../../../src/main/profile/job'
import type { EntryStats } from '../../../src/main/profile/table'

const entry = (meanMs: number, stdMs = 0, energyMj: number | null = null): EntryStats => ({ count: 10, meanMs, stdMs, energyMj, energyStdMj: energyMj === null ? null : 0.1 })

describe('combineRounds', () => {
  it('takes the median of the rounds, so one slow round does not move the entry', () => {
    const c = combineRounds([entry(0.2), entry(0.9), entry(0.21)])
    expect(c.meanMs).toBe(0.21)
    expect(c.count).toBe(30)
  })
  it('reports the total spread: within-round and between-round variance', () => {
    const c = combineRounds([entry(1, 0.3), entry(3, 0.4)])
    expect(c.meanMs).toBe(2)
    // within = (0.09 + 0.16) / 2 = 0.125; between = ((1-2)^2 + (3-2)^2) / 2 = 1
    expect(c.stdMs).toBeCloseTo(Math.sqrt(1.125), 12)
  })
  it('energy: median of the rounds that have it; none → null', () => {
    expect(combineRounds([entry(1, 0, 5), entry(1, 0, 9), entry(1, 0, 6)]).energyMj).toBe(6)
    expect(combineRounds([entry(1), entry(2)]).energyMj).toBeNull()
  })
  it('one round is returned as measured', () => {
    const e = entry(0.5, 0.05, 2)
    expect(combineRounds([e])).toBe(e)
  })
})

describe('profileCheckpointOf', () => {
  it('reads a checkpoint from before rounds as round 1, keeping what it measured', () => {
    const old = {
      baseline: { ms: 0.01, mj: null },
      packed: { a: entry(0.3) },
      perBlock: { a: entry(0.31) },
      check: [{ architecture: 'k3e3', measuredMs: 1, measuredMj: null }],
      elapsedMs: { packed: 5, perBlock: 6, check: 7 },
      packedFallbackKeys: []
    }
    const cp = profileCheckpointOf(old)
    expect(cp.packedRounds).toEqual([{ a: entry(0.3) }])
    expect(cp.perBlockRounds).toEqual([{ a: entry(0.31) }])
    expect(cp.checkRounds).toEqual([[{ architecture: 'k3e3', measuredMs: 1, measuredMj: null }]])
    expect(cp.baseline).toEqual({ ms: 0.01, mj: null })
    expect(cp.elapsedMs).toEqual({ packed: 5, perBlock: 6, check: 7 })
  })
  it('starts empty without a checkpoint', () => {
    expect(profileCheckpointOf(null)).toMatchObject({ baseline: null, packedRounds: [], perBlockRounds: [], checkRounds: [] })
  })
})
