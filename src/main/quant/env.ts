// The HAQ environment (Wang et al., CVPR'19, §3.1–3.2; lib/env/linear_quantize_env.py): one action slot per
// quantizable layer (two in linear bit mode: weights then activations), a 10-d min-max normalised state per slot,
// the continuous action → discrete choice mapping, and the reward. How a policy's cost is measured is the caller's.
import { LabError } from '../../shared/errors'
import type { Network } from '../model/ir'
import { quantLayersOf, type QuantLayer } from './layers'
import { checkBitRange, policyKey, type DeployPrecision, type PrecisionSpace, type QuantPolicy } from './precision'

export const STATE_DIM = 10

/** What a cost model returns for a policy; latency and energy only when the model measures them. */
export interface CostFigures {
  latencyMs?: number
  energyMj?: number
  sizeBytes: number
}

/** Cost of a policy: a device measurement or a table lookup, supplied by the caller. */
export type PolicyCost = (policy: QuantPolicy) => Promise<CostFigures>

/** Wraps a cost model with a cache by policy key (concurrent asks for one policy share one measurement). */
export function cachedPolicyCost(cost: PolicyCost): PolicyCost & { readonly cache: Map<string, Promise<CostFigures>> } {
  const cache = new Map<string, Promise<CostFigures>>()
  const cached = (policy: QuantPolicy): Promise<CostFigures> => {
    const key = policyKey(policy)
    let hit = cache.get(key)
    if (!hit) {
      hit = cost(policy)
      hit.catch(() => cache.delete(key)) // a failed measurement may be retried
      cache.set(key, hit)
    }
    return hit
  }
  return Object.assign(cached, { cache })
}

export type SlotKind = 'weight' | 'activation'
export type SlotValue = number | DeployPrecision

/** Fixes one slot's value (HAQ keeps the first layer's weights and the last layer's weights/activations at 8 bit). */
export interface Pin {
  layer: 'first' | 'last' | string
  kind?: SlotKind
  value: SlotValue
}

/** HAQ's _keep_first_last_layer for linear mode: input is already 8-bit; the classifier stays 8/8. */
export const HAQ_LINEAR_PINS: Pin[] = [
  { layer: 'first', kind: 'weight', value: 8 },
  { layer: 'last', kind: 'weight', value: 8 },
  { layer: 'last', kind: 'activation', value: 8 }
]

export interface ActionSlot {
  /** Index into the env's layers. */
  layer: number
  kind: SlotKind
  /** The choices, cheapest first; a level is an index into this list. */
  values: SlotValue[]
  /** Level the slot is pinned to, if any. */
  pinned?: number
}

export interface QuantEnvOptions {
  space: PrecisionSpace
  pins?: Pin[]
  /** λ in reward = λ·(acc_quant − acc_fp); HAQ: 0.1. */
  rewardScale?: number
}

const FEATURES = ['layer index', 'c_in', 'c_out', 'stride', 'kernel', 'is_depthwise', '#params', 'input H·W', 'weight/activation'] as const

export class QuantEnv {
  readonly layers: QuantLayer[]
  readonly slots: ActionSlot[]
  readonly space: PrecisionSpace
  readonly rewardScale: number
  /** Static part of each slot's state (the first 9 features), min-max normalised over the slots. */
  private readonly features: number[][]

  constructor(network: Network | QuantLayer[], options: QuantEnvOptions) {
    this.layers = Array.isArray(network) ? network : quantLayersOf(network)
    if (this.layers.length === 0) throw new LabError('bad_request', 'The network has no conv2d, depthwise_conv2d or dense layer, so there is nothing to quantize.')
    this.space = options.space
    this.rewardScale = options.rewardScale ?? 0.1
    this.slots = this.buildSlots()
    for (const pin of options.pins ?? []) this.applyPin(pin)
    const raw = this.slots.map((s) => {
      const l = this.layers[s.layer]
      return [l.index, l.cIn, l.cOut, l.stride, l.kernel, l.isDepthwise ? 1 : 0, l.kernelParams, l.inputHw, s.kind === 'weight' ? 1 : 0]
    })
    this.features = minMaxNormalise(raw)
  }

  private buildSlots(): ActionSlot[] {
    const sp = this.space
    if (sp.kind === 'deploy') {
      if (sp.ladder.length === 0) throw new LabError('bad_request', 'The deploy precision ladder is empty: list at least one of int8, fp16, fp32.')
      return this.layers.map((_, i) => ({ layer: i, kind: 'weight' as const, values: [...sp.ladder] }))
    }
    checkBitRange(sp.minBits, sp.maxBits, sp.quantizer)
    const bits = Array.from({ length: sp.maxBits - sp.minBits + 1 }, (_, i) => sp.minBits + i)
    const kinds: SlotKind[] = sp.activations ? ['weight', 'activation'] : ['weight']
    return this.layers.flatMap((_, i) => kinds.map((kind) => ({ layer: i, kind, values: [...bits] })))
  }

  private applyPin(pin: Pin): void {
    const index = pin.layer === 'first' ? 0 : pin.layer === 'last' ? this.layers.length - 1 : this.layers.findIndex((l) => l.name === pin.layer)
    if (index < 0) throw new LabError('bad_request', `Pinned layer "${pin.layer}" is not a quantizable layer of this network.`, 'pins')
    const kind = pin.kind ?? 'weight'
    const slot = this.slots.find((s) => s.layer === index && s.kind === kind)
    if (!slot) return // e.g. an activation pin in a weights-only space: nothing to pin
    const level = slot.values.indexOf(pin.value)
    if (level < 0) throw new LabError('bad_request', `Pin ${String(pin.value)} for layer "${this.layers[index].name}" is not one of the choices ${slot.values.join(', ')}.`, 'pins')
    slot.pinned = level
  }

  /** State of slot t (10-d): the 9 static features, then the previous slot's choice as level/(levels−1). */
  state(t: number, previousLevel: number): number[] {
    const prevSlot = t > 0 ? this.slots[t - 1] : this.slots[0]
    const prev = t === 0 || prevSlot.values.length === 1 ? 0 : previousLevel / (prevSlot.values.length - 1)
    return [...this.features[t], prev]
  }

  /** Action a ∈ [0,1] → level: round(b_min − 0.5 + a·(b_max − b_min + 1)) over the slot's choices (HAQ §3.2). */
  levelOf(t: number, action: number): number {
    const slot = this.slots[t]
    if (slot.pinned !== undefined) return slot.pinned
    const n = slot.values.length
    const a = Math.min(1, Math.max(0, action))
    return Math.min(n - 1, Math.max(0, Math.round(-0.5 + a * n)))
  }

  /** Lowest level each slot may take (its pin, else 0). */
  minLevels(): number[] {
    return this.slots.map((s) => s.pinned ?? 0)
  }

  /** Highest level of every slot (fp32, or max bits), pins kept. */
  maxLevels(): number[] {
    return this.slots.map((s) => s.pinned ?? s.values.length - 1)
  }

  /** Levels putting every unpinned slot at `value` (e.g. 'int8', or 8 bits). */
  uniformLevels(value: SlotValue): number[] {
    return this.slots.map((s) => {
      if (s.pinned !== undefined) return s.pinned
      const level = s.values.indexOf(value)
      if (level < 0) throw new LabError('bad_request', `${String(value)} is not one of the choices ${s.values.join(', ')}.`)
      return level
    })
  }

  policyOf(levels: number[]): QuantPolicy {
    if (levels.length !== this.slots.length) throw new LabError('internal', `A policy needs ${this.slots.length} levels, got ${levels.length}.`)
    const sp = this.space
    if (sp.kind === 'deploy') {
      return { kind: 'deploy', layers: this.layers.map((l, i) => ({ layer: l.name, precision: this.slots[i].values[levels[i]] as DeployPrecision })) }
    }
    const perLayer = sp.activations ? 2 : 1
    return {
      kind: 'bits',
      quantizer: sp.quantizer,
      layers: this.layers.map((l, i) => {
        const w = this.slots[i * perLayer].values[levels[i * perLayer]] as number
        return sp.activations ? { layer: l.name, wBits: w, aBits: this.slots[i * perLayer + 1].values[levels[i * perLayer + 1]] as number } : { layer: l.name, wBits: w }
      })
    }
  }

  /** Reward = λ·(acc_quant − acc_fp) (HAQ §3.4). HAQ's λ = 0.1 assumes accuracies in percent (0–100). */
  reward(accuracyQuant: number, accuracyFp: number): number {
    return this.rewardScale * (accuracyQuant - accuracyFp)
  }

  /** Words for the cheapest policy, for budget messages ("int8 everywhere"). */
  describeLowest(): string {
    const sp = this.space
    const pinned = this.slots.some((s) => s.pinned !== undefined) ? ' (pinned layers kept)' : ''
    if (sp.kind === 'deploy') return `${sp.ladder[0]} everywhere${pinned}`
    return `${sp.minBits}-bit ${sp.activations ? 'weights and activations' : 'weights'} everywhere${pinned}`
  }

  static readonly featureNames = [...FEATURES, 'previous action']
}

/** Column-wise (x − min)/(max − min); a constant column becomes 0. */
function minMaxNormalise(rows: number[][]): number[][] {
  const cols = rows[0].length
  const lo = Array.from({ length: cols }, (_, j) => Math.min(...rows.map((r) => r[j])))
  const hi = Array.from({ length: cols }, (_, j) => Math.max(...rows.map((r) => r[j])))
  return rows.map((r) => r.map((v, j) => (hi[j] > lo[j] ? (v - lo[j]) / (hi[j] - lo[j]) : 0)))
}
