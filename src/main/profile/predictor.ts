// The predictor: a network's latency = Σ its blocks' table entries + the fixed layers + one per-device overhead
// (what a whole-model invoke costs beyond its ops), fitted from end-to-end measurements. The same for energy.
import type { LutEntry, PredictionCheck } from '../../shared/contract/profile'
import { kendallTau, rmse, shareWithin } from './stats'

export interface TableSum {
  latencyMs: number
  /** null when any entry has no energy. */
  energyMj: number | null
  missingKeys: string[]
}

/** Σ entries over the keys of a network (keys may repeat: a block used twice counts twice). */
export function sumEntries(rows: ReadonlyMap<string, LutEntry> | readonly LutEntry[], keys: readonly string[]): TableSum {
  const byKey = rows instanceof Map ? rows : new Map((rows as readonly LutEntry[]).map((r) => [r.key, r]))
  let latencyMs = 0
  let energyMj: number | null = 0
  const missingKeys: string[] = []
  for (const key of keys) {
    const row = byKey.get(key)
    if (!row) {
      if (!missingKeys.includes(key)) missingKeys.push(key)
      continue
    }
    latencyMs += row.meanMs
    energyMj = energyMj === null || row.energyMj === null ? null : energyMj + row.energyMj
  }
  return { latencyMs, energyMj, missingKeys }
}

/**
 * Least-squares intercept with the slope held at 1: the overhead o minimising Σ(sum_i + o − measured_i)² is the
 * mean residual. One number per device (and table), so it cannot overfit the check networks.
 */
export function fitOverhead(sums: readonly number[], measured: readonly number[]): number {
  if (sums.length === 0) return 0
  let total = 0
  for (let i = 0; i < sums.length; i++) total += measured[i] - sums[i]
  return total / sums.length
}

export interface CheckSample {
  architecture: string
  sumMs: number
  sumMj: number | null
  measuredMs: number
  measuredMj: number | null
}

/** The prediction check of a table on end-to-end measured networks: overhead fitted, then ±10%, RMSE, τ. */
export function predictionCheck(samples: readonly CheckSample[]): PredictionCheck {
  const overheadMs = fitOverhead(samples.map((s) => s.sumMs), samples.map((s) => s.measuredMs))
  const energySamples = samples.filter((s) => s.sumMj !== null && s.measuredMj !== null)
  const overheadMj = energySamples.length ? fitOverhead(energySamples.map((s) => s.sumMj as number), energySamples.map((s) => s.measuredMj as number)) : null
  const points = samples.map((s) => ({
    architecture: s.architecture,
    predictedMs: s.sumMs + overheadMs,
    measuredMs: s.measuredMs,
    predictedMj: s.sumMj !== null && overheadMj !== null ? s.sumMj + overheadMj : null,
    measuredMj: s.measuredMj
  }))
  const predicted = points.map((p) => p.predictedMs)
  const measured = points.map((p) => p.measuredMs)
  return {
    networks: points.length,
    within10Pct: shareWithin(predicted, measured, 10),
    rmseMs: rmse(predicted, measured),
    kendallTau: kendallTau(predicted, measured),
    overheadMs,
    overheadMj,
    points
  }
}

/** Prediction of one network from a table and the overhead its check fitted (0 without a check). */
export function predictNetwork(rows: readonly LutEntry[], keys: readonly string[], check: PredictionCheck | null): TableSum {
  const sum = sumEntries(rows, keys)
  const overheadMs = check?.overheadMs ?? 0
  const overheadMj = check?.overheadMj ?? 0
  return { latencyMs: sum.latencyMs + overheadMs, energyMj: sum.energyMj === null ? null : sum.energyMj + overheadMj, missingKeys: sum.missingKeys }
}
