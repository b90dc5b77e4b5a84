// The predictor: a network's latency = scale · (Σ its blocks' table entries + the fixed layers) + one per-device
// overhead (what a whole-model invoke costs beyond its ops), both fitted from end-to-end measurements (the scale only
// when it predicts unseen networks better, else 1). The same for energy.
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
 * mean residual.
 */
export function fitOverhead(sums: readonly number[], measured: readonly number[]): number {
  if (sums.length === 0) return 0
  let total = 0
  for (let i = 0; i < sums.length; i++) total += measured[i] - sums[i]
  return total / sums.length
}

/** measured ≈ scale · Σ entries + overhead. */
export interface Calibration {
  scale: number
  overhead: number
}

/**
 * Ordinary least squares of measured on sums (slope and intercept). Falls back to slope 1 when the sums do not
 * vary (no slope to fit) or the slope comes out non-positive (a table whose order says nothing).
 */
export function fitLine(sums: readonly number[], measured: readonly number[]): Calibration {
  const n = sums.length
  if (n < 2) return { scale: 1, overhead: fitOverhead(sums, measured) }
  const mx = sums.reduce((a, b) => a + b, 0) / n
  const my = measured.reduce((a, b) => a + b, 0) / n
  let sxx = 0
  let sxy = 0
  for (let i = 0; i < n; i++) {
    sxx += (sums[i] - mx) ** 2
    sxy += (sums[i] - mx) * (measured[i] - my)
  }
  const scale = sxx > 1e-12 * Math.max(1, mx * mx) ? sxy / sxx : 0
  if (!(scale > 0)) return { scale: 1, overhead: fitOverhead(sums, measured) }
  return { scale, overhead: my - scale * mx }
}

type Fit = (sums: readonly number[], measured: readonly number[]) => Calibration
const fitOffset: Fit = (sums, measured) => ({ scale: 1, overhead: fitOverhead(sums, measured) })

/** Leave-one-out predictions: each point predicted by the fit on all the others. */
export function leaveOneOut(sums: readonly number[], measured: readonly number[], fit: Fit): number[] {
  return sums.map((s, i) => {
    const c = fit(sums.filter((_, j) => j !== i), measured.filter((_, j) => j !== i))
    return c.scale * s + c.overhead
  })
}

/** Fewest check networks for which a slope is fitted as well as the overhead. */
export const MIN_NETWORKS_FOR_SCALE = 8

/**
 * The calibration of a table on its check networks and the out-of-sample predictions it is judged by. Two models:
 * overhead only (slope 1), and scale + overhead (a device can run blocks inside a network consistently faster or
 * slower than alone, e.g. with warm caches). The one with the smaller leave-one-out error wins — judged on networks
 * each fit did not see, so a second parameter is only kept when it predicts new networks better.
 */
export function calibrate(sums: readonly number[], measured: readonly number[]): { calibration: Calibration; predicted: number[] } {
  if (sums.length === 0) return { calibration: { scale: 1, overhead: 0 }, predicted: [] }
  if (sums.length < 3) {
    const calibration = fitOffset(sums, measured)
    return { calibration, predicted: sums.map((s) => s + calibration.overhead) }
  }
  const offsetLoo = leaveOneOut(sums, measured, fitOffset)
  if (sums.length < MIN_NETWORKS_FOR_SCALE) return { calibration: fitOffset(sums, measured), predicted: offsetLoo }
  const lineLoo = leaveOneOut(sums, measured, fitLine)
  return rmse(lineLoo, measured) < rmse(offsetLoo, measured) ? { calibration: fitLine(sums, measured), predicted: lineLoo } : { calibration: fitOffset(sums, measured), predicted: offsetLoo }
}

export interface CheckSample {
  architecture: string
  sumMs: number
  sumMj: number | null
  measuredMs: number
  measuredMj: number | null
}

/**
 * The prediction check of a table on networks measured end to end: the calibration (overhead, and a scale when it
 * predicts better) fitted on all of them, and ±10%, RMSE and τ of leave-one-out predictions — each network's
 * prediction comes from a fit that did not see it, so the figures say how well a new network is predicted.
 */
export function predictionCheck(samples: readonly CheckSample[]): PredictionCheck {
  const lat = calibrate(samples.map((s) => s.sumMs), samples.map((s) => s.measuredMs))
  const energyIdx = samples.flatMap((s, i) => (s.sumMj !== null && s.measuredMj !== null ? [i] : []))
  const en = energyIdx.length ? calibrate(energyIdx.map((i) => samples[i].sumMj as number), energyIdx.map((i) => samples[i].measuredMj as number)) : null
  const points = samples.map((s, i) => {
    const k = energyIdx.indexOf(i)
    return {
      architecture: s.architecture,
      predictedMs: lat.predicted[i],
      measuredMs: s.measuredMs,
      predictedMj: en && k >= 0 ? en.predicted[k] : null,
      measuredMj: s.measuredMj
    }
  })
  const predicted = points.map((p) => p.predictedMs)
  const measured = points.map((p) => p.measuredMs)
  return {
    networks: points.length,
    within10Pct: shareWithin(predicted, measured, 10),
    rmseMs: rmse(predicted, measured),
    kendallTau: kendallTau(predicted, measured),
    overheadMs: lat.calibration.overhead,
    scale: lat.calibration.scale,
    overheadMj: en ? en.calibration.overhead : null,
    scaleMj: en ? en.calibration.scale : null,
    outOfSample: true,
    points
  }
}

/** Prediction of one network from a table and the overhead its check fitted (0 without a check). */
export function predictNetwork(rows: readonly LutEntry[], keys: readonly string[], check: PredictionCheck | null): TableSum {
  const sum = sumEntries(rows, keys)
  const overheadMs = check?.overheadMs ?? 0
  const overheadMj = check?.overheadMj ?? 0
  const scale = check?.scale ?? 1
  const scaleMj = check?.scaleMj ?? 1
  return { latencyMs: scale * sum.latencyMs + overheadMs, energyMj: sum.energyMj === null ? null : scaleMj * sum.energyMj + overheadMj, missingKeys: sum.missingKeys }
}
