// Optimizers over the flat parameter vector, applied once per step on the main thread (so every replica sees
// the same weights). Formulas follow PyTorch, so runs compare with bench/pytorch_reference.py.
import { LabError } from '../../../shared/errors'

export type OptimizerConfig =
  | { kind: 'sgd'; lr: number; momentum?: number; weightDecay?: number }
  | { kind: 'adam'; lr: number; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number }

/** Elements [start, end) of the flat parameter vector. */
export type Range = readonly [number, number]

/** The ranges where mask[i] = 1. */
export function rangesOf(mask: ArrayLike<number>): Range[] {
  const out: Range[] = []
  for (let i = 0; i < mask.length; ) {
    if (!mask[i]) {
      i++
      continue
    }
    const start = i
    while (i < mask.length && mask[i]) i++
    out.push([start, i])
  }
  return out
}

export interface FlatOptimizer {
  /**
   * w ← update(w, g), in place; where `ranges` is given, only those elements (and their state) change (a supernet
   * step updates one path of a million parameters, so the others are not even visited).
   * `lr` overrides the configured learning rate for this step (schedules).
   */
  apply(weights: Float32Array, grad: Float64Array, ranges?: readonly Range[], lr?: number): void
  /** The optimizer's per-element state (SGD: [velocity]; Adam: [m, v, step counts]), fresh copies. */
  exportState(): Float32Array[]
  /** Restores what exportState gave (same sizes). */
  importState(state: readonly Float32Array[]): void
}

/**
 * `decay[i]` = 1 where weight decay applies (e.g. kernels but not batch-norm γ/β); default everywhere.
 */
export function createOptimizer(cfg: OptimizerConfig, size: number, decay?: Uint8Array): FlatOptimizer {
  if (!(cfg.lr > 0)) throw new LabError('bad_request', `The learning rate must be positive, got ${cfg.lr}.`, 'optimizer.lr')
  const wdAll = cfg.weightDecay ?? 0
  const restore = (targets: Float32Array[], state: readonly Float32Array[]): void => {
    if (state.length !== targets.length || state.some((a, i) => a.length !== targets[i].length)) {
      throw new LabError('bad_request', `The saved optimizer state does not fit this optimizer (${targets.length} arrays of ${size} values expected).`, 'optimizer')
    }
    state.forEach((a, i) => targets[i].set(a))
  }
  if (cfg.kind === 'sgd') {
    // torch.optim.SGD: v ← μ·v + g; w ← w − lr·v (the first step has v = g).
    const mu = cfg.momentum ?? 0
    const v = new Float32Array(size)
    return {
      apply(w, g, ranges = [[0, size]], lr = cfg.lr) {
        for (const [start, end] of ranges) {
          for (let i = start; i < end; i++) {
            const wd = decay && !decay[i] ? 0 : wdAll
            const gi = g[i] + wd * w[i]
            v[i] = mu * v[i] + gi
            w[i] -= lr * v[i]
          }
        }
      },
      exportState: () => [v.slice()],
      importState: (state) => restore([v], state)
    }
  }
  if (cfg.kind === 'adam') {
    // torch.optim.Adam (Kingma & Ba, Algorithm 1) with bias correction.
    const b1 = cfg.beta1 ?? 0.9
    const b2 = cfg.beta2 ?? 0.999
    const eps = cfg.epsilon ?? 1e-8
    const m = new Float32Array(size)
    const v = new Float32Array(size)
    const t = new Uint32Array(size) // steps per element, so frozen elements (outside the ranges) keep their own bias correction
    return {
      apply(w, g, ranges = [[0, size]], lr = cfg.lr) {
        // The bias corrections depend on the element's step count only, which is the same for runs of elements
        // (all of them without ranges): computed when it changes, not per element (Math.pow per element was
        // 13 ms a step for 160k parameters, half of a small network's step).
        let lastT = 0
        let c1 = 1
        let c2 = 1
        for (const [start, end] of ranges) {
          for (let i = start; i < end; i++) {
            const ti = ++t[i]
            if (ti !== lastT) {
              lastT = ti
              c1 = 1 - Math.pow(b1, ti)
              c2 = 1 - Math.pow(b2, ti)
            }
            const wd = decay && !decay[i] ? 0 : wdAll
            const gi = g[i] + wd * w[i]
            m[i] = b1 * m[i] + (1 - b1) * gi
            v[i] = b2 * v[i] + (1 - b2) * gi * gi
            w[i] -= (lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps)
          }
        }
      },
      exportState: () => [m.slice(), v.slice(), Float32Array.from(t)],
      importState: (state) => {
        const steps = new Float32Array(size)
        restore([m, v, steps], state)
        for (let i = 0; i < size; i++) t[i] = steps[i]
      }
    }
  }
  throw new LabError('bad_request', `Unknown optimizer "${(cfg as { kind: string }).kind}"; use sgd or adam.`, 'optimizer.kind')
}
