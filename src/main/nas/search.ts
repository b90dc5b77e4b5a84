// The ProxylessNAS search loop (§3.2 and imagenet_arch_search.py): warm-up epochs train the weights on random paths;
// then every training step resamples the binary gates from p and takes an SGD step on the weights (train split), and
// every k steps (5) resamples the gates and takes an Adam step on α (validation split) against CE and the latency loss.
// The derived network is argmax p per block. State (weights, α, optimizers, random source) is saved per epoch.
import * as tf from '@tensorflow/tfjs'
import { LabError } from '../../shared/errors'
import { iterateBatches, type Batch, type SplitView } from '../data/splits'
import { weightsFromJson, weightsToJson, type Weights, type WeightsJson } from '../model/ir'
import { ParallelTrainer } from '../model/train/parallel'
import { besideBundle } from '../paths'
import { AlphaAdam, alphaGradFromGates, initAlpha, rescaleTwoPath, sampleGates, sampleIndex, softmax, type GateMode } from './gates'
import { combineAlphaGrad, expectedCost, expectedCostGrad, latencyLoss, type CostTable, type LatencyLossSettings } from './latency-loss'
import { SavableRng } from './random'
import { WeightSgd } from './sgd'
import { Supernet, type BatchStat, type ConvUnit } from './supernet'
import { statKeys, type SupernetLossOptions, type SupernetStepContext } from './supernet-loss'

/** The supernet loss module for training workers: the bundled .js beside the bundle (or its chunks), else the source. */
function supernetLossModule(): string {
  const found = besideBundle(__dirname, 'supernet-loss.js') ?? besideBundle(__dirname, 'supernet-loss.ts')
  if (!found) throw new LabError('internal', `The supernet's training module (supernet-loss.js) was not found next to ${__dirname}.`)
  return found
}

/** Running statistics are the main thread's (moved from the workers' batch statistics), never the trainer's copy. */
const isRunningStat = (key: string): boolean => key.endsWith('/mean') || key.endsWith('/var')

export interface SearchSettings {
  batchSize: number
  /** Initial learning rate of the weights (cosine-annealed to 0 over each phase). */
  lr: number
  momentum: number
  weightDecay: number
  /** Adam on α: lr 1e-3, betas (0, 0.999). */
  archLr: number
  /** Take an α step every this many weight steps (the paper's grad_update_arch_param_every = 5). */
  archEvery: number
  gateMode: GateMode
  seed: number
}

export const DEFAULT_SEARCH_SETTINGS: SearchSettings = { batchSize: 64, lr: 0.05, momentum: 0.9, weightDecay: 4e-5, archLr: 1e-3, archEvery: 5, gateMode: 'full_v2', seed: 1 }

/** What the architecture step optimises: the cost table of the objective and the loss form with its target. */
export interface ArchObjective {
  table: CostTable
  loss: LatencyLossSettings
}

export type Phase = 'warmup' | 'search' | 'train'

export interface StepProgress {
  phase: Phase
  epoch: number
  step: number
  stepsPerEpoch: number
  /** Mean cross-entropy and accuracy over the epoch's weight steps so far. */
  loss: number
  accuracy: number
  /** E[lat] (or E[energy]) of the current α, in the table's unit; null without an objective. */
  expectedCost: number | null
  /** p per block. */
  probabilities: number[][]
}

export interface SearchState {
  alpha: number[][]
  adam: { m: number[][]; v: number[][]; t: number }
  rng: number
  weights: WeightsJson
  velocity: WeightsJson
}

export interface EpochOptions {
  phase: Phase
  /** 0-based epoch within the phase and the phase's epoch count (for the cosine schedule). */
  epoch: number
  epochs: number
  objective?: ArchObjective
  signal?: AbortSignal
  onStep?: (p: StepProgress) => void
}

/** A supernet with its α, optimizers and random source: one search (or one training of a fixed network). */
export class ProxylessSearch {
  alpha: number[][]
  readonly adam: AlphaAdam
  readonly sgd: WeightSgd
  readonly rng: SavableRng

  /** Data-parallel weight steps (attachTrainer); null = this thread trains. */
  private trainer: ParallelTrainer | null = null
  /** The trainer has stepped since this thread's variables last took its weights. */
  private stale = false

  constructor(
    readonly net: Supernet,
    readonly settings: SearchSettings
  ) {
    this.rng = new SavableRng(settings.seed * 7919 + 17)
    this.alpha = initAlpha(net.candidateCounts(), this.rng.next)
    this.adam = new AlphaAdam(net.candidateCounts(), settings.archLr)
    this.sgd = new WeightSgd(settings.lr, settings.momentum, settings.weightDecay)
  }

  probabilities(): number[][] {
    return this.alpha.map(softmax)
  }

  /** The derived network: argmax p per block. */
  derivedChoice(): number[] {
    return this.alpha.map((a) => a.indexOf(Math.max(...a)))
  }

  /** One SGD step on the weights along `choice`; returns the batch's cross-entropy and correct count. */
  weightStep(batch: Batch, choice: readonly number[], lr: number): { ce: number; correct: number } {
    this.sgd.lr = lr
    const vars = this.net.trainableFor(choice)
    const stats: BatchStat[] = []
    let correct = 0
    const ce = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, batch.shape)
      const onehot = tf.oneHot(tf.tensor1d(batch.y, 'int32'), this.net.space.classes) as tf.Tensor2D
      const { value, grads } = tf.variableGrads(() => {
        const logits = this.net.forward(x, choice, 'train', stats)
        correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(batch.y, 'int32')), 'float32')).dataSync()[0])
        return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar
      }, [...vars.values()])
      this.sgd.apply(vars, grads)
      return value.dataSync()[0]
    })
    Supernet.updateRunningStats(stats)
    return { ce, correct }
  }

  /**
   * Moves the weight steps onto `workers` training threads (one replica of this supernet each; gradients averaged,
   * one SGD step with this search's momentum and weight decay). Batch norm then normalises each worker's shard by its
   * own statistics. The α step, evaluation and export stay on this thread, which takes the trainer's weights first.
   */
  async attachTrainer(workers: number, log: (line: string) => void = () => undefined): Promise<void> {
    if (this.trainer) return
    const values = this.net.snapshot()
    const options: SupernetLossOptions = { space: this.net.space, opsPerBlock: this.net.blocks.map((b) => [...b.ops]) }
    this.trainer = await ParallelTrainer.create({
      layout: { params: [...this.net.variables].map(([key, v]) => ({ key, shape: [...v.shape] })), inputShape: [...this.net.space.inputShape] },
      weights: values,
      workers,
      seed: this.settings.seed,
      optimizer: { kind: 'sgd', lr: this.settings.lr, momentum: this.settings.momentum, weightDecay: this.settings.weightDecay },
      decay: (key) => key.endsWith('/kernel'), // as WeightSgd: kernels only
      loss: { module: supernetLossModule(), options },
      log
    })
    // Velocity this thread's optimizer had (a state loaded before attaching) moves to the trainer.
    const velocity = this.sgd.state()
    if (velocity.size > 0) this.trainer.loadOptimizerState([velocity])
    this.sgd.dispose()
  }

  /** Worker threads training the weights (1 = this thread). */
  get trainingWorkers(): number {
    return this.trainer?.workerCount ?? 1
  }

  /** This thread's variables take the trainer's weights (not the running statistics, which live here). */
  private sync(): void {
    if (!this.trainer || !this.stale) return
    const w = this.trainer.getWeights()
    for (const k of [...w.keys()]) if (isRunningStat(k)) w.delete(k)
    this.net.load(w)
    this.stale = false
  }

  /** One weight step along `choice`, on the trainer's workers when attached, else here. */
  async weightStepAsync(batch: Batch, choice: readonly number[], lr: number): Promise<{ ce: number; correct: number }> {
    if (!this.trainer) return this.weightStep(batch, choice, lr)
    const keys = [...this.net.trainableFor(choice).keys()]
    const context: SupernetStepContext = { choice: [...choice] }
    const ce = await this.trainer.trainStep(batch.x, batch.y, { update: keys, gradients: 'update', lr, context })
    this.stale = true
    // Running statistics ← EMA of the chunk-averaged batch statistics of the units on this path.
    const units = keys.filter((k) => k.endsWith('/kernel') && k !== 'logits/kernel').map((k) => k.slice(0, -'/kernel'.length))
    const batchStats = this.trainer.lastGradientOf(units.flatMap(statKeys))
    const stats: BatchStat[] = units.map((u) => {
      const [meanKey, varKey] = statKeys(u)
      const unit = this.unitByKey(u)
      return { unit, mean: tf.tensor(batchStats.get(meanKey) as Float32Array, unit.runMean.shape), variance: tf.tensor(batchStats.get(varKey) as Float32Array, unit.runVar.shape) }
    })
    Supernet.updateRunningStats(stats)
    return { ce, correct: this.trainer.lastCorrect ?? 0 }
  }

  private units: Map<string, ConvUnit> | null = null

  private unitByKey(key: string): ConvUnit {
    this.units ??= new Map([this.net.stem, ...this.net.first, ...this.net.blocks.flatMap((b) => b.units.flat()), this.net.head].map((u) => [u.key, u]))
    const u = this.units.get(key)
    if (!u) throw new LabError('internal', `The supernet has no unit "${key}".`)
    return u
  }

  /** One Adam step on α from a validation batch (Eq. 4 for CE through the gates, exact for E[lat]). */
  archStep(batch: Batch, objective: ArchObjective): { loss: number; ce: number; cost: number } {
    this.sync()
    const samples = this.alpha.map((a) => sampleGates(a, this.settings.gateMode, this.rng.next))
    const active = samples.map((s) => s.active)
    const involved = samples.map((s) => s.involved)
    const { ce, gateGrad } = tf.tidy(() => {
      const x = tf.tensor4d(batch.x, batch.shape)
      const onehot = tf.oneHot(tf.tensor1d(batch.y, 'int32'), this.net.space.classes) as tf.Tensor2D
      return this.net.gateGradients(x, onehot, active, involved)
    })
    const { loss, cost } = updateAlpha(this.alpha, this.adam, { ce, gateGrad, involved }, objective, this.settings.gateMode)
    return { loss, ce, cost }
  }

  /** One epoch of the phase: warm-up (random paths), search (alternating), or train (the only path). */
  async runEpoch(train: SplitView, validation: SplitView | null, opts: EpochOptions): Promise<{ loss: number; accuracy: number }> {
    const { batchSize, seed, archEvery } = this.settings
    const batches = [...iterateBatches(train, { batchSize, seed, epoch: opts.epoch + (opts.phase === 'search' ? 1000 : 0), shuffle: true, dropLast: train.indices.length >= batchSize })]
    if (batches.length === 0) throw new LabError('bad_request', 'The training split is empty; choose a larger training subset.')
    if (opts.phase === 'search' && (!validation || validation.indices.length === 0)) throw new LabError('bad_request', 'The search needs a validation split to train α; choose a validation subset of at least one image.')
    let valBatches: Batch[] = []
    let valNext = 0
    const nextValidation = (): Batch => {
      if (valNext >= valBatches.length) {
        valBatches = [...iterateBatches(validation as SplitView, { batchSize, seed, epoch: opts.epoch * 31 + valNext, shuffle: true })]
        valNext = 0
      }
      return valBatches[valNext++]
    }
    const total = batches.length * opts.epochs
    let ceSum = 0
    let correct = 0
    let seen = 0
    for (const [step, batch] of batches.entries()) {
      opts.signal?.throwIfAborted()
      const globalStep = opts.epoch * batches.length + step
      const lr = 0.5 * this.settings.lr * (1 + Math.cos((Math.PI * globalStep) / total)) // cosine schedule
      const choice =
        opts.phase === 'warmup'
          ? this.alpha.map((a) => sampleIndex(a.map(() => 1), this.rng.next))
          : opts.phase === 'train'
            ? this.alpha.map(() => 0)
            : this.alpha.map((a) => sampleGates(a, this.settings.gateMode, this.rng.next).active)
      const r = await this.weightStepAsync(batch, choice, lr)
      ceSum += r.ce * batch.size
      correct += r.correct
      seen += batch.size
      if (opts.phase === 'search' && opts.objective && (step + 1) % archEvery === 0) this.archStep(nextValidation(), opts.objective)
      opts.onStep?.({
        phase: opts.phase,
        epoch: opts.epoch,
        step: step + 1,
        stepsPerEpoch: batches.length,
        loss: ceSum / seen,
        accuracy: correct / seen,
        expectedCost: opts.objective ? expectedCost(this.alpha, opts.objective.table) : null,
        probabilities: this.probabilities()
      })
    }
    this.sync()
    return { loss: ceSum / seen, accuracy: correct / seen }
  }

  saveState(): SearchState {
    this.sync()
    return {
      alpha: this.alpha.map((a) => [...a]),
      adam: this.adam.state(),
      rng: this.rng.state,
      weights: weightsToJson(this.net.snapshot()),
      velocity: weightsToJson(this.trainer ? touchedVelocity(this.trainer.optimizerState()[0]) : this.sgd.state())
    }
  }

  loadState(s: SearchState): void {
    this.alpha = s.alpha.map((a) => [...a])
    this.adam.load(s.adam)
    this.rng.state = s.rng
    this.net.load(weightsFromJson(s.weights))
    if (this.trainer) {
      this.trainer.setWeights(this.net.snapshot())
      const velocity = weightsFromJson(s.velocity)
      for (const k of [...velocity.keys()]) if (!this.net.variables.has(k)) velocity.delete(k)
      this.trainer.loadOptimizerState([velocity])
      this.stale = false
    } else {
      this.sgd.load(weightsFromJson(s.velocity), this.net.variables)
    }
  }

  /** Stops the training workers (if attached) and frees the variables. */
  async close(): Promise<void> {
    const t = this.trainer
    this.trainer = null
    await t?.dispose()
    this.dispose()
  }

  dispose(): void {
    if (this.trainer) void this.trainer.dispose()
    this.trainer = null
    this.sgd.dispose()
    this.net.dispose()
  }
}

/** Velocity of the parameters a step has moved (the rest is zero), as WeightSgd keeps it: the checkpoint stays small. */
function touchedVelocity(all: Weights): Weights {
  const out: Weights = new Map()
  for (const [k, v] of all) if (!isRunningStat(k) && v.some((x) => x !== 0)) out.set(k, v)
  return out
}

/**
 * The architecture update from one sampled step: CE's gate gradients → ∂CE/∂α (Eq. 4), plus the latency loss's exact
 * gradient through E[lat] (Eq. 5), one Adam step, and in two-path mode the rescaling of the two updated α.
 */
export function updateAlpha(
  alpha: number[][],
  adam: AlphaAdam,
  sample: { ce: number; gateGrad: number[][]; involved: number[][] },
  objective: ArchObjective,
  mode: GateMode
): { loss: number; cost: number } {
  const { ce, gateGrad, involved } = sample
  const ceGrad = alpha.map((a, b) => alphaGradFromGates(a, gateGrad[b], involved[b]))
  const cost = expectedCost(alpha, objective.table)
  // Two-path mode updates only the sampled α, so the latency gradient is restricted to them too.
  const costGrad = expectedCostGrad(alpha, objective.table).map((row, b) => row.map((g, i) => (involved[b].includes(i) ? g : 0)))
  const value = latencyLoss(ce, cost, objective.loss)
  const grad = combineAlphaGrad(ceGrad, costGrad, value)
  const before = alpha.map((a) => [...a])
  adam.step(alpha, grad)
  if (mode === 'two') alpha.forEach((a, b) => rescaleTwoPath(before[b], a, involved[b]))
  return { loss: value.loss, cost }
}

/** Top-1 accuracy of one path with batch norm in inference mode (running statistics). */
export function evaluate(net: Supernet, choice: readonly number[], view: SplitView, batchSize = 256): number {
  let correct = 0
  let n = 0
  for (const batch of iterateBatches(view, { batchSize, shuffle: false })) {
    correct += tf.tidy(() => {
      const logits = net.forward(tf.tensor4d(batch.x, batch.shape), choice, 'infer')
      return tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(batch.y, 'int32')), 'float32')).dataSync()[0]
    })
    n += batch.size
  }
  return n === 0 ? 0 : correct / n
}

/**
 * Re-estimates batch-norm running statistics of one path from training batches (forward only, no weight change):
 * a supernet's running statistics mix every path, so a derived network recomputes its own before evaluation.
 */
export function recalibrateBatchNorm(net: Supernet, choice: readonly number[], view: SplitView, batches = 8, batchSize = 128): void {
  const sums = new Map<string, { unit: ConvUnit; mean: tf.Tensor; variance: tf.Tensor; n: number }>()
  let b = 0
  for (const batch of iterateBatches(view, { batchSize, seed: 7, epoch: 0, shuffle: true })) {
    if (b++ >= batches) break
    const stats: BatchStat[] = []
    tf.tidy(() => {
      net.forward(tf.tensor4d(batch.x, batch.shape), choice, 'train', stats)
    })
    for (const s of stats) {
      const acc = sums.get(s.unit.key)
      if (!acc) sums.set(s.unit.key, { unit: s.unit, mean: s.mean, variance: s.variance, n: 1 })
      else {
        const mean = tf.add(acc.mean, s.mean)
        const variance = tf.add(acc.variance, s.variance)
        tf.dispose([acc.mean, acc.variance, s.mean, s.variance])
        Object.assign(acc, { mean, variance, n: acc.n + 1 })
      }
    }
  }
  for (const acc of sums.values()) {
    tf.tidy(() => {
      acc.unit.runMean.assign(tf.div(acc.mean, acc.n))
      acc.unit.runVar.assign(tf.div(acc.variance, acc.n))
    })
    tf.dispose([acc.mean, acc.variance])
  }
}
