// The supernet's weight steps on the data-parallel trainer (worker threads) against the same steps on this thread:
// one worker with one chunk normalises by the whole batch's statistics, so weights, running statistics, loss and
// accuracy must match the single-thread step; two workers normalise per shard (as data-parallel PyTorch does) and
// must still train, keep untouched paths frozen, and save and restore their state.
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initTrainingEngine } from '../../../src/main/model/train/engine'
import { getSpace } from '../../../src/main/model/space'
import { SavableRng } from '../../../src/main/nas/random'
import { DEFAULT_SEARCH_SETTINGS, ProxylessSearch } from '../../../src/main/nas/search'
import { Supernet } from '../../../src/main/nas/supernet'

const space = getSpace('small', { widthMult: 0.25, stemStride: 2 })
const settings = { ...DEFAULT_SEARCH_SETTINGS, weightDecay: 1e-3 }
const open: ProxylessSearch[] = []

function randomBatch(n: number, seed: number) {
  const rng = new SavableRng(seed)
  const x = Float32Array.from({ length: n * 28 * 28 }, () => rng.next())
  const y = Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % 10)
  return { x, y, size: n, shape: [n, 28, 28, 1] as [number, number, number, number], indices: new Int32Array(n) }
}

function search(seed: number): ProxylessSearch {
  const s = new ProxylessSearch(new Supernet(space, { seed }), { ...settings })
  open.push(s)
  return s
}

/** Largest |a − b| relative to b's largest magnitude (at least 1e-3, so tensors that stayed ~0 compare absolutely). */
function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let scale = 1e-3
  for (const v of b) scale = Math.max(scale, Math.abs(v))
  let d = 0
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]))
  return d / scale
}

beforeAll(async () => {
  await initTrainingEngine({ log: () => undefined })
})

afterAll(async () => {
  for (const s of open) await s.close()
})

describe('supernet weight steps on training workers', () => {
  it('one worker equals this thread: weights, running statistics, loss and accuracy after three steps', async () => {
    const here = search(4)
    const there = search(4)
    await there.attachTrainer(1)
    expect(there.trainingWorkers).toBe(1)
    const paths = [here.net.blocks.map(() => 1), here.net.blocks.map((b, i) => i % b.ops.length), here.net.blocks.map(() => 1)]
    for (const [i, choice] of paths.entries()) {
      const batch = randomBatch(12, 20 + i)
      const a = await here.weightStepAsync(batch, choice, 0.1)
      const b = await there.weightStepAsync(batch, choice, 0.1)
      expect(b.ce).toBeCloseTo(a.ce, 4)
      expect(b.correct).toBe(a.correct)
    }
    here.saveState()
    there.saveState() // takes the trainer's weights
    const wa = here.net.snapshot()
    const wb = there.net.snapshot()
    let compared = 0
    for (const [k, v] of wa) {
      expect(maxRelDiff(wb.get(k) as Float32Array, v), k).toBeLessThan(1e-4)
      compared++
    }
    expect(compared).toBeGreaterThan(50)
    // Running statistics moved (the test can fail): the stem's mean is no longer its initial zeros.
    expect(Array.from(wb.get('stem/mean') as Float32Array).some((v) => v !== 0)).toBe(true)
  }, 120_000)

  it('two workers train the sampled path only, and a saved state resumes on this thread exactly', async () => {
    const two = search(5)
    await two.attachTrainer(2)
    expect(two.trainingWorkers).toBe(2)
    const choice = two.net.blocks.map(() => 1)
    const before = two.net.snapshot()
    const first = await two.weightStepAsync(randomBatch(16, 3), choice, 0.1)
    expect(Number.isFinite(first.ce)).toBe(true)
    two.saveState()
    const after = two.net.snapshot()
    const trained = new Set(two.net.trainableFor(choice).keys())
    let moved = 0
    for (const [k, v] of after) {
      const same = maxRelDiff(v, before.get(k) as Float32Array) === 0
      if (trained.has(k) && !same) moved++
      if (!trained.has(k) && !k.endsWith('/mean') && !k.endsWith('/var')) expect(same, `${k} is off the path`).toBe(true)
    }
    expect(moved).toBeGreaterThan(10)

    // The state (weights + velocity) continues identically on this thread with one chunk.
    const state = JSON.parse(JSON.stringify(two.saveState()))
    const resumedHere = search(99)
    resumedHere.loadState(state)
    const resumedThere = search(98)
    await resumedThere.attachTrainer(1)
    resumedThere.loadState(state)
    const batch = randomBatch(8, 4)
    const a = await resumedHere.weightStepAsync(batch, choice, 0.05)
    const b = await resumedThere.weightStepAsync(batch, choice, 0.05)
    expect(b.ce).toBeCloseTo(a.ce, 4)
    resumedHere.saveState()
    resumedThere.saveState()
    const ka = resumedHere.net.snapshot()
    const kb = resumedThere.net.snapshot()
    for (const k of trained) expect(maxRelDiff(kb.get(k) as Float32Array, ka.get(k) as Float32Array), k).toBeLessThan(1e-4)
    expect(tf.memory().numTensors).toBeGreaterThan(0)
  }, 120_000)
})
