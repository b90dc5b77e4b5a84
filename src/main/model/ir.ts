// ModelIR: the single description of a network. TensorFlow.js models, TFLite files, cost figures and
// lookup-table keys are all derived from it.
//
// Conventions
// - Activations are NHWC WITHOUT the batch dimension: a feature map is [H, W, C], a vector is [N]. Export uses batch 1.
// - Axes that ops name (mean.axes, concat.axis) count WITH the batch dimension, as TFLite and TF do: on a
//   feature map, 1 = H, 2 = W, 3 = C. Negative axes count from the end.
// - Layers are listed in topological order; `inputs` name earlier layers or the network input 'input'.
// - Weights live apart from the graph in a Map keyed `<layer>/kernel` and `<layer>/bias`, with layouts:
//     conv2d            kernel [kh, kw, Cin, Cout]   (HWIO, as tfjs)      bias [Cout]
//     depthwise_conv2d  kernel [kh, kw, C, mult]                         bias [C*mult]  (channel c*mult+m)
//     dense             kernel [in, out]                                 bias [out]
//   Writers for other formats (TFLite: OHWI, [1,kh,kw,C*mult], [out,in]) transpose as needed.
import { z } from 'zod'
import { LabError } from '../../shared/errors'
import { createRng, normal } from './rng'

export type Activation = 'none' | 'relu' | 'relu6' | 'hard_swish'
export type Padding = 'same' | 'valid'
/** A tensor shape without the batch dimension. */
export type Shape = number[]

export const INPUT_NAME = 'input'

interface LayerBase {
  /** Unique within the network; never 'input'. */
  name: string
  /** Names of earlier layers, or 'input'. */
  inputs: string[]
  /** Optional tag naming the block this layer belongs to (e.g. its lookup-table key), for per-op attribution. */
  group?: string
}

export interface Conv2dLayer extends LayerBase {
  op: 'conv2d'
  filters: number
  kernel: [number, number]
  strides: [number, number]
  padding: Padding
  activation: Activation
  useBias: boolean
}
export interface DepthwiseConv2dLayer extends LayerBase {
  op: 'depthwise_conv2d'
  kernel: [number, number]
  strides: [number, number]
  padding: Padding
  depthMultiplier: number
  activation: Activation
  useBias: boolean
}
export interface AddLayer extends LayerBase {
  op: 'add'
  activation: Activation
}
export interface PoolLayer extends LayerBase {
  op: 'avg_pool' | 'max_pool'
  pool: [number, number]
  strides: [number, number]
  padding: Padding
}
export interface MeanLayer extends LayerBase {
  op: 'mean'
  /** Axes with the batch dimension counted: [1, 2] is a global spatial mean. */
  axes: number[]
  keepDims: boolean
}
export interface DenseLayer extends LayerBase {
  op: 'dense'
  units: number
  activation: Activation
  useBias: boolean
}
export interface SoftmaxLayer extends LayerBase {
  op: 'softmax'
}
export interface PadLayer extends LayerBase {
  op: 'pad'
  /** Zero padding [[top, bottom], [left, right]] of a feature map. */
  paddings: [[number, number], [number, number]]
}
export interface Relu6Layer extends LayerBase {
  op: 'relu6'
}
export interface HardSwishLayer extends LayerBase {
  op: 'hard_swish'
}
export interface ReshapeLayer extends LayerBase {
  op: 'reshape'
  /** Target shape without the batch dimension; one entry may be -1. */
  shape: number[]
}
export interface ConcatLayer extends LayerBase {
  op: 'concat'
  /** Axis with the batch dimension counted (3 = channels of a feature map); negative counts from the end. */
  axis: number
}

export type Layer =
  | Conv2dLayer
  | DepthwiseConv2dLayer
  | AddLayer
  | PoolLayer
  | MeanLayer
  | DenseLayer
  | SoftmaxLayer
  | PadLayer
  | Relu6Layer
  | HardSwishLayer
  | ReshapeLayer
  | ConcatLayer

export type LayerOp = Layer['op']
export const LAYER_OPS: readonly LayerOp[] = [
  'conv2d', 'depthwise_conv2d', 'add', 'avg_pool', 'max_pool', 'mean', 'dense', 'softmax', 'pad', 'relu6',
  'hard_swish', 'reshape', 'concat'
]

export interface Network {
  name: string
  input: { shape: Shape; dtype: 'float32' }
  layers: Layer[]
  outputs: string[]
}

/** Trainable parameters keyed `<layer>/kernel` and `<layer>/bias`; layouts in the header comment. */
export type Weights = Map<string, Float32Array>

export interface WeightSpec {
  key: string
  layer: string
  kind: 'kernel' | 'bias'
  shape: number[]
  /** Inputs feeding one output unit (for He initialisation and cost). */
  fanIn: number
}

// ---------------------------------------------------------------- shape inference

function fail(layer: string, sentence: string): never {
  throw new LabError('bad_request', `Layer "${layer}": ${sentence}`)
}

function isPositiveInt(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1
}

function fmt(shape: Shape): string {
  return `[${shape.join(',')}]`
}

/** Output length of a sliding window along one spatial axis, as TF computes it. */
export function windowOutputSize(size: number, window: number, stride: number, padding: Padding): number {
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - window) / stride) + 1
}

/**
 * Explicit TF 'same' padding along one axis: total = max((out-1)*s + k - size, 0), with the extra row at the end.
 * Returns [before, after].
 */
export function samePadding(size: number, window: number, stride: number): [number, number] {
  const out = Math.ceil(size / stride)
  const total = Math.max((out - 1) * stride + window - size, 0)
  const before = Math.floor(total / 2)
  return [before, total - before]
}

function normaliseAxis(layer: string, axis: number, rankWithBatch: number): number {
  const a = axis < 0 ? axis + rankWithBatch : axis
  if (!Number.isInteger(a) || a < 1 || a >= rankWithBatch) {
    fail(layer, `axis ${axis} is out of range for an input of rank ${rankWithBatch - 1} (axes count the batch as 0, which cannot be used).`)
  }
  return a
}

function spatialInput(layer: Layer, shape: Shape): [number, number, number] {
  if (shape.length !== 3) fail(layer.name, `${layer.op} needs a feature map [H,W,C] as input, got ${fmt(shape)}.`)
  return shape as [number, number, number]
}

function checkWindow(layer: Layer, kernel: unknown, strides: unknown, padding: unknown, what: string): void {
  const k = kernel as number[]
  const s = strides as number[]
  if (!Array.isArray(k) || k.length !== 2 || !k.every(isPositiveInt)) fail(layer.name, `${what} must be two positive whole numbers [h,w].`)
  if (!Array.isArray(s) || s.length !== 2 || !s.every(isPositiveInt)) fail(layer.name, 'strides must be two positive whole numbers [h,w].')
  if (padding !== 'same' && padding !== 'valid') fail(layer.name, `padding must be 'same' or 'valid', got ${String(padding)}.`)
}

function checkActivation(layer: Layer, act: unknown): void {
  if (act !== 'none' && act !== 'relu' && act !== 'relu6' && act !== 'hard_swish') {
    fail(layer.name, `activation must be one of none, relu, relu6, hard_swish; got ${String(act)}.`)
  }
}

function windowShape(layer: Layer, x: [number, number, number], k: [number, number], s: [number, number], padding: Padding, channels: number): Shape {
  const h = windowOutputSize(x[0], k[0], s[0], padding)
  const w = windowOutputSize(x[1], k[1], s[1], padding)
  if (h < 1 || w < 1) fail(layer.name, `a ${k[0]}x${k[1]} window with 'valid' padding does not fit the ${x[0]}x${x[1]} input.`)
  return [h, w, channels]
}

function layerOutputShape(layer: Layer, ins: Shape[]): Shape {
  const arity = (n: number): void => {
    if (ins.length !== n) fail(layer.name, `${layer.op} takes ${n} input${n === 1 ? '' : 's'}, got ${ins.length}.`)
  }
  switch (layer.op) {
    case 'conv2d': {
      arity(1)
      checkWindow(layer, layer.kernel, layer.strides, layer.padding, 'kernel')
      checkActivation(layer, layer.activation)
      if (!isPositiveInt(layer.filters)) fail(layer.name, `filters must be a positive whole number, got ${layer.filters}.`)
      return windowShape(layer, spatialInput(layer, ins[0]), layer.kernel, layer.strides, layer.padding, layer.filters)
    }
    case 'depthwise_conv2d': {
      arity(1)
      checkWindow(layer, layer.kernel, layer.strides, layer.padding, 'kernel')
      checkActivation(layer, layer.activation)
      if (!isPositiveInt(layer.depthMultiplier)) fail(layer.name, `depthMultiplier must be a positive whole number, got ${layer.depthMultiplier}.`)
      const x = spatialInput(layer, ins[0])
      return windowShape(layer, x, layer.kernel, layer.strides, layer.padding, x[2] * layer.depthMultiplier)
    }
    case 'avg_pool':
    case 'max_pool': {
      arity(1)
      checkWindow(layer, layer.pool, layer.strides, layer.padding, 'pool')
      const x = spatialInput(layer, ins[0])
      return windowShape(layer, x, layer.pool, layer.strides, layer.padding, x[2])
    }
    case 'add': {
      arity(2)
      checkActivation(layer, layer.activation)
      if (fmt(ins[0]) !== fmt(ins[1])) fail(layer.name, `add needs inputs of equal shape, got ${fmt(ins[0])} and ${fmt(ins[1])}.`)
      return [...ins[0]]
    }
    case 'mean': {
      arity(1)
      const rank = ins[0].length + 1
      if (!Array.isArray(layer.axes) || layer.axes.length === 0) fail(layer.name, 'mean needs at least one axis.')
      const axes = new Set(layer.axes.map((a) => normaliseAxis(layer.name, a, rank)))
      if (axes.size !== layer.axes.length) fail(layer.name, `mean axes ${fmt(layer.axes)} repeat an axis.`)
      const out: Shape = []
      ins[0].forEach((d, i) => {
        if (!axes.has(i + 1)) out.push(d)
        else if (layer.keepDims) out.push(1)
      })
      if (out.length === 0) fail(layer.name, 'mean over every axis would leave a scalar; keep at least one axis.')
      return out
    }
    case 'dense': {
      arity(1)
      checkActivation(layer, layer.activation)
      if (!isPositiveInt(layer.units)) fail(layer.name, `units must be a positive whole number, got ${layer.units}.`)
      if (ins[0].length !== 1) fail(layer.name, `dense needs a vector [N] as input, got ${fmt(ins[0])}; add a mean or reshape before it.`)
      return [layer.units]
    }
    case 'softmax':
    case 'relu6':
    case 'hard_swish':
      arity(1)
      return [...ins[0]]
    case 'pad': {
      arity(1)
      const x = spatialInput(layer, ins[0])
      const p = layer.paddings
      const ok = Array.isArray(p) && p.length === 2 && p.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((v) => Number.isInteger(v) && v >= 0))
      if (!ok) fail(layer.name, 'paddings must be [[top,bottom],[left,right]] of whole numbers ≥ 0.')
      return [x[0] + p[0][0] + p[0][1], x[1] + p[1][0] + p[1][1], x[2]]
    }
    case 'reshape': {
      arity(1)
      const size = ins[0].reduce((a, b) => a * b, 1)
      const target = layer.shape
      if (!Array.isArray(target) || target.length === 0) fail(layer.name, 'reshape needs a target shape.')
      const unknown = target.filter((d) => d === -1).length
      if (unknown > 1 || target.some((d) => d !== -1 && !isPositiveInt(d))) fail(layer.name, `reshape target ${fmt(target)} must be positive whole numbers with at most one -1.`)
      const known = target.filter((d) => d !== -1).reduce((a, b) => a * b, 1)
      if (unknown === 1) {
        if (size % known !== 0) fail(layer.name, `cannot reshape ${fmt(ins[0])} (${size} values) to ${fmt(target)}.`)
        return target.map((d) => (d === -1 ? size / known : d))
      }
      if (known !== size) fail(layer.name, `cannot reshape ${fmt(ins[0])} (${size} values) to ${fmt(target)} (${known} values).`)
      return [...target]
    }
    case 'concat': {
      if (ins.length < 2) fail(layer.name, `concat takes at least 2 inputs, got ${ins.length}.`)
      const rank = ins[0].length
      const axis = normaliseAxis(layer.name, layer.axis, rank + 1) - 1
      for (const s of ins) {
        if (s.length !== rank || s.some((d, i) => i !== axis && d !== ins[0][i])) {
          fail(layer.name, `concat inputs ${ins.map(fmt).join(', ')} differ outside axis ${layer.axis}.`)
        }
      }
      const out = [...ins[0]]
      out[axis] = ins.reduce((a, s) => a + s[axis], 0)
      return out
    }
    default: {
      const op = (layer as { op: unknown }).op
      return fail((layer as { name: string }).name, `unknown op "${String(op)}"; known ops are ${LAYER_OPS.join(', ')}.`)
    }
  }
}

/** Finds a cycle through `start` among forward references, to tell a cycle apart from mere misordering. */
function hasCycleThrough(net: Network, start: string): boolean {
  const byName = new Map(net.layers.map((l) => [l.name, l]))
  const seen = new Set<string>()
  const stack = [...(byName.get(start)?.inputs ?? [])]
  while (stack.length > 0) {
    const n = stack.pop() as string
    if (n === start) return true
    if (seen.has(n)) continue
    seen.add(n)
    stack.push(...(byName.get(n)?.inputs ?? []))
  }
  return false
}

/**
 * Shape of every tensor (key INPUT_NAME and each layer name), batch dimension left out.
 * Throws LabError('bad_request', 'Layer "<name>": …') for the first problem found.
 */
export function inferShapes(net: Network): Map<string, Shape> {
  const inShape = net.input?.shape
  if (!Array.isArray(inShape) || inShape.length === 0 || !inShape.every(isPositiveInt)) {
    throw new LabError('bad_request', `Network "${net.name}": input shape must be positive whole numbers without the batch, e.g. [28,28,1].`)
  }
  const names = new Set<string>()
  for (const l of net.layers) {
    if (typeof l.name !== 'string' || l.name.length === 0) throw new LabError('bad_request', `Network "${net.name}": every layer needs a non-empty name.`)
    if (l.name === INPUT_NAME) fail(l.name, `the name "${INPUT_NAME}" is reserved for the network input.`)
    if (names.has(l.name)) fail(l.name, 'the name is used by more than one layer.')
    names.add(l.name)
  }
  const shapes = new Map<string, Shape>([[INPUT_NAME, [...inShape]]])
  for (const l of net.layers) {
    if (!Array.isArray(l.inputs) || l.inputs.length === 0) fail(l.name, 'it has no inputs.')
    const ins: Shape[] = []
    for (const i of l.inputs) {
      const s = shapes.get(i)
      if (s === undefined) {
        if (!names.has(i)) fail(l.name, `input "${i}" is not a layer of this network.`)
        if (i === l.name || hasCycleThrough(net, l.name)) fail(l.name, `input "${i}" forms a cycle; a network must be acyclic.`)
        fail(l.name, `input "${i}" comes later in the layer list; list layers in topological order.`)
      }
      ins.push(s)
    }
    shapes.set(l.name, layerOutputShape(l, ins))
  }
  if (!Array.isArray(net.outputs) || net.outputs.length === 0) throw new LabError('bad_request', `Network "${net.name}": it names no outputs.`)
  for (const o of net.outputs) {
    if (!names.has(o)) throw new LabError('bad_request', `Network "${net.name}": output "${o}" is not a layer of this network.`)
  }
  return shapes
}

/** Checks the graph (names, order, shapes) and, if given, that the weights match it exactly. */
export function validateNetwork(net: Network, weights?: Weights): Map<string, Shape> {
  const shapes = inferShapes(net)
  if (weights) {
    const specs = weightSpecs(net, shapes)
    const expected = new Set(specs.map((s) => s.key))
    for (const s of specs) {
      const w = weights.get(s.key)
      const n = s.shape.reduce((a, b) => a * b, 1)
      if (!w) fail(s.layer, `weights "${s.key}" are missing.`)
      if (w.length !== n) fail(s.layer, `weights "${s.key}" hold ${w.length} values, expected ${n} for shape ${fmt(s.shape)}.`)
    }
    for (const k of weights.keys()) {
      if (!expected.has(k)) throw new LabError('bad_request', `Network "${net.name}": weights "${k}" belong to no layer.`)
    }
  }
  return shapes
}

/** Every weight tensor the network needs, in layer order, with its shape in the documented layout. */
export function weightSpecs(net: Network, shapes: Map<string, Shape> = inferShapes(net)): WeightSpec[] {
  const specs: WeightSpec[] = []
  for (const l of net.layers) {
    const x = shapes.get(l.inputs[0]) as Shape
    if (l.op === 'conv2d') {
      const cin = x[2]
      const fanIn = l.kernel[0] * l.kernel[1] * cin
      specs.push({ key: `${l.name}/kernel`, layer: l.name, kind: 'kernel', shape: [l.kernel[0], l.kernel[1], cin, l.filters], fanIn })
      if (l.useBias) specs.push({ key: `${l.name}/bias`, layer: l.name, kind: 'bias', shape: [l.filters], fanIn })
    } else if (l.op === 'depthwise_conv2d') {
      const c = x[2]
      const fanIn = l.kernel[0] * l.kernel[1]
      specs.push({ key: `${l.name}/kernel`, layer: l.name, kind: 'kernel', shape: [l.kernel[0], l.kernel[1], c, l.depthMultiplier], fanIn })
      if (l.useBias) specs.push({ key: `${l.name}/bias`, layer: l.name, kind: 'bias', shape: [c * l.depthMultiplier], fanIn })
    } else if (l.op === 'dense') {
      const fanIn = x[0]
      specs.push({ key: `${l.name}/kernel`, layer: l.name, kind: 'kernel', shape: [fanIn, l.units], fanIn })
      if (l.useBias) specs.push({ key: `${l.name}/bias`, layer: l.name, kind: 'bias', shape: [l.units], fanIn })
    }
  }
  return specs
}

/** He-normal kernels (std = sqrt(2 / fanIn)) and zero biases, the same for the same seed (seed ≥ 1). */
export function initWeights(net: Network, seed: number): Weights {
  const rng = createRng(seed)
  const weights: Weights = new Map()
  for (const s of weightSpecs(net)) {
    const n = s.shape.reduce((a, b) => a * b, 1)
    const w = new Float32Array(n)
    if (s.kind === 'kernel') {
      const std = Math.sqrt(2 / s.fanIn)
      for (let i = 0; i < n; i++) w[i] = normal(rng) * std
    }
    weights.set(s.key, w)
  }
  return weights
}

/** Finds a layer by name, or throws not_found. */
export function getLayer(net: Network, name: string): Layer {
  const l = net.layers.find((x) => x.name === name)
  if (!l) throw new LabError('not_found', `Network "${net.name}" has no layer "${name}".`)
  return l
}

// ---------------------------------------------------------------- JSON

const pair = z.tuple([z.number().int(), z.number().int()])
const activation = z.enum(['none', 'relu', 'relu6', 'hard_swish'])
const padding = z.enum(['same', 'valid'])
const base = { name: z.string().min(1), inputs: z.array(z.string().min(1)).min(1), group: z.string().optional() }

export const layerSchema = z.discriminatedUnion('op', [
  z.object({ ...base, op: z.literal('conv2d'), filters: z.number().int(), kernel: pair, strides: pair, padding, activation, useBias: z.boolean() }),
  z.object({ ...base, op: z.literal('depthwise_conv2d'), kernel: pair, strides: pair, padding, depthMultiplier: z.number().int(), activation, useBias: z.boolean() }),
  z.object({ ...base, op: z.literal('add'), activation }),
  z.object({ ...base, op: z.literal('avg_pool'), pool: pair, strides: pair, padding }),
  z.object({ ...base, op: z.literal('max_pool'), pool: pair, strides: pair, padding }),
  z.object({ ...base, op: z.literal('mean'), axes: z.array(z.number().int()), keepDims: z.boolean() }),
  z.object({ ...base, op: z.literal('dense'), units: z.number().int(), activation, useBias: z.boolean() }),
  z.object({ ...base, op: z.literal('softmax') }),
  z.object({ ...base, op: z.literal('pad'), paddings: z.tuple([pair, pair]) }),
  z.object({ ...base, op: z.literal('relu6') }),
  z.object({ ...base, op: z.literal('hard_swish') }),
  z.object({ ...base, op: z.literal('reshape'), shape: z.array(z.number().int()) }),
  z.object({ ...base, op: z.literal('concat'), axis: z.number().int() })
])

export const networkSchema = z.object({
  name: z.string().min(1),
  input: z.object({ shape: z.array(z.number().int().positive()).min(1), dtype: z.literal('float32') }),
  layers: z.array(layerSchema),
  outputs: z.array(z.string().min(1)).min(1)
})

/** The network as plain JSON text (weights are separate: see weightsToJson). */
export function networkToJson(net: Network): string {
  return JSON.stringify(net)
}

/** Parses and validates a network from JSON text or an already-parsed value. */
export function networkFromJson(json: string | unknown): Network {
  let value: unknown = json
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json)
    } catch (e) {
      throw new LabError('invalid_file', `The network JSON is not valid JSON: ${(e as Error).message}.`)
    }
  }
  const parsed = networkSchema.safeParse(value)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    const path = issue.path.join('.')
    throw new LabError('invalid_file', `The network JSON does not describe a network: at "${path}": ${issue.message}.`, path)
  }
  const net = parsed.data as Network
  inferShapes(net)
  return net
}

export type WeightsJson = Record<string, { length: number; base64: string } | number[]>

/** Weights as JSON-safe values: base64 of little-endian float32 (compact, exact) or plain number arrays. */
export function weightsToJson(weights: Weights, encoding: 'base64' | 'array' = 'base64'): WeightsJson {
  const out: WeightsJson = {}
  for (const [k, w] of weights) {
    out[k] = encoding === 'array' ? Array.from(w) : { length: w.length, base64: Buffer.from(w.buffer, w.byteOffset, w.byteLength).toString('base64') }
  }
  return out
}

const weightsJsonSchema = z.record(z.string(), z.union([z.array(z.number()), z.object({ length: z.number().int().nonnegative(), base64: z.string() })]))

export function weightsFromJson(json: unknown): Weights {
  const parsed = weightsJsonSchema.safeParse(typeof json === 'string' ? JSON.parse(json) : json)
  if (!parsed.success) throw new LabError('invalid_file', `The weights JSON is malformed: ${parsed.error.issues[0].message}.`)
  const weights: Weights = new Map()
  for (const [k, v] of Object.entries(parsed.data)) {
    if (Array.isArray(v)) {
      weights.set(k, Float32Array.from(v))
    } else {
      const bytes = Buffer.from(v.base64, 'base64')
      if (bytes.length !== v.length * 4) throw new LabError('invalid_file', `Weights "${k}" hold ${bytes.length} bytes, expected ${v.length * 4}.`)
      const w = new Float32Array(v.length)
      new Uint8Array(w.buffer).set(bytes)
      weights.set(k, w)
    }
  }
  return weights
}

// ---------------------------------------------------------------- MBConv

export interface MBConvOptions {
  /** Expansion ratio; the hidden width is round(Cin * expand). 1 means no expansion conv. */
  expand: number
  kernel: number
  stride: number
  outChannels: number
  /** Identity shortcut; needs stride 1 and Cin == outChannels. */
  idskip: boolean
  /** Tag for the layers (e.g. the lookup-table key). */
  group?: string
}

export interface LayerChain {
  layers: Layer[]
  /** Name of the last layer (the block's output). */
  output: string
  outShape: Shape
}

/**
 * MobileNetV2 inverted residual block: 1x1 expand conv relu6 (left out when expand == 1), k x k depthwise
 * relu6 with the stride, 1x1 projection conv without activation, and an add with the input when idskip.
 * Layer names: `<prefix>_expand`, `<prefix>_dw`, `<prefix>_project`, `<prefix>_add`.
 */
export function mbconvLayers(prefix: string, inputName: string, inShape: Shape, o: MBConvOptions): LayerChain {
  if (inShape.length !== 3) fail(`${prefix}_dw`, `an MBConv block needs a feature map [H,W,C], got ${fmt(inShape)}.`)
  const cin = inShape[2]
  if (o.idskip && (o.stride !== 1 || cin !== o.outChannels)) {
    fail(`${prefix}_add`, `an identity shortcut needs stride 1 and equal widths, got stride ${o.stride} and ${cin}→${o.outChannels}.`)
  }
  const g = o.group === undefined ? {} : { group: o.group }
  const layers: Layer[] = []
  let x = inputName
  if (o.expand !== 1) {
    const mid = Math.round(cin * o.expand)
    layers.push({ name: `${prefix}_expand`, op: 'conv2d', inputs: [x], filters: mid, kernel: [1, 1], strides: [1, 1], padding: 'same', activation: 'relu6', useBias: true, ...g })
    x = `${prefix}_expand`
  }
  layers.push({ name: `${prefix}_dw`, op: 'depthwise_conv2d', inputs: [x], kernel: [o.kernel, o.kernel], strides: [o.stride, o.stride], padding: 'same', depthMultiplier: 1, activation: 'relu6', useBias: true, ...g })
  layers.push({ name: `${prefix}_project`, op: 'conv2d', inputs: [`${prefix}_dw`], filters: o.outChannels, kernel: [1, 1], strides: [1, 1], padding: 'same', activation: 'none', useBias: true, ...g })
  let output = `${prefix}_project`
  if (o.idskip) {
    layers.push({ name: `${prefix}_add`, op: 'add', inputs: [inputName, output], activation: 'none', ...g })
    output = `${prefix}_add`
  }
  const h = Math.ceil(inShape[0] / o.stride)
  const w = Math.ceil(inShape[1] / o.stride)
  return { layers, output, outShape: [h, w, o.outChannels] }
}
