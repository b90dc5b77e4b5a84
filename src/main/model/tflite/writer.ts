// Writes an IR network and its weights as a .tflite file (flatbuffers Builder, no generated code).
// Precision per layer: fp32; fp16 (FLOAT16 weights feeding DEQUANTIZE ops placed first, as the TFLite converter
// does); int8 (full integer, per-channel weights, calibrated activations). Float32 model inputs and outputs;
// QUANTIZE / DEQUANTIZE ops are inserted at the model edges and wherever the precision changes between layers.
// The same network, weights and options always give the same bytes.
import { Builder } from 'flatbuffers'
import { LabError } from '../../../shared/errors'
import { INPUT_NAME, validateNetwork, type Activation, type Layer, type Network, type Shape, type Weights } from '../ir'
import { calibrateInt8, type Int8Params, type QuantParams } from './quantize'
import { isFusable, preActivationName } from './reference'
import {
  Activation as FusedAct, BuiltinOp, OptionsType, Padding, TFLITE_FILE_IDENTIFIER, TFLITE_SCHEMA_VERSION, TensorType
} from './schema'

export type LayerPrecision = 'fp32' | 'fp16' | 'int8'
export type ExportPrecision = LayerPrecision | { perLayer: Record<string, LayerPrecision> }

export interface WriteTfliteOptions {
  /** One precision for all layers, or per layer name (layers left out are fp32). */
  precision: ExportPrecision
  /** Sample inputs (NHWC, batch 1, float32) to calibrate int8 activation ranges. Needed for int8 layers. */
  calibration?: Float32Array[]
  /** Ready int8 parameters (e.g. from calibrateInt8), used instead of calibrating again. */
  int8Params?: Int8Params
  /** Model.description; default 'Proxyless Lab <network name>'. */
  description?: string
}

type Domain = 'float' | 'int8'

interface TensorDef {
  name: string
  shape: number[]
  type: number
  buffer: number
  quant: { scales: number[]; zeroPoints: number[]; dimension: number } | null
}

type OptionField =
  | { id: number; kind: 'i8' | 'i32' | 'f32' | 'bool'; value: number | boolean; dflt: number | boolean }
  | { id: number; kind: 'vec32'; value: number[] }

interface OpDef {
  opcode: number
  inputs: number[]
  outputs: number[]
  optionsType: number
  options: OptionField[] | null
}

/** Op versions from TFLite's op_version rules, by builtin op and domain. */
const INT8_VERSIONS: Record<number, number> = {
  [BuiltinOp.CONV_2D]: 3, [BuiltinOp.DEPTHWISE_CONV_2D]: 3, [BuiltinOp.FULLY_CONNECTED]: 4, [BuiltinOp.ADD]: 2,
  [BuiltinOp.MEAN]: 2, [BuiltinOp.SOFTMAX]: 2, [BuiltinOp.RELU6]: 2, [BuiltinOp.PAD]: 2, [BuiltinOp.AVERAGE_POOL_2D]: 2,
  [BuiltinOp.MAX_POOL_2D]: 2, [BuiltinOp.CONCATENATION]: 2, [BuiltinOp.HARD_SWISH]: 1, [BuiltinOp.RESHAPE]: 1
}

const FUSED: Record<Activation, number> = { none: FusedAct.NONE, relu: FusedAct.RELU, relu6: FusedAct.RELU6, hard_swish: FusedAct.NONE }

const f32Scratch = new Float32Array(1)
const u32Scratch = new Uint32Array(f32Scratch.buffer)

/** IEEE 754 half-precision bits of a number, rounding to nearest even. */
export function float16Bits(value: number): number {
  f32Scratch[0] = value
  const x = u32Scratch[0]
  const sign = (x >>> 16) & 0x8000
  const exp = (x >>> 23) & 0xff
  let mant = x & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0)
  let e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00
  if (e <= 0) {
    if (e < -10) return sign
    mant |= 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    let m = mant >>> shift
    const rest = mant & ((1 << shift) - 1)
    if (rest > half || (rest === half && (m & 1))) m++
    return sign | m
  }
  let m = mant >>> 13
  const rest = mant & 0x1fff
  if (rest > 0x1000 || (rest === 0x1000 && (m & 1))) {
    m++
    if (m === 0x400) { m = 0; e++ }
    if (e >= 0x1f) return sign | 0x7c00
  }
  return sign | (e << 10) | m
}

/** The value a float16 weight actually holds (what an fp16 export computes with). */
export function roundToFloat16(value: number): number {
  const h = float16Bits(value)
  const sign = h & 0x8000 ? -1 : 1
  const e = (h >> 10) & 0x1f
  const m = h & 0x3ff
  if (e === 0) return sign * m * 2 ** -24
  if (e === 0x1f) return m ? NaN : sign * Infinity
  return sign * (1 + m / 1024) * 2 ** (e - 15)
}

/** Weights as an fp16 export computes with them (kernels and biases rounded to float16). */
export function float16Weights(weights: Weights): Weights {
  return new Map([...weights].map(([k, w]) => [k, w.map(roundToFloat16)]))
}

function bytesOf(a: Float32Array | Int32Array | Int8Array | Uint16Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength)
}

class GraphBuilder {
  readonly tensors: TensorDef[] = []
  readonly buffers: Uint8Array[] = [new Uint8Array(0)]
  readonly opcodes: { code: number; version: number }[] = []
  readonly prologue: OpDef[] = []
  readonly body: OpDef[] = []

  tensor(name: string, shape: number[], type: number, quant: QuantParams | null = null): number {
    this.tensors.push({ name, shape, type, buffer: 0, quant: quant ? { scales: [quant.scale], zeroPoints: [quant.zeroPoint], dimension: 0 } : null })
    return this.tensors.length - 1
  }

  constant(name: string, shape: number[], type: number, data: Uint8Array, quant: TensorDef['quant'] = null): number {
    this.buffers.push(data.slice())
    this.tensors.push({ name, shape, type, buffer: this.buffers.length - 1, quant })
    return this.tensors.length - 1
  }

  int32Constant(name: string, shape: number[], values: number[]): number {
    return this.constant(name, shape, TensorType.INT32, bytesOf(Int32Array.from(values)))
  }

  opcode(code: number, version: number): number {
    const i = this.opcodes.findIndex((c) => c.code === code && c.version === version)
    if (i >= 0) return i
    this.opcodes.push({ code, version })
    return this.opcodes.length - 1
  }

  op(code: number, version: number, inputs: number[], outputs: number[], optionsType = 0, options: OptionField[] | null = null, first = false): void {
    const def = { opcode: this.opcode(code, version), inputs, outputs, optionsType, options }
    if (first) this.prologue.push(def)
    else this.body.push(def)
  }
}

function layerPrecision(precision: ExportPrecision, layer: Layer): LayerPrecision {
  if (typeof precision === 'string') return precision
  return precision.perLayer[layer.name] ?? 'fp32'
}

function checkPrecision(net: Network, precision: ExportPrecision): void {
  const ok = (p: unknown): boolean => p === 'fp32' || p === 'fp16' || p === 'int8'
  if (typeof precision === 'string') {
    if (!ok(precision)) throw new LabError('bad_request', `Precision must be fp32, fp16 or int8, got "${precision}".`, 'precision')
    return
  }
  const names = new Set(net.layers.map((l) => l.name))
  for (const [name, p] of Object.entries(precision.perLayer)) {
    if (!names.has(name)) throw new LabError('bad_request', `Precision is given for layer "${name}", which network "${net.name}" does not have.`, 'precision')
    if (!ok(p)) throw new LabError('bad_request', `Layer "${name}": precision must be fp32, fp16 or int8, got "${String(p)}".`, 'precision')
  }
}

/** Serialises the network to .tflite bytes. */
export function writeTflite(net: Network, weights: Weights, opts: WriteTfliteOptions): Uint8Array {
  const shapes = validateNetwork(net, weights)
  checkPrecision(net, opts.precision)
  const anyInt8 = net.layers.some((l) => layerPrecision(opts.precision, l) === 'int8')
  const qp = anyInt8 ? opts.int8Params ?? calibrateInt8(net, weights, opts.calibration ?? []) : null
  const g = new GraphBuilder()
  const outputs = new Set(net.outputs)
  const batched = (s: Shape): number[] => [1, ...s]
  const params = (name: string): QuantParams => {
    const p = qp?.activations.get(name)
    if (!p) throw new LabError('bad_request', `The int8 parameters have no entry for tensor "${name}"; calibrate this network again.`)
    return p
  }

  // Tensor ids per IR tensor and domain; conversions are made once, on first need.
  const ids = new Map<string, { float?: number; int8?: number }>()
  ids.set(INPUT_NAME, { float: g.tensor(INPUT_NAME, batched(shapes.get(INPUT_NAME) as Shape), TensorType.FLOAT32) })
  const get = (name: string, domain: Domain): number => {
    const entry = ids.get(name) as { float?: number; int8?: number }
    const have = entry[domain]
    if (have !== undefined) return have
    const shape = batched(shapes.get(name) as Shape)
    if (domain === 'int8') {
      const t = g.tensor(`${name}/int8`, shape, TensorType.INT8, params(name))
      g.op(BuiltinOp.QUANTIZE, 1, [entry.float as number], [t])
      entry.int8 = t
    } else {
      const t = g.tensor(outputs.has(name) ? name : `${name}/float`, shape, TensorType.FLOAT32)
      g.op(BuiltinOp.DEQUANTIZE, 2, [entry.int8 as number], [t])
      entry.float = t
    }
    return entry[domain] as number
  }

  for (const layer of net.layers) {
    const precision = layerPrecision(opts.precision, layer)
    const domain: Domain = precision === 'int8' ? 'int8' : 'float'
    const version = (code: number): number => (domain === 'int8' ? INT8_VERSIONS[code] ?? 1 : 1)
    const outShape = batched(shapes.get(layer.name) as Shape)
    const act: Activation = 'activation' in layer ? layer.activation : 'none'
    const tensorFor = (name: string, tensorName: string): number =>
      domain === 'int8' ? g.tensor(tensorName, outShape, TensorType.INT8, params(name)) : g.tensor(tensorName, outShape, TensorType.FLOAT32)
    const outName = domain === 'int8' && outputs.has(layer.name) ? `${layer.name}/int8` : layer.name
    // the op writes the final tensor, or a pre-activation tensor followed by a separate HARD_SWISH
    const rawOut = isFusable(act) ? tensorFor(layer.name, outName) : tensorFor(preActivationName(layer.name), preActivationName(layer.name))
    const finish = (): void => {
      if (isFusable(act)) {
        ids.set(layer.name, { [domain]: rawOut })
        return
      }
      const out = tensorFor(layer.name, outName)
      g.op(BuiltinOp.HARD_SWISH, version(BuiltinOp.HARD_SWISH), [rawOut], [out])
      ids.set(layer.name, { [domain]: out })
    }
    const x = get(layer.inputs[0], domain)
    const fused = FUSED[act]
    const paddingCode = (p: 'same' | 'valid'): number => (p === 'same' ? Padding.SAME : Padding.VALID)

    switch (layer.op) {
      case 'conv2d':
      case 'depthwise_conv2d':
      case 'dense': {
        const [kernel, bias] = weightTensors(g, layer, shapes.get(layer.inputs[0]) as Shape, weights, precision, qp)
        if (layer.op === 'conv2d') {
          g.op(BuiltinOp.CONV_2D, version(BuiltinOp.CONV_2D), [x, kernel, bias], [rawOut], OptionsType.Conv2DOptions, [
            { id: 0, kind: 'i8', value: paddingCode(layer.padding), dflt: 0 },
            { id: 1, kind: 'i32', value: layer.strides[1], dflt: 0 },
            { id: 2, kind: 'i32', value: layer.strides[0], dflt: 0 },
            { id: 3, kind: 'i8', value: fused, dflt: 0 }
          ])
        } else if (layer.op === 'depthwise_conv2d') {
          g.op(BuiltinOp.DEPTHWISE_CONV_2D, version(BuiltinOp.DEPTHWISE_CONV_2D), [x, kernel, bias], [rawOut], OptionsType.DepthwiseConv2DOptions, [
            { id: 0, kind: 'i8', value: paddingCode(layer.padding), dflt: 0 },
            { id: 1, kind: 'i32', value: layer.strides[1], dflt: 0 },
            { id: 2, kind: 'i32', value: layer.strides[0], dflt: 0 },
            { id: 3, kind: 'i32', value: layer.depthMultiplier, dflt: 0 },
            { id: 4, kind: 'i8', value: fused, dflt: 0 }
          ])
        } else {
          g.op(BuiltinOp.FULLY_CONNECTED, version(BuiltinOp.FULLY_CONNECTED), [x, kernel, bias], [rawOut], OptionsType.FullyConnectedOptions, [
            { id: 0, kind: 'i8', value: fused, dflt: 0 }
          ])
        }
        break
      }
      case 'add':
        g.op(BuiltinOp.ADD, version(BuiltinOp.ADD), [x, get(layer.inputs[1], domain)], [rawOut], OptionsType.AddOptions, [{ id: 0, kind: 'i8', value: fused, dflt: 0 }])
        break
      case 'avg_pool':
      case 'max_pool': {
        const code = layer.op === 'avg_pool' ? BuiltinOp.AVERAGE_POOL_2D : BuiltinOp.MAX_POOL_2D
        g.op(code, version(code), [x], [rawOut], OptionsType.Pool2DOptions, [
          { id: 0, kind: 'i8', value: paddingCode(layer.padding), dflt: 0 },
          { id: 1, kind: 'i32', value: layer.strides[1], dflt: 0 },
          { id: 2, kind: 'i32', value: layer.strides[0], dflt: 0 },
          { id: 3, kind: 'i32', value: layer.pool[1], dflt: 0 },
          { id: 4, kind: 'i32', value: layer.pool[0], dflt: 0 }
        ])
        break
      }
      case 'mean': {
        const rank = (shapes.get(layer.inputs[0]) as Shape).length + 1
        const axes = layer.axes.map((a) => (a < 0 ? a + rank : a))
        const axesT = g.int32Constant(`${layer.name}/axes`, [axes.length], axes)
        g.op(BuiltinOp.MEAN, version(BuiltinOp.MEAN), [x, axesT], [rawOut], OptionsType.ReducerOptions, [{ id: 0, kind: 'bool', value: layer.keepDims, dflt: false }])
        break
      }
      case 'softmax':
        g.op(BuiltinOp.SOFTMAX, version(BuiltinOp.SOFTMAX), [x], [rawOut], OptionsType.SoftmaxOptions, [{ id: 0, kind: 'f32', value: 1, dflt: 0 }])
        break
      case 'pad': {
        const [[top, bottom], [left, right]] = layer.paddings
        const padT = g.int32Constant(`${layer.name}/paddings`, [4, 2], [0, 0, top, bottom, left, right, 0, 0])
        g.op(BuiltinOp.PAD, version(BuiltinOp.PAD), [x, padT], [rawOut])
        break
      }
      case 'relu6':
        g.op(BuiltinOp.RELU6, version(BuiltinOp.RELU6), [x], [rawOut])
        break
      case 'hard_swish':
        g.op(BuiltinOp.HARD_SWISH, version(BuiltinOp.HARD_SWISH), [x], [rawOut])
        break
      case 'reshape': {
        const shapeT = g.int32Constant(`${layer.name}/shape`, [outShape.length], outShape)
        g.op(BuiltinOp.RESHAPE, version(BuiltinOp.RESHAPE), [x, shapeT], [rawOut], OptionsType.ReshapeOptions, [{ id: 0, kind: 'vec32', value: outShape }])
        break
      }
      case 'concat': {
        const rank = outShape.length
        const axis = layer.axis < 0 ? layer.axis + rank : layer.axis
        g.op(BuiltinOp.CONCATENATION, version(BuiltinOp.CONCATENATION), layer.inputs.map((n) => get(n, domain)), [rawOut], OptionsType.ConcatenationOptions, [
          { id: 0, kind: 'i32', value: axis, dflt: 0 },
          { id: 1, kind: 'i8', value: FusedAct.NONE, dflt: 0 }
        ])
        break
      }
    }
    finish()
  }
  const outputIds = net.outputs.map((o) => get(o, 'float'))
  return serialize(g, [(ids.get(INPUT_NAME) as { float: number }).float], outputIds, opts.description ?? `Proxyless Lab ${net.name}`)
}

/** Kernel and bias tensors of a conv / depthwise / dense layer in the TFLite layout and the layer's precision. */
function weightTensors(g: GraphBuilder, layer: Layer, inShape: Shape, weights: Weights, precision: LayerPrecision, qp: Int8Params | null): [number, number] {
  const kName = `${layer.name}/kernel`
  const bName = `${layer.name}/bias`
  if (precision === 'int8') {
    const q = (qp as Int8Params).layers.get(layer.name)
    if (!q) throw new LabError('bad_request', `The int8 parameters have no weights for layer "${layer.name}"; calibrate this network again.`)
    const zeros = (n: number): number[] => new Array<number>(n).fill(0)
    const kernel = g.constant(kName, q.kernelShape, TensorType.INT8, bytesOf(q.kernel), { scales: q.kernelScales, zeroPoints: zeros(q.kernelScales.length), dimension: q.quantizedDimension })
    const bias = g.constant(bName, [q.bias.length], TensorType.INT32, bytesOf(q.bias), { scales: q.biasScales, zeroPoints: zeros(q.biasScales.length), dimension: 0 })
    return [kernel, bias]
  }
  const w = weights.get(kName) as Float32Array
  let kernelShape: number[]
  let kernelData: Float32Array
  let outChannels: number
  if (layer.op === 'conv2d') {
    const [kh, kw] = layer.kernel
    const cin = inShape[2]
    const cout = layer.filters
    kernelShape = [cout, kh, kw, cin]
    kernelData = new Float32Array(w.length)
    const per = kh * kw * cin
    for (let i = 0; i < w.length; i++) kernelData[i] = w[(i % per) * cout + Math.floor(i / per)] // HWIO -> OHWI
    outChannels = cout
  } else if (layer.op === 'depthwise_conv2d') {
    outChannels = inShape[2] * layer.depthMultiplier
    kernelShape = [1, layer.kernel[0], layer.kernel[1], outChannels] // same memory as [kh,kw,C,mult]
    kernelData = w
  } else if (layer.op === 'dense') {
    const n = inShape[0]
    kernelShape = [layer.units, n]
    kernelData = new Float32Array(w.length)
    for (let i = 0; i < w.length; i++) kernelData[i] = w[(i % n) * layer.units + Math.floor(i / n)] // [in,out] -> [out,in]
    outChannels = layer.units
  } else {
    throw new LabError('internal', `Layer "${layer.name}" (${layer.op}) has no weights.`)
  }
  // Always a bias: this runtime rejects CONV_2D without one.
  const biasData = weights.get(bName) ?? new Float32Array(outChannels)
  if (precision === 'fp16') {
    const half = (name: string, shape: number[], data: Float32Array): number => {
      const bits = new Uint16Array(data.length)
      for (let i = 0; i < data.length; i++) bits[i] = float16Bits(data[i])
      const h = g.constant(`${name}/fp16`, shape, TensorType.FLOAT16, bytesOf(bits))
      const t = g.tensor(name, shape, TensorType.FLOAT32)
      g.op(BuiltinOp.DEQUANTIZE, 3, [h], [t], 0, null, true)
      return t
    }
    return [half(kName, kernelShape, kernelData), half(bName, [outChannels], biasData)]
  }
  return [
    g.constant(kName, kernelShape, TensorType.FLOAT32, bytesOf(kernelData)),
    g.constant(bName, [outChannels], TensorType.FLOAT32, bytesOf(biasData))
  ]
}

function serialize(g: GraphBuilder, inputs: number[], outputs: number[], description: string): Uint8Array {
  const totalData = g.buffers.reduce((a, b) => a + b.length + 16, 0)
  const b = new Builder(totalData + 64 * 1024)

  const int32Vector = (values: number[]): number => {
    b.startVector(4, values.length, 4)
    for (let i = values.length - 1; i >= 0; i--) b.addInt32(values[i])
    return b.endVector()
  }
  const offsetVector = (offsets: number[]): number => {
    b.startVector(4, offsets.length, 4)
    for (let i = offsets.length - 1; i >= 0; i--) b.addOffset(offsets[i])
    return b.endVector()
  }

  // Buffers: buffer 0 is the empty sentinel; data is 16-byte aligned like the converter's.
  const bufferOffsets = g.buffers.map((data) => {
    let vec = 0
    if (data.length > 0) {
      b.startVector(1, data.length, 16)
      b.pad(data.length)
      const start = b.dataBuffer().capacity() - b.offset()
      b.dataBuffer().bytes().set(data, start)
      vec = b.endVector()
    }
    b.startObject(3)
    if (vec) b.addFieldOffset(0, vec, 0)
    return b.endObject()
  })

  const tensorOffsets = g.tensors.map((t) => {
    const name = b.createString(t.name)
    const shape = int32Vector(t.shape)
    let quant = 0
    if (t.quant) {
      const { scales, zeroPoints, dimension } = t.quant
      b.startVector(4, scales.length, 4)
      for (let i = scales.length - 1; i >= 0; i--) b.addFloat32(scales[i])
      const scaleVec = b.endVector()
      b.startVector(8, zeroPoints.length, 8)
      for (let i = zeroPoints.length - 1; i >= 0; i--) b.addInt64(BigInt(zeroPoints[i]))
      const zpVec = b.endVector()
      b.startObject(7)
      b.addFieldOffset(2, scaleVec, 0)
      b.addFieldOffset(3, zpVec, 0)
      b.addFieldInt32(6, dimension, 0)
      quant = b.endObject()
    }
    b.startObject(10)
    b.addFieldOffset(0, shape, 0)
    b.addFieldInt8(1, t.type, 0)
    b.addFieldInt32(2, t.buffer, 0)
    b.addFieldOffset(3, name, 0)
    if (quant) b.addFieldOffset(4, quant, 0)
    return b.endObject()
  })

  const opOffsets = [...g.prologue, ...g.body].map((op) => {
    const ins = int32Vector(op.inputs)
    const outs = int32Vector(op.outputs)
    let options = 0
    if (op.options) {
      const vectors = op.options.map((f) => (f.kind === 'vec32' ? int32Vector(f.value) : 0))
      b.startObject(op.options.reduce((n, f) => Math.max(n, f.id + 1), 0))
      op.options.forEach((f, i) => {
        if (f.kind === 'vec32') b.addFieldOffset(f.id, vectors[i], 0)
        else if (f.kind === 'i8') b.addFieldInt8(f.id, f.value as number, f.dflt as number)
        else if (f.kind === 'i32') b.addFieldInt32(f.id, f.value as number, f.dflt as number)
        else if (f.kind === 'f32') b.addFieldFloat32(f.id, f.value as number, f.dflt as number)
        else b.addFieldInt8(f.id, f.value ? 1 : 0, f.dflt ? 1 : 0)
      })
      options = b.endObject()
    }
    b.startObject(5)
    b.addFieldInt32(0, op.opcode, 0)
    b.addFieldOffset(1, ins, 0)
    b.addFieldOffset(2, outs, 0)
    if (op.optionsType) {
      b.addFieldInt8(3, op.optionsType, 0)
      b.addFieldOffset(4, options, 0)
    }
    return b.endObject()
  })

  const tensorsVec = offsetVector(tensorOffsets)
  const inputsVec = int32Vector(inputs)
  const outputsVec = int32Vector(outputs)
  const opsVec = offsetVector(opOffsets)
  const graphName = b.createString('main')
  b.startObject(5)
  b.addFieldOffset(0, tensorsVec, 0)
  b.addFieldOffset(1, inputsVec, 0)
  b.addFieldOffset(2, outputsVec, 0)
  b.addFieldOffset(3, opsVec, 0)
  b.addFieldOffset(4, graphName, 0)
  const subgraph = b.endObject()

  const opcodeOffsets = g.opcodes.map((c) => {
    b.startObject(4)
    b.addFieldInt8(0, Math.min(c.code, 127), 0)
    b.addFieldInt32(2, c.version, 1)
    b.addFieldInt32(3, c.code, 0)
    return b.endObject()
  })
  const opcodesVec = offsetVector(opcodeOffsets)
  const subgraphsVec = offsetVector([subgraph])
  const descriptionStr = b.createString(description)
  const buffersVec = offsetVector(bufferOffsets)
  b.startObject(8)
  b.addFieldInt32(0, TFLITE_SCHEMA_VERSION, 0)
  b.addFieldOffset(1, opcodesVec, 0)
  b.addFieldOffset(2, subgraphsVec, 0)
  b.addFieldOffset(3, descriptionStr, 0)
  b.addFieldOffset(4, buffersVec, 0)
  const model = b.endObject()
  b.finish(model, TFLITE_FILE_IDENTIFIER)
  return b.asUint8Array().slice()
}

/** Bytes of the weights (kernels and biases) at fp32, to compare with a file size. */
export function parameterBytesFp32(weights: Weights): number {
  let n = 0
  for (const w of weights.values()) n += w.byteLength
  return n
}
