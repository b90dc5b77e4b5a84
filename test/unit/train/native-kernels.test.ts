// The native WebAssembly training kernels against the tfjs cpu backend (random shapes: odd sizes, strides 1/2,
// kernels 1/3/5/7, 'same' and 'valid') and against float64 finite differences of a plain-JS convolution.
import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { createRng, normal, randomInt, type Rng } from '../../../src/main/model/rng'
import { initTrainingEngine } from '../../../src/main/model/train/engine'
import { LAB_RELU6_GRAD, LAB_RELU6_GRAD_BIAS, batchNormTrain } from '../../../src/main/model/train/forward'
import { nativeKernels } from '../../../src/main/model/train/native-kernels'
import { refConv } from '../model/reference'

const randn = (n: number, rng: Rng): Float32Array => Float32Array.from({ length: n }, () => normal(rng))

/** max |a - b| / max |b|: the relative error of a whole result. */
function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let diff = 0
  let scale = 1e-12
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i] - b[i]))
    scale = Math.max(scale, Math.abs(b[i]))
  }
  return diff / scale
}

function on(backend: 'cpu' | 'wasm', f: () => tf.Tensor): Float32Array {
  const before = tf.getBackend()
  tf.setBackend(backend)
  try {
    return tf.tidy(() => f().dataSync() as Float32Array).slice()
  } finally {
    tf.setBackend(before)
  }
}

interface Case { b: number; h: number; w: number; c: number; o: number; k: number; s: number; pad: 'same' | 'valid' }

function randomCases(n: number, seed: number): Case[] {
  const rng = createRng(seed)
  const pick = <T>(xs: T[]): T => xs[randomInt(rng, xs.length)]
  return Array.from({ length: n }, (_, i) => {
    const k = pick([3, 5, 7])
    const h = 2 * randomInt(rng, 5) + k + (i % 2) // odd and even sizes, never smaller than the kernel
    return { b: 1 + randomInt(rng, 3), h, w: h + pick([0, 1, 2]), c: pick([1, 3, 4, 5, 8, 12, 13]), o: pick([1, 4, 6, 9, 16]), k, s: pick([1, 2]), pad: i % 5 === 4 ? 'valid' : 'same' }
  })
}
// Maps smaller than the kernel, as the late stages of a searched network have (a 7x7 on 2x2): taps that lie right of
// every input column must be skipped, not clipped to one column past the row (which once corrupted the heap).
const TINY: Case[] = [
  { b: 2, h: 1, w: 1, c: 8, o: 4, k: 7, s: 1, pad: 'same' },
  { b: 2, h: 2, w: 2, c: 12, o: 6, k: 7, s: 2, pad: 'same' },
  { b: 1, h: 2, w: 3, c: 5, o: 9, k: 5, s: 1, pad: 'same' },
  { b: 1, h: 3, w: 2, c: 16, o: 4, k: 7, s: 2, pad: 'same' },
  { b: 2, h: 4, w: 4, c: 20, o: 8, k: 7, s: 2, pad: 'same' },
  { b: 3, h: 2, w: 2, c: 40, o: 16, k: 3, s: 2, pad: 'same' }
]
const CASES = [...randomCases(14, 7), ...TINY]
const label = (c: Case): string => `b${c.b} ${c.h}x${c.w}x${c.c}->${c.o} k${c.k} s${c.s} ${c.pad}`
const outSize = (size: number, k: number, s: number, pad: string): number => (pad === 'same' ? Math.ceil(size / s) : Math.floor((size - k) / s) + 1)

beforeAll(async () => {
  const info = await initTrainingEngine({ backend: 'wasm', log: () => undefined })
  expect(info).toEqual({ backend: 'wasm', nativeKernels: true })
  expect(nativeKernels()).not.toBeNull()
})

describe('native kernels against the tfjs cpu backend', () => {
  it.each(CASES.map((c) => [label(c), c] as const))('depthwise gradients, %s', (_, cs) => {
    const rng = createRng(cs.h * 31 + cs.c)
    const ho = outSize(cs.h, cs.k, cs.s, cs.pad), wo = outSize(cs.w, cs.k, cs.s, cs.pad)
    const x = randn(cs.b * cs.h * cs.w * cs.c, rng), dy = randn(cs.b * ho * wo * cs.c, rng), f = randn(cs.k * cs.k * cs.c, rng)
    const attrs = { strides: [cs.s, cs.s], pad: cs.pad, dilations: 1 }
    const filterGrad = (): tf.Tensor =>
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.tensor4d(x, [cs.b, cs.h, cs.w, cs.c]), dy: tf.tensor4d(dy, [cs.b, ho, wo, cs.c]) }, { ...attrs, filterShape: [cs.k, cs.k, cs.c, 1] }) as tf.Tensor
    const inputGrad = (): tf.Tensor =>
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: tf.tensor4d(dy, [cs.b, ho, wo, cs.c]), filter: tf.tensor4d(f, [cs.k, cs.k, cs.c, 1]) }, { ...attrs, inputShape: [cs.b, cs.h, cs.w, cs.c] }) as tf.Tensor
    expect(relError(on('wasm', filterGrad), on('cpu', filterGrad))).toBeLessThan(1e-4)
    expect(relError(on('wasm', inputGrad), on('cpu', inputGrad))).toBeLessThan(1e-4)
  })

  it.each(CASES.map((c) => [label(c), c] as const))('conv filter gradient (kxk and 1x1), %s', (_, cs) => {
    const rng = createRng(cs.w * 17 + cs.o)
    for (const k of [cs.k, 1]) {
      const pad = k === 1 ? 'same' : cs.pad
      const s = k === 1 ? 1 : cs.s
      const ho = outSize(cs.h, k, s, pad), wo = outSize(cs.w, k, s, pad)
      const x = randn(cs.b * cs.h * cs.w * cs.c, rng), dy = randn(cs.b * ho * wo * cs.o, rng)
      const run = (): tf.Tensor =>
        tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor4d(x, [cs.b, cs.h, cs.w, cs.c]), dy: tf.tensor4d(dy, [cs.b, ho, wo, cs.o]) },
          { strides: [s, s], pad, dataFormat: 'NHWC', dimRoundingMode: undefined, filterShape: [k, k, cs.c, cs.o] } as unknown as tf.NamedAttrMap) as tf.Tensor
      expect(relError(on('wasm', run), on('cpu', run))).toBeLessThan(1e-4)
    }
  })

  it.each([['sum', tf.sum], ['mean', tf.mean]] as const)('%s over every axis but the last (bias gradients, batch-norm statistics); other axes are unchanged', (_, reduce) => {
    const rng = createRng(5)
    for (const shape of [[3, 7, 5, 13], [2, 9, 9, 96], [300, 7], [4, 1, 1, 5]]) {
      const x = randn(shape.reduce((a, b) => a * b, 1), rng)
      const axes = shape.slice(0, -1).map((_, i) => i)
      for (const keepDims of [false, true]) {
        const run = (): tf.Tensor => reduce(tf.tensor(x, shape), axes, keepDims)
        const w = on('wasm', run)
        expect(w.length).toBe(shape[shape.length - 1])
        expect(relError(w, on('cpu', run))).toBeLessThan(1e-4)
      }
      const other = (): tf.Tensor => reduce(tf.tensor(x, shape), -1)
      expect(relError(on('wasm', other), on('cpu', other))).toBeLessThan(1e-4)
    }
  })

  it.each([
    [[4, 5, 5, 13], false],
    [[4, 5, 5, 13], true],
    [[2, 7, 7, 96], true],
    [[3, 1, 1, 6], false],
    [[64, 3], true]
  ] as [number[], boolean][])('batch norm in training mode %j (relu6 %s): output, statistics and every gradient match composed tfjs ops on cpu', (shape, relu6) => {
    const rng = createRng(shape.reduce((a, b) => a * b, 1) + (relu6 ? 1 : 0))
    const n = shape.reduce((a, b) => a * b, 1)
    const C = shape[shape.length - 1]
    // Scaled so that relu6 clips on both sides; gamma around 2, beta around 1.
    const x = Float32Array.from(randn(n, rng), (v) => 3 * v + 0.5)
    const gamma = Float32Array.from(randn(C, rng), (v) => 2 + v)
    const beta = Float32Array.from(randn(C, rng), (v) => 1 + v)
    const dy = randn(n, rng)
    const axes = shape.slice(0, -1).map((_, i) => i)
    const eps = 1e-3
    const composed = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      const m = tf.moments(xx, axes)
      const out = tf.add(tf.mul(tf.sub(xx, m.mean), tf.mul(g, tf.rsqrt(tf.add(m.variance, eps)))), b)
      return relu6 ? tf.clipByValue(out, 0, 6) : out
    }
    const fused = (xx: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor => {
      const r = batchNormTrain(xx, g as tf.Tensor1D, b as tf.Tensor1D, eps, relu6)
      if (!r) throw new Error('the native batch-norm kernel is not registered')
      tf.dispose([r.mean, r.variance])
      return r.y
    }
    const inputs = (): tf.Tensor[] => [tf.tensor(x, [...shape]), tf.tensor1d(gamma), tf.tensor1d(beta)]
    const forward = (f: typeof composed) => (): tf.Tensor => f(...(inputs() as [tf.Tensor, tf.Tensor, tf.Tensor]))
    const grad = (f: typeof composed, i: number) => (): tf.Tensor =>
      tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.sum(tf.mul(f(a, b, c), tf.tensor(dy, [...shape]))))(inputs())[i]
    expect(relError(on('wasm', forward(fused)), on('cpu', forward(composed)))).toBeLessThan(1e-4)
    for (const i of [0, 1, 2]) expect(relError(on('wasm', grad(fused, i)), on('cpu', grad(composed, i))), `gradient ${i}`).toBeLessThan(1e-4)
    // The statistics it returns are the batch's (biased variance, as tf.moments).
    const stats = on('wasm', () => {
      const r = batchNormTrain(tf.tensor(x, [...shape]), tf.tensor1d(gamma), tf.tensor1d(beta), eps, relu6) as NonNullable<ReturnType<typeof batchNormTrain>>
      return tf.concat([r.mean, r.variance])
    })
    const ref = on('cpu', () => {
      const m = tf.moments(tf.tensor(x, [...shape]), axes)
      return tf.concat([m.mean, m.variance])
    })
    expect(relError(stats, ref)).toBeLessThan(1e-4)
  })

  it('relu6 gradient is dy where 0 < x < 6 and zero elsewhere', () => {
    const rng = createRng(9)
    const n = 1001
    const x = Float32Array.from({ length: n }, () => normal(rng) * 5 + 3)
    x[0] = 0
    x[1] = 6
    const dy = randn(n, rng)
    const got = on('wasm', () => tf.engine().runKernel(LAB_RELU6_GRAD, { dy: tf.tensor1d(dy), x: tf.tensor1d(x) }) as tf.Tensor)
    const want = Array.from(x, (v, i) => (v > 0 && v < 6 ? dy[i] : 0))
    expect(Array.from(got)).toEqual(want)
  })

  it('fused relu6 + bias gradient masks dy by the output and sums each channel (odd channel count)', () => {
    const rng = createRng(10)
    const [n, c] = [37, 7]
    const y = Float32Array.from({ length: n * c }, () => Math.min(6, Math.max(0, normal(rng) * 4 + 3)))
    y[0] = 0
    y[1] = 6
    const dy = randn(n * c, rng)
    const [dx, db] = tf.tidy(() => {
      tf.setBackend('wasm')
      const out = tf.engine().runKernel(LAB_RELU6_GRAD_BIAS, { dy: tf.tensor2d(dy, [n, c]), y: tf.tensor2d(y, [n, c]) }) as tf.Tensor[]
      return [out[0].dataSync().slice(), out[1].dataSync().slice()]
    })
    const want = Array.from(y, (v, i) => (v > 0 && v < 6 ? dy[i] : 0))
    expect(Array.from(dx)).toEqual(want)
    const sums = Array.from({ length: c }, (_, j) => want.filter((_, i) => i % c === j).reduce((a, b) => a + b, 0))
    sums.forEach((s, j) => expect(db[j]).toBeCloseTo(s, 4))
    expect(db.length).toBe(c)
  })

  it('depth multiplier 2 falls back to the composed kernels and still matches cpu', () => {
    const rng = createRng(11)
    const x = randn(2 * 9 * 9 * 3, rng), dy = randn(2 * 5 * 5 * 6, rng)
    const run = (): tf.Tensor =>
      tf.engine().runKernel('DepthwiseConv2dNativeBackpropFilter', { x: tf.tensor4d(x, [2, 9, 9, 3]), dy: tf.tensor4d(dy, [2, 5, 5, 6]) }, { strides: [2, 2], pad: 'same', dilations: 1, filterShape: [3, 3, 3, 2] }) as tf.Tensor
    expect(relError(on('wasm', run), on('cpu', run))).toBeLessThan(1e-4)
  })
})

describe('native kernels against float64 finite differences', () => {
  // L(x, W) = sum(conv(x, W) * R) in float64; dL/dW and dL/dx by central differences.
  const fdCases = CASES.slice(0, 6)
  it.each(fdCases.map((c) => [label(c), c] as const))('%s', (_, cs) => {
    const rng = createRng(cs.k * 101 + cs.h)
    for (const depthwise of [true, false]) {
      const co = depthwise ? cs.c : cs.o
      const fShape = depthwise ? [cs.k, cs.k, cs.c, 1] : [cs.k, cs.k, cs.c, cs.o]
      const ho = outSize(cs.h, cs.k, cs.s, cs.pad), wo = outSize(cs.w, cs.k, cs.s, cs.pad)
      const x = randn(cs.b * cs.h * cs.w * cs.c, rng), f = randn(fShape.reduce((a, b) => a * b, 1), rng), r = randn(cs.b * ho * wo * co, rng)
      const loss = (xv: Float64Array, fv: Float64Array): number => {
        const y = refConv({ data: xv, shape: [cs.b, cs.h, cs.w, cs.c] }, fv, fShape, cs.s, cs.pad, depthwise)
        let s = 0
        for (let i = 0; i < y.data.length; i++) s += y.data[i] * r[i]
        return s
      }
      const x64 = Float64Array.from(x), f64 = Float64Array.from(f)
      const eps = 1e-3
      const fd = (v: Float64Array, i: number): number => {
        const keep = v[i]
        v[i] = keep + eps
        const up = loss(x64, f64)
        v[i] = keep - eps
        const down = loss(x64, f64)
        v[i] = keep
        return (up - down) / (2 * eps)
      }
      const attrs = { strides: [cs.s, cs.s], pad: cs.pad, dilations: 1, dataFormat: 'NHWC' }
      const dw = on('wasm', () =>
        tf.engine().runKernel(depthwise ? 'DepthwiseConv2dNativeBackpropFilter' : 'Conv2DBackpropFilter',
          { x: tf.tensor4d(x, [cs.b, cs.h, cs.w, cs.c]), dy: tf.tensor4d(r, [cs.b, ho, wo, co]) }, { ...attrs, filterShape: fShape }) as tf.Tensor)
      const dwFd = Array.from(f64, (_, i) => fd(f64, i))
      expect(relError(dw, dwFd)).toBeLessThan(1e-4)
      if (depthwise) {
        const dx = on('wasm', () =>
          tf.engine().runKernel('DepthwiseConv2dNativeBackpropInput', { dy: tf.tensor4d(r, [cs.b, ho, wo, co]), filter: tf.tensor4d(f, fShape as [number, number, number, number]) },
            { ...attrs, inputShape: [cs.b, cs.h, cs.w, cs.c] }) as tf.Tensor)
        const dxFd = Array.from(x64, (_, i) => fd(x64, i))
        expect(relError(dx, dxFd)).toBeLessThan(1e-4)
      }
    }
  })
})
