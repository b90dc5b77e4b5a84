// The two cost models of a quantization policy: the per-layer table (anchored to the measured fp32 cost) and the
// device path (export, measure once per policy).
import { expect, it } from 'vitest'
import type { Measurement, OpTiming } from '../../../src/shared/contract/measure'
import { initWeights } from '../../../src/main/model/ir'
import { buildNetwork, getSpace, parseArchitecture } from '../../../src/main/model/space'
import { readTflite } from '../../../src/main/model/tflite/reader'
import { buildLatencyTable, DeviceCost, layerTimesFromOps, PolicyExporter, tableCost } from '../../../src/main/quant/device-cost'
import { exportPrecisionOf } from '../../../src/main/quant/evaluate'
import { QuantEnv } from '../../../src/main/quant/env'
import { quantLayersOf } from '../../../src/main/quant/layers'
import { DEPLOY_SPACE, type QuantPolicy } from '../../../src/main/quant/precision'

const space = getSpace('small', { widthMult: 0.25, stemStride: 2 })
const net = buildNetwork(space, parseArchitecture(space, 'k3e3-k3e3-k3e3-zero-k3e3-k3e3-k3e3'), { softmax: true })
const layers = quantLayersOf(net)
const env = new QuantEnv(layers, { space: DEPLOY_SPACE })
const uniform = (p: 'fp32' | 'fp16' | 'int8'): QuantPolicy => env.policyOf(env.uniformLevels(p))

/** An op profile as the adb parser gives it: XNNPACK ops named 'Delegate/<op>:<index>'. */
function profile(perLayerMs: number[], totalMs: number): Measurement {
  const ops: OpTiming[] = [{ index: 30, nodeType: 'TfLiteXNNPackDelegate', name: '[prob]:30', firstMs: null, avgMs: totalMs, percent: null, timesCalled: 10, source: 'tflite' }]
  let index = 0
  ops.push({ index: index++, nodeType: 'DelegateOpInvoke', name: `Delegate/Convert (NC, F32, QS8):0`, firstMs: null, avgMs: 0.001, percent: null, timesCalled: 10, source: 'delegate' })
  perLayerMs.forEach((ms, i) => {
    ops.push({ index: index++, nodeType: 'DelegateOpInvoke', name: `Delegate/${layers[i].op === 'dense' ? 'Fully Connected (NC, F32) GEMM' : 'Convolution (NHWC, F32) GEMM'}:${index}`, firstMs: null, avgMs: ms, percent: null, timesCalled: 10, source: 'delegate' })
    if (i % 3 === 2) ops.push({ index: index++, nodeType: 'DelegateOpInvoke', name: `Delegate/Add (ND, F32):${index}`, firstMs: null, avgMs: 0.002, percent: null, timesCalled: 10, source: 'delegate' })
  })
  return { steady: { meanMs: totalMs }, ops } as unknown as Measurement
}

it('reads one time per quantizable layer from an op profile, and refuses a profile that does not match', () => {
  const ms = layers.map((_, i) => 0.01 * (i + 1))
  expect(layerTimesFromOps(profile(ms, 1).ops, layers.length, 'fp32')).toEqual(ms)
  expect(() => layerTimesFromOps(profile(ms.slice(1), 1).ops, layers.length, 'fp32')).toThrow(/lists 22 convolution .* but the network has 23 quantizable layers/)
})

it('prices fp32 at exactly the measured fp32 cost and int8 from the per-layer times', () => {
  const fp32Ms = layers.map(() => 0.1)
  const int8Ms = layers.map(() => 0.05)
  const fp16Ms = layers.map(() => 0.1)
  const n = layers.length
  const table = buildLatencyTable(
    layers.map((l) => l.name),
    { fp32: profile(fp32Ms, 0.1 * n + 0.5), fp16: profile(fp16Ms, 0.1 * n + 0.5), int8: profile(int8Ms, 0.05 * n + 0.5) },
    { fp32: { latencyMs: 2 * (0.1 * n + 0.5), energyMj: 4, sizeBytes: 1, measurementId: 'a' }, fp16: { latencyMs: 1, energyMj: 2, sizeBytes: 1, measurementId: 'b' }, int8: { latencyMs: 1, energyMj: 1, sizeBytes: 1, measurementId: 'c' } }
  )
  const fp32 = tableCost(table, uniform('fp32'), 100)
  expect(fp32.latencyMs).toBeCloseTo(2 * (0.1 * n + 0.5), 10)
  expect(fp32.energyMj).toBeCloseTo(4, 10)
  expect(fp32.sizeBytes).toBe(100)
  // int8 everywhere: the 0.5 ms outside the layers stays, every layer halves, and the measurement run was 2x the profile
  expect(tableCost(table, uniform('int8'), 50).latencyMs).toBeCloseTo(2 * (0.05 * n + 0.5), 10)
  // one layer moved to int8 lowers the cost by that layer's difference only
  const one = env.policyOf(env.maxLevels().map((l, i) => (i === 3 ? 0 : l)))
  expect(tableCost(table, one, 1).latencyMs).toBeCloseTo(2 * (0.1 * n + 0.5 - 0.05), 10)
})

it('measures each distinct policy once on the device and keeps uniform baselines given beforehand', async () => {
  const weights = initWeights(net, 3)
  const exporter = new PolicyExporter(net, weights, [new Float32Array(28 * 28).fill(0.4)])
  const asked: Uint8Array[] = []
  const device = new DeviceCost(
    exporter,
    async (model) => {
      asked.push(model)
      return { id: `m${asked.length}`, measurement: { steady: { meanMs: model.length / 1000 }, modelBytes: model.length, energy: null } as unknown as Measurement }
    },
    { runs: 5 }
  )
  device.remember(uniform('fp32'), { latencyMs: 9, sizeBytes: 9, measurementId: 'known' })
  expect((await device.cost(uniform('fp32'))).latencyMs).toBe(9)
  const mixed = env.policyOf(env.maxLevels().map((l, i) => (i % 2 === 0 ? 0 : l)))
  const [a, b] = await Promise.all([device.cost(mixed), device.cost(mixed)])
  expect(asked).toHaveLength(1)
  expect(a).toEqual(b)
  expect(a.sizeBytes).toBe(asked[0].length)
  // the exported file really has the policy's precisions: int8 kernels where the policy says int8
  const info = readTflite(asked[0])
  const perLayer = exportPrecisionOf(net, mixed)
  const kernelType = (name: string) => info.subgraphs[0].tensors.find((t) => t.name === `${name}/kernel`)?.type
  expect(kernelType(layers[0].name)).toBe('int8')
  expect(kernelType(layers[1].name)).toBe('float32')
  expect(perLayer[layers[0].name]).toBe('int8')
})
