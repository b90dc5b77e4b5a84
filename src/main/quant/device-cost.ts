// The cost of a quantization policy on the phone, two ways:
// (a) from the device: export the policy as a per-layer-precision TFLite file and measure it (cached by policy key);
// (b) from a per-layer × precision latency table (HAQ's lookup table, §3.3): per-op times of one op-profiled run of
//     the uniform fp32, fp16 and int8 models, summed over the policy's layers and anchored to the measured fp32 cost.
// The walk of the budget rule asks for a cost at every notch, so the search may use (b) and measure only the policies
// it keeps; the difference between table and device is stored for those.
import { LabError } from '../../shared/errors'
import type { BenchmarkSettingsInput, Measurement, OpTiming } from '../../shared/contract/measure'
import type { Network, Weights } from '../model/ir'
import { calibrateInt8, type Int8Params } from '../model/tflite/quantize'
import { writeTflite, type LayerPrecision } from '../model/tflite/writer'
import type { CostFigures, PolicyCost } from './env'
import { exportPrecisionOf } from './evaluate'
import { policyKey, type QuantPolicy } from './precision'

export const TABLE_PRECISIONS: readonly LayerPrecision[] = ['fp32', 'fp16', 'int8']

/** Writes policies as .tflite files with one int8 calibration shared by all of them (same bytes for the same policy). */
export class PolicyExporter {
  private int8Params: Int8Params | null = null

  constructor(
    readonly net: Network,
    readonly weights: Weights,
    private readonly calibration: Float32Array[]
  ) {}

  bytes(policy: QuantPolicy, weights: Weights = this.weights): Uint8Array {
    const perLayer = exportPrecisionOf(this.net, policy)
    const anyInt8 = Object.values(perLayer).includes('int8')
    let int8Params: Int8Params | undefined
    if (anyInt8) {
      // Fine-tuned weights need their own calibration; the search's own weights reuse one.
      if (weights === this.weights) int8Params = this.int8Params ??= calibrateInt8(this.net, this.weights, this.calibration)
      else int8Params = calibrateInt8(this.net, weights, this.calibration)
    }
    return writeTflite(this.net, weights, { precision: { perLayer }, int8Params, description: `Proxyless Lab ${this.net.name} (${policyKey(policy)})` })
  }
}

/** What a device measurement of one policy gave. */
export interface MeasuredCost extends CostFigures {
  latencyMs: number
  measurementId: string
  /** The measurement said its energy figure should not be trusted (e.g. charging). */
  energyUnreliable?: string
}

export type MeasureModel = (model: Uint8Array, settings: BenchmarkSettingsInput) => Promise<{ id: string; measurement: Measurement }>

export function measuredCostOf(id: string, m: Measurement): MeasuredCost {
  // The median of the timed runs: one preempted run on a busy phone (or computer) moves the mean, not the median.
  const cost: MeasuredCost = { latencyMs: m.steady.medianMs ?? m.steady.meanMs, sizeBytes: m.modelBytes, measurementId: id }
  if (m.energy) {
    cost.energyMj = m.energy.energyPerInferenceMj
    if (!m.energy.reliable) cost.energyUnreliable = m.energy.unreliableReason ?? 'the device says so'
  }
  return cost
}

/** Cost from the device: export, measure, remember by policy key (uniform baselines may be put in beforehand). */
export class DeviceCost {
  readonly measured = new Map<string, MeasuredCost>()
  private readonly inFlight = new Map<string, Promise<MeasuredCost>>()

  constructor(
    private readonly exporter: PolicyExporter,
    private readonly measure: MeasureModel,
    private readonly settings: BenchmarkSettingsInput
  ) {}

  remember(policy: QuantPolicy, cost: MeasuredCost): void {
    this.measured.set(policyKey(policy), cost)
  }

  readonly cost: PolicyCost = (policy) => this.measurePolicy(policy)

  async measurePolicy(policy: QuantPolicy, bytes?: Uint8Array): Promise<MeasuredCost> {
    const key = policyKey(policy)
    const known = this.measured.get(key)
    if (known && !bytes) return known
    let p = bytes ? undefined : this.inFlight.get(key)
    if (!p) {
      p = (async () => {
        const r = await this.measure(bytes ?? this.exporter.bytes(policy), this.settings)
        const cost = measuredCostOf(r.id, r.measurement)
        if (!bytes) this.measured.set(key, cost)
        return cost
      })()
      if (!bytes) {
        this.inFlight.set(key, p)
        p.finally(() => this.inFlight.delete(key)).catch(() => undefined)
      }
    }
    return p
  }
}

// ---------------------------------------------------------------- latency table

export interface LatencyTable {
  /** Quantizable layer names in network order. */
  layers: string[]
  /** Per precision, the op-profiled time of each quantizable layer (ms). */
  layerMs: Record<LayerPrecision, number[]>
  /** Per precision, the op-profiled run's mean latency (ms): layers plus everything else (adds, pooling, converts). */
  profiledTotalMs: Record<LayerPrecision, number>
  /** Measured (unprofiled) fp32 latency and energy: the table is scaled so fp32 costs exactly this. */
  anchorLatencyMs: number
  anchorEnergyMj: number | null
  /** Average power of each uniform model while it runs (mJ per ms), from the baseline measurements; null without energy. */
  powerMjPerMs: Record<LayerPrecision, number> | null
}

const LAYER_OP = /^(Convolution|Fully Connected)/
const TFLITE_LAYER_OP = /^(CONV_2D|DEPTHWISE_CONV_2D|FULLY_CONNECTED)$/

/**
 * Per-layer times from an op profile: XNNPACK's convolution / fully-connected ops in node order (each IR conv,
 * depthwise or dense layer becomes one), or the TFLite nodes of those types when nothing was delegated.
 */
export function layerTimesFromOps(ops: OpTiming[], layerCount: number, what: string): number[] {
  // Parsers name the XNNPACK op either in nodeType (host) or in the name, as 'Delegate/Convolution (…):N' (adb).
  const delegated = ops.filter((o) => o.source === 'delegate' && (LAYER_OP.test(o.nodeType) || LAYER_OP.test(o.name.replace(/^Delegate\//, ''))))
  const picked = delegated.length > 0 ? delegated : ops.filter((o) => o.source === 'tflite' && TFLITE_LAYER_OP.test(o.nodeType))
  const ordered = [...picked].sort((a, b) => (a.index ?? 0) - (b.index ?? 0))
  if (ordered.length !== layerCount) {
    throw new LabError(
      'device_unavailable',
      `The op profile of the ${what} model lists ${ordered.length} convolution / fully-connected ops but the network has ${layerCount} quantizable layers, so per-layer times cannot be attributed: use costSource "device".`
    )
  }
  return ordered.map((o) => o.avgMs)
}

/**
 * The table from one or more op-profiled runs per precision: per layer the least of the runs' average times (noise on
 * a busy device only ever adds time), and the least median of the runs' totals.
 */
export function buildLatencyTable(
  layers: string[],
  profiles: Record<LayerPrecision, Measurement | Measurement[]>,
  baselines: Record<LayerPrecision, MeasuredCost>
): LatencyTable {
  const layerMs = {} as Record<LayerPrecision, number[]>
  const profiledTotalMs = {} as Record<LayerPrecision, number>
  for (const p of TABLE_PRECISIONS) {
    const runs = ([] as Measurement[]).concat(profiles[p])
    if (runs.length === 0) throw new LabError('internal', `No op-profiled run of the uniform ${p} model.`)
    const perRun = runs.map((m) => layerTimesFromOps(m.ops, layers.length, `uniform ${p}`))
    layerMs[p] = layers.map((_, i) => Math.min(...perRun.map((r) => r[i])))
    profiledTotalMs[p] = Math.min(...runs.map((m) => m.steady.medianMs ?? m.steady.meanMs))
  }
  const withEnergy = TABLE_PRECISIONS.every((p) => baselines[p].energyMj !== undefined)
  const powerMjPerMs = withEnergy ? (Object.fromEntries(TABLE_PRECISIONS.map((p) => [p, (baselines[p].energyMj as number) / baselines[p].latencyMs])) as Record<LayerPrecision, number>) : null
  return { layers, layerMs, profiledTotalMs, anchorLatencyMs: baselines.fp32.latencyMs, anchorEnergyMj: baselines.fp32.energyMj ?? null, powerMjPerMs }
}

/**
 * Table cost of a deploy policy: (time outside the layers in the fp32 profile + Σ layer time at its precision),
 * scaled so the fp32 policy costs the measured fp32 latency; energy the same way with each layer's time weighted by
 * its precision's average power. Size is the exact size of the exported file.
 */
export function tableCost(table: LatencyTable, policy: QuantPolicy, sizeBytes: number): CostFigures {
  if (policy.kind !== 'deploy') throw new LabError('bad_request', 'The latency table prices fp32 / fp16 / int8 layers only; a bit-width policy has size as its only cost.')
  if (policy.layers.length !== table.layers.length) throw new LabError('bad_request', `The policy sets ${policy.layers.length} layers but the latency table has ${table.layers.length}.`)
  const fp32Layers = table.layerMs.fp32.reduce((a, b) => a + b, 0)
  const otherMs = Math.max(0, table.profiledTotalMs.fp32 - fp32Layers)
  const scale = table.anchorLatencyMs / (otherMs + fp32Layers)
  let profiledMs = otherMs
  let work = otherMs * (table.powerMjPerMs?.fp32 ?? 0)
  policy.layers.forEach((l, i) => {
    const p = l.precision as LayerPrecision
    const t = table.layerMs[p]?.[i]
    if (t === undefined) throw new LabError('bad_request', `The latency table has no ${l.precision} time for layer "${l.layer}".`)
    profiledMs += t
    work += t * (table.powerMjPerMs?.[p] ?? 0)
  })
  const cost: CostFigures = { latencyMs: profiledMs * scale, sizeBytes }
  if (table.powerMjPerMs && table.anchorEnergyMj !== null) cost.energyMj = work * scale
  return cost
}

/**
 * A policy cost read from the table (size from the exported bytes; the search caches by key). Policies measured on
 * the device already (the uniform baselines) cost what the device said, so "even int8 everywhere is over the
 * budget" is decided by a measurement, not by the table.
 */
export function tablePolicyCost(table: LatencyTable, exporter: PolicyExporter, measured: Map<string, MeasuredCost> = new Map()): PolicyCost {
  return async (policy) => {
    const known = measured.get(policyKey(policy))
    if (known) return { latencyMs: known.latencyMs, energyMj: known.energyMj, sizeBytes: known.sizeBytes }
    return tableCost(table, policy, exporter.bytes(policy).length)
  }
}

/** Relative difference (device − table) / device, for the table-vs-device record. */
export function relativeDifference(table: number | undefined, device: number | undefined): number | null {
  if (table === undefined || device === undefined || device === 0) return null
  return (device - table) / device
}
