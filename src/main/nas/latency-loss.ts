// Expected latency (or energy) of the supernet from the phone's lookup table, and the two latency-aware losses of
// ProxylessNAS (§3.3; nas_manager.add_regularization_loss). E[lat] is a smooth function of α, so its gradient is exact.
import { LabError } from '../../shared/errors'
import { softmax } from './gates'

/**
 * Cost of every candidate of every block, in the objective's unit (ms or mJ), from the lookup table; 'zero' costs 0.
 * `fixed` is the sum over the layers every network has (stem, first block, head, classifier).
 */
export interface CostTable {
  unit: 'ms' | 'mJ'
  perBlock: number[][]
  fixed: number
}

/** E[lat] = Σ_blocks Σ_j p_j · F(o_j) + fixed  (Eq. 5). */
export function expectedCost(alpha: readonly (readonly number[])[], table: CostTable): number {
  let total = table.fixed
  alpha.forEach((a, b) => {
    const p = softmax(a)
    p.forEach((pj, j) => (total += pj * table.perBlock[b][j]))
  })
  return total
}

/** ∂E[lat]/∂α_i = p_i (F(o_i) − Σ_j p_j F(o_j)) per block (the softmax derivative of Eq. 5). */
export function expectedCostGrad(alpha: readonly (readonly number[])[], table: CostTable): number[][] {
  return alpha.map((a, b) => {
    const p = softmax(a)
    const costs = table.perBlock[b]
    const eb = p.reduce((s, pj, j) => s + pj * costs[j], 0)
    return p.map((pi, i) => pi * (costs[i] - eb))
  })
}

/** Cost of one architecture (a chosen index per block). */
export function architectureCost(choice: readonly number[], table: CostTable): number {
  return choice.reduce((s, j, b) => s + table.perBlock[b][j], table.fixed)
}

/** 'mul#log' (the paper code's default), 'add#linear', or 'abs#linear' (TuNAS's absolute-value form). */
export type LossForm = 'mul#log' | 'add#linear' | 'abs#linear'

export interface LatencyLossSettings {
  form: LossForm
  /** Target T in the table's unit. */
  target: number
  /** mul#log: α = 0.2, β = 0.3. */
  alpha?: number
  beta?: number
  /** add#linear: λ = 0.1; abs#linear: λ = 1. */
  lambda?: number
}

export interface LatencyLossValue {
  loss: number
  /** ∂loss/∂CE (scales the gate gradients of the cross-entropy). */
  dCe: number
  /** ∂loss/∂E[lat]. */
  dCost: number
}

/**
 * mul#log:    L = CE · α · (log E[lat] / log T)^β          (logarithms of the table's unit; T must exceed 1)
 * add#linear: L = CE + λ · (E[lat] − T) / T
 * abs#linear: L = CE + λ · |E[lat] / T − 1|   (pulls E[lat] towards T from both sides)
 */
export function latencyLoss(ce: number, cost: number, s: LatencyLossSettings): LatencyLossValue {
  if (!(s.target > 0)) throw new LabError('bad_request', `The latency target must be above 0, got ${s.target}.`, 'target')
  if (s.form === 'abs#linear') {
    const lambda = s.lambda ?? 1
    const d = (cost - s.target) / s.target
    return { loss: ce + lambda * Math.abs(d), dCe: 1, dCost: (lambda * Math.sign(d)) / s.target }
  }
  if (s.form === 'add#linear') {
    const lambda = s.lambda ?? 0.1
    return { loss: ce + (lambda * (cost - s.target)) / s.target, dCe: 1, dCost: lambda / s.target }
  }
  const a = s.alpha ?? 0.2
  const beta = s.beta ?? 0.3
  if (!(s.target > 1)) {
    throw new LabError('bad_request', `The 'mul#log' loss takes logarithms of the target (${s.target}), so it must be above 1; choose 'add#linear' for targets of 1 or less.`, 'lossForm')
  }
  const logT = Math.log(s.target)
  // Below 1 unit the ratio would turn negative; such a network is far under any target above 1, so clamp it.
  const ratio = Math.max(Math.log(Math.max(cost, 1e-9)) / logT, 1e-6)
  const factor = a * Math.pow(ratio, beta)
  const dRatio = ratio <= 1e-6 ? 0 : 1 / (cost * logT)
  return { loss: ce * factor, dCe: factor, dCost: ce * a * beta * Math.pow(ratio, beta - 1) * dRatio }
}

/** The full α gradient: ∂L/∂CE · (BinaryConnect gradient of CE) + ∂L/∂E[lat] · ∂E[lat]/∂α. */
export function combineAlphaGrad(ceGrad: readonly (readonly number[])[], costGrad: readonly (readonly number[])[], v: LatencyLossValue): number[][] {
  return ceGrad.map((row, b) => row.map((g, i) => v.dCe * g + v.dCost * costGrad[b][i]))
}

/**
 * The most probable architecture whose cost is within `limit`: maximises Σ_b log p_b(choice_b) subject to
 * Σ_b cost_b(choice_b) + fixed ≤ limit (a multiple-choice knapsack, solved exactly on costs rounded up to `bins`
 * steps of the limit, so a returned choice never exceeds it). Returns null when even the cheapest network is over.
 * With peaked probabilities this is the argmax network whenever that fits; after a short search, when p is still
 * close to uniform, it is the network the search prefers among those that meet the target. With `floor`, only
 * networks costing at least about that much count (rounded costs, so one a little under the floor may count).
 */
export function mostProbableWithin(alpha: readonly (readonly number[])[], table: CostTable, limit: number, opts: { floor?: number; bins?: number } = {}): number[] | null {
  const bins = opts.bins ?? 2000
  const budget = limit - table.fixed
  if (!(budget >= 0)) return null
  const step = budget / bins
  const units = table.perBlock.map((row) => row.map((c) => (budget === 0 || step === 0 ? (table.fixed + c <= limit + 1e-12 ? 0 : Infinity) : Math.ceil(c / step - 1e-6))))
  const logp = alpha.map((a) => softmax(a).map((p) => Math.log(Math.max(p, 1e-300))))
  // best[u]: highest log-probability of the blocks so far using exactly u cost units; choices kept per block.
  let best = new Float64Array(bins + 1).fill(-Infinity)
  best[0] = 0
  const picks: Int16Array[] = []
  for (let b = 0; b < alpha.length; b++) {
    const next = new Float64Array(bins + 1).fill(-Infinity)
    const pick = new Int16Array(bins + 1).fill(-1)
    for (let u = 0; u <= bins; u++) {
      if (best[u] === -Infinity) continue
      units[b].forEach((w, j) => {
        const v = u + w
        if (v > bins) return
        const score = best[u] + logp[b][j]
        if (score > next[v]) {
          next[v] = score
          pick[v] = j
        }
      })
    }
    picks.push(pick)
    best = next
  }
  const first = opts.floor === undefined ? 0 : Math.max(0, Math.floor((opts.floor - table.fixed) / (step || 1) + 1e-9))
  let end = -1
  for (let u = first; u <= bins; u++) if (best[u] > -Infinity && (end < 0 || best[u] > best[end])) end = u
  if (end < 0) return null
  const choice = new Array<number>(alpha.length)
  for (let b = alpha.length - 1; b >= 0; b--) {
    const j = picks[b][end]
    choice[b] = j
    end -= units[b][j]
  }
  return choice
}
