// Optimizers over the flat parameter vector, applied once per step on the main thread (so every replica sees
// the same weights). Formulas follow PyTorch, so runs compare with bench/pytorch_reference.py.
import { LabError } from '../../../shared/errors'

export type OptimizerConfig =
  | { kind: 'sgd'; lr: number; momentum?: number; weightDecay?: number }
  | { kind: 'adam'; lr: number; beta1?: number; beta2?: number; epsilon?: number; weightDecay?: number }

export interface FlatOptimizer {
  /** w ← update(w, g), in place; where `mask` is given, only elements with mask[i] = 1 (and their state) change. */
  apply(weights: Float32Array, grad: Float64Array, mask?: Uint8Array): void
}

export function createOptimizer(cfg: OptimizerConfig, size: number): FlatOptimizer {
  if (!(cfg.lr > 0)) throw new LabError('bad_request', `The learning rate must be positive, got ${cfg.lr}.`, 'optimizer.lr')
  const wd = cfg.weightDecay ?? 0
  if (cfg.kind === 'sgd') {
    // torch.optim.SGD: v ← μ·v + g; w ← w − lr·v (the first step has v = g).
    const mu = cfg.momentum ?? 0
    const v = new Float32Array(size)
    return {
      apply(w, g, mask) {
        for (let i = 0; i < size; i++) {
          if (mask && !mask[i]) continue
          const gi = g[i] + wd * w[i]
          v[i] = mu * v[i] + gi
          w[i] -= cfg.lr * v[i]
        }
      }
    }
  }
  if (cfg.kind === 'adam') {
    // torch.optim.Adam (Kingma & Ba, Algorithm 1) with bias correction.
    const b1 = cfg.beta1 ?? 0.9
    const b2 = cfg.beta2 ?? 0.999
    const eps = cfg.epsilon ?? 1e-8
    const m = new Float32Array(size)
    const v = new Float32Array(size)
    const t = new Uint32Array(size) // steps per element, so masked (frozen) elements keep their own bias correction
    return {
      apply(w, g, mask) {
        // The bias corrections depend on the element's step count only, which is the same for runs of elements
        // (all of them without a mask): computed when it changes, not per element (Math.pow per element was
        // 13 ms a step for 160k parameters, half of a small network's step).
        let lastT = 0
        let c1 = 1
        let c2 = 1
        for (let i = 0; i < size; i++) {
          if (mask && !mask[i]) continue
          const ti = ++t[i]
          if (ti !== lastT) {
            lastT = ti
            c1 = 1 - Math.pow(b1, ti)
            c2 = 1 - Math.pow(b2, ti)
          }
          const gi = g[i] + wd * w[i]
          m[i] = b1 * m[i] + (1 - b1) * gi
          v[i] = b2 * v[i] + (1 - b2) * gi * gi
          w[i] -= (cfg.lr * (m[i] / c1)) / (Math.sqrt(v[i] / c2) + eps)
        }
      }
    }
  }
  throw new LabError('bad_request', `Unknown optimizer "${(cfg as { kind: string }).kind}"; use sgd or adam.`, 'optimizer.kind')
}
