// Seeded pseudo-random numbers, so weights and sampled architectures are reproducible from a seed.
import { LabError } from '../../shared/errors'

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number

/** mulberry32: tiny, fast, and good enough for initialisation and sampling (not for cryptography). */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 1) {
    throw new LabError('bad_request', `Seed must be a whole number of at least 1 (got ${seed}).`, 'seed')
  }
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Standard normal sample by Box-Muller (one of the pair; simplicity over speed). */
export function normal(rng: Rng): number {
  let u = rng()
  while (u <= 1e-12) u = rng()
  const v = rng()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
}

/** Uniform integer in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.min(n - 1, Math.floor(rng() * n))
}
