// Exported .tflite files run in the real TFLite runtime (host WASM) and are compared with the float reference and
// the int8 simulation.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HostRuntime } from '../../../src/main/devices/host/runtime'
import { initWeights, type Network, type Weights } from '../../../src/main/model/ir'
import { createRng } from '../../../src/main/model/rng'
import { readTflite } from '../../../src/main/model/tflite/reader'
import { runFloatReference } from '../../../src/main/model/tflite/reference'
import { calibrateInt8, simulateInt8, simulateInt8Tensors } from '../../../src/main/model/tflite/quantize'
import { float16Weights, writeTflite } from '../../../src/main/model/tflite/writer'

/** MobileNetV2-style block network: stem, inverted residual, mean, dense (logits out). */
const core: Network = {
  name: 'core', input: { shape: [16, 16, 3], dtype: 'float32' },
  layers: [
    { name: 'stem', op: 'conv2d', inputs: ['input'], filters: 8, kernel: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu6', useBias: true },
    { name: 'exp', op: 'conv2d', inputs: ['stem'], filters: 24, kernel: [1, 1], strides: [1, 1], padding: 'same', activation: 'relu', useBias: true },
    { name: 'dw', op: 'depthwise_conv2d', inputs: ['exp'], kernel: [5, 5], strides: [1, 1], padding: 'same', depthMultiplier: 1, activation: 'relu6', useBias: true },
    { name: 'proj', op: 'conv2d', inputs: ['dw'], filters: 8, kernel: [1, 1], strides: [1, 1], padding: 'same', activation: 'none', useBias: false },
    { name: 'res', op: 'add', inputs: ['proj', 'stem'], activation: 'none' },
    { name: 'pad', op: 'pad', inputs: ['res'], paddings: [[1, 1], [0, 1]] },
    { name: 'mp', op: 'max_pool', inputs: ['pad'], pool: [2, 2], strides: [2, 2], padding: 'valid' },
    { name: 'dw2', op: 'depthwise_conv2d', inputs: ['mp'], kernel: [3, 3], strides: [2, 2], padding: 'valid', depthMultiplier: 2, activation: 'none', useBias: true },
    { name: 'pool', op: 'mean', inputs: ['dw2'], axes: [1, 2], keepDims: false },
    { name: 'logits', op: 'dense', inputs: ['pool'], units: 10, activation: 'none', useBias: true }
  ],
  outputs: ['logits']
}

/** The ops whose int8 kernels are TFLite's own (pools, relu6, reshape, concat, hard_swish, softmax). */
const extra: Network = {
  name: 'extra', input: { shape: [12, 12, 4], dtype: 'float32' },
  layers: [
    { name: 'c1', op: 'conv2d', inputs: ['input'], filters: 8, kernel: [3, 3], strides: [1, 1], padding: 'same', activation: 'none', useBias: true },
    { name: 'ap', op: 'avg_pool', inputs: ['c1'], pool: [3, 3], strides: [2, 2], padding: 'same' },
    { name: 'r6', op: 'relu6', inputs: ['ap'] },
    { name: 'c2', op: 'conv2d', inputs: ['r6'], filters: 8, kernel: [1, 1], strides: [1, 1], padding: 'valid', activation: 'hard_swish', useBias: true },
    { name: 'hs', op: 'hard_swish', inputs: ['c1'] },
    { name: 'hsp', op: 'max_pool', inputs: ['hs'], pool: [2, 2], strides: [2, 2], padding: 'same' },
    { name: 'cat', op: 'concat', inputs: ['c2', 'hsp'], axis: 3 },
    { name: 'flat', op: 'reshape', inputs: ['cat'], shape: [-1] },
    { name: 'fc', op: 'dense', inputs: ['flat'], units: 6, activation: 'relu', useBias: true },
    { name: 'logits', op: 'dense', inputs: ['fc'], units: 5, activation: 'none', useBias: true },
    { name: 'prob', op: 'softmax', inputs: ['logits'] }
  ],
  outputs: ['logits', 'prob']
}

function weightsFor(net: Network, seed: number): Weights {
  const w = initWeights(net, seed)
  for (const [k, v] of w) if (k.endsWith('/bias')) v.forEach((_, i) => (v[i] = 0.2 * Math.sin(3 * i + k.length)))
  return w
}

function inputs(net: Network, n: number, seed: number): Float32Array[] {
  const rng = createRng(seed)
  const count = net.input.shape.reduce((a, b) => a * b, 1)
  return Array.from({ length: n }, () => Float32Array.from({ length: count }, () => rng() * 2 - 1))
}

/** Largest absolute difference relative to the reference's largest magnitude (at least 1). */
function relDiff(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  let mag = 1
  for (let i = 0; i < ref.length; i++) mag = Math.max(mag, Math.abs(ref[i]))
  return maxAbsDiff(got, ref) / mag
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length)
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]))
  return m
}

describe('writeTflite in the real TFLite runtime', () => {
  let rt: HostRuntime
  beforeAll(async () => {
    rt = await HostRuntime.start()
  })
  afterAll(async () => {
    await rt.close()
  })

  async function run(bytes: Uint8Array, xs: Float32Array[]): Promise<Float32Array[][]> {
    const model = await rt.load(bytes)
    const out: Float32Array[][] = []
    for (const x of xs) out.push((await model.run([x])) as Float32Array[])
    await model.dispose()
    return out
  }

  it('fp32 matches the float reference within 1e-5 on logits (and probabilities)', async () => {
    for (const net of [core, extra]) {
      const w = weightsFor(net, 11)
      const xs = inputs(net, 6, 5)
      const got = await run(writeTflite(net, w, { precision: 'fp32' }), xs)
      xs.forEach((x, k) => {
        const ref = runFloatReference(net, w, x)
        net.outputs.forEach((o, j) => expect(maxAbsDiff(got[k][j], ref.get(o)!)).toBeLessThanOrEqual(1e-5))
      })
    }
  })

  it('fp16 stays within 2e-3 of the fp32 reference (relative to the largest logit), and within 1e-5 of the fp16-rounded reference', async () => {
    const w = weightsFor(core, 12)
    const xs = inputs(core, 6, 6)
    const bytes = writeTflite(core, w, { precision: 'fp16' })
    const info = readTflite(bytes)
    expect(info.constantBytesByType.float16).toBeGreaterThan(0)
    expect(info.constantBytesByType.float32 ?? 0).toBe(0)
    // the DEQUANTIZE ops come first
    const ops = info.subgraphs[0].operators.map((o) => o.opName)
    expect(ops.slice(0, ops.lastIndexOf('DEQUANTIZE') + 1).every((n) => n === 'DEQUANTIZE')).toBe(true)
    const got = await run(bytes, xs)
    const w16 = float16Weights(w)
    xs.forEach((x, k) => {
      expect(relDiff(got[k][0], runFloatReference(core, w, x).get('logits')!)).toBeLessThanOrEqual(2e-3)
      expect(maxAbsDiff(got[k][0], runFloatReference(core, w16, x).get('logits')!)).toBeLessThanOrEqual(1e-5)
    })
  })

  it('int8 is bit-exact with the int8 simulation (conv, depthwise, add, pad, max_pool, mean, dense)', async () => {
    const w = weightsFor(core, 13)
    const calib = inputs(core, 32, 7)
    const qp = calibrateInt8(core, w, calib)
    const bytes = writeTflite(core, w, { precision: 'int8', int8Params: qp })
    const xs = inputs(core, 8, 8)
    const got = await run(bytes, xs)
    let worstFloat = 0
    xs.forEach((x, k) => {
      expect(Array.from(got[k][0])).toEqual(Array.from(simulateInt8(core, w, qp, x)[0]))
      worstFloat = Math.max(worstFloat, relDiff(got[k][0], runFloatReference(core, w, x).get('logits')!))
    })
    // and it is still the same function: close to float
    expect(worstFloat).toBeLessThan(0.15)
  })

  it('int8 with TFLite-kernel ops is within one output step of the simulation', async () => {
    const w = weightsFor(extra, 14)
    const qp = calibrateInt8(extra, w, inputs(extra, 16, 9))
    const bytes = writeTflite(extra, w, { precision: 'int8', int8Params: qp })
    const xs = inputs(extra, 6, 10)
    const got = await run(bytes, xs)
    xs.forEach((x, k) => {
      const sim = simulateInt8(extra, w, qp, x)
      extra.outputs.forEach((o, j) => {
        const step = qp.activations.get(o)!.scale
        expect(maxAbsDiff(got[k][j], sim[j]) / step).toBeLessThanOrEqual(1.01)
      })
    })
    // the simulation keeps every int8 tensor, for inspecting a layer
    expect(simulateInt8Tensors(extra, w, qp, xs[0]).get('cat')!.length).toBe(6 * 6 * 16)
  })

  it('a mixed fp32 / fp16 / int8 model loads, runs, and has QUANTIZE/DEQUANTIZE at the boundaries', async () => {
    const w = weightsFor(core, 15)
    const perLayer = { stem: 'int8', exp: 'int8', dw: 'fp16', proj: 'fp32', res: 'int8', pad: 'int8', mp: 'fp16', dw2: 'int8', pool: 'fp32', logits: 'int8' } as const
    const bytes = writeTflite(core, w, { precision: { perLayer }, calibration: inputs(core, 32, 11) })
    const info = readTflite(bytes)
    const names = info.ops.map((o) => `${o.name}:v${o.version}`)
    expect(names).toEqual(expect.arrayContaining(['CONV_2D:v1', 'CONV_2D:v3', 'DEPTHWISE_CONV_2D:v1', 'DEPTHWISE_CONV_2D:v3', 'QUANTIZE:v1', 'DEQUANTIZE:v2', 'DEQUANTIZE:v3', 'FULLY_CONNECTED:v4']))
    const g = info.subgraphs[0]
    expect(g.inputs.map((i) => g.tensors[i].type)).toEqual(['float32'])
    expect(g.outputs.map((i) => `${g.tensors[i].name}:${g.tensors[i].type}:${g.tensors[i].shape}`)).toEqual(['logits:float32:1,10'])
    const xs = inputs(core, 4, 12)
    const got = await run(bytes, xs)
    xs.forEach((x, k) => expect(relDiff(got[k][0], runFloatReference(core, w, x).get('logits')!)).toBeLessThan(0.2))
  })
})
