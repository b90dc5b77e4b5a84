// Data-parallel training in real worker threads: 2 workers follow the same loss curve as 1 worker, runs are
// reproducible, tensors do not leak, the loss hook is used, and dispose leaves no thread behind.
import * as fs from 'fs'
import * as path from 'path'
import { describe, expect, it } from 'vitest'
import { initWeights } from '../../../src/main/model/ir'
import { createRng } from '../../../src/main/model/rng'
import { ParallelTrainer, shardRanges } from '../../../src/main/model/train/parallel'
import { referenceTrainingNet } from '../../../src/main/model/train/reference-net'

const net = referenceTrainingNet({ inputShape: [12, 12, 1] })
const BATCH = 15 // odd: shards of 8 and 7, so the average must be weighted by shard size
const STEPS = 5

function batches(seed: number): { xs: Float32Array; labels: Int32Array }[] {
  const rng = createRng(seed)
  return Array.from({ length: STEPS }, () => ({
    xs: Float32Array.from({ length: BATCH * 144 }, () => rng()),
    labels: Int32Array.from({ length: BATCH }, () => Math.floor(rng() * 10))
  }))
}
const threadCount = (): number => fs.readdirSync('/proc/self/task').length

async function run(workers: number, opts: { lossModule?: string; chunk?: number } = {}): Promise<{ losses: number[]; weights: Map<string, Float32Array>; tensors: number[][]; trainer: ParallelTrainer }> {
  const trainer = await ParallelTrainer.create({
    net, weights: initWeights(net, 5), workers, seed: 5, chunk: opts.chunk, optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 }, log: () => undefined,
    loss: opts.lossModule ? { module: opts.lossModule, options: { factor: 2 } } : undefined
  })
  const losses: number[] = []
  const tensors: number[][] = []
  for (const b of batches(8)) {
    losses.push(await trainer.trainStep(b.xs, b.labels))
    tensors.push(trainer.workerMemory().map((m) => m.numTensors))
  }
  return { losses, weights: trainer.getWeights(), tensors, trainer }
}

function maxRelDiff(a: Map<string, Float32Array>, b: Map<string, Float32Array>): number {
  let worst = 0
  for (const [k, va] of a) {
    const vb = b.get(k) as Float32Array
    const scale = Math.max(1e-6, ...Array.from(vb, Math.abs))
    for (let i = 0; i < va.length; i++) worst = Math.max(worst, Math.abs(va[i] - vb[i]) / scale)
  }
  return worst
}

describe('ParallelTrainer', () => {
  it('shards contiguously with sizes differing by at most one', () => {
    expect(shardRanges(15, 2)).toEqual([[0, 8], [8, 15]])
    expect(shardRanges(2, 3)).toEqual([[0, 1], [1, 2], [2, 2]])
  })

  it('2 workers give the 1-worker loss curve and weights; same seed, same numbers; no leaks; no threads left', async () => {
    const threadsBefore = threadCount()
    const one = await run(1)
    const two = await run(2)
    expect(two.trainer.workerCount).toBe(2)
    expect(two.trainer.backend).toBe('wasm')
    expect(two.trainer.nativeKernels).toBe(true)
    expect(threadCount()).toBeGreaterThan(threadsBefore)
    for (let i = 0; i < STEPS; i++) expect(Math.abs(two.losses[i] - one.losses[i]) / one.losses[i]).toBeLessThan(1e-4)
    expect(one.losses[STEPS - 1]).not.toBeCloseTo(one.losses[0], 2) // the weights really moved
    expect(maxRelDiff(two.weights, one.weights)).toBeLessThan(1e-4)
    // Tensors per worker stay flat after the first step.
    for (const t of [...one.tensors.slice(1), ...two.tensors.slice(1)]) expect(t).toEqual(t.map(() => one.tensors[1][0]))
    const evalBatch = batches(9)[0]
    const e1 = await one.trainer.evaluate(evalBatch.xs, evalBatch.labels)
    const e2 = await two.trainer.evaluate(evalBatch.xs, evalBatch.labels)
    expect(e2.count).toBe(BATCH)
    expect(e2.accuracy).toBe(e1.accuracy)
    expect(Math.abs(e2.loss - e1.loss) / e1.loss).toBeLessThan(1e-4)
    for (const m of two.trainer.workerMemory()) {
      expect(m.numTensors).toBe(one.tensors[1][0])
      expect(m.wasmHeapBytes).toBeGreaterThan(0)
      expect(m.maxRssBytes).toBeGreaterThanOrEqual(m.rssBytes * 0.5)
    }
    await one.trainer.dispose()
    await two.trainer.dispose()
    const again = await run(2)
    expect(again.losses).toEqual(two.losses) // bit-identical: the sum order does not depend on thread timing
    await again.trainer.dispose()
    expect(again.trainer.liveWorkers).toBe(0)
    await expect(again.trainer.trainStep(evalBatch.xs, evalBatch.labels)).rejects.toThrow(/disposed/)
    const deadline = Date.now() + 5000
    while (threadCount() > threadsBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    expect(threadCount()).toBeLessThanOrEqual(threadsBefore)
  })

  it('with a fixed chunk size, 1 and 2 workers give bit-identical losses and weights', async () => {
    const one = await run(1, { chunk: 4 })
    await one.trainer.dispose()
    const two = await run(2, { chunk: 4 })
    await two.trainer.dispose()
    expect(two.losses).toEqual(one.losses)
    expect(maxRelDiff(two.weights, one.weights)).toBe(0)
  })

  it('updates only the chosen keys, exposes the averaged gradient, and takes weights from the caller', async () => {
    const trainer = await ParallelTrainer.create({ net, weights: initWeights(net, 5), workers: 2, seed: 5, optimizer: { kind: 'adam', lr: 0.01 }, log: () => undefined })
    try {
      const before = trainer.getWeights()
      const b = batches(3)[0]
      await trainer.trainStep(b.xs, b.labels, { update: ['logits/kernel', 'logits/bias'] })
      const after = trainer.getWeights()
      const grad = trainer.lastGradient()
      for (const [k, v] of after) {
        if (k.startsWith('logits/')) expect(v).not.toEqual(before.get(k))
        else expect(v).toEqual(before.get(k))
      }
      expect(Math.max(...Array.from(grad.get('stem/kernel') as Float32Array, Math.abs))).toBeGreaterThan(0)
      const zeros = new Map([['logits/bias', new Float32Array(10)]])
      trainer.setWeights(zeros)
      expect(trainer.getWeights().get('logits/bias')).toEqual(new Float32Array(10))
      const e = await trainer.evaluate(b.xs, b.labels)
      expect(Number.isFinite(e.loss)).toBe(true)
      expect(() => trainer.setWeights(new Map([['nope/kernel', new Float32Array(1)]]))).toThrow(/not a parameter/)
    } finally {
      await trainer.dispose()
    }
  })

  it('a worker that sat out steps reloads what changed meanwhile; gradients "update" skips the others', async () => {
    // One-image steps give one chunk, so one worker sits out; later two-image steps need both, on current weights.
    // Steps alternate between two disjoint key sets, so a worker must reload the union of what changed while it sat out.
    const make = (workers: number) => ParallelTrainer.create({ net, weights: initWeights(net, 7), workers, seed: 7, chunk: 1, optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9 }, log: () => undefined })
    const [one, two] = [await make(1), await make(2)]
    try {
      const b = batches(4)
      const sizes = [2, 1, 1, 2, 1, 2]
      const pick = (i: number) => ({ xs: b[i % b.length].xs.subarray(0, sizes[i] * 144), labels: b[i % b.length].labels.subarray(0, sizes[i]) })
      const a = ['logits/kernel', 'logits/bias', 'stem/kernel']
      const rest = [...one.getWeights().keys()].filter((k) => !a.includes(k))
      for (let i = 0; i < sizes.length; i++) {
        const opts = { update: i % 2 ? rest : a, gradients: 'update' as const }
        const l1 = await one.trainStep(pick(i).xs, pick(i).labels, opts)
        const l2 = await two.trainStep(pick(i).xs, pick(i).labels, opts)
        expect(l2, `step ${i}`).toBe(l1) // fixed chunks: bit-identical whatever worker computed them
      }
      expect(maxRelDiff(two.getWeights(), one.getWeights())).toBe(0)
      // After an 'update' step the updated keys' gradients are there; the loss module reported nothing else.
      const g = two.lastGradientOf(['stem/kernel'])
      expect(Math.max(...Array.from(g.get('stem/kernel') as Float32Array, Math.abs))).toBeGreaterThan(0)
    } finally {
      await one.dispose()
      await two.dispose()
    }
  })

  it('uses a custom loss module in every worker (the NAS extension point)', async () => {
    const base = await run(2)
    await base.trainer.dispose()
    const doubled = await run(2, { lossModule: path.join(__dirname, 'fixtures', 'doubled-loss.ts') })
    await doubled.trainer.dispose()
    expect(doubled.losses[0] / base.losses[0]).toBeCloseTo(2, 5)
    expect(doubled.losses[1]).not.toBeCloseTo(2 * base.losses[1], 3) // doubled gradients took a different path
  })
})
