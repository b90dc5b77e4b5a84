// The over-parameterised network of ProxylessNAS: every searchable block holds all its candidate ops (MBConv k×e with
// batch norm, or 'zero' = the identity shortcut alone), and a forward pass runs ONE path per block, chosen by the
// binary gates. Batch norm trains with batch statistics and keeps running ones; export folds them into the kernels.
//
// A Supernet with one candidate per block is an ordinary network: the derived architecture and the baselines are
// trained with the same code, and inherit weights from the search by unit key.
import * as tf from '@tensorflow/tfjs'
import { LabError } from '../../shared/errors'
import type { Weights } from '../model/ir'
import { batchNormTrain, labRelu6 } from '../model/train/forward'
import { opParams, type Architecture, type BlockOp, type SearchSpace } from '../model/space'
import { SavableRng } from './random'

const BN_EPS = 1e-3
/** Running statistics ← (1 − m) · running + m · batch (PyTorch's convention, m = 0.1). */
const BN_MOMENTUM = 0.1

/** One conv (or depthwise conv) followed by batch norm and an optional relu6; `layer` is its IR layer name. */
export interface ConvUnit {
  key: string
  layer: string
  depthwise: boolean
  kernelSize: number
  stride: number
  inChannels: number
  outChannels: number
  relu6: boolean
  kernel: tf.Variable
  gamma: tf.Variable
  beta: tf.Variable
  runMean: tf.Variable
  runVar: tf.Variable
}

interface SupernetBlock {
  /** Candidate ops of this block in this supernet (a subset of the space's, in the space's order). */
  ops: BlockOp[]
  /** The block adds its input to the op's output: the space allows 'zero' here (stride 1, equal widths). */
  shortcut: boolean
  /** Conv units per op ('zero' has none). */
  units: ConvUnit[][]
}

/** Batch statistics seen in a training forward pass, applied to the running ones after the step. */
export interface BatchStat {
  unit: ConvUnit
  mean: tf.Tensor
  variance: tf.Tensor
}

export type BnMode = 'train' | 'infer'

export interface SupernetOptions {
  /** Seed of the weight initialisation (≥ 1). */
  seed: number
  /** Restrict each block to these ops (e.g. a derived architecture: one op per block). Default: all candidates. */
  opsPerBlock?: BlockOp[][]
  /**
   * Use these variables (keyed as `variables` below) instead of making new ones: a training worker's replica of a
   * supernet whose values live elsewhere. Every key must be there with the right shape; the supernet does not
   * dispose them.
   */
  variables?: Map<string, tf.Variable>
}

export class Supernet {
  readonly space: SearchSpace
  readonly stem: ConvUnit
  readonly first: ConvUnit[]
  readonly blocks: SupernetBlock[]
  readonly head: ConvUnit
  readonly classifier: { kernel: tf.Variable; bias: tf.Variable }
  /** Every variable by unit key + '/kernel' | '/gamma' | '/beta' | '/mean' | '/var', and 'logits/kernel' | 'logits/bias'. */
  readonly variables = new Map<string, tf.Variable>()
  private readonly external: Map<string, tf.Variable> | null

  constructor(space: SearchSpace, opts: SupernetOptions) {
    this.space = space
    this.external = opts.variables ?? null
    const rng = new SavableRng(opts.seed)
    const unit = (key: string, layer: string, depthwise: boolean, kernelSize: number, stride: number, cin: number, cout: number, act: boolean, gamma0 = 1): ConvUnit => {
      const shape = depthwise ? [kernelSize, kernelSize, cin, 1] : [kernelSize, kernelSize, cin, cout]
      const fanIn = depthwise ? kernelSize * kernelSize : kernelSize * kernelSize * cin
      const u: ConvUnit = {
        key, layer, depthwise, kernelSize, stride, inChannels: cin, outChannels: cout, relu6: act,
        kernel: this.add(`${key}/kernel`, heNormal(shape, fanIn, rng), shape, true),
        gamma: this.add(`${key}/gamma`, new Float32Array(cout).fill(gamma0), [cout], true),
        beta: this.add(`${key}/beta`, new Float32Array(cout), [cout], true),
        runMean: this.add(`${key}/mean`, new Float32Array(cout), [cout], false),
        runVar: this.add(`${key}/var`, new Float32Array(cout).fill(1), [cout], false)
      }
      return u
    }
    const stemIn = space.stem.inShape[2]
    this.stem = unit('stem', 'stem', false, space.stem.kernel, space.stem.stride, stemIn, space.stem.outShape[2], true)
    const f = space.firstBlock
    this.first = [
      unit('b0/b0_dw', 'b0_dw', true, 3, 1, f.inShape[2], f.inShape[2], true),
      unit('b0/b0_project', 'b0_project', false, 1, 1, f.inShape[2], f.outShape[2], false)
    ]
    this.blocks = space.blocks.map((b, i) => {
      const ops = opts.opsPerBlock?.[i] ?? b.candidates
      for (const op of ops) {
        if (!b.candidates.includes(op)) throw new LabError('bad_request', `Block ${i + 1} cannot be "${op}"; it allows ${b.candidates.join(', ')}.`, 'architecture')
      }
      const prefix = `b${i + 1}`
      const shortcut = b.candidates.includes('zero')
      const units = ops.map((op) => {
        if (op === 'zero') return []
        const { kernel, expand } = opParams(op)
        const cin = b.inShape[2]
        const mid = Math.round(cin * expand)
        const base = `${prefix}:${op}`
        return [
          unit(`${base}/${prefix}_expand`, `${prefix}_expand`, false, 1, 1, cin, mid, true),
          unit(`${base}/${prefix}_dw`, `${prefix}_dw`, true, kernel, b.stride, mid, mid, true),
          // γ = 0 on the last BN of a residual op: every path starts as the identity, so random-path warm-up does not
          // drown the shortcut in the noise of untrained candidates (Goyal et al. 2017's zero-γ trick).
          unit(`${base}/${prefix}_project`, `${prefix}_project`, false, 1, 1, mid, b.outShape[2], false, shortcut ? 0 : 1)
        ]
      })
      return { ops: [...ops], shortcut, units }
    })
    this.head = unit('head', 'head', false, 1, 1, space.head.inShape[2], space.head.outShape[2], true)
    const hw = space.head.outShape[2]
    this.classifier = {
      kernel: this.add('logits/kernel', heNormal([hw, space.classes], hw, rng, 1), [hw, space.classes], true),
      bias: this.add('logits/bias', new Float32Array(space.classes), [space.classes], true)
    }
  }

  private add(key: string, values: Float32Array, shape: number[], trainable: boolean): tf.Variable {
    if (this.external) {
      const v = this.external.get(key)
      if (!v || v.shape.join('x') !== shape.join('x')) throw new LabError('internal', `The supernet replica needs variable "${key}" of shape [${shape.join(', ')}]; it got ${v ? `[${v.shape.join(', ')}]` : 'none'}.`)
      this.variables.set(key, v)
      return v
    }
    const v = tf.tidy(() => tf.variable(tf.tensor(values, shape, 'float32'), trainable))
    this.variables.set(key, v)
    return v
  }

  /** A supernet holding exactly one architecture (the derived network or a baseline). */
  static forArchitecture(space: SearchSpace, arch: Architecture, seed: number): Supernet {
    return new Supernet(space, { seed, opsPerBlock: arch.map((op) => [op]) })
  }

  /** Candidate counts per block (the shape of α). */
  candidateCounts(): number[] {
    return this.blocks.map((b) => b.ops.length)
  }

  /** Index choice per block → architecture. */
  architectureOf(choice: readonly number[]): Architecture {
    return choice.map((j, b) => this.blocks[b].ops[j])
  }

  /** Variables a forward pass along `choice` uses (the weights that step updates). */
  trainableFor(choice: readonly number[]): Map<string, tf.Variable> {
    const out = new Map<string, tf.Variable>()
    const addUnit = (u: ConvUnit) => {
      out.set(`${u.key}/kernel`, u.kernel)
      out.set(`${u.key}/gamma`, u.gamma)
      out.set(`${u.key}/beta`, u.beta)
    }
    addUnit(this.stem)
    this.first.forEach(addUnit)
    choice.forEach((j, b) => this.blocks[b].units[j].forEach(addUnit))
    addUnit(this.head)
    out.set('logits/kernel', this.classifier.kernel)
    out.set('logits/bias', this.classifier.bias)
    return out
  }

  private unitForward(u: ConvUnit, x: tf.Tensor4D, mode: BnMode, stats: BatchStat[] | null): tf.Tensor4D {
    const y = u.depthwise
      ? tf.depthwiseConv2d(x, u.kernel as tf.Tensor4D, u.stride, 'same')
      : tf.conv2d(x, u.kernel as tf.Tensor4D, u.stride, 'same')
    if (mode === 'train') {
      // The lab's native batch-norm kernel (+ relu6) where registered: one op forward and back.
      const fused = batchNormTrain(y, u.gamma as tf.Tensor1D, u.beta as tf.Tensor1D, BN_EPS, u.relu6)
      if (fused) {
        if (stats) stats.push({ unit: u, mean: fused.mean, variance: fused.variance })
        else tf.dispose([fused.mean, fused.variance])
        return fused.y as tf.Tensor4D
      }
    }
    let mean: tf.Tensor = u.runMean
    let variance: tf.Tensor = u.runVar
    if (mode === 'train') {
      const m = tf.moments(y, [0, 1, 2])
      mean = m.mean
      variance = m.variance
      if (stats) stats.push({ unit: u, mean: tf.keep(mean), variance: tf.keep(variance) })
    }
    const scale = tf.mul(u.gamma, tf.rsqrt(tf.add(variance, BN_EPS)))
    const out = tf.add(tf.mul(tf.sub(y, mean), scale), u.beta) as tf.Tensor4D
    return u.relu6 ? (labRelu6(out) as tf.Tensor4D) : out
  }

  private opForward(units: ConvUnit[], x: tf.Tensor4D, mode: BnMode, stats: BatchStat[] | null): tf.Tensor4D | null {
    if (units.length === 0) return null
    let y = x
    for (const u of units) y = this.unitForward(u, y, mode, stats)
    return y
  }

  /** Block output for one chosen op: shortcut + op(x), or op(x); 'zero' leaves x (its shortcut). */
  private blockForward(b: number, j: number, x: tf.Tensor4D, mode: BnMode, stats: BatchStat[] | null): tf.Tensor4D {
    const block = this.blocks[b]
    const y = this.opForward(block.units[j], x, mode, stats)
    if (y === null) return x
    return block.shortcut ? (tf.add(x, y) as tf.Tensor4D) : y
  }

  private tail(x: tf.Tensor4D, mode: BnMode, stats: BatchStat[] | null): tf.Tensor2D {
    const h = this.unitForward(this.head, x, mode, stats)
    const pooled = tf.mean(h, [1, 2]) as tf.Tensor2D
    return tf.add(tf.matMul(pooled, this.classifier.kernel as tf.Tensor2D), this.classifier.bias) as tf.Tensor2D
  }

  private trunk(x: tf.Tensor4D, mode: BnMode, stats: BatchStat[] | null): tf.Tensor4D {
    let y = this.unitForward(this.stem, x, mode, stats)
    for (const u of this.first) y = this.unitForward(u, y, mode, stats)
    return y
  }

  /** Logits along one path (index per block). Pass `stats` in training to collect batch statistics. */
  forward(x: tf.Tensor4D, choice: readonly number[], mode: BnMode, stats: BatchStat[] | null = null): tf.Tensor2D {
    let y = this.trunk(x, mode, stats)
    choice.forEach((j, b) => (y = this.blockForward(b, j, y, mode, stats)))
    return this.tail(y, mode, stats)
  }

  /**
   * Logits with real-valued gates: block output = [x +] Σ_k w_k · o_k(x), every candidate run (training-mode BN).
   * With w one-hot this is forward(); its derivative in w_k is what gateGradients() returns, which tests check.
   */
  forwardRelaxed(x: tf.Tensor4D, gateValues: readonly (readonly (number | tf.Scalar)[])[]): tf.Tensor2D {
    let y = this.trunk(x, 'train', null)
    this.blocks.forEach((block, b) => {
      let sum: tf.Tensor4D | null = null
      block.units.forEach((units, k) => {
        const o = this.opForward(units, y, 'train', null)
        if (o === null || gateValues[b][k] === 0) return // 'zero' outputs nothing; a zero gate adds nothing
        const term = tf.mul(o, gateValues[b][k]) as tf.Tensor4D
        sum = sum === null ? term : (tf.add(sum, term) as tf.Tensor4D)
      })
      if (sum === null) return
      y = block.shortcut ? (tf.add(y, sum) as tf.Tensor4D) : sum
    })
    return this.tail(y, 'train', null)
  }

  /**
   * Gradient of the cross-entropy w.r.t. every involved gate, full_v2 style (mix_op.py): forward the active path
   * only, read ∂L/∂y at each block output, then run the other involved candidates without a tape and take
   *   ∂L/∂g_k = Σ o_k(x) · ∂L/∂y.
   * 'zero' outputs 0, so its gate gradient is 0 (the shortcut is outside the mixed op).
   */
  gateGradients(x: tf.Tensor4D, onehot: tf.Tensor2D, active: readonly number[], involved: readonly (readonly number[])[]): { ce: number; correct: number; gateGrad: number[][] } {
    const blockInputs: tf.Tensor4D[] = []
    const opOutputs: (tf.Tensor4D | null)[] = []
    // Zero "probes" added to each block output: their gradient is ∂L/∂y there.
    const batch = x.shape[0]
    const shapes = this.space.blocks.map((b) => [batch, ...b.outShape])
    let ce = 0
    let correct = 0
    const probes = shapes.map((s) => tf.zeros(s))
    const dys = tf.grads((...zs: tf.Tensor[]) => {
      let y = this.trunk(x, 'train', null)
      active.forEach((j, b) => {
        blockInputs.push(tf.keep(y))
        const o = this.opForward(this.blocks[b].units[j], y, 'train', null)
        opOutputs.push(o ? tf.keep(o) : null)
        const out = o === null ? y : this.blocks[b].shortcut ? (tf.add(y, o) as tf.Tensor4D) : o
        y = tf.add(out, zs[b]) as tf.Tensor4D
      })
      const logits = this.tail(y, 'train', null)
      const loss = tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar
      ce = loss.dataSync()[0]
      correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.argMax(onehot, 1)), 'float32')).dataSync()[0])
      return loss
    })(probes)
    const gateGrad = tf.tidy(() =>
      this.blocks.map((block, b) =>
        block.ops.map((_, k) => {
          if (!involved[b].includes(k) || block.units[k].length === 0) return 0
          const o = k === active[b] ? (opOutputs[b] as tf.Tensor4D) : (this.opForward(block.units[k], blockInputs[b], 'train', null) as tf.Tensor4D)
          return tf.sum(tf.mul(o, dys[b])).dataSync()[0]
        })
      )
    )
    tf.dispose([...probes, ...dys, ...blockInputs, ...opOutputs.filter((o): o is tf.Tensor4D => o !== null)])
    return { ce, correct, gateGrad }
  }

  /** Applies batch statistics to the running ones and disposes them. */
  static updateRunningStats(stats: BatchStat[]): void {
    tf.tidy(() => {
      for (const s of stats) {
        s.unit.runMean.assign(tf.add(tf.mul(s.unit.runMean, 1 - BN_MOMENTUM), tf.mul(s.mean, BN_MOMENTUM)))
        s.unit.runVar.assign(tf.add(tf.mul(s.unit.runVar, 1 - BN_MOMENTUM), tf.mul(s.variance, BN_MOMENTUM)))
      }
    })
    for (const s of stats) tf.dispose([s.mean, s.variance])
  }

  /** Every variable's values (for checkpoints and for inheriting weights). */
  snapshot(): Weights {
    const out: Weights = new Map()
    for (const [k, v] of this.variables) out.set(k, Float32Array.from(v.dataSync() as Float32Array))
    return out
  }

  /** Loads values by key; keys this supernet lacks are ignored (inherit), missing ones kept. Returns keys loaded. */
  load(values: Weights): number {
    let n = 0
    for (const [k, v] of this.variables) {
      const w = values.get(k)
      if (!w) continue
      if (w.length !== v.size) throw new LabError('internal', `Saved weights "${k}" hold ${w.length} values, the network needs ${v.size}.`)
      v.assign(tf.tensor(w, v.shape, 'float32'))
      n++
    }
    return n
  }

  /**
   * IR weights of an architecture with batch norm folded in (inference form):
   *   s = γ / √(σ² + ε);  W' = W · s (per output channel);  b' = β − μ · s.
   * Layer names follow buildNetwork ('stem', 'b0_dw', 'b<i>_expand', …, 'head', 'logits').
   */
  foldedWeights(choice: readonly number[]): Weights {
    const out: Weights = new Map()
    const fold = (u: ConvUnit) => {
      const w = u.kernel.dataSync() as Float32Array
      const gamma = u.gamma.dataSync() as Float32Array
      const beta = u.beta.dataSync() as Float32Array
      const mean = u.runMean.dataSync() as Float32Array
      const variance = u.runVar.dataSync() as Float32Array
      const c = u.outChannels
      const s = new Float32Array(c)
      const bias = new Float32Array(c)
      for (let i = 0; i < c; i++) {
        s[i] = gamma[i] / Math.sqrt(variance[i] + BN_EPS)
        bias[i] = beta[i] - mean[i] * s[i]
      }
      // Both HWIO conv kernels and [kh,kw,C,1] depthwise kernels keep the output channel in the last (fastest) place.
      const kernel = new Float32Array(w.length)
      for (let i = 0; i < w.length; i++) kernel[i] = w[i] * s[i % c]
      out.set(`${u.layer}/kernel`, kernel)
      out.set(`${u.layer}/bias`, bias)
    }
    fold(this.stem)
    this.first.forEach(fold)
    choice.forEach((j, b) => this.blocks[b].units[j].forEach(fold))
    fold(this.head)
    out.set('logits/kernel', Float32Array.from(this.classifier.kernel.dataSync() as Float32Array))
    out.set('logits/bias', Float32Array.from(this.classifier.bias.dataSync() as Float32Array))
    return out
  }

  dispose(): void {
    if (!this.external) for (const v of this.variables.values()) v.dispose()
    this.variables.clear()
  }
}

function heNormal(shape: number[], fanIn: number, rng: SavableRng, gain = 2): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1)
  const std = Math.sqrt(gain / fanIn)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    let u = rng.next()
    while (u <= 1e-12) u = rng.next()
    out[i] = std * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next())
  }
  return out
}
