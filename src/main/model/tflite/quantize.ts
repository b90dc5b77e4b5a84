// Full-integer int8 post-training quantization of an IR network, and an integer simulation of the exported model.
//
// Rules (see /work/shared/notes/tflite-format.md): activations int8 per-tensor asymmetric from calibrated ranges
// widened to include 0; weights int8 symmetric (zp 0, [-127,127]), per output channel for conv (dim 0 of OHWI) and
// depthwise (dim 3 of [1,kh,kw,C*m]), one scale for dense; int32 biases with scale in_scale*w_scale[c]; softmax out
// 1/256, zp -128; pad/pools/reshape/relu6 keep their input's parameters and concat shares them between all tensors.
//
// simulateInt8 reproduces the arithmetic of the kernels that run these ops in the TFLite WASM runtime: XNNPACK's fp32
// requantization (conv, depthwise, dense, mean, quantize), XNNPACK's fixed-point add, and TFLite's integer average
// pool and relu6. Softmax and hard_swish run TFLite's own lookup-table kernels there; they are simulated in float
// (dequantize, compute, round), which can differ by one step of the output scale.
import { LabError } from '../../../shared/errors'
import { INPUT_NAME, inferShapes, type Activation, type Layer, type Network, type Shape, type Weights } from '../ir'
import { activate, concatInto, isFusable, preActivationName, reductionMap, runFloatReference, windowGeometry } from './reference'

export interface QuantParams {
  /** float32 value */
  scale: number
  zeroPoint: number
}

export interface QuantizedLayerWeights {
  /** int8 kernel in the TFLite layout: conv OHWI, depthwise [1,kh,kw,C*m], dense [out,in]. */
  kernel: Int8Array
  kernelShape: number[]
  /** float32 scales, one per channel along quantizedDimension (one for dense). */
  kernelScales: number[]
  quantizedDimension: number
  bias: Int32Array
  biasScales: number[]
}

export interface Int8Params {
  /** Per tensor: 'input', every layer name, and `<layer>/pre_activation` where the activation is a separate op. */
  activations: Map<string, QuantParams>
  /** Per conv2d / depthwise_conv2d / dense layer. */
  layers: Map<string, QuantizedLayerWeights>
}

export const SOFTMAX_OUTPUT_PARAMS: QuantParams = { scale: 1 / 256, zeroPoint: -128 }

const f = Math.fround
const size = (s: Shape): number => s.reduce((a, b) => a * b, 1)

/** Round half to even, as lrintf and XNNPACK's magic-number rounding do. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x)
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r
}

/** Round half away from zero, as std::round / TfLiteRound do. */
function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x)
}

/** Unbiased binary exponent of a float32 value, read from its bits. */
function floatExponent(x: number): number {
  const view = new DataView(new ArrayBuffer(4))
  view.setFloat32(0, x, true)
  return ((view.getUint32(0, true) >>> 23) & 0xff) - 127
}

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v)

/** Activation parameters from a calibrated range (widened to include 0). */
export function paramsFromRange(min: number, max: number): QuantParams {
  let lo = Math.min(0, min)
  let hi = Math.max(0, max)
  if (!(hi - lo > 1e-8)) { lo = Math.min(lo, 0); hi = lo + 1e-3 } // constant tensors still need a positive scale
  const scale = f((hi - lo) / 255)
  const zeroPoint = clamp(Math.round(-128 - lo / scale), -128, 127)
  return { scale, zeroPoint }
}

/** Tensors that must share quantization parameters (union-find over tensor names). */
function sharedParamGroups(net: Network): Map<string, string> {
  const parent = new Map<string, string>()
  const find = (a: string): string => {
    let r = a
    while (parent.has(r) && parent.get(r) !== r) r = parent.get(r) as string
    parent.set(a, r)
    return r
  }
  const union = (a: string, b: string): void => {
    const ra = find(a)
    const rb = find(b)
    if (ra !== rb) parent.set(rb, ra)
  }
  find(INPUT_NAME)
  for (const l of net.layers) {
    find(l.name)
    if (l.op === 'pad' || l.op === 'avg_pool' || l.op === 'max_pool' || l.op === 'reshape' || l.op === 'relu6') union(l.inputs[0], l.name)
    if (l.op === 'concat') for (const i of l.inputs) union(i, l.name)
  }
  const roots = new Map<string, string>()
  for (const k of parent.keys()) roots.set(k, find(k))
  return roots
}

/** Runs the float reference over the calibration inputs and derives every int8 parameter. */
export function calibrateInt8(net: Network, weights: Weights, samples: Float32Array[]): Int8Params {
  if (samples.length === 0) throw new LabError('bad_request', 'int8 export needs calibration inputs: pass a few sample inputs (NHWC, batch 1).', 'calibration')
  const shapes = inferShapes(net)
  const inSize = size(shapes.get(INPUT_NAME) as Shape)
  const ranges = new Map<string, [number, number]>()
  for (const [i, sample] of samples.entries()) {
    if (sample.length !== inSize) throw new LabError('bad_request', `Calibration input ${i} has ${sample.length} values; the network input needs ${inSize}.`, 'calibration')
    for (const [name, t] of runFloatReference(net, weights, sample)) {
      let [lo, hi] = ranges.get(name) ?? [Infinity, -Infinity]
      for (let k = 0; k < t.length; k++) {
        const v = t[k]
        if (v < lo) lo = v
        if (v > hi) hi = v
      }
      ranges.set(name, [lo, hi])
    }
  }
  return int8ParamsFromRanges(net, weights, ranges)
}

/** Int8 parameters from per-tensor [min, max] ranges (calibrateInt8 computes them from data). */
export function int8ParamsFromRanges(net: Network, weights: Weights, ranges: Map<string, [number, number]>): Int8Params {
  const shapes = inferShapes(net)
  const groups = sharedParamGroups(net)
  const softmaxOut = new Set(net.layers.filter((l) => l.op === 'softmax').map((l) => l.name))
  const groupRange = new Map<string, [number, number]>()
  const fixedGroups = new Set<string>()
  for (const [name, root] of groups) {
    const r = ranges.get(name)
    if (softmaxOut.has(name)) fixedGroups.add(root)
    if (!r) continue
    const g = groupRange.get(root) ?? [Infinity, -Infinity]
    groupRange.set(root, [Math.min(g[0], r[0]), Math.max(g[1], r[1])])
  }
  const activations = new Map<string, QuantParams>()
  for (const [name, root] of groups) {
    const r = groupRange.get(root) ?? [0, 1]
    activations.set(name, fixedGroups.has(root) ? { ...SOFTMAX_OUTPUT_PARAMS } : paramsFromRange(r[0], r[1]))
  }
  for (const l of net.layers) {
    const act = 'activation' in l ? l.activation : 'none'
    if (!isFusable(act)) {
      const r = ranges.get(preActivationName(l.name)) ?? [0, 1]
      activations.set(preActivationName(l.name), paramsFromRange(r[0], r[1]))
    }
  }
  const layers = new Map<string, QuantizedLayerWeights>()
  for (const l of net.layers) {
    if (l.op !== 'conv2d' && l.op !== 'depthwise_conv2d' && l.op !== 'dense') continue
    const inScale = (activations.get(l.inputs[0]) as QuantParams).scale
    layers.set(l.name, quantizeLayerWeights(l, shapes.get(l.inputs[0]) as Shape, weights, inScale))
  }
  return { activations, layers }
}

function quantizeLayerWeights(l: Layer, inShape: Shape, weights: Weights, inScale: number): QuantizedLayerWeights {
  const w = weights.get(`${l.name}/kernel`) as Float32Array
  const b = weights.get(`${l.name}/bias`)
  let kernelShape: number[]
  let channels: number
  let channelOf: (tfliteIndex: number) => number
  let sourceIndex: (tfliteIndex: number) => number
  let quantizedDimension: number
  if (l.op === 'conv2d') {
    const [kh, kw] = l.kernel
    const cin = inShape[2]
    const cout = l.filters
    kernelShape = [cout, kh, kw, cin]
    channels = cout
    quantizedDimension = 0
    const per = kh * kw * cin
    channelOf = (i) => Math.floor(i / per)
    sourceIndex = (i) => (i % per) * cout + Math.floor(i / per) // OHWI index -> HWIO index
  } else if (l.op === 'depthwise_conv2d') {
    const cout = inShape[2] * l.depthMultiplier
    kernelShape = [1, l.kernel[0], l.kernel[1], cout]
    channels = cout
    quantizedDimension = 3
    channelOf = (i) => i % cout
    sourceIndex = (i) => i
  } else if (l.op === 'dense') {
    const n = inShape[0]
    kernelShape = [l.units, n]
    channels = 1
    quantizedDimension = 0
    channelOf = () => 0
    sourceIndex = (i) => (i % n) * l.units + Math.floor(i / n) // [out,in] index -> [in,out] index
  } else {
    throw new LabError('internal', `Layer "${l.name}" (${l.op}) has no weights to quantize.`)
  }
  const count = size(kernelShape)
  const maxAbs = new Float64Array(channels)
  for (let i = 0; i < count; i++) {
    const c = channelOf(i)
    maxAbs[c] = Math.max(maxAbs[c], Math.abs(w[sourceIndex(i)]))
  }
  const kernelScales = Array.from(maxAbs, (m) => f(m > 0 ? m / 127 : 1 / 127))
  const kernel = new Int8Array(count)
  for (let i = 0; i < count; i++) kernel[i] = clamp(roundHalfAway(w[sourceIndex(i)] / kernelScales[channelOf(i)]), -127, 127)
  const biasCount = l.op === 'dense' ? l.units : channels
  const biasScales = kernelScales.map((s) => f(inScale * s))
  const bias = new Int32Array(biasCount)
  for (let c = 0; c < biasCount; c++) {
    const s = biasScales[channels === 1 ? 0 : c]
    bias[c] = clamp(roundHalfAway((b ? b[c] : 0) / s), -2147483647, 2147483647)
  }
  return { kernel, kernelShape, kernelScales, quantizedDimension, bias, biasScales }
}

/** int8 output bounds of a fused activation, as TFLite computes them from the output parameters. */
export function activationBounds(act: Activation, p: QuantParams): [number, number] {
  if (act === 'relu') return [Math.max(-128, p.zeroPoint), 127]
  if (act === 'relu6') return [Math.max(-128, p.zeroPoint), Math.min(127, p.zeroPoint + roundHalfAway(f(6 / p.scale)))]
  return [-128, 127]
}

/** XNNPACK fp32 requantization: round-half-even(float32(acc) * scale) + zp, clamped. */
function requantize(acc: number, scale: number, zp: number, lo: number, hi: number): number {
  return clamp(roundHalfEven(f(f(acc) * scale)) + zp, lo, hi)
}

export function quantizeValue(x: number, p: QuantParams): number {
  return clamp(roundHalfEven(f(x * f(1 / p.scale))) + p.zeroPoint, -128, 127)
}

export function dequantizeValue(q: number, p: QuantParams): number {
  return f((q - p.zeroPoint) * p.scale)
}

/**
 * Integer simulation of the full-int8 model that writeTflite(..., { precision: 'int8' }) exports with these
 * parameters: float input → QUANTIZE → int8 ops → DEQUANTIZE. Returns the network outputs as float32.
 */
export function simulateInt8(net: Network, weights: Weights, qparams: Int8Params, input: Float32Array): Float32Array[] {
  const tensors = simulateInt8Tensors(net, weights, qparams, input)
  return net.outputs.map((o) => {
    const p = qparams.activations.get(o) as QuantParams
    return Float32Array.from(tensors.get(o) as Int8Array, (q) => dequantizeValue(q, p))
  })
}

/** Every int8 tensor of the simulation, by name (as in Int8Params.activations). */
export function simulateInt8Tensors(net: Network, _weights: Weights, qparams: Int8Params, input: Float32Array): Map<string, Int8Array> {
  const shapes = inferShapes(net)
  const P = (name: string): QuantParams => {
    const p = qparams.activations.get(name)
    if (!p) throw new LabError('bad_request', `The int8 parameters have no entry for tensor "${name}"; calibrate this network again.`)
    return p
  }
  const values = new Map<string, Int8Array>([[INPUT_NAME, Int8Array.from(input, (x) => quantizeValue(x, P(INPUT_NAME)))]])
  for (const l of net.layers) {
    const act: Activation = 'activation' in l ? l.activation : 'none'
    const fused = isFusable(act) ? act : 'none'
    const rawName = isFusable(act) ? l.name : preActivationName(l.name)
    const out = int8Op(l, l.inputs.map((n) => values.get(n) as Int8Array), l.inputs.map((n) => shapes.get(n) as Shape), shapes.get(l.name) as Shape, l.inputs.map(P), P(rawName), fused, qparams)
    values.set(rawName, out)
    if (!isFusable(act)) {
      const pin = P(rawName)
      const pout = P(l.name)
      values.set(l.name, out.map((q) => quantizeValue(activate(dequantizeValue(q, pin), act), pout)))
    }
  }
  return values
}

function int8Op(l: Layer, ins: Int8Array[], inShapes: Shape[], outShape: Shape, pin: QuantParams[], pout: QuantParams, act: Activation, qp: Int8Params): Int8Array {
  const out = new Int8Array(size(outShape))
  const x = ins[0]
  const xs = inShapes[0]
  const [lo, hi] = activationBounds(act, pout)
  switch (l.op) {
    case 'conv2d': {
      const q = qp.layers.get(l.name) as QuantizedLayerWeights
      const g = windowGeometry(xs, outShape, l.kernel, l.strides, l.padding)
      const cin = xs[2]
      const zx = pin[0].zeroPoint
      const scales = q.kernelScales.map((s) => f(f(pin[0].scale * s) / pout.scale))
      const per = g.kh * g.kw * cin
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          for (let co = 0; co < l.filters; co++) {
            let acc = q.bias[co]
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.sh - g.padTop + ky
              if (iy < 0 || iy >= g.inH) continue
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.sw - g.padLeft + kx
                if (ix < 0 || ix >= g.inW) continue
                const xb = (iy * g.inW + ix) * cin
                const wb = co * per + (ky * g.kw + kx) * cin
                for (let ci = 0; ci < cin; ci++) acc += (x[xb + ci] - zx) * q.kernel[wb + ci]
              }
            }
            out[(oy * g.outW + ox) * l.filters + co] = requantize(acc, scales[co], pout.zeroPoint, lo, hi)
          }
        }
      }
      return out
    }
    case 'depthwise_conv2d': {
      const q = qp.layers.get(l.name) as QuantizedLayerWeights
      const g = windowGeometry(xs, outShape, l.kernel, l.strides, l.padding)
      const c = xs[2]
      const cout = c * l.depthMultiplier
      const zx = pin[0].zeroPoint
      const scales = q.kernelScales.map((s) => f(f(pin[0].scale * s) / pout.scale))
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          for (let oc = 0; oc < cout; oc++) {
            const ci = Math.floor(oc / l.depthMultiplier)
            let acc = q.bias[oc]
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.sh - g.padTop + ky
              if (iy < 0 || iy >= g.inH) continue
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.sw - g.padLeft + kx
                if (ix < 0 || ix >= g.inW) continue
                acc += (x[(iy * g.inW + ix) * c + ci] - zx) * q.kernel[(ky * g.kw + kx) * cout + oc]
              }
            }
            out[(oy * g.outW + ox) * cout + oc] = requantize(acc, scales[oc], pout.zeroPoint, lo, hi)
          }
        }
      }
      return out
    }
    case 'dense': {
      const q = qp.layers.get(l.name) as QuantizedLayerWeights
      const n = xs[0]
      const zx = pin[0].zeroPoint
      const scale = f(f(pin[0].scale * q.kernelScales[0]) / pout.scale)
      for (let o = 0; o < l.units; o++) {
        let acc = q.bias[o]
        for (let i = 0; i < n; i++) acc += (x[i] - zx) * q.kernel[o * n + i]
        out[o] = requantize(acc, scale, pout.zeroPoint, lo, hi)
      }
      return out
    }
    case 'add': {
      // XNNPACK qs8 add: fixed-point multipliers with 20 bits, shift from the larger scale ratio
      const aScale = f(pin[0].scale / pout.scale)
      const bScale = f(pin[1].scale / pout.scale)
      const shift = 20 - floatExponent(Math.max(aScale, bScale))
      const aMul = roundHalfEven(aScale * 2 ** shift)
      const bMul = roundHalfEven(bScale * 2 ** shift)
      const bias = 2 ** (shift - 1) - aMul * pin[0].zeroPoint - bMul * pin[1].zeroPoint
      const b = ins[1]
      for (let i = 0; i < out.length; i++) {
        const acc = bias + x[i] * aMul + b[i] * bMul
        out[i] = clamp(Math.floor(acc / 2 ** shift), lo - pout.zeroPoint, hi - pout.zeroPoint) + pout.zeroPoint
      }
      return out
    }
    case 'mean': {
      // XNNPACK global average pooling: float32(sum - n*zp) * (in/out scale / n), half-even rounding
      const { map, count } = reductionMap(xs, l.axes)
      const scale = f(f(pin[0].scale / pout.scale) / count)
      const acc = new Float64Array(out.length).fill(-count * pin[0].zeroPoint)
      for (let i = 0; i < x.length; i++) acc[map[i]] += x[i]
      for (let i = 0; i < out.length; i++) out[i] = requantize(acc[i], scale, pout.zeroPoint, -128, 127)
      return out
    }
    case 'avg_pool':
    case 'max_pool': {
      // TFLite's integer average pool (sum over the valid window, division rounding half away from zero)
      const g = windowGeometry(xs, outShape, l.pool, l.strides, l.padding)
      const c = xs[2]
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          for (let ch = 0; ch < c; ch++) {
            let acc = l.op === 'max_pool' ? -128 : 0
            let count = 0
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.sh - g.padTop + ky
              if (iy < 0 || iy >= g.inH) continue
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.sw - g.padLeft + kx
                if (ix < 0 || ix >= g.inW) continue
                const v = x[(iy * g.inW + ix) * c + ch]
                acc = l.op === 'max_pool' ? Math.max(acc, v) : acc + v
                count++
              }
            }
            const half = Math.floor(count / 2)
            out[(oy * g.outW + ox) * c + ch] = l.op === 'max_pool' ? acc : Math.trunc(acc > 0 ? (acc + half) / count : (acc - half) / count)
          }
        }
      }
      return out
    }
    case 'softmax': {
      const inner = xs[xs.length - 1]
      for (let base = 0; base < x.length; base += inner) {
        let max = -Infinity
        for (let i = 0; i < inner; i++) max = Math.max(max, x[base + i])
        let sum = 0
        const e = new Float64Array(inner)
        for (let i = 0; i < inner; i++) sum += e[i] = Math.exp((x[base + i] - max) * pin[0].scale)
        for (let i = 0; i < inner; i++) out[base + i] = quantizeValue(e[i] / sum, pout)
      }
      return out
    }
    case 'pad': {
      out.fill(pin[0].zeroPoint)
      const [h, w, c] = xs
      const [[top], [left]] = l.paddings
      const ow = outShape[1]
      for (let y = 0; y < h; y++) out.set(x.subarray(y * w * c, (y + 1) * w * c), ((y + top) * ow + left) * c)
      return out
    }
    case 'relu6': {
      const [rlo, rhi] = activationBounds('relu6', pout)
      for (let i = 0; i < out.length; i++) out[i] = clamp(x[i], rlo, rhi)
      return out
    }
    case 'hard_swish': {
      for (let i = 0; i < out.length; i++) out[i] = quantizeValue(activate(dequantizeValue(x[i], pin[0]), 'hard_swish'), pout)
      return out
    }
    case 'reshape':
      return x.slice()
    case 'concat':
      concatInto(out, ins, inShapes, l.axis)
      return out
  }
}
