// evaluate() must score the network the phone will run: its predictions with the deployed weights and activation
// fake-quant should match the exported .tflite's (run here by TFLite's own runtime) for fp32, int8 and mixed policies.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { HostRuntime } from '../../../src/main/devices/host/runtime'
import { initTrainingBackend } from '../../../src/main/model/backend'
import { initWeights, type Weights } from '../../../src/main/model/ir'
import { createRng } from '../../../src/main/model/rng'
import { buildNetwork, getSpace, parseArchitecture } from '../../../src/main/model/space'
import { PolicyExporter } from '../../../src/main/quant/device-cost'
import { PolicyEvaluator } from '../../../src/main/quant/evaluate'
import { QuantEnv } from '../../../src/main/quant/env'
import { DEPLOY_SPACE, type QuantPolicy } from '../../../src/main/quant/precision'

const space = getSpace('small', { widthMult: 0.25, stemStride: 2 })
const net = buildNetwork(space, parseArchitecture(space, 'k3e6-k3e3-k5e3-zero-k3e3-k3e3-k3e3'), { softmax: true })
const weights: Weights = initWeights(net, 4)
const env = new QuantEnv(net, { space: DEPLOY_SPACE })
const COUNT = 120
const PER = 28 * 28
// Smooth random images (blobs), so activations look more like real inputs than white noise does.
const rng = createRng(9)
const images = new Float32Array(COUNT * PER)
for (let n = 0; n < COUNT; n++) {
  const cx = rng() * 28
  const cy = rng() * 28
  const r = 4 + rng() * 10
  for (let y = 0; y < 28; y++) for (let x = 0; x < 28; x++) images[n * PER + y * 28 + x] = Math.max(0, 1 - Math.hypot(x - cx, y - cy) / r) * (0.6 + 0.4 * rng())
}
const calibration = Array.from({ length: 16 }, (_, i) => images.slice(i * PER, (i + 1) * PER))
let rt: HostRuntime

beforeAll(async () => {
  await initTrainingBackend('wasm', () => undefined)
  rt = await HostRuntime.start()
})
afterAll(async () => {
  await rt?.close()
})

async function tflitePredictions(bytes: Uint8Array): Promise<Int32Array> {
  const model = await rt.load(bytes)
  const out = new Int32Array(COUNT)
  for (let n = 0; n < COUNT; n++) {
    const [probs] = await model.run([images.slice(n * PER, (n + 1) * PER)])
    const p = probs as Float32Array
    out[n] = p.indexOf(Math.max(...p))
  }
  return out
}

/** Percent of images where evaluate()'s model picks the class the .tflite picks. */
async function agreement(policy: QuantPolicy): Promise<number> {
  const bytes = new PolicyExporter(net, weights, calibration).bytes(policy)
  const labels = await tflitePredictions(bytes)
  const evaluator = new PolicyEvaluator({ net, weights, train: { x: new Float32Array(0), y: new Int32Array(0), count: 0 }, heldOut: { x: images, y: labels, count: COUNT }, calibration, finetune: { images: 0, batchSize: 32, lr: 1e-4 }, seed: 1 })
  return evaluator.accuracy(policy, weights)
}

it('agrees with the fp32 export on every image', async () => {
  expect(await agreement(env.policyOf(env.maxLevels()))).toBe(100)
})

it('agrees with the int8 and fp16 exports on nearly every image', async () => {
  expect(await agreement(env.policyOf(env.uniformLevels('int8')))).toBeGreaterThanOrEqual(90)
  expect(await agreement(env.policyOf(env.uniformLevels('fp16')))).toBeGreaterThanOrEqual(98)
})

it('agrees with a mixed export (int8 where the precision changes back and forth)', async () => {
  const levels = env.maxLevels().map((l, i) => (i % 3 === 0 ? 0 : i % 3 === 1 ? 1 : l))
  expect(await agreement(env.policyOf(levels))).toBeGreaterThanOrEqual(90)
})
