// Resource budgets and HAQ's constraint rule (Wang et al., CVPR'19, §3.3; _final_action_wall): when the policy
// the agent chose costs more than the budget, walk the slots from last to first lowering each by one notch
// (fp32 → fp16 → int8, or one bit less) until the cost fits, or until nothing can go lower.
import { LabError } from '../../shared/errors'
import type { CostFigures } from './env'

export type BudgetMetric = 'latency' | 'energy' | 'size'

export type Budget =
  | { metric: BudgetMetric; kind: 'absolute'; /** ms, mJ or bytes */ value: number }
  | { metric: BudgetMetric; kind: 'fraction'; /** of the fp32 cost, in (0, 1] */ value: number }

const SIZE_UNITS: Record<string, number> = { b: 1, byte: 1, bytes: 1, kb: 1e3, mb: 1e6, gb: 1e9, kib: 1024, mib: 1024 ** 2 }

function badBudget(text: string, why: string): never {
  throw new LabError('bad_request', `Budget "${text}" ${why}: write latency:6ms, energy:12mJ, size:2MB, or a fraction of the fp32 cost such as latency:0.6 or latency:60%.`, 'budget')
}

/** Parses "latency:0.6", "latency:60%", "latency:6ms", "energy:12mJ", "size:2MB", "size:500KB", "size:120000B". */
export function parseBudget(text: string): Budget {
  const m = /^\s*(latency|energy|size)\s*:\s*([0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?)\s*([a-zA-Z%]*)\s*$/i.exec(text)
  if (!m) badBudget(text, 'is not understood')
  const metric = m[1].toLowerCase() as BudgetMetric
  const value = Number(m[2])
  const unit = m[3]
  if (!(value > 0) || !Number.isFinite(value)) badBudget(text, 'must be a positive number')
  if (unit === '') {
    if (value > 1) badBudget(text, 'has no unit and is above 1, so it is neither a fraction nor an amount')
    return { metric, kind: 'fraction', value }
  }
  if (unit === '%') {
    if (value > 100) badBudget(text, 'is above 100% of the fp32 cost')
    return { metric, kind: 'fraction', value: value / 100 }
  }
  const u = unit.toLowerCase()
  if (metric === 'latency') {
    if (u === 'ms') return { metric, kind: 'absolute', value }
    if (u === 's') return { metric, kind: 'absolute', value: value * 1000 }
    if (u === 'us') return { metric, kind: 'absolute', value: value / 1000 }
  } else if (metric === 'energy') {
    if (u === 'mj') return { metric, kind: 'absolute', value }
    if (u === 'j') return { metric, kind: 'absolute', value: value * 1000 }
  } else if (SIZE_UNITS[u] !== undefined) {
    return { metric, kind: 'absolute', value: value * SIZE_UNITS[u] }
  }
  return badBudget(text, `uses unit "${unit}", which does not fit ${metric}`)
}

/** The figure a budget limits, or a typed error when the cost model does not provide it. */
export function metricValue(cost: CostFigures, metric: BudgetMetric): number {
  const v = metric === 'latency' ? cost.latencyMs : metric === 'energy' ? cost.energyMj : cost.sizeBytes
  if (v === undefined || !Number.isFinite(v)) {
    throw new LabError('bad_request', `The cost model gives no ${metric} figure, so a ${metric} budget cannot be checked: measure ${metric} on the device or choose a size budget.`, 'budget')
  }
  return v
}

/** The budget in the metric's unit (fractions resolve against the fp32 cost). */
export function budgetLimit(budget: Budget, fp32Cost: CostFigures): number {
  return budget.kind === 'absolute' ? budget.value : budget.value * metricValue(fp32Cost, budget.metric)
}

export function formatMetric(metric: BudgetMetric, v: number): string {
  if (metric === 'latency') return `${v.toFixed(v < 10 ? 2 : 1)} ms`
  if (metric === 'energy') return `${v.toFixed(v < 10 ? 2 : 1)} mJ`
  if (v >= 1e6) return `${(v / 1e6).toFixed(2)} MB`
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)} KB`
  return `${Math.round(v)} B`
}

/** "Even int8 everywhere needs 7.90 ms, above the 6.00 ms budget: raise the budget or choose a smaller network." */
export function overBudgetMessage(metric: BudgetMetric, lowest: string, cost: number, limit: number): string {
  return `Even ${lowest} needs ${formatMetric(metric, cost)}, above the ${formatMetric(metric, limit)} budget: raise the budget or choose a smaller network.`
}

export interface WalkResult {
  levels: number[]
  cost: number
  withinBudget: boolean
  /** How many notches the walk lowered. */
  steps: number
  /** Why the budget cannot be met (only when withinBudget is false). */
  message?: string
}

/**
 * HAQ's rule: while cost > limit, for slot = last … first, lower the slot one notch (not below minLevels) and
 * re-measure, stopping as soon as the cost fits. Never raises a slot. If a whole pass lowers nothing, every slot sits
 * at its minimum and the budget cannot be met: the result says so in a sentence.
 */
export async function enforceBudget(
  start: number[],
  minLevels: number[],
  costOf: (levels: number[]) => Promise<number>,
  limit: number,
  describe: { metric: BudgetMetric; lowest: string }
): Promise<WalkResult> {
  if (start.length !== minLevels.length) throw new LabError('internal', `Budget walk: ${start.length} levels but ${minLevels.length} minimums.`)
  const levels = [...start]
  let cost = await costOf(levels)
  let steps = 0
  while (cost > limit) {
    let lowered = false
    for (let t = levels.length - 1; t >= 0 && cost > limit; t--) {
      if (levels[t] <= minLevels[t]) continue
      levels[t]--
      steps++
      lowered = true
      cost = await costOf(levels)
    }
    if (!lowered) return { levels, cost, withinBudget: false, steps, message: overBudgetMessage(describe.metric, describe.lowest, cost, limit) }
  }
  return { levels, cost, withinBudget: true, steps }
}
