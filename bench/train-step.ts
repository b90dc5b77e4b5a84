// Training throughput of the small search space's networks on the TensorFlow.js wasm backend (batch 64,
// SGD momentum, softmax cross-entropy). Prints img/s per architecture; no pass/fail.
// Run: npx tsx bench/train-step.ts [steps]
import * as tf from '@tensorflow/tfjs'
import { initTrainingBackend } from '../src/main/model/backend'
import { initWeights } from '../src/main/model/ir'
import { networkCost } from '../src/main/model/cost'
import { buildNetwork, getSpace, type Architecture } from '../src/main/model/space'
import { toTfjsModel, trainSteps } from '../src/main/model/tfjs'

async function main(): Promise<void> {
  const steps = Number(process.argv[2] ?? 10)
  const backend = await initTrainingBackend('wasm')
  const batch = 64
  const space = getSpace('small')
  const fast = getSpace('small', { stemStride: 2 })
  const archs: Record<string, Architecture> = {
    smallest: space.blocks.map((b) => (b.candidates.includes('zero') ? 'zero' : 'k3e3')),
    'all k3e3': space.blocks.map(() => 'k3e3'),
    'all k3e6 (MobileNetV2-like)': space.blocks.map(() => 'k3e6'),
    'all k7e6 (largest)': space.blocks.map(() => 'k7e6')
  }
  const n = batch * 4
  const xs = tf.randomUniform([n, ...space.inputShape], 0, 1, 'float32', 1)
  const ys = tf.tensor1d(Array.from({ length: n }, (_, i) => i % 10), 'int32')
  console.log(`backend ${backend}, batch ${batch}, ${steps} timed steps after 3 warm-up steps, input ${space.inputShape.join('x')}`)
  console.log('architecture'.padEnd(30), 'MMACs/img'.padStart(10), 'params'.padStart(8), 'ms/step'.padStart(9), 'train img/s'.padStart(12), 'infer b64 img/s'.padStart(16))
  const rows: [string, ReturnType<typeof buildNetwork>][] = Object.entries(archs).map(([label, arch]) => [label, buildNetwork(space, arch)])
  rows.push(['all k3e6, stem stride 2', buildNetwork(fast, fast.blocks.map(() => 'k3e6'))])
  for (const [label, net] of rows) {
    const cost = networkCost(net)
    const model = toTfjsModel(net, initWeights(net, 1))
    const opts = { lr: 0.01, momentum: 0.9, batchSize: batch, seed: 1 }
    trainSteps(model, xs, ys, { ...opts, steps: 3 })
    const t0 = performance.now()
    trainSteps(model, xs, ys, { ...opts, steps })
    const msPerStep = (performance.now() - t0) / steps
    const xb = tf.slice(xs, 0, batch)
    tf.tidy(() => model.predict(xb)[0].dataSync())
    const t1 = performance.now()
    for (let i = 0; i < steps; i++) tf.tidy(() => model.predict(xb)[0].dataSync())
    const inferMs = (performance.now() - t1) / steps
    xb.dispose()
    console.log(
      label.padEnd(30), (cost.totalMacs / 1e6).toFixed(2).padStart(10), String(cost.totalParams).padStart(8), msPerStep.toFixed(0).padStart(9),
      ((batch * 1000) / msPerStep).toFixed(1).padStart(12), ((batch * 1000) / inferMs).toFixed(0).padStart(16)
    )
    model.dispose()
  }
  xs.dispose()
  ys.dispose()
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
