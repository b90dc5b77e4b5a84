import { describe, expect, it } from 'vitest'
import { layerCosts, layerWeightBytes, mixedWeightBytes, networkCost } from '../../../src/main/model/cost'
import type { Network } from '../../../src/main/model/ir'

const net: Network = {
  name: 'hand',
  input: { shape: [8, 8, 3], dtype: 'float32' },
  layers: [
    { name: 'conv', op: 'conv2d', inputs: ['input'], filters: 16, kernel: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu6', useBias: true },
    { name: 'dw', op: 'depthwise_conv2d', inputs: ['conv'], kernel: [3, 3], strides: [1, 1], padding: 'same', depthMultiplier: 1, activation: 'relu6', useBias: true },
    { name: 'add', op: 'add', inputs: ['conv', 'dw'], activation: 'none' },
    { name: 'pool', op: 'mean', inputs: ['add'], axes: [1, 2], keepDims: false },
    { name: 'fc', op: 'dense', inputs: ['pool'], units: 10, activation: 'none', useBias: false }
  ],
  outputs: ['fc']
}

describe('cost', () => {
  it('counts MACs and parameters of hand-computed layers', () => {
    const [conv, dw, add, pool, fc] = layerCosts(net)
    expect(conv).toMatchObject({ macs: 4 * 4 * 16 * 27, kernelParams: 432, biasParams: 16, params: 448, scaleCount: 16, outputElements: 256 })
    expect(dw).toMatchObject({ macs: 4 * 4 * 16 * 9, params: 144 + 16, scaleCount: 16 })
    expect(add).toMatchObject({ macs: 0, params: 0 })
    expect(pool).toMatchObject({ macs: 0, params: 0, outShape: [16] })
    expect(fc).toMatchObject({ macs: 160, params: 160, biasParams: 0, scaleCount: 1 })
    const total = networkCost(net)
    expect(total.totalMacs).toBe(6912 + 2304 + 160)
    expect(total.totalParams).toBe(448 + 160 + 160)
  })

  it('prices weights per precision', () => {
    const conv = layerCosts(net)[0]
    expect(layerWeightBytes(conv, 'fp32')).toBe(1792)
    expect(layerWeightBytes(conv, 'fp16')).toBe(896)
    expect(layerWeightBytes(conv, 'int8')).toBe(432 + 16 * 4 + 16 * 4)
    expect(layerWeightBytes(conv, { bits: 8 })).toBe(layerWeightBytes(conv, 'int8'))
    expect(layerWeightBytes(conv, { bits: 4 })).toBe(216 + 128)
    expect(layerWeightBytes(conv, { bits: 3 })).toBe(162 + 128) // ceil(3*432/8) = 162
    expect(layerWeightBytes(conv, { bits: 5 })).toBe(270 + 128)
    expect(() => layerWeightBytes(conv, { bits: 9 })).toThrow(/2 to 8/)
    expect(() => layerWeightBytes(conv, { bits: 1 })).toThrow(/2 to 8/)
    const costs = layerCosts(net)
    expect(networkCost(net).bytes).toEqual({ fp32: 4 * 768, fp16: 2 * 768, int8: 560 + (144 + 64 + 64) + (160 + 4) })
    expect(mixedWeightBytes(costs, { conv: { bits: 2 }, fc: 'int8' }, 'fp16')).toBe(108 + 128 + 2 * 160 + 164)
  })
})
