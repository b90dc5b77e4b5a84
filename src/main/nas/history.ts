// The training history a search job keeps for the window: a point every few steps and at every epoch's end, the op
// probabilities of the newest search, and each derived architecture. It lives in the run's settings ('history'), so
// a reloaded page, another window or an older run draws the same curves; the job also keeps it in its checkpoint so
// a resumed job continues the same history.
import type { SearchDerivedArchitecture, SearchHistoryPhase, SearchHistoryPoint, SearchHistoryRecord } from '../../shared/contract/search'

/** Points kept at most; past it every other point that is not an epoch's end is dropped and the stride doubles. */
export const HISTORY_POINT_CAP = 2000

/** Least time between two saves of the history into the run (an epoch's end and a derived network save at once). */
export const HISTORY_SAVE_INTERVAL_MS = 1500

export function emptyHistory(unit: 'ms' | 'mJ'): SearchHistoryRecord {
  return { version: 1, unit, phases: [], points: [], probabilities: null, derived: [], stepsDone: 0, stride: 1 }
}

/** Four significant digits: plenty for a chart, and a quarter of the JSON. */
export function compact(value: number): number {
  return Number.isFinite(value) ? Number(value.toPrecision(4)) : value
}

/**
 * At most `cap` points: each pass drops every other point that is neither an epoch's end nor the newest; when only
 * those are left, every other epoch end goes too. The first and the newest point always stay.
 */
export function thinHistory(points: readonly SearchHistoryPoint[], cap: number): SearchHistoryPoint[] {
  const limit = Math.max(2, Math.floor(cap))
  let out = [...points]
  while (out.length > limit) {
    const last = out.length - 1
    let k = 0
    const next = out.filter((p, i) => i === 0 || i === last || p.epochEnd || k++ % 2 === 1)
    out = next.length < out.length ? next : out.filter((_, i) => i % 2 === 0 || i === last)
  }
  return out
}

/** What the job knows about one training step (a subset of the search's StepProgress). */
export interface HistoryStep {
  step: number
  stepsPerEpoch: number
  loss: number
  accuracy: number
  expectedCost: number | null
  /** p per block, with each block's candidate ops, during searches only. */
  probabilities?: { ops: string[][]; values: number[][] }
}

/**
 * Records one training step of `phase` (epoch 1-based) and tells whether a point was kept: the first step of an epoch,
 * its last, and every `stride`-th step in between.
 */
export function recordStep(h: SearchHistoryRecord, phase: number, describe: () => Omit<SearchHistoryPhase, 'firstStep'>, epoch: number, s: HistoryStep, cap = HISTORY_POINT_CAP): boolean {
  while (h.phases.length <= phase) h.phases.push(null)
  h.phases[phase] ??= { ...describe(), firstStep: h.stepsDone }
  const x = h.stepsDone + s.step
  const epochEnd = s.step >= s.stepsPerEpoch
  if (s.probabilities) h.probabilities = { phase, ops: s.probabilities.ops, values: s.probabilities.values.map((row) => row.map(compact)) }
  const keep = epochEnd || s.step === 1 || x % h.stride === 0
  if (keep) {
    h.points.push({ step: x, phase, epoch, loss: compact(s.loss), accuracy: compact(s.accuracy), expectedCost: s.expectedCost === null ? null : compact(s.expectedCost), epochEnd })
    if (h.points.length > cap) {
      h.points = thinHistory(h.points, Math.floor(cap / 2))
      h.stride *= 2
    }
  }
  if (epochEnd) h.stepsDone += s.stepsPerEpoch
  return keep
}

/** Records (or, after a resume, replaces) the network a search phase derived. */
export function recordDerived(h: SearchHistoryRecord, d: SearchDerivedArchitecture): void {
  const rounded = { ...d, predicted: compact(d.predicted), probabilities: { ...d.probabilities, values: d.probabilities.values.map((row) => row.map(compact)) } }
  const i = h.derived.findIndex((x) => x.phase === d.phase)
  if (i >= 0) h.derived[i] = rounded
  else h.derived.push(rounded)
}

/** Saves the history at most every `intervalMs`, or at once when forced (an epoch's end, a derived network). */
export function historySaver(save: (h: SearchHistoryRecord) => void, intervalMs = HISTORY_SAVE_INTERVAL_MS, now: () => number = Date.now): (h: SearchHistoryRecord, force?: boolean) => void {
  let lastMs = -Infinity
  return (h, force = false) => {
    const t = now()
    if (!force && t - lastMs < intervalMs) return
    lastMs = t
    save(h)
  }
}
