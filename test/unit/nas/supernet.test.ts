// The tfjs supernet: full_v2 gate gradients equal finite differences of the relaxed network, a weight step trains
// only the sampled path, and the BN-folded IR export computes what the BN network computes in inference mode.
import * as tf from '@tensorflow/tfjs'
import { beforeAll, describe, expect, it } from 'vitest'
import { initTrainingBackend } from '../../../src/main/model/backend'
import { buildNetwork, getSpace } from '../../../src/main/model/space'
import { toTfjsModel } from '../../../src/main/model/tfjs'
import { exportNetwork } from '../../../src/main/nas/derive'
import { SavableRng } from '../../../src/main/nas/random'
import { DEFAULT_SEARCH_SETTINGS, ProxylessSearch } from '../../../src/main/nas/search'
import { Supernet } from '../../../src/main/nas/supernet'

const space = getSpace('small', { widthMult: 0.25, stemStride: 2 })

function randomBatch(n: number, seed: number) {
  const rng = new SavableRng(seed)
  const x = Float32Array.from({ length: n * 28 * 28 }, () => rng.next())
  const y = Int32Array.from({ length: n }, (_, i) => i % 10)
  return { x, y, size: n, shape: [n, 28, 28, 1] as [number, number, number, number], indices: new Int32Array(n) }
}

beforeAll(async () => {
  await initTrainingBackend('wasm', () => {})
})

describe('supernet', () => {
  it('full_v2 gate gradients Σ o_k(x)·∂L/∂y match autodiff of the relaxed network (and a finite difference)', () => {
    const net = new Supernet(space, { seed: 2 })
    // Give the zero-γ projections some weight so every candidate contributes.
    for (const [k, v] of net.variables) if (k.endsWith('_project/gamma')) v.assign(tf.onesLike(v))
    const batch = randomBatch(6, 9)
    const x = tf.tensor4d(batch.x, batch.shape)
    const onehot = tf.oneHot(tf.tensor1d(batch.y, 'int32'), 10) as tf.Tensor2D
    const active = net.blocks.map((b, i) => (i * 5) % b.ops.length)
    const involved = net.blocks.map((b) => b.ops.map((_, k) => k))
    const { ce, gateGrad } = net.gateGradients(x, onehot, active, involved)
    const relaxedLoss = (g: number[][]) => tf.tidy(() => (tf.losses.softmaxCrossEntropy(onehot, net.forwardRelaxed(x, g)) as tf.Scalar).dataSync()[0])
    const oneHotGates = net.blocks.map((b, i) => b.ops.map((_, k) => (k === active[i] ? 1 : 0)))
    expect(relaxedLoss(oneHotGates)).toBeCloseTo(ce, 4)
    // Reference: reverse-mode autodiff through the relaxed network with EVERY candidate on the tape.
    const isZero = (b: number, k: number) => net.blocks[b].ops[k] === 'zero'
    const flat = oneHotGates.flatMap((r, b) => r.flatMap((v, k) => (isZero(b, k) ? [] : [tf.scalar(v)])))
    const grads = tf.grads((...gs: tf.Tensor[]) => {
      let n = 0
      const g = oneHotGates.map((r, b) => r.map((v, k) => (isZero(b, k) ? 0 : (gs[n++] as tf.Scalar))))
      return tf.losses.softmaxCrossEntropy(onehot, net.forwardRelaxed(x, g)) as tf.Scalar
    })(flat).map((t) => t.dataSync()[0])
    let n = 0
    const reference = oneHotGates.flatMap((r, b) => r.map((_, k) => (isZero(b, k) ? 0 : grads[n++])))
    n = 0
    let checked = 0
    net.blocks.forEach((block, b) =>
      block.ops.forEach((op, k) => {
        const want = reference[n++]
        expect(Math.abs(gateGrad[b][k] - want)).toBeLessThan(1e-3 * Math.max(Math.abs(want), 0.1))
        if (op === 'zero') expect(gateGrad[b][k]).toBe(0)
        checked++
      })
    )
    // A coarse finite difference agrees in sign and size on the last block (smooth there: no BN after the sum).
    const h = 1e-2
    const last = net.blocks.length - 1
    for (let k = 0; k < net.blocks[last].ops.length - 1; k++) {
      const up = oneHotGates.map((r) => [...r])
      const down = oneHotGates.map((r) => [...r])
      up[last][k] += h
      down[last][k] -= h
      const fd = (relaxedLoss(up) - relaxedLoss(down)) / (2 * h)
      expect(Math.abs(gateGrad[last][k] - fd)).toBeLessThan(0.1 * Math.abs(fd) + 3e-3)
    }
    tf.dispose(flat)
    expect(checked).toBeGreaterThan(15)
    tf.dispose([x, onehot])
    net.dispose()
  })

  it('a weight step changes only the sampled path (and the shared layers)', () => {
    const net = new Supernet(space, { seed: 4 })
    const search = new ProxylessSearch(net, { ...DEFAULT_SEARCH_SETTINGS })
    const before = net.snapshot()
    const choice = net.blocks.map(() => 0)
    search.weightStep(randomBatch(8, 1), choice, 0.1)
    const after = net.snapshot()
    const changed = (k: string) => (before.get(k) as Float32Array).some((v, i) => v !== (after.get(k) as Float32Array)[i])
    expect(changed('stem/kernel')).toBe(true)
    expect(changed(`b1:${net.blocks[0].ops[0]}/b1_dw/kernel`)).toBe(true)
    expect(changed(`b1:${net.blocks[0].ops[1]}/b1_dw/kernel`)).toBe(false)
    // Running statistics moved for the sampled path only.
    expect(changed(`b1:${net.blocks[0].ops[0]}/b1_expand/mean`)).toBe(true)
    expect(changed(`b1:${net.blocks[0].ops[1]}/b1_expand/mean`)).toBe(false)
    search.dispose()
  })

  it('BN folded into the IR weights: the exported network equals the BN network in inference mode', () => {
    for (const arch of [space.blocks.map((b) => (b.candidates.includes('zero') ? 'zero' : 'k5e3')), space.blocks.map((_, i) => (i % 2 ? 'k7e6' : 'k3e3'))] as const) {
      const net = Supernet.forArchitecture(space, [...arch], 3)
      const search = new ProxylessSearch(net, { ...DEFAULT_SEARCH_SETTINGS })
      for (let s = 0; s < 4; s++) search.weightStep(randomBatch(8, 10 + s), arch.map(() => 0), 0.2)
      // Non-trivial γ, β and running statistics.
      for (const [k, v] of net.variables) if (/\/(gamma|beta|mean)$/.test(k)) v.assign(tf.add(v, tf.randomUniform(v.shape, -0.3, 0.3, 'float32', 5)))
      const { ir, weights } = exportNetwork(net, [...arch])
      expect(ir.name).toBe(buildNetwork(space, [...arch]).name)
      const model = toTfjsModel(ir, weights)
      const batch = randomBatch(5, 77)
      const x = tf.tensor4d(batch.x, batch.shape)
      const folded = model.predict(x)[0].dataSync() as Float32Array
      const bn = tf.tidy(() => net.forward(x, arch.map(() => 0), 'infer').dataSync() as Float32Array)
      const scale = Math.max(...Array.from(bn, Math.abs))
      Array.from(folded).forEach((v, i) => expect(Math.abs(v - bn[i])).toBeLessThan(1e-4 * scale + 1e-5))
      // And the test can fail: training-mode BN (batch statistics) differs from the folded network.
      const train = tf.tidy(() => net.forward(x, arch.map(() => 0), 'train').dataSync() as Float32Array)
      expect(Array.from(folded).some((v, i) => Math.abs(v - train[i]) > 1e-3 * scale)).toBe(true)
      x.dispose()
      model.dispose()
      search.dispose()
    }
  })

  it('saves and restores its state exactly (weights, α, optimizer and random source)', () => {
    const a = new ProxylessSearch(new Supernet(space, { seed: 6 }), { ...DEFAULT_SEARCH_SETTINGS })
    a.weightStep(randomBatch(8, 2), a.net.blocks.map(() => 1), 0.1)
    a.alpha[0][1] = 0.7
    const state = a.saveState()
    const b = new ProxylessSearch(new Supernet(space, { seed: 99 }), { ...DEFAULT_SEARCH_SETTINGS })
    b.loadState(JSON.parse(JSON.stringify(state)))
    expect(b.alpha).toEqual(a.alpha)
    expect(b.rng.next()).toBe(a.rng.next())
    a.weightStep(randomBatch(8, 3), a.net.blocks.map(() => 1), 0.1)
    b.weightStep(randomBatch(8, 3), b.net.blocks.map(() => 1), 0.1)
    const wa = a.net.snapshot().get('stem/kernel') as Float32Array
    const wb = b.net.snapshot().get('stem/kernel') as Float32Array
    Array.from(wa).forEach((v, i) => expect(v).toBeCloseTo(wb[i], 6))
    a.dispose()
    b.dispose()
  })
})
