import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { LabError } from '../../../src/shared/errors'
import { initWeights, type Network } from '../../../src/main/model/ir'
import { createRng } from '../../../src/main/model/rng'
import { readTflite, tfliteBufferData } from '../../../src/main/model/tflite/reader'
import { calibrateInt8, paramsFromRange, roundHalfEven } from '../../../src/main/model/tflite/quantize'
import { float16Bits, roundToFloat16, writeTflite } from '../../../src/main/model/tflite/writer'

const net: Network = {
  name: 'unit', input: { shape: [8, 8, 3], dtype: 'float32' },
  layers: [
    { name: 'stem', op: 'conv2d', inputs: ['input'], filters: 4, kernel: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu6', useBias: false },
    { name: 'dw', op: 'depthwise_conv2d', inputs: ['stem'], kernel: [3, 3], strides: [1, 1], padding: 'same', depthMultiplier: 2, activation: 'hard_swish', useBias: true },
    { name: 'ap', op: 'avg_pool', inputs: ['dw'], pool: [2, 2], strides: [2, 2], padding: 'valid' },
    { name: 'pool', op: 'mean', inputs: ['ap'], axes: [1, 2], keepDims: false },
    { name: 'logits', op: 'dense', inputs: ['pool'], units: 3, activation: 'none', useBias: true },
    { name: 'prob', op: 'softmax', inputs: ['logits'] }
  ],
  outputs: ['prob']
}
const weights = initWeights(net, 3)
const rng = createRng(9)
const calibration = Array.from({ length: 4 }, () => Float32Array.from({ length: 8 * 8 * 3 }, () => rng() * 2 - 1))

function ops(bytes: Uint8Array): string[] {
  return readTflite(bytes).subgraphs[0].operators.map((o) => `${o.opName}:v${o.version}`)
}

describe('writeTflite read back', () => {
  it('fp32: op list, layouts, options, always a bias, softmax beta 1', () => {
    const bytes = writeTflite(net, weights, { precision: 'fp32', description: 'unit test' })
    const m = readTflite(bytes)
    expect(m.version).toBe(3)
    expect(m.description).toBe('unit test')
    expect(m.buffers[0].sizeBytes).toBe(0)
    expect(ops(bytes)).toEqual(['CONV_2D:v1', 'DEPTHWISE_CONV_2D:v1', 'HARD_SWISH:v1', 'AVERAGE_POOL_2D:v1', 'MEAN:v1', 'FULLY_CONNECTED:v1', 'SOFTMAX:v1'])
    const g = m.subgraphs[0]
    const t = (name: string) => g.tensors.find((x) => x.name === name)!
    expect(t('stem/kernel').shape).toEqual([4, 3, 3, 3]) // OHWI
    expect(t('stem/bias').shape).toEqual([4])
    expect(t('dw/kernel').shape).toEqual([1, 3, 3, 8])
    expect(t('logits/kernel').shape).toEqual([3, 8]) // [out, in]
    expect(t('dw/pre_activation').shape).toEqual([1, 4, 4, 8])
    const conv = g.operators[0]
    expect(conv.options).toMatchObject({ padding: 'SAME', strideW: 2, strideH: 2, activation: 'RELU6' })
    expect(g.operators[1].options).toMatchObject({ depthMultiplier: 2, activation: 'NONE' })
    expect(g.operators[3].options).toMatchObject({ padding: 'VALID', filterWidth: 2, filterHeight: 2 })
    expect(g.operators[6].options).toEqual({ beta: 1 })
    // the OHWI kernel holds HWIO weight [ky=1,kx=2,ci=0,co=3] at [3,1,2,0]
    const k = new Float32Array(tfliteBufferData(bytes, m, t('stem/kernel').buffer).slice().buffer)
    expect(k[((3 * 3 + 1) * 3 + 2) * 3 + 0]).toBe(weights.get('stem/kernel')![((1 * 3 + 2) * 3 + 0) * 4 + 3])
    expect(g.inputs.map((i) => `${g.tensors[i].name}:${g.tensors[i].shape}`)).toEqual(['input:1,8,8,3'])
    expect(g.outputs.map((i) => `${g.tensors[i].name}:${g.tensors[i].type}:${g.tensors[i].shape}`)).toEqual(['prob:float32:1,3'])
  })

  it('fp16: float16 weights behind DEQUANTIZE v3 ops that come first', () => {
    const bytes = writeTflite(net, weights, { precision: 'fp16' })
    const m = readTflite(bytes)
    expect(ops(bytes).slice(0, 6)).toEqual(new Array(6).fill('DEQUANTIZE:v3'))
    expect(ops(bytes).slice(6)).toEqual(['CONV_2D:v1', 'DEPTHWISE_CONV_2D:v1', 'HARD_SWISH:v1', 'AVERAGE_POOL_2D:v1', 'MEAN:v1', 'FULLY_CONNECTED:v1', 'SOFTMAX:v1'])
    expect(Object.keys(m.constantBytesByType).sort()).toEqual(['float16', 'int32'])
  })

  it('int8: int8 ops with the right versions, per-channel weights, int32 biases, softmax 1/256', () => {
    const bytes = writeTflite(net, weights, { precision: 'int8', calibration })
    const m = readTflite(bytes)
    expect(ops(bytes)).toEqual([
      'QUANTIZE:v1', 'CONV_2D:v3', 'DEPTHWISE_CONV_2D:v3', 'HARD_SWISH:v1', 'AVERAGE_POOL_2D:v2', 'MEAN:v2',
      'FULLY_CONNECTED:v4', 'SOFTMAX:v2', 'DEQUANTIZE:v2'
    ])
    const g = m.subgraphs[0]
    const t = (name: string) => g.tensors.find((x) => x.name === name)!
    expect(t('stem/kernel')).toMatchObject({ type: 'int8', quantization: { quantizedDimension: 0, zeroPoints: [0, 0, 0, 0] } })
    expect(t('stem/kernel').quantization!.scales).toHaveLength(4)
    expect(t('dw/kernel').quantization).toMatchObject({ quantizedDimension: 3 })
    expect(t('dw/kernel').quantization!.scales).toHaveLength(8)
    expect(t('logits/kernel').quantization!.scales).toHaveLength(1)
    expect(t('logits/bias')).toMatchObject({ type: 'int32', quantization: { quantizedDimension: 0 } })
    expect(t('logits/bias').quantization!.scales).toHaveLength(1)
    expect(t('stem/bias').type).toBe('int32') // written although the layer has no bias
    expect(t('prob/int8').quantization).toMatchObject({ scales: [1 / 256], zeroPoints: [-128] })
    expect(t('ap').quantization!.scales).toEqual(t('dw').quantization!.scales) // pools keep their input's parameters
    expect(g.outputs.map((i) => `${g.tensors[i].name}:${g.tensors[i].type}`)).toEqual(['prob:float32'])
    const w = new Int8Array(tfliteBufferData(bytes, m, t('stem/kernel').buffer).slice().buffer)
    expect(Math.max(...Array.from(w, Math.abs))).toBe(127)
  })

  it('mixed precision: QUANTIZE/DEQUANTIZE only where precision changes', () => {
    const bytes = writeTflite(net, weights, { precision: { perLayer: { stem: 'int8', dw: 'fp16', pool: 'int8', logits: 'int8' } }, calibration })
    expect(ops(bytes)).toEqual([
      'DEQUANTIZE:v3', 'DEQUANTIZE:v3', 'QUANTIZE:v1', 'CONV_2D:v3', 'DEQUANTIZE:v2', 'DEPTHWISE_CONV_2D:v1', 'HARD_SWISH:v1',
      'AVERAGE_POOL_2D:v1', 'QUANTIZE:v1', 'MEAN:v2', 'FULLY_CONNECTED:v4', 'DEQUANTIZE:v2', 'SOFTMAX:v1'
    ])
  })

  it('a uniform per-layer map gives the same bytes as the single precision', () => {
    for (const p of ['fp32', 'fp16', 'int8'] as const) {
      const perLayer = Object.fromEntries(net.layers.map((l) => [l.name, p]))
      expect(Buffer.from(writeTflite(net, weights, { precision: { perLayer }, calibration })).equals(Buffer.from(writeTflite(net, weights, { precision: p, calibration })))).toBe(true)
    }
  })

  it('is byte-deterministic', () => {
    for (const p of ['fp32', 'fp16', 'int8'] as const) {
      const a = writeTflite(net, weights, { precision: p, calibration })
      const b = writeTflite(net, initWeights(net, 3), { precision: p, calibration: calibration.map((c) => c.slice()) })
      expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true)
    }
  })

  it('refuses int8 without calibration and unknown layers in a per-layer map', () => {
    expect(() => writeTflite(net, weights, { precision: 'int8' })).toThrow(LabError)
    expect(() => writeTflite(net, weights, { precision: 'int8' })).toThrow(/calibration/)
    expect(() => writeTflite(net, weights, { precision: { perLayer: { nope: 'int8' } } })).toThrow(/layer "nope"/)
    expect(() => writeTflite(net, weights, { precision: 'int4' as never })).toThrow(/fp32, fp16 or int8/)
  })
})

describe('number helpers', () => {
  it('float16 bits of known values', () => {
    expect(float16Bits(1)).toBe(0x3c00)
    expect(float16Bits(-2)).toBe(0xc000)
    expect(float16Bits(65504)).toBe(0x7bff)
    expect(float16Bits(1e6)).toBe(0x7c00)
    expect(float16Bits(2 ** -24)).toBe(0x0001)
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00) // tie to even
    expect(float16Bits(1 + 3 * 2 ** -11)).toBe(0x3c02)
    expect(float16Bits(0)).toBe(0)
  })

  it('roundToFloat16 is within half a unit of the last place', () => {
    fc.assert(fc.property(fc.double({ min: -60000, max: 60000, noNaN: true }), (x) => {
      const r = roundToFloat16(x)
      const ulp = Math.abs(x) < 2 ** -14 ? 2 ** -24 : 2 ** (Math.floor(Math.log2(Math.abs(x))) - 10)
      expect(Math.abs(r - x)).toBeLessThanOrEqual(ulp / 2 + 1e-12)
    }))
  })

  it('roundHalfEven and activation parameters', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 2.4, -2.6].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2, -2, 2, -3])
    expect(paramsFromRange(0, 6)).toEqual({ scale: Math.fround(6 / 255), zeroPoint: -128 })
    expect(Math.abs(paramsFromRange(-1, 1).zeroPoint + 0.5)).toBeLessThanOrEqual(0.5) // -128 + 127.5 rounds to 0 or -1
    expect(paramsFromRange(2, 3)).toEqual({ scale: Math.fround(3 / 255), zeroPoint: -128 }) // widened to include 0
    fc.assert(fc.property(fc.double({ min: -100, max: 0, noNaN: true }), fc.double({ min: 0, max: 100, noNaN: true }), (lo, hi) => {
      const p = paramsFromRange(lo, hi)
      expect(p.scale).toBeGreaterThan(0)
      expect(p.zeroPoint).toBeGreaterThanOrEqual(-128)
      expect(p.zeroPoint).toBeLessThanOrEqual(127)
    }))
  })

  it('calibration covers every tensor, including pre-activations', () => {
    const qp = calibrateInt8(net, weights, calibration)
    expect([...qp.activations.keys()].sort()).toEqual(['ap', 'dw', 'dw/pre_activation', 'input', 'logits', 'pool', 'prob', 'stem'])
    expect([...qp.layers.keys()]).toEqual(['stem', 'dw', 'logits'])
  })
})
