// A briefly trained `small`-space network on Fashion-MNIST: the int8 and fp16 exports agree with the fp32 export
// on the top-1 class of 1,000 test images (all three run in the real TFLite runtime).
import { readFileSync } from 'node:fs'
import { gunzipSync } from 'node:zlib'
import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { HostRuntime } from '../../../src/main/devices/host/runtime'
import { initTrainingBackend } from '../../../src/main/model/backend'
import { initWeights } from '../../../src/main/model/ir'
import { buildNetwork, getSpace } from '../../../src/main/model/space'
import { crossEntropy, toTfjsModel, weightsFromTfjs } from '../../../src/main/model/tfjs'
import { writeTflite } from '../../../src/main/model/tflite/writer'

const DIR = '/usr/share/datasets/fashion-mnist'

/** IDX file (gzip) → raw bytes after the header. */
function idx(file: string, headerBytes: number): Uint8Array {
  return new Uint8Array(gunzipSync(readFileSync(`${DIR}/${file}`))).subarray(headerBytes)
}

const TRAIN = 3200
const STEPS = 100
const BATCH = 32
const TEST = 1000

describe('top-1 agreement of exports of a trained network (Fashion-MNIST)', () => {
  let rt: HostRuntime
  beforeAll(async () => {
    rt = await HostRuntime.start()
  })
  afterAll(async () => {
    await rt.close()
  })

  it('int8 and fp16 agree with fp32 on ≥ 98% of 1,000 test images', async () => {
    await initTrainingBackend('wasm', () => undefined)
    const trainImages = idx('train-images-idx3-ubyte.gz', 16).subarray(0, TRAIN * 784)
    const trainLabels = idx('train-labels-idx1-ubyte.gz', 8).subarray(0, TRAIN)
    const testImages = idx('t10k-images-idx3-ubyte.gz', 16).subarray(0, TEST * 784)
    const testLabels = idx('t10k-labels-idx1-ubyte.gz', 8).subarray(0, TEST)
    const toFloat = (u8: Uint8Array): Float32Array => Float32Array.from(u8, (v) => v / 255)

    // small space at half width, every searchable block k3e3 or skipped where it may be: trains in ~30 s on 2 cores
    const space = getSpace('small', { input: 'fashion-mnist', widthMult: 0.5 })
    const arch = space.blocks.map((b) => (b.candidates.includes('zero') ? 'zero' : 'k3e3'))
    const net = buildNetwork(space, arch, { name: 'fmnist-small' })
    const model = toTfjsModel(net, initWeights(net, 1))
    const xs = tf.tensor4d(toFloat(trainImages), [TRAIN, 28, 28, 1])
    const ys = tf.oneHot(tf.tensor1d(Int32Array.from(trainLabels), 'int32'), 10)
    // Adam learns this BatchNorm-free network much faster than plain SGD in a few steps
    const optimizer = tf.train.adam(2e-3)
    const vars = [...model.variables.values()]
    for (let step = 0; step < STEPS; step++) {
      const start = (step * BATCH) % TRAIN
      tf.tidy(() => {
        optimizer.minimize(() => crossEntropy(ys.slice(start, BATCH), model.logits(xs.slice(start, BATCH))), false, vars)
      })
    }
    optimizer.dispose()
    const weights = weightsFromTfjs(model)
    xs.dispose()
    ys.dispose()
    model.dispose()

    const images = Array.from({ length: TEST }, (_, i) => toFloat(testImages.subarray(i * 784, (i + 1) * 784)))
    const calibration = Array.from({ length: 64 }, (_, i) => toFloat(trainImages.subarray(i * 784, (i + 1) * 784)))
    const top1 = async (bytes: Uint8Array): Promise<number[]> => {
      const m = await rt.load(bytes)
      const out: number[] = []
      for (const x of images) {
        const [logits] = (await m.run([x])) as Float32Array[]
        let best = 0
        for (let k = 1; k < logits.length; k++) if (logits[k] > logits[best]) best = k
        out.push(best)
      }
      await m.dispose()
      return out
    }
    const fp32 = await top1(writeTflite(net, weights, { precision: 'fp32' }))
    const fp16 = await top1(writeTflite(net, weights, { precision: 'fp16' }))
    const int8 = await top1(writeTflite(net, weights, { precision: 'int8', calibration }))
    const agree = (a: number[]): number => a.filter((c, i) => c === fp32[i]).length / TEST
    const accuracy = fp32.filter((c, i) => c === testLabels[i]).length / TEST
    console.info(`fashion-mnist small w0.5, ${STEPS} Adam steps: fp32 accuracy ${accuracy}, fp16 agreement ${agree(fp16)}, int8 agreement ${agree(int8)}`)
    expect(accuracy).toBeGreaterThan(0.5) // it did learn, so agreement means something
    expect(agree(fp16)).toBeGreaterThanOrEqual(0.98)
    expect(agree(int8)).toBeGreaterThanOrEqual(0.98)
  }, 300_000)
})
