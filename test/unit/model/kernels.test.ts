// The lab's wasm gradient kernels against the stock cpu backend and against float64 finite differences.
import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { initTrainingBackend } from '../../../src/main/model/backend'
import { relu6 } from '../../../src/main/model/kernels'
import { createRng, normal } from '../../../src/main/model/rng'
import { planFrames } from '../../../src/main/model/kernels/depthwise-split'
import { refConv, type T4 } from './reference'

const randomArray = (n: number, seed: number): Float32Array => {
  const rng = createRng(seed)
  return Float32Array.from({ length: n }, () => normal(rng))
}

interface Case { h: number; w: number; k: number; s: number; pad: 'same' | 'valid'; c: number; o: number; m: number }
const CASES: Case[] = [
  { h: 7, w: 7, k: 3, s: 1, pad: 'same', c: 3, o: 4, m: 1 },
  { h: 9, w: 9, k: 3, s: 2, pad: 'same', c: 4, o: 5, m: 1 },
  { h: 8, w: 8, k: 5, s: 2, pad: 'same', c: 3, o: 2, m: 1 },
  { h: 11, w: 9, k: 7, s: 2, pad: 'same', c: 2, o: 3, m: 2 },
  { h: 10, w: 10, k: 7, s: 1, pad: 'same', c: 3, o: 3, m: 1 },
  { h: 13, w: 11, k: 5, s: 1, pad: 'valid', c: 2, o: 3, m: 1 },
  { h: 12, w: 11, k: 3, s: 2, pad: 'valid', c: 3, o: 2, m: 1 },
  { h: 7, w: 6, k: 1, s: 1, pad: 'same', c: 5, o: 6, m: 1 },
  { h: 7, w: 7, k: 1, s: 2, pad: 'same', c: 3, o: 4, m: 1 } // kernel smaller than stride: the crop fallback
]
const BATCH = 2

interface Grads { dx: Float32Array; dw: Float32Array; ddx: Float32Array; ddw: Float32Array }

/** Gradients of sum(conv(x, w) * r) for a regular and a depthwise convolution, on the active backend. */
function grads(cs: Case, x: Float32Array, w: Float32Array, dwW: Float32Array, r: Float32Array, rd: Float32Array): Grads {
  return tf.tidy(() => {
    const xt = tf.tensor4d(x, [BATCH, cs.h, cs.w, cs.c])
    const wt = tf.tensor4d(w, [cs.k, cs.k, cs.c, cs.o])
    const dwt = tf.tensor4d(dwW, [cs.k, cs.k, cs.c, cs.m])
    const [gx, gw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const y = tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, cs.s, cs.pad)
      return tf.sum(tf.mul(y, tf.tensor(r, y.shape)))
    })([xt, wt])
    const [gdx, gdw] = tf.grads((a: tf.Tensor, b: tf.Tensor) => {
      const y = tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, cs.s, cs.pad)
      return tf.sum(tf.mul(y, tf.tensor(rd, y.shape)))
    })([xt, dwt])
    return { dx: gx.dataSync() as Float32Array, dw: gw.dataSync() as Float32Array, ddx: gdx.dataSync() as Float32Array, ddw: gdw.dataSync() as Float32Array }
  }) as unknown as Grads
}

function relErr(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let diff = 0
  let scale = 0
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - ref[i]))
    scale = Math.max(scale, Math.abs(ref[i]))
  }
  return diff / Math.max(scale, 1e-12)
}

function outSize(n: number, cs: Case): number {
  return cs.pad === 'same' ? Math.ceil(n / cs.s) : Math.floor((n - cs.k) / cs.s) + 1
}

describe('wasm training kernels', () => {
  beforeAll(async () => {
    expect(await initTrainingBackend('wasm', () => {})).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
  })

  it('registers the missing gradient kernels on wasm', () => {
    for (const k of ['Conv2DBackpropFilter', 'DepthwiseConv2dNativeBackpropFilter', 'DepthwiseConv2dNativeBackpropInput', 'Conv2DBackpropInput']) {
      expect(tf.getKernel(k, 'wasm'), k).toBeDefined()
    }
  })

  for (const [i, cs] of CASES.entries()) {
    it(`match cpu and finite differences: ${cs.h}x${cs.w} k${cs.k} s${cs.s} ${cs.pad} mult ${cs.m}`, async () => {
      const ho = outSize(cs.h, cs), wo = outSize(cs.w, cs)
      const x = randomArray(BATCH * cs.h * cs.w * cs.c, 10 + i)
      const w = randomArray(cs.k * cs.k * cs.c * cs.o, 20 + i)
      const dwW = randomArray(cs.k * cs.k * cs.c * cs.m, 30 + i)
      const r = randomArray(BATCH * ho * wo * cs.o, 40 + i)
      const rd = randomArray(BATCH * ho * wo * cs.c * cs.m, 50 + i)
      await tf.setBackend('wasm')
      const mine = grads(cs, x, w, dwW, r, rd)
      await tf.setBackend('cpu')
      const stock = grads(cs, x, w, dwW, r, rd)
      await tf.setBackend('wasm')
      for (const key of ['dx', 'dw', 'ddx', 'ddw'] as const) {
        expect(mine[key].length).toBe(stock[key].length)
        expect(relErr(mine[key], stock[key]), `${key} vs cpu`).toBeLessThanOrEqual(1e-4)
      }

      // Float64 central differences of L = sum(conv(x, w) * r) at sampled entries; L is linear in each entry.
      const x64 = Float64Array.from(x)
      const loss = (xv: Float64Array, f: Float64Array, fShape: number[], rr: Float32Array, depthwise: boolean): number => {
        const y = refConv({ data: xv, shape: [BATCH, cs.h, cs.w, cs.c] } as T4, f, fShape, cs.s, cs.pad, depthwise)
        let s = 0
        for (let j = 0; j < y.data.length; j++) s += y.data[j] * rr[j]
        return s
      }
      const rng = createRng(99 + i)
      const eps = 1e-3
      const check = (values: Float64Array, g: Float32Array, evalLoss: () => number, label: string): void => {
        const fd: number[] = []
        const got: number[] = []
        for (let t = 0; t < 12; t++) {
          const j = Math.floor(rng() * values.length)
          const keep = values[j]
          values[j] = keep + eps
          const up = evalLoss()
          values[j] = keep - eps
          const down = evalLoss()
          values[j] = keep
          fd.push((up - down) / (2 * eps))
          got.push(g[j])
        }
        // Relative to the tensor's gradient scale so that near-zero entries do not inflate the error.
        const scale = Math.max(...Array.from(g, Math.abs))
        const worst = Math.max(...fd.map((v, t) => Math.abs(v - got[t])))
        expect(worst / scale, `${label} vs finite differences`).toBeLessThanOrEqual(1e-4)
      }
      const w64 = Float64Array.from(w)
      const d64 = Float64Array.from(dwW)
      const wShape = [cs.k, cs.k, cs.c, cs.o]
      const dShape = [cs.k, cs.k, cs.c, cs.m]
      check(w64, mine.dw, () => loss(x64, w64, wShape, r, false), 'conv dW')
      check(x64, mine.dx, () => loss(x64, w64, wShape, r, false), 'conv dx')
      check(d64, mine.ddw, () => loss(x64, d64, dShape, rd, true), 'depthwise dW')
      check(x64, mine.ddx, () => loss(x64, d64, dShape, rd, true), 'depthwise dx')
    })
  }

  it('splits 7x7 depthwise kernels into 5x5 frames that cover each tap once', () => {
    for (const [top, left] of [[3, 3], [2, 3], [3, 2], [2, 2]]) {
      const frames = planFrames(7, 7, top, left)!
      expect(frames).toHaveLength(4)
      const cover = new Array(49).fill(0)
      for (const f of frames) {
        expect(f.r0).toBeLessThanOrEqual(top)
        expect(f.c0).toBeLessThanOrEqual(left)
        f.mask.forEach((v, i) => { if (v) cover[(f.r0 + Math.floor(i / 5)) * 7 + f.c0 + (i % 5)]++ })
      }
      expect(cover.every((n) => n === 1)).toBe(true)
    }
    expect(planFrames(7, 7, 0, 0)).toBeNull() // 'valid' padding: no room to shift, the stock kernel runs
  })

  for (const [h, s, pad, m] of [[14, 1, 'same', 1], [15, 2, 'same', 1], [14, 2, 'same', 2], [13, 1, 'valid', 1], [9, 3, 'same', 1]] as const) {
    it(`7x7 depthwise forward matches cpu: ${h}x${h} s${s} ${pad} mult ${m}`, async () => {
      const x = randomArray(2 * h * h * 3, h + s)
      const f = randomArray(49 * 3 * m, 7 + s)
      const run = (): Float32Array => tf.tidy(() => tf.depthwiseConv2d(tf.tensor4d(x, [2, h, h, 3]), tf.tensor4d(f, [7, 7, 3, m]), s, pad).dataSync() as Float32Array)
      await tf.setBackend('wasm')
      const mine = run()
      await tf.setBackend('cpu')
      const stock = run()
      await tf.setBackend('wasm')
      expect(mine.length).toBe(stock.length)
      expect(relErr(mine, stock)).toBeLessThanOrEqual(1e-5)
    })
  }

  it('relu6 has the gradient dy * step(x) * step(6 - x)', async () => {
    const xs = [-3, -0.5, 0.25, 3, 5.9, 6.1, 9]
    const g = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(relu6(x), tf.tensor1d([1, 2, 3, 4, 5, 6, 7]))))(tf.tensor1d(xs)).arraySync())
    expect(g).toEqual([0, 0, 3, 4, 5, 0, 0])
    const y = tf.tidy(() => relu6(tf.tensor1d(xs)).arraySync())
    expect(y).toEqual([0, 0, 0.25, 3, 5.900000095367432, 6, 6])
  })

  it('does not leak tensors', () => {
    const before = tf.memory().numTensors
    const cs = CASES[1]
    const x = randomArray(BATCH * cs.h * cs.w * cs.c, 1)
    const w = randomArray(cs.k * cs.k * cs.c * cs.o, 2)
    const dwW = randomArray(cs.k * cs.k * cs.c * cs.m, 3)
    const ho = outSize(cs.h, cs), wo = outSize(cs.w, cs)
    grads(cs, x, w, dwW, randomArray(BATCH * ho * wo * cs.o, 4), randomArray(BATCH * ho * wo * cs.c, 5))
    expect(tf.memory().numTensors).toBe(before)
  })
})
