// The engine: backend choice and override, and the training forward pass (fused bias, LabRelu6) agreeing
// with tfjs.ts's model in value and gradient.
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { initWeights } from '../../../src/main/model/ir'
import { crossEntropy, toTfjsModel } from '../../../src/main/model/tfjs'
import { BACKEND_ENV, initTrainingEngine } from '../../../src/main/model/train/engine'
import { buildForward } from '../../../src/main/model/train/forward'
import { createTrainingLoss } from '../../../src/main/model/train/loss'
import { referenceTrainingNet } from '../../../src/main/model/train/reference-net'
import { createRng } from '../../../src/main/model/rng'

describe('engine backend choice', () => {
  afterEach(() => {
    delete process.env[BACKEND_ENV]
  })
  it('picks wasm with native kernels here (tfjs-node is not installed) and says so', async () => {
    const lines: string[] = []
    const info = await initTrainingEngine({ log: (l) => lines.push(l) })
    expect(info).toEqual({ backend: 'wasm', nativeKernels: true })
    expect(tf.getBackend()).toBe('wasm')
    expect(lines.join('\n')).toMatch(/wasm backend \(fastest available, native SIMD gradient kernels\)/)
  })
  it('follows PROXYLESS_LAB_BACKEND, and the option beats the variable', async () => {
    process.env[BACKEND_ENV] = 'cpu'
    expect((await initTrainingEngine({ log: () => undefined })).backend).toBe('cpu')
    expect((await initTrainingEngine({ backend: 'wasm', log: () => undefined })).backend).toBe('wasm')
  })
  it('refuses an unknown backend name with a sentence', async () => {
    process.env[BACKEND_ENV] = 'gpu'
    await expect(initTrainingEngine({ log: () => undefined })).rejects.toThrow(/PROXYLESS_LAB_BACKEND="gpu" is not a training backend/)
  })
})

describe('training forward pass', () => {
  beforeAll(async () => {
    await initTrainingEngine({ backend: 'wasm', log: () => undefined })
  })
  it('matches tfjs.ts in logits, loss and every gradient on the issue-5 network', () => {
    const net = referenceTrainingNet({ inputShape: [13, 13, 1] })
    const model = toTfjsModel(net, initWeights(net, 3))
    const rng = createRng(4)
    const xs = tf.tensor4d(Float32Array.from({ length: 6 * 169 }, () => rng() * 8 - 2), [6, 13, 13, 1]) // drives relu6 past both kinks
    const labels = tf.tensor1d([0, 3, 9, 2, 2, 7], 'int32')
    const onehot = tf.oneHot(labels, 10)
    const vars = [...model.variables.values()]
    const ours = createTrainingLoss({ net, params: model.variables, options: undefined })
    const forward = buildForward(net, model.variables)
    const a = tf.variableGrads(() => ours.loss(xs, labels, { step: 0, seed: 1 }), vars)
    const b = tf.variableGrads(() => crossEntropy(onehot, model.logits(xs)), vars)
    expect(a.value.dataSync()[0]).toBeCloseTo(b.value.dataSync()[0], 5)
    const l1 = forward(xs).dataSync(), l2 = model.logits(xs).dataSync()
    for (let i = 0; i < l1.length; i++) expect(l1[i]).toBeCloseTo(l2[i], 4)
    for (const v of vars) {
      const ga = a.grads[v.name].dataSync(), gb = b.grads[v.name].dataSync()
      const scale = Math.max(1e-6, ...Array.from(gb, Math.abs))
      const diff = Math.max(...Array.from(ga, (x, i) => Math.abs(x - gb[i])))
      expect(diff / scale, v.name).toBeLessThan(1e-4)
    }
    tf.dispose([a.value, b.value, xs, labels, onehot, ...Object.values(a.grads), ...Object.values(b.grads)])
    model.dispose()
  })

  it('runs conv + bias + relu6 as one kernel and computes no gradient for the images', async () => {
    const net = referenceTrainingNet({ inputShape: [9, 9, 1] })
    const model = toTfjsModel(net, initWeights(net, 5))
    const xs = tf.randomUniform([2, 9, 9, 1], 0, 1, 'float32', 3)
    const labels = tf.tensor1d([1, 4], 'int32')
    const ours = createTrainingLoss({ net, params: model.variables, options: undefined })
    const vars = [...model.variables.values()]
    const profile = await tf.profile(() => {
      const r = tf.variableGrads(() => ours.loss(xs, labels, { step: 0, seed: 1 }), vars)
      tf.dispose([r.value, ...Object.values(r.grads)])
    })
    const names = profile.kernels.map((k) => k.name)
    const convs = net.layers.filter((l) => l.op === 'conv2d').length
    // Forward: one FusedConv2D per conv, no separate relu6; backward: an input gradient for every conv but the stem.
    expect(names.filter((n) => n === 'FusedConv2D')).toHaveLength(convs)
    expect(names).not.toContain('Relu6')
    expect(names).not.toContain('LabRelu6')
    const inputGrads = profile.kernels.filter((k) => k.name === 'Conv2DBackpropInput')
    expect(inputGrads).toHaveLength(convs - 1)
    expect(inputGrads.some((k) => k.outputShapes[0]?.join('x') === '2x9x9x1')).toBe(false)
    tf.dispose([xs, labels])
    model.dispose()
  })
})
