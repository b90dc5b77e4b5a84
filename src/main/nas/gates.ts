// Binary gates of ProxylessNAS (Cai, Zhu, Han, ICLR'19 §3.2): per searchable block, architecture parameters α over
// the candidate ops, probabilities p = softmax(α), and a one-hot gate g sampled from p so only one path runs.
// Pure maths on plain arrays (α is tiny), so it is tested exactly and checkpointed as JSON.
import type { Rng } from './random'

/** p = softmax(α)  (Eq. 2). */
export function softmax(alpha: readonly number[]): number[] {
  const m = Math.max(...alpha)
  const e = alpha.map((a) => Math.exp(a - m))
  const s = e.reduce((x, y) => x + y, 0)
  return e.map((v) => v / s)
}

/** Index drawn from the distribution p. */
export function sampleIndex(p: readonly number[], rng: Rng): number {
  let u = rng() * p.reduce((a, b) => a + b, 0)
  for (let i = 0; i < p.length; i++) {
    u -= p[i]
    if (u < 0) return i
  }
  return p.length - 1
}

/** The binary gates of one block for one step: the active path, and the paths whose α receive a gradient. */
export interface GateSample {
  /** Index of the candidate that runs forward (g = one-hot at this index, Eq. 3). */
  active: number
  /** Candidates in the update: all of them (full mode) or the two sampled ones (two-path mode). */
  involved: number[]
}

export type GateMode = 'full_v2' | 'two'

/**
 * Samples the binary gates of one block. full_v2: g ~ multinomial(p) over all candidates. two: two distinct paths
 * drawn from p without replacement, then the active one drawn from softmax over their two α (the paper's memory trick).
 */
export function sampleGates(alpha: readonly number[], mode: GateMode, rng: Rng): GateSample {
  const p = softmax(alpha)
  if (mode === 'full_v2' || alpha.length < 2) return { active: sampleIndex(p, rng), involved: alpha.map((_, i) => i) }
  const first = sampleIndex(p, rng)
  const rest = p.map((v, i) => (i === first ? 0 : v))
  const second = sampleIndex(rest, rng)
  const pair = [first, second].sort((a, b) => a - b)
  const pPair = softmax(pair.map((i) => alpha[i]))
  return { active: pair[sampleIndex(pPair, rng)], involved: pair }
}

/**
 * BinaryConnect-style gradient of the loss w.r.t. α from the gradient w.r.t. the gates (Eq. 4):
 *   ∂L/∂α_i = Σ_j ∂L/∂g_j · p_j (δ_ij − p_i),
 * with p taken over the involved candidates only (all of them in full mode, the two sampled ones in two-path mode).
 * Returns a gradient over all candidates, zero outside `involved`.
 */
export function alphaGradFromGates(alpha: readonly number[], gateGrad: readonly number[], involved: readonly number[]): number[] {
  const p = softmax(involved.map((i) => alpha[i]))
  const out = new Array<number>(alpha.length).fill(0)
  involved.forEach((i, a) => {
    let g = 0
    involved.forEach((j, b) => {
      g += gateGrad[j] * p[b] * ((a === b ? 1 : 0) - p[a])
    })
    out[i] = g
  })
  return out
}

/**
 * After a two-path update, shift the two updated α by the same offset so that Σ exp(α) over them is what it was
 * before: the unsampled paths keep their probabilities (the paper's rescaling, §3.2.1).
 */
export function rescaleTwoPath(oldAlpha: readonly number[], newAlpha: number[], involved: readonly number[]): void {
  const lse = (a: readonly number[]): number => {
    const m = Math.max(...involved.map((i) => a[i]))
    return m + Math.log(involved.reduce((s, i) => s + Math.exp(a[i] - m), 0))
  }
  const offset = lse(newAlpha) - lse(oldAlpha)
  for (const i of involved) newAlpha[i] -= offset
}

/** α initialised from N(0, std²) (std 1e-3 in the paper's code), one vector per block. */
export function initAlpha(candidatesPerBlock: readonly number[], rng: Rng, std = 1e-3): number[][] {
  return candidatesPerBlock.map((n) => Array.from({ length: n }, () => std * gaussian(rng)))
}

function gaussian(rng: Rng): number {
  let u = rng()
  while (u <= 1e-12) u = rng()
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng())
}

/** Adam on the α vectors (lr 1e-3, betas (0, 0.999) as in the paper's code); its state is plain JSON. */
export class AlphaAdam {
  m: number[][]
  v: number[][]
  t = 0
  constructor(
    shape: readonly number[],
    public lr = 1e-3,
    public beta1 = 0,
    public beta2 = 0.999,
    public eps = 1e-8
  ) {
    this.m = shape.map((n) => new Array<number>(n).fill(0))
    this.v = shape.map((n) => new Array<number>(n).fill(0))
  }

  /** α ← α − lr · m̂ / (√v̂ + ε), in place. */
  step(alpha: number[][], grad: readonly (readonly number[])[]): void {
    this.t++
    const c1 = 1 - Math.pow(this.beta1, this.t)
    const c2 = 1 - Math.pow(this.beta2, this.t)
    alpha.forEach((a, b) => {
      for (let i = 0; i < a.length; i++) {
        const g = grad[b][i]
        this.m[b][i] = this.beta1 * this.m[b][i] + (1 - this.beta1) * g
        this.v[b][i] = this.beta2 * this.v[b][i] + (1 - this.beta2) * g * g
        a[i] -= (this.lr * (this.m[b][i] / c1)) / (Math.sqrt(this.v[b][i] / c2) + this.eps)
      }
    })
  }

  state(): { m: number[][]; v: number[][]; t: number } {
    return { m: this.m.map((r) => [...r]), v: this.v.map((r) => [...r]), t: this.t }
  }

  load(s: { m: number[][]; v: number[][]; t: number }): void {
    this.m = s.m.map((r) => [...r])
    this.v = s.v.map((r) => [...r])
    this.t = s.t
  }
}
