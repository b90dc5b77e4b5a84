import { beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { initTrainingBackend } from '../../../src/main/model/backend'
import { initWeights, mbconvLayers, type Network } from '../../../src/main/model/ir'
import { buildNetwork, getSpace, sampleArchitecture } from '../../../src/main/model/space'
import { toTfjsModel, trainSteps, weightsFromTfjs } from '../../../src/main/model/tfjs'
import { createRng, normal } from '../../../src/main/model/rng'
import { refForward } from './reference'

const randomInput = (n: number, seed: number): Float32Array => {
  const rng = createRng(seed)
  return Float32Array.from({ length: n }, () => normal(rng))
}

/** Every IR op once, with odd sizes and both paddings. */
function allOpsNet(): Network {
  const mb = mbconvLayers('mb', 'stem', [6, 6, 8], { expand: 3, kernel: 5, stride: 1, outChannels: 8, idskip: true })
  return {
    name: 'all-ops',
    input: { shape: [11, 11, 3], dtype: 'float32' },
    layers: [
      { name: 'stem', op: 'conv2d', inputs: ['input'], filters: 8, kernel: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu6', useBias: true },
      ...mb.layers,
      { name: 'hs', op: 'hard_swish', inputs: [mb.output] },
      { name: 'dw2', op: 'depthwise_conv2d', inputs: ['hs'], kernel: [3, 3], strides: [2, 2], padding: 'valid', depthMultiplier: 2, activation: 'relu', useBias: false },
      { name: 'pad', op: 'pad', inputs: ['stem'], paddings: [[1, 0], [0, 1]] },
      { name: 'mp', op: 'max_pool', inputs: ['pad'], pool: [3, 3], strides: [3, 3], padding: 'valid' },
      { name: 'ap', op: 'avg_pool', inputs: ['stem'], pool: [3, 3], strides: [3, 3], padding: 'same' },
      { name: 'r6', op: 'relu6', inputs: ['ap'] },
      { name: 'cat', op: 'concat', inputs: ['dw2', 'mp', 'r6'], axis: 3 },
      { name: 'flat', op: 'reshape', inputs: ['cat'], shape: [-1] },
      { name: 'fc1', op: 'dense', inputs: ['flat'], units: 12, activation: 'hard_swish', useBias: true },
      { name: 'fc2', op: 'dense', inputs: ['fc1'], units: 5, activation: 'none', useBias: true },
      { name: 'prob', op: 'softmax', inputs: ['fc2'] }
    ],
    outputs: ['prob']
  }
}

function maxRelDiff(a: ArrayLike<number>, ref: ArrayLike<number>): number {
  let d = 0, s = 0
  for (let i = 0; i < ref.length; i++) {
    d = Math.max(d, Math.abs(a[i] - ref[i]))
    s = Math.max(s, Math.abs(ref[i]))
  }
  return d / Math.max(s, 1e-12)
}

describe('IR → TensorFlow.js', () => {
  beforeAll(async () => {
    expect(await initTrainingBackend(undefined, () => {})).toBe('wasm') // tfjs-node is not installed here
  })

  it('computes the same outputs as a float64 loop reference', () => {
    for (const [net, seed] of [[allOpsNet(), 1], [buildNetwork(getSpace('small', { input: 'cifar10' }), sampleArchitecture(getSpace('small'), createRng(3))), 2]] as const) {
      const weights = initWeights(net, seed)
      // Non-zero biases, so a dropped bias would show.
      for (const [k, w] of weights) if (k.endsWith('/bias')) w.set(randomInput(w.length, seed + 7).map((v) => v * 0.1))
      const model = toTfjsModel(net, weights)
      const batch = 2
      const x = randomInput(batch * net.input.shape.reduce((a, b) => a * b, 1), 5)
      const got = tf.tidy(() => model.predict(tf.tensor(x, [batch, ...net.input.shape]))[0].dataSync())
      const ref = refForward(net, weights, Float64Array.from(x), batch)
      expect(got.length).toBe(ref.data.length)
      expect(maxRelDiff(got, ref.data), net.name).toBeLessThanOrEqual(1e-5)
      model.dispose()
    }
  })

  it('rejects an input of the wrong shape', () => {
    const net = allOpsNet()
    const model = toTfjsModel(net, initWeights(net, 1))
    expect(() => tf.tidy(() => model.predict(tf.zeros([1, 10, 11, 3])))).toThrow(/takes \[batch,11,11,3\], got \[1,10,11,3\]/)
    model.dispose()
  })

  it('round-trips weights IR → tfjs → IR bit-exactly', () => {
    const net = allOpsNet()
    const w = initWeights(net, 4)
    const model = toTfjsModel(net, w)
    const back = weightsFromTfjs(model)
    expect([...back.keys()].sort()).toEqual([...w.keys()].sort())
    for (const [k, v] of w) expect(Buffer.from(back.get(k)!.buffer).equals(Buffer.from(v.buffer)), k).toBe(true)
    model.dispose()
  })

  it('trains the small network on wasm: loss falls, weights change, no tensors leak', () => {
    const space = getSpace('small')
    const net = buildNetwork(space, ['k3e3', 'zero', 'k5e3', 'k3e3', 'zero', 'k3e6', 'zero'])
    const model = toTfjsModel(net, initWeights(net, 1))
    const before = weightsFromTfjs(model)
    // A learnable toy task: the class is which quadrant holds a bright square.
    const n = 64
    const imgs = new Float32Array(n * 28 * 28)
    const labels = new Int32Array(n)
    const rng = createRng(8)
    for (let i = 0; i < n; i++) {
      const cls = i % 4
      labels[i] = cls
      const oy = cls < 2 ? 2 : 16, ox = cls % 2 === 0 ? 2 : 16
      for (let y = 0; y < 10; y++) for (let xx = 0; xx < 10; xx++) imgs[i * 784 + (oy + y) * 28 + ox + xx] = 1 + 0.1 * rng()
    }
    const xs = tf.tensor4d(imgs, [n, 28, 28, 1])
    const ys = tf.tensor1d(labels, 'int32')
    const opts = { lr: 0.05, momentum: 0.9, batchSize: 16, seed: 3 }
    trainSteps(model, xs, ys, { ...opts, steps: 2 }) // warm-up: optimizer slots and kernel caches
    const tensorsBefore = tf.memory().numTensors
    const { losses } = trainSteps(model, xs, ys, { ...opts, steps: 24 })
    expect(tf.memory().numTensors).toBe(tensorsBefore)
    expect(losses.every(Number.isFinite)).toBe(true)
    const first = losses.slice(0, 4).reduce((a, b) => a + b) / 4
    const last = losses.slice(-4).reduce((a, b) => a + b) / 4
    expect(last).toBeLessThan(first * 0.7)
    const after = weightsFromTfjs(model)
    expect(after.get('b1_dw/kernel')).not.toEqual(before.get('b1_dw/kernel'))
    xs.dispose()
    ys.dispose()
    model.dispose()
  })
})
