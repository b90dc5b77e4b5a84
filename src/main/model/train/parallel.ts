// Synchronous data-parallel training across CPU cores. N worker threads each hold a replica of the model on
// their own tfjs backend. Each step the batch is cut into contiguous chunks (by default one per worker);
// workers take chunks from a shared counter, so a worker that is late or descheduled takes fewer, and write
// chunk i's mean gradient into row i of a shared buffer. The main thread averages the rows weighted by chunk
// size, summing in chunk order (so the result never depends on which thread did what, or when), and applies
// ONE optimizer update to the shared weights, which every replica loads before its next step. With a fixed
// `chunk`, results are bit-identical for any number of workers.
//
// Extension point: `loss: { module, options }` names a module exporting `createTrainingLoss` (see loss.ts).
// The NAS supernet reuses all of this by giving its supernet parameters as `weights` and a module whose
// forward samples paths from StepContext.seed.
import * as os from 'os'
import * as path from 'path'
import { besideBundle } from '../../paths'
import { Worker } from 'worker_threads'
import { LabError } from '../../../shared/errors'
import type { TrainingBackend } from '../backend'
import { initWeights, networkToJson, validateNetwork, weightSpecs, type Network, type Weights } from '../ir'
import { createOptimizer, type FlatOptimizer, type Range, type OptimizerConfig } from './optimizer'
import type { FromWorker, ParamSlot, ToWorker, WorkerInit, WorkerMemory } from './protocol'

export type { OptimizerConfig } from './optimizer'
export type { WorkerMemory } from './protocol'

/** Parameters of a model that is not an IR network (the NAS supernet): keys, shapes and one image's shape. */
export interface ParamLayout {
  params: { key: string; shape: number[] }[]
  inputShape: number[]
}

export interface ParallelTrainerOptions {
  /** The IR network to train with the default loss; or give `layout`, `weights` and a `loss` module instead. */
  net?: Network
  layout?: ParamLayout
  /** Initial weights (IR keys, or the layout's keys); default initWeights(net, seed). */
  weights?: Weights
  /** Where weight decay applies (by key); default every parameter. */
  decay?: (key: string) => boolean
  /** Worker threads; default the number of CPU cores. */
  workers?: number
  optimizer: OptimizerConfig
  /**
   * Images per chunk (the unit of work a worker takes). Default: ceil(batch / workers), i.e. one chunk per
   * worker. A fixed value makes results independent of the number of workers; smaller chunks balance better
   * on a busy machine but cost some speed per image.
   */
  chunk?: number
  /** ≥ 1. Seeds the default weights and the per-step seeds given to the loss. */
  seed?: number
  backend?: TrainingBackend
  nativeKernels?: boolean
  /** Custom forward/loss: absolute path of a module exporting createTrainingLoss, and its options. */
  loss?: { module: string; options?: unknown }
  log?: (line: string) => void
}

export interface StepOptions {
  /** Keys to update this step (others keep their values and optimizer state); default every key. */
  update?: ReadonlySet<string> | readonly string[]
  /** Learning rate of this step (a schedule); default the optimizer's. */
  lr?: number
  /** Given to the loss of every chunk as StepContext.extra (structured-cloned), e.g. the path a NAS step trains. */
  context?: unknown
  /**
   * 'all' (default): workers compute every parameter's gradient, so lastGradient() has them all. 'update': only the
   * updated keys' (a supernet step trains one path of many; the rest would be work for nothing).
   */
  gradients?: 'all' | 'update'
}

export interface EvaluationResult {
  loss: number
  accuracy: number
  count: number
}

interface Pending {
  resolve: (m: FromWorker) => void
  reject: (e: Error) => void
}

/** The worker script: a bundled train-worker.js beside this file, else the TS source through tsx's CJS hooks. */
function workerScript(): { file: string; execArgv: string[] } {
  const js = besideBundle(__dirname, 'train-worker.js')
  if (js) return { file: js, execArgv: [] }
  return { file: path.join(__dirname, 'worker.ts'), execArgv: ['--require', 'tsx/cjs'] }
}

/** Contiguous shards [start, end) of n items over k workers, sizes differing by at most one. */
export function shardRanges(n: number, k: number): [number, number][] {
  const out: [number, number][] = []
  let start = 0
  for (let i = 0; i < k; i++) {
    const size = Math.floor(n / k) + (i < n % k ? 1 : 0)
    out.push([start, start + size])
    start += size
  }
  return out
}

export class ParallelTrainer {
  readonly net: Network | null
  readonly workerCount: number
  /** Backend the workers run (all the same). */
  readonly backend: TrainingBackend
  readonly nativeKernels: boolean
  private readonly slots: ParamSlot[]
  private readonly weights: Float32Array
  private gradRows = new Float32Array(new SharedArrayBuffer(0))
  private readonly counter: Int32Array
  private readonly paramCount: number
  private readonly chunk?: number
  private readonly grad: Float64Array
  private readonly optimizer: FlatOptimizer
  private readonly seed: number
  private readonly imageSize: number
  private readonly inputShape: number[]
  private images = new Float32Array(new SharedArrayBuffer(0))
  private labels = new Int32Array(new SharedArrayBuffer(0))
  private nextId = 1
  private step = 0
  private disposed = false
  private failure: Error | null = null
  private readonly pending = new Map<number, Pending>()
  private readonly memory: WorkerMemory[]
  private live: number
  private correct: number | null = null
  /** Per worker: keys whose weights changed since that worker was last told ('all' at the start). */
  private readonly stale: (Set<string> | 'all')[]
  /** The last step's chunks: their share of the batch, for reading chunk-averaged values later. */
  private lastShares: number[] = []
  private readonly slotByKey: Map<string, ParamSlot>

  private constructor(
    opts: ParallelTrainerOptions,
    private readonly workers: Worker[],
    ready: Extract<FromWorker, { type: 'ready' }>[],
    shared: { slots: ParamSlot[]; weights: Float32Array; counter: SharedArrayBuffer; paramCount: number; optimizer: FlatOptimizer }
  ) {
    this.net = opts.net ?? null
    this.workerCount = workers.length
    this.backend = ready[0].backend
    this.nativeKernels = ready[0].nativeKernels
    this.slots = shared.slots
    this.weights = shared.weights
    this.counter = new Int32Array(shared.counter)
    this.paramCount = shared.paramCount
    this.chunk = opts.chunk
    this.grad = new Float64Array(shared.paramCount)
    this.optimizer = shared.optimizer
    this.seed = opts.seed ?? 1
    this.inputShape = opts.net ? opts.net.input.shape : (opts.layout as ParamLayout).inputShape
    this.imageSize = this.inputShape.reduce((a, b) => a * b, 1)
    this.memory = ready.map((r) => r.memory)
    this.stale = workers.map(() => 'all' as const)
    this.slotByKey = new Map(shared.slots.map((sl) => [sl.key, sl]))
    this.live = workers.length
    workers.forEach((w) => {
      w.on('message', (m: FromWorker) => this.onMessage(m))
      w.on('error', (e) => this.fail(new LabError('internal', `A training worker crashed: ${e.message}`)))
      w.on('exit', (code) => {
        this.live--
        if (!this.disposed) this.fail(new LabError('internal', `A training worker exited unexpectedly (code ${code}).`))
      })
    })
  }

  /** Starts the workers (each loads tfjs and its backend) and waits until all are ready. */
  static async create(opts: ParallelTrainerOptions): Promise<ParallelTrainer> {
    const seed = opts.seed ?? 1
    const workerCount = opts.workers ?? os.cpus().length
    if (!Number.isInteger(workerCount) || workerCount < 1) throw new LabError('bad_request', `Workers must be a whole number of at least 1, got ${workerCount}.`, 'workers')
    if (!opts.net === !opts.layout) throw new LabError('bad_request', 'Give the trainer either an IR network or a parameter layout with weights and a loss module, not both.')
    let specs: { key: string; shape: number[] }[]
    let init: Weights
    if (opts.net) {
      const shapes = validateNetwork(opts.net, opts.weights)
      specs = weightSpecs(opts.net, shapes)
      init = opts.weights ?? initWeights(opts.net, seed)
    } else {
      const layout = opts.layout as ParamLayout
      if (!opts.weights || !opts.loss) throw new LabError('bad_request', 'A trainer created from a parameter layout needs its initial weights and a loss module.')
      specs = layout.params
      init = opts.weights
      for (const p of specs) {
        const w = init.get(p.key)
        const size = p.shape.reduce((a, b) => a * b, 1)
        if (!w || w.length !== size) throw new LabError('bad_request', `Initial weights for "${p.key}" must hold ${size} values; got ${w ? w.length : 'none'}.`, 'weights')
      }
    }
    const slots: ParamSlot[] = []
    let paramCount = 0
    for (const s of specs) {
      const size = s.shape.reduce((a, b) => a * b, 1)
      slots.push({ key: s.key, shape: s.shape, offset: paramCount, size })
      paramCount += size
    }
    // Everything that can be refused is checked before any thread starts.
    if (opts.chunk !== undefined && !(Number.isInteger(opts.chunk) && opts.chunk >= 1)) throw new LabError('bad_request', `The chunk size must be a whole number of at least 1, got ${opts.chunk}.`, 'chunk')
    let decayMask: Uint8Array | undefined
    if (opts.decay) {
      decayMask = new Uint8Array(paramCount)
      for (const sl of slots) if (opts.decay(sl.key)) decayMask.fill(1, sl.offset, sl.offset + sl.size)
    }
    const optimizer = createOptimizer(opts.optimizer, paramCount, decayMask)
    const weightsSab = new SharedArrayBuffer(paramCount * 4)
    const weights = new Float32Array(weightsSab)
    for (const s of slots) weights.set(init.get(s.key) as Float32Array, s.offset)
    const counter = new SharedArrayBuffer(4)
    const script = workerScript()
    const netJson = opts.net ? networkToJson(opts.net) : null
    const inputShape = opts.net ? opts.net.input.shape : (opts.layout as ParamLayout).inputShape
    const workers: Worker[] = []
    const ready = await Promise.all(
      Array.from({ length: workerCount }, (_, index) => {
        const data: WorkerInit = {
          index, netJson, inputShape, slots, paramCount, weights: weightsSab, counter,
          backend: opts.backend, nativeKernels: opts.nativeKernels, lossModule: opts.loss?.module, lossOptions: opts.loss?.options
        }
        const w = new Worker(script.file, { execArgv: script.execArgv, workerData: data })
        workers.push(w)
        return new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
          w.once('message', (m: FromWorker) => {
            if (m.type === 'ready') resolve(m)
            else reject(new LabError('internal', `Training worker ${index} could not start: ${m.type === 'failed' ? m.message : m.type}`))
          })
          w.once('error', (e) => reject(new LabError('internal', `Training worker ${index} could not start: ${e.message}`)))
          w.once('exit', (code) => reject(new LabError('internal', `Training worker ${index} exited (code ${code}) before it was ready.`)))
        })
      })
    ).catch(async (e: unknown) => {
      await Promise.all(workers.map((w) => w.terminate()))
      throw e
    })
    const trainer = new ParallelTrainer(opts, workers, ready, { slots, weights, counter, paramCount, optimizer })
    const note = trainer.nativeKernels ? ' with native kernels' : ''
    ;(opts.log ?? ((l: string) => console.info(l)))(`Parallel trainer: ${workerCount} worker(s) on the ${trainer.backend} backend${note}, ${paramCount} parameters`)
    return trainer
  }

  private onMessage(m: FromWorker): void {
    if (m.type === 'ready') return
    const p = this.pending.get(m.id)
    if (!p) {
      if (m.type === 'failed') this.fail(new LabError('internal', `A training worker failed: ${m.message}`))
      return
    }
    this.pending.delete(m.id)
    if (m.type === 'failed') p.reject(new LabError('internal', `A training worker failed: ${m.message}`))
    else p.resolve(m)
  }

  private fail(e: Error): void {
    this.failure ??= e
    for (const p of this.pending.values()) p.reject(e)
    this.pending.clear()
  }

  private request(worker: number, msg: ToWorker & { id: number }): Promise<FromWorker> {
    return new Promise((resolve, reject) => {
      this.pending.set(msg.id, { resolve, reject })
      this.workers[worker].postMessage(msg)
    })
  }

  private usable(): void {
    if (this.disposed) throw new LabError('conflict', 'This trainer has been disposed; create a new one.')
    if (this.failure) throw this.failure
  }

  /** Copies a batch into the shared input buffers (growing them, and telling the workers, when needed). */
  private load(xs: Float32Array, labels: ArrayLike<number>): number {
    const n = labels.length
    if (xs.length !== n * this.imageSize) {
      throw new LabError('bad_request', `Expected ${n} images of ${this.imageSize} values (${this.inputShape.join('x')}), got ${xs.length} values for ${n} labels.`)
    }
    if (this.labels.length < n) {
      this.images = new Float32Array(new SharedArrayBuffer(n * this.imageSize * 4))
      this.labels = new Int32Array(new SharedArrayBuffer(n * 4))
      for (const w of this.workers) w.postMessage({ type: 'input', images: this.images.buffer, labels: this.labels.buffer } satisfies ToWorker)
    }
    this.images.set(xs)
    for (let i = 0; i < n; i++) this.labels[i] = labels[i]
    return n
  }

  /** The update's keys (validated) and their ranges in the flat vector; undefined = every parameter. */
  private updateOf(update: StepOptions['update']): { keys: string[]; ranges: Range[] } | undefined {
    if (!update) return undefined
    const keys = [...new Set(update)]
    for (const k of keys) if (!this.slotByKey.has(k)) throw new LabError('bad_request', `"${k}" is not a parameter of this trainer.`, 'update')
    // Merged [start, end) ranges of the keys' slots, in offset order (no mask over a million parameters).
    const slots = keys.map((k) => this.slotByKey.get(k) as ParamSlot).sort((x, y) => x.offset - y.offset)
    const ranges: [number, number][] = []
    for (const sl of slots) {
      const last = ranges[ranges.length - 1]
      if (last && last[1] === sl.offset) last[1] += sl.size
      else ranges.push([sl.offset, sl.offset + sl.size])
    }
    return { keys, ranges }
  }

  /** Marks keys (or everything) as changed for every worker. */
  private changed(keys: readonly string[] | 'all'): void {
    for (let i = 0; i < this.stale.length; i++) {
      const st = this.stale[i]
      if (st === 'all') continue
      if (keys === 'all') this.stale[i] = 'all'
      else for (const k of keys) st.add(k)
    }
  }

  /** What worker i must reload before its next computation; resets its record. */
  private takeReload(i: number): string[] | 'all' {
    const st = this.stale[i]
    this.stale[i] = new Set()
    return st === 'all' ? 'all' : [...st]
  }

  /**
   * One synchronous SGD/Adam step on the batch; returns the batch's mean loss (before the update).
   * `update` limits the step to some parameters (e.g. weights but not architecture parameters, or the reverse).
   */
  async trainStep(xs: Float32Array, labels: ArrayLike<number>, opts: StepOptions = {}): Promise<number> {
    this.usable()
    const n = this.load(xs, labels)
    if (n === 0) throw new LabError('bad_request', 'A training step needs at least one image.')
    const stepSeed = (this.seed * 1_000_003 + this.step) >>> 0 || 1
    const chunk = this.chunk ?? Math.ceil(n / this.workerCount)
    const chunks = Math.ceil(n / chunk)
    const p = this.paramCount
    if (this.gradRows.length < chunks * p) {
      this.gradRows = new Float32Array(new SharedArrayBuffer(chunks * p * 4))
      for (const w of this.workers) w.postMessage({ type: 'grads', grads: this.gradRows.buffer } satisfies ToWorker)
    }
    Atomics.store(this.counter, 0, 0)
    if (opts.lr !== undefined && !(opts.lr >= 0)) throw new LabError('bad_request', `The learning rate must be 0 or more, got ${opts.lr}.`, 'lr')
    const update = this.updateOf(opts.update)
    const replies = await Promise.all(
      this.workers.map((_, i) => this.request(i, { type: 'step', id: this.nextId++, n, chunk, step: this.step, seed: stepSeed, context: opts.context, update: opts.gradients === 'update' ? update?.keys : undefined, reload: this.takeReload(i) }))
    )
    const chunkLoss = new Float64Array(chunks)
    const done = new Uint8Array(chunks)
    let correct: number | null = 0
    replies.forEach((r, i) => {
      if (r.type !== 'stepped') return
      for (const [c, l, k] of r.losses) {
        chunkLoss[c] = l
        done[c] = 1
        correct = correct === null || Number.isNaN(k) ? null : correct + k
      }
      this.memory[i] = r.memory
    })
    // Fixed-order weighted average: chunk 0 first, then 1, ... whichever worker computed them, whenever. Only the
    // updated parameters: a supernet step touches one path of a million parameters.
    const ranges: readonly Range[] = update?.ranges ?? [[0, p]]
    const shares: number[] = []
    let loss = 0
    for (let c = 0; c < chunks; c++) {
      if (!done[c]) throw new LabError('internal', `Chunk ${c} of step ${this.step} was not computed by any worker.`)
      shares.push((Math.min(n, (c + 1) * chunk) - c * chunk) / n)
      loss += shares[c] * chunkLoss[c]
    }
    for (const [start, end] of ranges) {
      this.grad.fill(0, start, end)
      for (let c = 0; c < chunks; c++) {
        const row = this.gradRows.subarray(c * p, (c + 1) * p)
        const share = shares[c]
        for (let j = start; j < end; j++) this.grad[j] += share * row[j]
      }
    }
    this.lastShares = shares
    this.optimizer.apply(this.weights, this.grad, ranges, opts.lr)
    this.changed(update ? update.keys : 'all')
    this.correct = correct
    this.step++
    return loss
  }

  /** Correct top-1 predictions in the last step's batch, where the loss reports them (ChunkAux.correct); else null. */
  get lastCorrect(): number | null {
    return this.correct
  }

  /**
   * The last step's chunk-averaged gradient (or ChunkAux value) of some keys, as fresh copies. After a step with
   * `gradients: 'update'`, only the updated keys and the keys its loss reported hold this step's values.
   */
  lastGradientOf(keys: Iterable<string>): Weights {
    const out: Weights = new Map()
    const p = this.paramCount
    for (const k of keys) {
      const s = this.slotByKey.get(k)
      if (!s) throw new LabError('bad_request', `"${k}" is not a parameter of this trainer.`, 'keys')
      const acc = new Float64Array(s.size)
      this.lastShares.forEach((share, c) => {
        const row = this.gradRows.subarray(c * p + s.offset, c * p + s.offset + s.size)
        for (let j = 0; j < s.size; j++) acc[j] += share * row[j]
      })
      out.set(k, Float32Array.from(acc))
    }
    return out
  }

  /** The optimizer's state per key (SGD: velocity; Adam: m, v and step counts as parts 0..2), fresh copies. */
  optimizerState(): Weights[] {
    return this.optimizer.exportState().map((flat) => {
      const out: Weights = new Map()
      for (const s of this.slots) out.set(s.key, flat.slice(s.offset, s.offset + s.size))
      return out
    })
  }

  /** Restores optimizer state saved by optimizerState(); keys it lacks start from zero. */
  loadOptimizerState(parts: readonly Weights[]): void {
    const flat = parts.map((part) => {
      const a = new Float32Array(this.paramCount)
      for (const [k, v] of part) {
        const s = this.slotByKey.get(k)
        if (!s) throw new LabError('bad_request', `Saved optimizer state has "${k}", which is not a parameter of this trainer.`, 'optimizer')
        if (v.length !== s.size) throw new LabError('bad_request', `Saved optimizer state of "${k}" has ${v.length} values; the parameter has ${s.size}.`, 'optimizer')
        a.set(v, s.offset)
      }
      return a
    })
    this.optimizer.importState(flat)
  }

  /** Mean softmax cross-entropy and accuracy over the given images (split across workers, chunks of `chunk`). */
  /** `context` reaches the loss's logits() as StepContext.extra (e.g. the supernet path to evaluate). */
  async evaluate(xs: Float32Array, labels: ArrayLike<number>, chunk = 256, context?: unknown): Promise<EvaluationResult> {
    this.usable()
    const n = this.load(xs, labels)
    if (n === 0) return { loss: NaN, accuracy: NaN, count: 0 }
    const shards = shardRanges(n, this.workerCount)
    const replies = await Promise.all(
      shards.map(([start, end], i) => (end > start ? this.request(i, { type: 'eval', id: this.nextId++, start, end, chunk, seed: this.seed, context, reload: this.takeReload(i) }) : Promise.resolve(null)))
    )
    let lossSum = 0
    let correct = 0
    replies.forEach((r, i) => {
      if (!r || r.type !== 'evaluated') return
      lossSum += r.lossSum
      correct += r.correct
      this.memory[i] = r.memory
    })
    return { loss: lossSum / n, accuracy: correct / n, count: n }
  }

  /** The batch-mean gradient of the last step, per key (fresh copies); for updates done outside the trainer. */
  lastGradient(): Weights {
    return this.lastGradientOf(this.slots.map((s) => s.key))
  }

  /** Overwrites some parameters (keys as in getWeights); the workers use them from the next step on. */
  setWeights(values: Weights): void {
    this.usable()
    for (const [k, v] of values) {
      const s = this.slotByKey.get(k)
      if (!s) throw new LabError('bad_request', `"${k}" is not a parameter of this trainer.`, 'weights')
      if (v.length !== s.size) throw new LabError('bad_request', `"${k}" has ${s.size} values; got ${v.length}.`, 'weights')
    }
    for (const [k, v] of values) this.weights.set(v, (this.slotByKey.get(k) as ParamSlot).offset)
    this.changed([...values.keys()])
  }

  /** Current weights as IR weights (fresh copies). */
  getWeights(): Weights {
    const out: Weights = new Map()
    for (const s of this.slots) out.set(s.key, this.weights.slice(s.offset, s.offset + s.size))
    return out
  }

  /** Worker threads that have not exited yet (0 after dispose). */
  get liveWorkers(): number {
    return this.live
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.step
  }

  /** Memory of each worker as of its last reply (tensors, wasm heap, process RSS and peak RSS). */
  workerMemory(): WorkerMemory[] {
    return this.memory.map((m) => ({ ...m }))
  }

  /** Stops the workers and waits until their threads have exited. */
  async dispose(): Promise<void> {
    if (this.disposed) return
    this.disposed = true
    this.fail(new LabError('cancelled', 'The trainer was disposed while a step was running.'))
    await Promise.all(
      this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            const timer = setTimeout(() => void w.terminate().then(() => resolve()), 2000)
            w.once('exit', () => {
              clearTimeout(timer)
              resolve()
            })
            w.postMessage({ type: 'close' } satisfies ToWorker)
          })
      )
    )
  }
}
