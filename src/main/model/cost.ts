// Counting cost of a ModelIR network: multiply-accumulates, parameters and weight bytes per precision.
// These are descriptions of the model, not latency predictions: latency comes from the phone.
import { LabError } from '../../shared/errors'
import { inferShapes, type Network, type Shape } from './ir'

export interface LayerCost {
  name: string
  op: string
  outShape: Shape
  /** Output values of the layer (batch 1). */
  outputElements: number
  /** Multiply-accumulates for one image: conv, depthwise and dense only (element-wise ops count 0). */
  macs: number
  kernelParams: number
  biasParams: number
  params: number
  /** Quantisation scales a per-channel int8 kernel carries: Cout for conv, C*mult for depthwise, 1 for dense. */
  scaleCount: number
}

export interface NetworkCost {
  layers: LayerCost[]
  totalMacs: number
  totalParams: number
  /** Weight bytes of the whole network at each uniform precision. */
  bytes: { fp32: number; fp16: number; int8: number }
}

/**
 * fp32 / fp16: 4 / 2 bytes per value (bias included).
 * int8 and {bits}: kernel packed at ceil(bits * n / 8) bytes, plus one float32 scale per channel (scaleCount)
 * and int32 biases, as TFLite stores a quantised layer. int8 equals { bits: 8 }.
 */
export type Precision = 'fp32' | 'fp16' | 'int8' | { bits: number }

const product = (s: Shape): number => s.reduce((a, b) => a * b, 1)

export function layerCosts(net: Network): LayerCost[] {
  const shapes = inferShapes(net)
  return net.layers.map((l) => {
    const out = shapes.get(l.name) as Shape
    const x = shapes.get(l.inputs[0]) as Shape
    let macs = 0
    let kernelParams = 0
    let biasParams = 0
    let scaleCount = 0
    if (l.op === 'conv2d') {
      kernelParams = l.kernel[0] * l.kernel[1] * x[2] * l.filters
      macs = out[0] * out[1] * kernelParams
      biasParams = l.useBias ? l.filters : 0
      scaleCount = l.filters
    } else if (l.op === 'depthwise_conv2d') {
      const channels = x[2] * l.depthMultiplier
      kernelParams = l.kernel[0] * l.kernel[1] * channels
      macs = out[0] * out[1] * kernelParams
      biasParams = l.useBias ? channels : 0
      scaleCount = channels
    } else if (l.op === 'dense') {
      kernelParams = x[0] * l.units
      macs = kernelParams
      biasParams = l.useBias ? l.units : 0
      scaleCount = 1
    }
    return { name: l.name, op: l.op, outShape: out, outputElements: product(out), macs, kernelParams, biasParams, params: kernelParams + biasParams, scaleCount }
  })
}

function checkBits(bits: number): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) throw new LabError('bad_request', `Weight bitwidth must be a whole number from 2 to 8, got ${bits}.`, 'bits')
}

/** Bytes of one layer's weights at a precision (0 for layers without weights). */
export function layerWeightBytes(c: LayerCost, precision: Precision): number {
  if (c.params === 0) return 0
  if (precision === 'fp32') return 4 * c.params
  if (precision === 'fp16') return 2 * c.params
  const bits = precision === 'int8' ? 8 : precision.bits
  checkBits(bits)
  return Math.ceil((bits * c.kernelParams) / 8) + 4 * c.scaleCount + 4 * c.biasParams
}

/** Bytes of all weights with a precision per layer (layers not named use `fallback`). */
export function mixedWeightBytes(costs: LayerCost[], precisionByLayer: Record<string, Precision>, fallback: Precision = 'fp32'): number {
  return costs.reduce((sum, c) => sum + layerWeightBytes(c, precisionByLayer[c.name] ?? fallback), 0)
}

export function networkCost(net: Network): NetworkCost {
  const layers = layerCosts(net)
  const total = (p: Precision): number => layers.reduce((s, c) => s + layerWeightBytes(c, p), 0)
  return {
    layers,
    totalMacs: layers.reduce((s, c) => s + c.macs, 0),
    totalParams: layers.reduce((s, c) => s + c.params, 0),
    bytes: { fp32: total('fp32'), fp16: total('fp16'), int8: total('int8') }
  }
}
