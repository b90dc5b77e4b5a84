// The precision space: what a layer can be set to, how a policy is written down, and what it costs in bytes.
//
// Two spaces:
// - 'deploy': precisions a TFLite runtime on a phone executes per layer (fp32, fp16, int8; int16x8 exists but is
//   runtime-dependent). Latency and energy searches use this space: it is what the device can actually run.
// - 'bits': HAQ's model-size space, 2–8 bit weights (and optionally activations) with a linear or k-means quantizer.
//   Phones have no 3-bit kernels, so this space prices model size (packed bytes), not speed.
import { LabError } from '../../shared/errors'
import type { QuantLayer } from './layers'

export type DeployPrecision = 'fp32' | 'fp16' | 'int8' | 'int16x8'

/** Deployable precisions ordered by cost, cheapest first (the order the HAQ action maps onto). */
export const DEPLOY_LADDER: readonly DeployPrecision[] = ['int8', 'fp16', 'fp32']

/** Precisions whose support depends on the runtime build / delegate, with the sentence to show a person. */
export const RUNTIME_DEPENDENT: Partial<Record<DeployPrecision, string>> = {
  int16x8: 'int16 activations with int8 weights run only on TFLite builds with 16x8 kernels (reference kernels on many ops, no XNNPACK or GPU delegate): measure before trusting it.'
}

export type WeightQuantizer = 'linear' | 'kmeans'

export interface DeploySpace {
  kind: 'deploy'
  /** Choices ordered cheapest first; default DEPLOY_LADDER. */
  ladder: DeployPrecision[]
}

export interface BitsSpace {
  kind: 'bits'
  quantizer: WeightQuantizer
  minBits: number
  maxBits: number
  /** Search activation bits too (HAQ linear mode: two actions per layer, weights then activations). */
  activations: boolean
  /** Scales per output channel or one per tensor (linear only). */
  granularity: 'per_channel' | 'per_tensor'
  /** Symmetric quantization stores no zero points (linear only). */
  symmetric: boolean
}

export type PrecisionSpace = DeploySpace | BitsSpace

export const DEPLOY_SPACE: DeploySpace = { kind: 'deploy', ladder: [...DEPLOY_LADDER] }
/** HAQ linear search: 2–8 bits for weights and activations. */
export const HAQ_LINEAR_SPACE: BitsSpace = { kind: 'bits', quantizer: 'linear', minBits: 2, maxBits: 8, activations: true, granularity: 'per_channel', symmetric: true }
/** HAQ k-means search (model size): 2–8 bit weights, activations left alone. */
export const HAQ_KMEANS_SPACE: BitsSpace = { kind: 'bits', quantizer: 'kmeans', minBits: 2, maxBits: 8, activations: false, granularity: 'per_tensor', symmetric: true }

export interface DeployLayerPolicy {
  layer: string
  precision: DeployPrecision
}
export interface BitsLayerPolicy {
  layer: string
  wBits: number
  /** Activation bits; absent when activations stay float. */
  aBits?: number
}

export type QuantPolicy =
  | { kind: 'deploy'; layers: DeployLayerPolicy[] }
  | { kind: 'bits'; quantizer: WeightQuantizer; layers: BitsLayerPolicy[] }

/** A short, stable key for caching costs: "deploy:int8,fp16" or "linear:8/8,4/6" or "kmeans:4,3". */
export function policyKey(p: QuantPolicy): string {
  if (p.kind === 'deploy') return `deploy:${p.layers.map((l) => l.precision).join(',')}`
  return `${p.quantizer}:${p.layers.map((l) => (l.aBits === undefined ? `${l.wBits}` : `${l.wBits}/${l.aBits}`)).join(',')}`
}

/** Per-layer precisions as the TFLite writer takes them (deploy policies only). */
export function deployPrecisionByLayer(p: QuantPolicy): Record<string, DeployPrecision> {
  if (p.kind !== 'deploy') throw new LabError('bad_request', 'A bit-width policy cannot be exported to TFLite directly: phones run fp32, fp16 or int8 layers; search in the deploy space instead.')
  return Object.fromEntries(p.layers.map((l) => [l.layer, l.precision]))
}

export function checkBitRange(minBits: number, maxBits: number, quantizer: WeightQuantizer): void {
  const lowest = quantizer === 'kmeans' ? 1 : 2
  if (!Number.isInteger(minBits) || !Number.isInteger(maxBits) || minBits < lowest || maxBits > 8 || minBits > maxBits) {
    throw new LabError('bad_request', `Bit range ${minBits}–${maxBits} is not usable with the ${quantizer} quantizer: choose whole numbers with ${lowest} ≤ min ≤ max ≤ 8.`, 'bits')
  }
}

// ---------------------------------------------------------------- size accounting

const FP32_BYTES = 4
/** TFLite stores quantization zero points as int64 ([long] in the schema). */
const TFLITE_ZERO_POINT_BYTES = 8

/**
 * Bytes a deployable layer occupies in a .tflite file:
 * - fp32: 4 bytes per kernel and bias value; fp16: 2 bytes each (TFLite's fp16 export keeps biases fp16 too).
 * - int8: 1 byte per kernel value + per-channel fp32 scale and int64 zero point (conv/depthwise; dense per-tensor),
 *   int32 bias with its own scales and zero points. int16x8: the same with int64 biases.
 */
export function deployLayerBytes(l: QuantLayer, precision: DeployPrecision): number {
  if (precision === 'fp32') return FP32_BYTES * (l.kernelParams + l.biasParams)
  if (precision === 'fp16') return 2 * (l.kernelParams + l.biasParams)
  const scales = l.op === 'dense' ? 1 : l.channels
  const quantParams = scales * (FP32_BYTES + TFLITE_ZERO_POINT_BYTES)
  const biasBytes = precision === 'int16x8' ? 8 : 4
  return l.kernelParams + quantParams + (l.biasParams > 0 ? biasBytes * l.biasParams + quantParams : 0)
}

/**
 * Honest packed size of a bit-width layer:
 * - linear: ceil(n·b/8) bytes of packed codes + one fp32 scale per channel (or per tensor) + one int32 zero point per
 *   scale when asymmetric;
 * - k-means: ceil(n·b/8) bytes of centroid indices + a 2^b-entry fp32 codebook for the layer;
 * - biases stay fp32 in both. Activation bits do not change the stored size.
 */
export function bitsLayerBytes(l: QuantLayer, wBits: number, space: Pick<BitsSpace, 'quantizer' | 'granularity' | 'symmetric'>): number {
  const codes = Math.ceil((l.kernelParams * wBits) / 8)
  const bias = FP32_BYTES * l.biasParams
  if (space.quantizer === 'kmeans') return codes + FP32_BYTES * 2 ** wBits + bias
  const scales = space.granularity === 'per_channel' ? l.channels : 1
  return codes + FP32_BYTES * scales + (space.symmetric ? 0 : 4 * scales) + bias
}

/** Packed weight bytes of the quantizable layers under a policy (layers matched by name, all must be present). */
export function packedModelBytes(layers: QuantLayer[], policy: QuantPolicy, space?: BitsSpace): number {
  const byName = new Map(layers.map((l) => [l.name, l]))
  const find = (name: string): QuantLayer => {
    const l = byName.get(name)
    if (!l) throw new LabError('bad_request', `The policy names layer "${name}", which is not a quantizable layer of this network.`)
    return l
  }
  if (policy.layers.length !== layers.length) {
    throw new LabError('bad_request', `The policy sets ${policy.layers.length} layers but the network has ${layers.length} quantizable layers.`)
  }
  if (policy.kind === 'deploy') return policy.layers.reduce((s, p) => s + deployLayerBytes(find(p.layer), p.precision), 0)
  const accounting = space ?? { quantizer: policy.quantizer, granularity: 'per_channel' as const, symmetric: true }
  return policy.layers.reduce((s, p) => s + bitsLayerBytes(find(p.layer), p.wBits, accounting), 0)
}
