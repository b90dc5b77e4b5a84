// Seeded random numbers whose state can be saved and restored, so a checkpointed search resumes exactly.
import { LabError } from '../../shared/errors'

/** mulberry32 with its 32-bit state exposed (same generator as model/rng.ts, plus save/restore). */
export class SeededRandom {
  private state: number

  constructor(seed: number) {
    if (!Number.isInteger(seed) || seed < 1) throw new LabError('bad_request', `Seed must be a whole number of at least 1 (got ${seed}).`, 'seed')
    this.state = seed >>> 0
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }

  /** Standard normal by Box-Muller. */
  normal(): number {
    let u = this.next()
    while (u <= 1e-12) u = this.next()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next())
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.next() * n))
  }

  /** Normal(mean, sigma) truncated to [lo, hi], by rejection (HAQ samples exploration actions this way). */
  truncatedNormal(mean: number, sigma: number, lo: number, hi: number): number {
    if (sigma <= 0) return Math.min(hi, Math.max(lo, mean))
    for (let tries = 0; tries < 1000; tries++) {
      const x = mean + sigma * this.normal()
      if (x >= lo && x <= hi) return x
    }
    // The mean is far outside [lo, hi] relative to sigma: the truncated mass sits at the nearer bound.
    return Math.min(hi, Math.max(lo, mean))
  }

  getState(): number {
    return this.state
  }

  setState(state: number): void {
    this.state = state >>> 0
  }
}
