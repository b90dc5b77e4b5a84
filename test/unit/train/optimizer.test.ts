// Flat optimizers against tfjs's own (SGD with momentum from tfjs.ts, Adam from tf.train.adam).
import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { createRng, normal } from '../../../src/main/model/rng'
import { SgdMomentum } from '../../../src/main/model/tfjs'
import { createOptimizer, rangesOf } from '../../../src/main/model/train/optimizer'

const N = 50
const rng = createRng(21)
const w0 = Float32Array.from({ length: N }, () => normal(rng))
const gradsAt = Array.from({ length: 4 }, () => Float32Array.from({ length: N }, () => normal(rng)))

function close(a: Float32Array, b: Float32Array): void {
  for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 5)
}

describe('flat optimizers', () => {
  it('SGD with momentum follows tfjs.ts SgdMomentum (PyTorch form)', async () => {
    await tf.setBackend('cpu')
    const opt = createOptimizer({ kind: 'sgd', lr: 0.1, momentum: 0.9 }, N)
    const w = w0.slice()
    const v = tf.variable(tf.tensor1d(w0), true, 'w')
    const ref = new SgdMomentum(0.1, 0.9)
    for (const g of gradsAt) {
      opt.apply(w, Float64Array.from(g))
      ref.apply([v], { w: tf.tensor1d(g) })
    }
    close(w, v.dataSync() as Float32Array)
    expect(w).not.toEqual(w0)
  })

  it('Adam follows tf.train.adam', async () => {
    await tf.setBackend('cpu')
    const opt = createOptimizer({ kind: 'adam', lr: 0.01 }, N)
    const w = w0.slice()
    const v = tf.variable(tf.tensor1d(w0), true, 'wa')
    const ref = tf.train.adam(0.01, 0.9, 0.999, 1e-8)
    for (const g of gradsAt) {
      opt.apply(w, Float64Array.from(g))
      ref.applyGradients({ wa: tf.tensor1d(g) } as unknown as Parameters<typeof ref.applyGradients>[0])
    }
    close(w, v.dataSync() as Float32Array)
  })

  it('Adam under a mask: a frozen element keeps its value and its own step count (bias correction)', () => {
    // Elements frozen for some steps have fewer steps than the others; each must be corrected by its own count.
    const n = 6
    const opt = createOptimizer({ kind: 'adam', lr: 0.01 }, n)
    const w = new Float32Array(n).fill(1)
    const masks = [
      [1, 1, 0, 0, 1, 0],
      [1, 0, 1, 0, 1, 0],
      [1, 1, 1, 1, 0, 0]
    ]
    const grads = [0.5, -1, 2, 0.25, -0.75, 3]
    // Reference: per element, Adam over the steps where its mask was 1.
    const expected = grads.map((g, i) => {
      let m = 0
      let v = 0
      let x = 1
      let t = 0
      for (const mask of masks) {
        if (!mask[i]) continue
        t++
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        x -= (0.01 * (m / (1 - 0.9 ** t))) / (Math.sqrt(v / (1 - 0.999 ** t)) + 1e-8)
      }
      return x
    })
    for (const mask of masks) opt.apply(w, Float64Array.from(grads), rangesOf(mask))
    expected.forEach((e, i) => expect(w[i]).toBeCloseTo(e, 6))
    expect(w[5]).toBe(1) // never unfrozen
  })

  it('turns a mask into ranges', () => {
    expect(rangesOf([1, 1, 0, 1, 0, 0, 1])).toEqual([[0, 2], [3, 4], [6, 7]])
    expect(rangesOf([0, 0])).toEqual([])
  })

  it('refuses a non-positive learning rate with a sentence', () => {
    expect(() => createOptimizer({ kind: 'sgd', lr: 0 }, 3)).toThrow(/learning rate must be positive/)
  })
})
