// Accuracy of a quantization policy, as HAQ measures it (Wang et al., CVPR'19, §3.4): quantize the weights the way
// the export will compute with them, fake-quantize the activations that the export keeps in int8, fine-tune briefly
// with the straight-through estimator, and count correct answers on a held-out split (in PERCENT, the unit HAQ's
// λ = 0.1 assumes). Deterministic for a seed; results are cached by policy key.
import * as tf from '@tensorflow/tfjs'
import { LabError } from '../../shared/errors'
import { INPUT_NAME, validateNetwork, type Layer, type Network, type Shape, type Weights } from '../model/ir'
import { createRng } from '../model/rng'
import { applyLayer, crossEntropy, type LayerParams } from '../model/tfjs'
import { calibrateInt8, type Int8Params } from '../model/tflite/quantize'
import { roundToFloat16, type LayerPrecision } from '../model/tflite/writer'
import { quantLayersOf, type QuantLayer } from './layers'
import { policyKey, type QuantPolicy } from './precision'
import { fakeQuantTfjs, haqWeightClip, maxClip, perChannelMaxClip, quantizeKmeans, quantizeWeightsLinear } from './quantizers'

/** Images as float32 NHWC plus class labels. */
export interface ImageArrays {
  x: Float32Array
  y: Int32Array
  count: number
}

export interface FinetuneSettings {
  /** Images seen by the short fine-tune of each policy (0 = no fine-tune). HAQ: one epoch on a 20k subset. */
  images: number
  batchSize: number
  /** Adam learning rate (nets without batch norm barely move with SGD at this budget). */
  lr: number
}

export interface PolicyEvaluatorOptions {
  net: Network
  /** The trained float weights every policy starts from. */
  weights: Weights
  train: ImageArrays
  /** Held-out images for the accuracy (never trained on). */
  heldOut: ImageArrays
  /** Sample inputs (batch 1) for the int8 activation ranges. */
  calibration: Float32Array[]
  finetune: FinetuneSettings
  seed: number
}

/**
 * The precision of every IR layer in the deployed TFLite file: quantizable layers as the policy says; other layers
 * (add, mean, softmax, …) stay int8 when all their inputs are int8, so a uniform int8 policy exports fully integer.
 */
export function exportPrecisionOf(net: Network, policy: QuantPolicy): Record<string, LayerPrecision> {
  if (policy.kind !== 'deploy') throw new LabError('bad_request', 'A bit-width policy cannot be exported to TFLite: phones run fp32, fp16 or int8 layers; search in the deploy space instead.')
  const chosen = new Map(policy.layers.map((l) => [l.layer, l.precision]))
  const out: Record<string, LayerPrecision> = {}
  for (const layer of net.layers) {
    const p = chosen.get(layer.name)
    if (p !== undefined) {
      if (p === 'int16x8') throw new LabError('bad_request', `Layer "${layer.name}" asks for int16x8, which the lab's TFLite writer does not export; use fp32, fp16 or int8.`)
      out[layer.name] = p
    } else {
      out[layer.name] = layer.inputs.every((i) => i !== INPUT_NAME && out[i] === 'int8') ? 'int8' : 'fp32'
    }
  }
  return out
}

/** How one layer's kernel is transformed before use: during the fine-tune (STE) and exactly at evaluation. */
interface WeightRule {
  kind: 'float' | 'fp16' | 'linear' | 'kmeans'
  bits: number
  /** Per-channel clips (linear), fixed from the starting weights during the fine-tune. */
  clips?: Float32Array
}

/** Fake quantization of one activation tensor: unsigned [0, c] after ReLU-like layers, else symmetric [−c, c]. */
interface ActivationRule {
  bits: number
  clip: number
  mode: 'symmetric' | 'unsigned'
}

const size = (s: Shape): number => s.reduce((a, b) => a * b, 1)

export class PolicyEvaluator {
  readonly layers: QuantLayer[]
  private readonly shapes: Map<string, Shape>
  private readonly cache = new Map<string, number>()
  private int8Params: Int8Params | null = null

  constructor(private readonly o: PolicyEvaluatorOptions) {
    this.shapes = validateNetwork(o.net, o.weights)
    this.layers = quantLayersOf(o.net)
    if (o.heldOut.count < 1) throw new LabError('bad_request', 'The held-out split is empty, so accuracy cannot be measured: choose more evaluation images.')
  }

  /** Accuracy in percent on the held-out images after the short fine-tune (cached by policy key). */
  async evaluate(policy: QuantPolicy): Promise<number> {
    const key = policyKey(policy)
    const hit = this.cache.get(key)
    if (hit !== undefined) return hit
    const tuned = this.finetune(policy)
    const accuracy = this.accuracy(policy, tuned)
    this.cache.set(key, accuracy)
    return accuracy
  }

  /** The fine-tuned float weights of a policy (deterministic, so this reproduces what evaluate() scored). */
  finetune(policy: QuantPolicy): Weights {
    const { finetune, train, seed } = this.o
    const steps = Math.floor(finetune.images / finetune.batchSize)
    if (steps < 1 || train.count < 1) return new Map([...this.o.weights].map(([k, w]) => [k, Float32Array.from(w)]))
    const rules = this.weightRules(policy, this.o.weights)
    const acts = this.activationRules(policy)
    const vars = new Map<string, tf.Variable>()
    for (const [k, w] of this.o.weights) vars.set(k, tf.variable(tf.tensor(w, this.weightShape(k)), true))
    const optimizer = tf.train.adam(finetune.lr)
    const rng = createRng(seed + 7919)
    const inShape = this.o.net.input.shape
    const per = size(inShape)
    const classes = this.classes()
    try {
      for (let step = 0; step < steps; step++) {
        const idx = Array.from({ length: finetune.batchSize }, () => Math.floor(rng() * train.count))
        const bx = new Float32Array(idx.length * per)
        idx.forEach((i, k) => bx.set(train.x.subarray(i * per, (i + 1) * per), k * per))
        const by = Int32Array.from(idx, (i) => train.y[i])
        tf.tidy(() => {
          const x = tf.tensor(bx, [idx.length, ...inShape])
          const onehot = tf.oneHot(tf.tensor1d(by, 'int32'), classes)
          optimizer.minimize(() => crossEntropy(onehot, this.forward(x, (layer) => this.trainParams(layer, vars, rules), acts)), false, [...vars.values()])
        })
      }
      const out: Weights = new Map()
      for (const [k, v] of vars) out.set(k, Float32Array.from(v.dataSync() as Float32Array))
      return out
    } finally {
      optimizer.dispose()
      for (const v of vars.values()) v.dispose()
    }
  }

  /** The weights an export of this policy computes with: fp16 rounding, int8 per-channel, or the bit-width rule. */
  deployedWeights(policy: QuantPolicy, weights: Weights): Weights {
    const rules = this.weightRules(policy, weights)
    const out: Weights = new Map()
    for (const [k, w] of weights) {
      const [layer, kind] = k.split('/')
      const rule = rules.get(layer)
      if (!rule || rule.kind === 'float') out.set(k, w)
      else if (rule.kind === 'fp16') out.set(k, w.map(roundToFloat16))
      else if (kind === 'bias') out.set(k, w) // int8 biases are int32 at the product scale: exact enough to keep float
      else if (rule.kind === 'linear') out.set(k, quantizeWeightsLinear(w, rule.bits, rule.clips as Float32Array))
      else out.set(k, quantizeKmeans(w, rule.bits, { seed: this.o.seed, maxIterations: 15 }).quantized)
    }
    return out
  }

  /** Percent correct on the held-out split with the deployed weights and activation fake-quant. */
  accuracy(policy: QuantPolicy, weights: Weights): number {
    const deployed = this.deployedWeights(policy, weights)
    const acts = this.activationRules(policy)
    const { heldOut } = this.o
    const inShape = this.o.net.input.shape
    const per = size(inShape)
    const batch = 250
    const consts = new Map<string, tf.Tensor>()
    for (const [k, w] of deployed) consts.set(k, tf.tensor(w, this.weightShape(k)))
    let correct = 0
    try {
      for (let start = 0; start < heldOut.count; start += batch) {
        const n = Math.min(batch, heldOut.count - start)
        const predicted = tf.tidy(() => {
          const x = tf.tensor(heldOut.x.subarray(start * per, (start + n) * per), [n, ...inShape])
          const logits = this.forward(x, (layer) => ({ kernel: consts.get(`${layer.name}/kernel`), bias: consts.get(`${layer.name}/bias`) }), acts)
          return tf.argMax(logits, -1)
        })
        const p = predicted.dataSync()
        predicted.dispose()
        for (let i = 0; i < n; i++) if (p[i] === heldOut.y[start + i]) correct++
      }
    } finally {
      for (const t of consts.values()) t.dispose()
    }
    return (100 * correct) / heldOut.count
  }

  private classes(): number {
    const out = this.o.net.outputs[0]
    return size(this.shapes.get(out) as Shape)
  }

  private weightShape(key: string): number[] {
    const [name, kind] = key.split('/')
    const layer = this.o.net.layers.find((l) => l.name === name) as Layer
    const x = this.shapes.get(layer.inputs[0]) as Shape
    if (layer.op === 'conv2d') return kind === 'kernel' ? [layer.kernel[0], layer.kernel[1], x[2], layer.filters] : [layer.filters]
    if (layer.op === 'depthwise_conv2d') return kind === 'kernel' ? [layer.kernel[0], layer.kernel[1], x[2], layer.depthMultiplier] : [x[2] * layer.depthMultiplier]
    if (layer.op === 'dense') return kind === 'kernel' ? [size(x), layer.units] : [layer.units]
    throw new LabError('internal', `Weights "${key}" belong to a layer without weights.`)
  }

  private weightRules(policy: QuantPolicy, weights: Weights): Map<string, WeightRule> {
    const byName = new Map(this.layers.map((l) => [l.name, l]))
    const rules = new Map<string, WeightRule>()
    for (const p of policy.layers) {
      const layer = byName.get(p.layer)
      if (!layer) throw new LabError('bad_request', `The policy names layer "${p.layer}", which is not a quantizable layer of this network.`)
      const w = weights.get(`${p.layer}/kernel`) as Float32Array
      if (policy.kind === 'deploy') {
        const precision = (p as { precision: string }).precision
        if (precision === 'fp32') rules.set(p.layer, { kind: 'float', bits: 32 })
        else if (precision === 'fp16') rules.set(p.layer, { kind: 'fp16', bits: 16 })
        else {
          // TFLite int8: symmetric, s = max|w|/127, per channel for conv / depthwise and per tensor for dense
          const clips = layer.op === 'dense' ? new Float32Array(layer.channels).fill(maxClip(w)) : perChannelMaxClip(w, layer.channels)
          rules.set(p.layer, { kind: 'linear', bits: 8, clips })
        }
      } else {
        const bits = (p as { wBits: number }).wBits
        if (policy.quantizer === 'kmeans') rules.set(p.layer, { kind: 'kmeans', bits })
        else {
          const clips = bits >= 5 ? perChannelMaxClip(w, layer.channels) : new Float32Array(layer.channels).fill(haqWeightClip(w, bits))
          rules.set(p.layer, { kind: 'linear', bits, clips })
        }
      }
    }
    return rules
  }

  /** Tensors the export keeps in int8 (outputs of int8 layers and inputs they read), or the activation bits asked for. */
  private activationRules(policy: QuantPolicy): Map<string, ActivationRule> {
    const rules = new Map<string, ActivationRule>()
    if (policy.kind === 'bits') {
      const params = this.int8()
      for (const p of policy.layers) if (p.aBits !== undefined) rules.set(p.layer, { ...this.rangeRule(params, p.layer), bits: p.aBits })
      return rules
    }
    const precision = exportPrecisionOf(this.o.net, policy)
    const int8Tensors = new Set<string>()
    for (const layer of this.o.net.layers) {
      if (precision[layer.name] !== 'int8') continue
      int8Tensors.add(layer.name)
      for (const i of layer.inputs) int8Tensors.add(i)
    }
    if (int8Tensors.size === 0) return rules
    const params = this.int8()
    for (const name of int8Tensors) rules.set(name, this.rangeRule(params, name))
    return rules
  }

  private int8(): Int8Params {
    this.int8Params ??= calibrateInt8(this.o.net, this.o.weights, this.o.calibration)
    return this.int8Params
  }

  /** The calibrated int8 range of a tensor as a fake-quant rule (zero point −128 means the range starts at 0). */
  private rangeRule(params: Int8Params, name: string): ActivationRule {
    const q = params.activations.get(name)
    if (!q) throw new LabError('internal', `No calibrated range for tensor "${name}".`)
    const lo = (-128 - q.zeroPoint) * q.scale
    const hi = (127 - q.zeroPoint) * q.scale
    if (q.zeroPoint <= -127) return { bits: 8, clip: Math.max(hi, 1e-6), mode: 'unsigned' }
    return { bits: 8, clip: Math.max(Math.abs(lo), Math.abs(hi), 1e-6), mode: 'symmetric' }
  }

  /** Kernel with the STE fake-quant of its rule (per-channel: scale each channel to [−1, 1] and back). */
  private trainParams(layer: Layer, vars: Map<string, tf.Variable>, rules: Map<string, WeightRule>): LayerParams {
    const kernel = vars.get(`${layer.name}/kernel`)
    const bias = vars.get(`${layer.name}/bias`)
    const rule = rules.get(layer.name)
    if (!kernel || !rule || rule.kind === 'float' || rule.kind === 'fp16' || rule.kind === 'kmeans') return { kernel, bias }
    const clips = tf.tensor1d(rule.clips as Float32Array)
    const flat = tf.reshape(kernel, [-1, (rule.clips as Float32Array).length])
    const q = tf.mul(fakeQuantTfjs(tf.div(flat, clips), rule.bits, 1, 'symmetric'), clips)
    return { kernel: tf.reshape(q, kernel.shape), bias }
  }

  /** Logits of a batch, with activation fake-quant on the tensors named in `acts`. */
  private forward(x: tf.Tensor, paramsOf: (layer: Layer) => LayerParams, acts: Map<string, ActivationRule>): tf.Tensor {
    const net = this.o.net
    const quantize = (name: string, t: tf.Tensor): tf.Tensor => {
      const r = acts.get(name)
      return r ? fakeQuantTfjs(t, r.bits, r.clip, r.mode) : t
    }
    const out = net.layers.find((l) => l.name === net.outputs[0]) as Layer
    const logitsName = out.op === 'softmax' ? out.inputs[0] : out.name
    const values = new Map<string, tf.Tensor>([[INPUT_NAME, quantize(INPUT_NAME, x)]])
    for (const layer of net.layers) {
      const y = applyLayer(layer, layer.inputs.map((i) => values.get(i) as tf.Tensor), paramsOf(layer), this.shapes.get(layer.name))
      values.set(layer.name, quantize(layer.name, y))
      if (layer.name === logitsName) break
    }
    return values.get(logitsName) as tf.Tensor
  }
}
