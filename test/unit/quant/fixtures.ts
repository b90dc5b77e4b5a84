// Small networks shared by the quant tests.
import type { Network } from '../../../src/main/model/ir'
import type { QuantLayer } from '../../../src/main/quant/layers'
import type { QuantPolicy } from '../../../src/main/quant/precision'

export const tinyNet: Network = {
  name: 'tiny',
  input: { shape: [8, 8, 3], dtype: 'float32' },
  layers: [
    { name: 'conv', op: 'conv2d', inputs: ['input'], filters: 4, kernel: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu', useBias: true },
    { name: 'dw', op: 'depthwise_conv2d', inputs: ['conv'], kernel: [3, 3], strides: [1, 1], padding: 'same', depthMultiplier: 1, activation: 'relu', useBias: false },
    { name: 'gap', op: 'mean', inputs: ['dw'], axes: [1, 2], keepDims: false },
    { name: 'fc', op: 'dense', inputs: ['gap'], units: 5, activation: 'none', useBias: true }
  ],
  outputs: ['fc']
}

/**
 * A synthetic deploy-space problem where the phone gains nothing from int8 on depthwise layers (int8 and fp16 cost
 * the same there) while int8 hurts their accuracy most: the best policy at the cost of uniform int8 keeps depthwise
 * layers in fp16. Cost = table sum; accuracy = 0.9 minus a penalty per layer and precision.
 */
export function syntheticProblem(layerCount: number): {
  layers: QuantLayer[]
  latencyMs: (p: QuantPolicy) => number
  accuracy: (p: QuantPolicy) => number
} {
  const layers: QuantLayer[] = Array.from({ length: layerCount }, (_, i) => {
    const dw = i % 2 === 1
    const c = 16 * (1 + (i >> 1))
    return { name: `l${i}`, op: dw ? 'depthwise_conv2d' : 'conv2d', index: i, cIn: c, cOut: c, stride: 1, kernel: dw ? 3 : 1, isDepthwise: dw, kernelParams: dw ? 9 * c : c * c, biasParams: c, inputHw: 64, macs: 64 * (dw ? 9 * c : c * c), channels: c }
  })
  const table = { conv2d: { int8: 1, fp16: 2, fp32: 3, int16x8: 2 }, depthwise_conv2d: { int8: 1, fp16: 1, fp32: 2, int16x8: 1 } }
  const penalty = { conv2d: { int8: 0.005, fp16: 0.0005, fp32: 0, int16x8: 0.001 }, depthwise_conv2d: { int8: 0.03, fp16: 0.0005, fp32: 0, int16x8: 0.001 } }
  const deployLayers = (p: QuantPolicy): { op: 'conv2d' | 'depthwise_conv2d'; precision: 'int8' | 'fp16' | 'fp32' | 'int16x8' }[] => {
    if (p.kind !== 'deploy') throw new Error('deploy policies only')
    return p.layers.map((l, i) => ({ op: layers[i].op as 'conv2d' | 'depthwise_conv2d', precision: l.precision }))
  }
  return {
    layers,
    latencyMs: (p) => deployLayers(p).reduce((s, l) => s + table[l.op][l.precision], 0),
    accuracy: (p) => 0.9 - deployLayers(p).reduce((s, l) => s + penalty[l.op][l.precision], 0)
  }
}
