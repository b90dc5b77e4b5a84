import { describe, expect, it } from 'vitest'
import { quantLayersOf } from '../../../src/main/quant/layers'
import { HAQ_KMEANS_SPACE, HAQ_LINEAR_SPACE, deployPrecisionByLayer, packedModelBytes, policyKey, type QuantPolicy } from '../../../src/main/quant/precision'
import { tinyNet } from './fixtures'

describe('quantizable layers', () => {
  it('lists conv, depthwise and dense layers with the figures HAQ uses', () => {
    const layers = quantLayersOf(tinyNet)
    expect(layers.map((l) => [l.name, l.cIn, l.cOut, l.stride, l.kernel, l.kernelParams, l.biasParams, l.inputHw])).toEqual([
      ['conv', 3, 4, 2, 3, 108, 4, 64],
      ['dw', 4, 4, 1, 3, 36, 0, 16],
      ['fc', 4, 5, 0, 1, 20, 5, 1]
    ])
  })
})

describe('packed model bytes', () => {
  const layers = quantLayersOf(tinyNet)
  it('counts fp32, fp16 and int8 (with per-channel scales, int64 zero points and int32 biases) as TFLite stores them', () => {
    const deploy = (p: 'fp32' | 'fp16' | 'int8'): QuantPolicy => ({ kind: 'deploy', layers: layers.map((l) => ({ layer: l.name, precision: p })) })
    expect(packedModelBytes(layers, deploy('fp32'))).toBe(4 * (108 + 4 + 36 + 20 + 5))
    expect(packedModelBytes(layers, deploy('fp16'))).toBe(2 * (108 + 4 + 36 + 20 + 5))
    // conv: 108 + 4·12 kernel params + 4·4 bias + 4·12 bias params; dw: 36 + 4·12; fc: 20 + 1·12 + 5·4 + 1·12
    expect(packedModelBytes(layers, deploy('int8'))).toBe(108 + 48 + 16 + 48 + 36 + 48 + 20 + 12 + 20 + 12)
    expect(deployPrecisionByLayer(deploy('int8'))).toEqual({ conv: 'int8', dw: 'int8', fc: 'int8' })
  })

  it('packs linear codes to ceil(n·b/8) bytes plus per-channel scales and fp32 biases; k-means adds a 2^b codebook', () => {
    const linear: QuantPolicy = { kind: 'bits', quantizer: 'linear', layers: [{ layer: 'conv', wBits: 3, aBits: 8 }, { layer: 'dw', wBits: 5, aBits: 4 }, { layer: 'fc', wBits: 2, aBits: 8 }] }
    expect(packedModelBytes(layers, linear, HAQ_LINEAR_SPACE)).toBe((41 + 16 + 16) + (23 + 16) + (5 + 20 + 20))
    expect(packedModelBytes(layers, linear, { ...HAQ_LINEAR_SPACE, symmetric: false, granularity: 'per_tensor' })).toBe((41 + 8 + 16) + (23 + 8) + (5 + 8 + 20))
    const kmeans: QuantPolicy = { kind: 'bits', quantizer: 'kmeans', layers: [{ layer: 'conv', wBits: 3 }, { layer: 'dw', wBits: 5 }, { layer: 'fc', wBits: 2 }] }
    expect(packedModelBytes(layers, kmeans, HAQ_KMEANS_SPACE)).toBe((41 + 32 + 16) + (23 + 128) + (5 + 16 + 20))
    expect(policyKey(linear)).toBe('linear:3/8,5/4,2/8')
    expect(policyKey(kmeans)).toBe('kmeans:3,5,2')
    expect(() => deployPrecisionByLayer(kmeans)).toThrow(/deploy space/)
  })

  it('refuses a policy that does not match the network', () => {
    expect(() => packedModelBytes(layers, { kind: 'deploy', layers: [{ layer: 'conv', precision: 'fp32' }] })).toThrow(/3 quantizable layers/)
  })
})
