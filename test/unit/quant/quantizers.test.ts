import * as tf from '@tensorflow/tfjs'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  activationStep, fakeQuantTfjs, haqWeightClip, klClip, maxClip, perChannelMaxClip, quantizeActivationsLinear,
  quantizeKmeans, quantizeWeightsLinear, weightStep
} from '../../../src/main/quant/quantizers'
import { SeededRandom } from '../../../src/main/quant/random'

const weights = fc.array(fc.float({ min: -4, max: 4, noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 200 }).map((a) => Float32Array.from(a))
const bitsArb = fc.integer({ min: 2, max: 8 })

function gaussian(n: number, seed: number, outliers = 0): Float32Array {
  const rng = new SeededRandom(seed)
  const w = new Float32Array(n)
  for (let i = 0; i < n; i++) w[i] = rng.normal()
  for (let i = 0; i < outliers; i++) w[i] = 40 * (i % 2 === 0 ? 1 : -1)
  return w
}

describe('linear weight quantizer (HAQ eq. 2)', () => {
  it('keeps every value within s/2 of its quantized value inside the clip range', () => {
    fc.assert(fc.property(weights, bitsArb, fc.float({ min: Math.fround(0.05), max: 5, noNaN: true }), (w, bits, c) => {
      const q = quantizeWeightsLinear(w, bits, c)
      const s = weightStep(bits, c)
      for (let i = 0; i < w.length; i++) {
        if (Math.abs(w[i]) <= c) expect(Math.abs(w[i] - q[i])).toBeLessThanOrEqual(s / 2 + 1e-6 * c)
        expect(Math.abs(q[i])).toBeLessThanOrEqual(c * (1 + 1e-6))
      }
    }))
  })

  it('is idempotent: q(q(w)) = q(w)', () => {
    fc.assert(fc.property(weights, bitsArb, fc.float({ min: Math.fround(0.05), max: 5, noNaN: true }), (w, bits, c) => {
      const q = quantizeWeightsLinear(w, bits, c)
      expect(Array.from(quantizeWeightsLinear(q, bits, c))).toEqual(Array.from(q))
    }))
  })

  it('uses at most 2^b distinct levels', () => {
    fc.assert(fc.property(weights, bitsArb, (w, bits) => {
      expect(new Set(quantizeWeightsLinear(w, bits, maxClip(w))).size).toBeLessThanOrEqual(2 ** bits)
    }))
  })

  it('quantizes per channel with one clip per output channel (last axis)', () => {
    // channels 0 and 1 alternate; channel 1 holds much larger values
    const w = Float32Array.from([0.1, 10, -0.05, -8, 0.02, 3])
    const clips = perChannelMaxClip(w, 2)
    expect(Array.from(clips)).toEqual([Math.fround(0.1), 10])
    const q = quantizeWeightsLinear(w, 4, clips)
    // with one clip for the tensor, 0.02 would round to 0 (s = 10/7); per channel it keeps its sign and size
    expect(quantizeWeightsLinear(w, 4, 10)[4]).toBe(0)
    expect(q[4]).toBeCloseTo(0.1 / 7, 6)
  })

  it('rejects bits below 2 and non-positive clips with a sentence', () => {
    expect(() => quantizeWeightsLinear(new Float32Array(3), 1, 1)).toThrow(/Bit width/)
    expect(() => quantizeWeightsLinear(new Float32Array(3), 4, 0)).toThrow(/Clip value/)
  })
})

describe('linear activation quantizer', () => {
  it('maps post-ReLU values to 2^b levels on [0, c] within s/2', () => {
    fc.assert(fc.property(weights, bitsArb, (a, bits) => {
      const x = a.map(Math.abs)
      const c = maxClip(x)
      const q = quantizeActivationsLinear(x, bits, c)
      const s = activationStep(bits, c)
      expect(new Set(q).size).toBeLessThanOrEqual(2 ** bits)
      for (let i = 0; i < x.length; i++) expect(Math.abs(x[i] - q[i])).toBeLessThanOrEqual(s / 2 + 1e-6 * c)
    }))
  })
})

describe('KL-divergence clip', () => {
  it('is never above max |x|', () => {
    fc.assert(fc.property(fc.array(fc.float({ min: -100, max: 100, noNaN: true }), { minLength: 2, maxLength: 300 }), fc.integer({ min: 2, max: 16 }), (a, levels) => {
      const x = Float32Array.from(a)
      expect(klClip(x, levels, { bins: 256 })).toBeLessThanOrEqual(maxClip(x))
    }), { numRuns: 60 })
  })

  it('clips far outliers at low bit widths, which lowers the error of the bulk of the weights', () => {
    const w = gaussian(20000, 3, 4)
    const c = haqWeightClip(w, 3)
    expect(c).toBeLessThan(10)
    expect(c).toBeGreaterThan(0.5)
    const sse = (q: Float32Array): number => w.reduce((s, v, i) => s + (i < 4 ? 0 : (v - q[i]) ** 2), 0)
    expect(sse(quantizeWeightsLinear(w, 3, c))).toBeLessThan(sse(quantizeWeightsLinear(w, 3, maxClip(w))) / 10)
    expect(haqWeightClip(w, 6)).toBe(maxClip(w)) // b ≥ 5: max
  })
})

describe('k-means quantizer', () => {
  it('assigns every value to its nearest centroid, never raises the SSE, and uses ≤ 2^b centroids', () => {
    fc.assert(fc.property(weights, fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 1000 }), (w, bits, seed) => {
      const r = quantizeKmeans(w, bits, { seed })
      expect(r.centroids.length).toBeLessThanOrEqual(2 ** bits)
      for (let i = 0; i < w.length; i++) {
        const d = Math.abs(w[i] - r.centroids[r.assignments[i]])
        for (const c of r.centroids) expect(d).toBeLessThanOrEqual(Math.abs(w[i] - c) + 1e-6)
        expect(r.quantized[i]).toBe(r.centroids[r.assignments[i]])
      }
      for (let t = 1; t < r.sseHistory.length; t++) expect(r.sseHistory[t]).toBeLessThanOrEqual(r.sseHistory[t - 1] * (1 + 1e-9) + 1e-12)
    }))
  })

  it('is reproducible from the seed and beats linear quantization on Gaussian weights at 3 bits', () => {
    const w = gaussian(5000, 9)
    const a = quantizeKmeans(w, 3, { seed: 5 })
    expect(Array.from(quantizeKmeans(w, 3, { seed: 5 }).centroids)).toEqual(Array.from(a.centroids))
    const sse = (q: Float32Array): number => w.reduce((s, v, i) => s + (v - q[i]) ** 2, 0)
    expect(sse(a.quantized)).toBeLessThan(sse(quantizeWeightsLinear(w, 3, maxClip(w))))
  })
})

describe('straight-through estimator (tfjs)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu')
  })

  it('quantizes forward like the pure quantizer and passes gradients only inside the clip range', () => {
    const values = [-3, -1.2, -0.4, 0, 0.33, 0.9, 1.5, 2.5]
    const clip = 1.5
    const x = tf.tensor1d(values)
    const forward = fakeQuantTfjs(x, 4, clip)
    expect(Array.from(forward.dataSync())).toEqual(Array.from(quantizeWeightsLinear(Float32Array.from(values), 4, clip)))
    const upstream = tf.tensor1d([1, 2, 3, 4, 5, 6, 7, 8])
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(fakeQuantTfjs(t, 4, clip), upstream)))(x)
    expect(Array.from(grad.dataSync())).toEqual([0, 2, 3, 4, 5, 6, 7, 0])
    const unsignedGrad = tf.grad((t: tf.Tensor) => tf.sum(fakeQuantTfjs(t, 4, clip, 'unsigned')))(x)
    expect(Array.from(unsignedGrad.dataSync())).toEqual([0, 0, 0, 1, 1, 1, 1, 0])
    tf.dispose([x, forward, upstream, grad, unsignedGrad])
  })
})
