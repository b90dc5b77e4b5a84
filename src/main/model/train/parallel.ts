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
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import { Worker } from 'worker_threads'
import { LabError } from '../../../shared/errors'
import type { TrainingBackend } from '../backend'
import { initWeights, networkToJson, validateNetwork, weightSpecs, type Network, type Weights } from '../ir'
import { createOptimizer, type FlatOptimizer, type OptimizerConfig } from './optimizer'
import type { FromWorker, ParamSlot, ToWorker, WorkerInit, WorkerMemory } from './protocol'

export type { OptimizerConfig } from './optimizer'
export type { WorkerMemory } from './protocol'

export interface ParallelTrainerOptions {
  net: Network
  /** Initial weights (IR keys); default initWeights(net, seed). */
  weights?: Weights
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
  const js = path.join(__dirname, 'train-worker.js')
  if (fs.existsSync(js)) return { file: js, execArgv: [] }
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
  readonly net: Network
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
  private images = new Float32Array(new SharedArrayBuffer(0))
  private labels = new Int32Array(new SharedArrayBuffer(0))
  private nextId = 1
  private step = 0
  private disposed = false
  private failure: Error | null = null
  private readonly pending = new Map<number, Pending>()
  private readonly memory: WorkerMemory[]
  private live: number

  private constructor(
    opts: ParallelTrainerOptions,
    private readonly workers: Worker[],
    ready: Extract<FromWorker, { type: 'ready' }>[],
    shared: { slots: ParamSlot[]; weights: Float32Array; counter: SharedArrayBuffer; paramCount: number; optimizer: FlatOptimizer }
  ) {
    this.net = opts.net
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
    this.imageSize = opts.net.input.shape.reduce((a, b) => a * b, 1)
    this.memory = ready.map((r) => r.memory)
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
    const shapes = validateNetwork(opts.net, opts.weights)
    const init = opts.weights ?? initWeights(opts.net, seed)
    const slots: ParamSlot[] = []
    let paramCount = 0
    for (const s of weightSpecs(opts.net, shapes)) {
      const size = s.shape.reduce((a, b) => a * b, 1)
      slots.push({ key: s.key, shape: s.shape, offset: paramCount, size })
      paramCount += size
    }
    // Everything that can be refused is checked before any thread starts.
    if (opts.chunk !== undefined && !(Number.isInteger(opts.chunk) && opts.chunk >= 1)) throw new LabError('bad_request', `The chunk size must be a whole number of at least 1, got ${opts.chunk}.`, 'chunk')
    const optimizer = createOptimizer(opts.optimizer, paramCount)
    const weightsSab = new SharedArrayBuffer(paramCount * 4)
    const weights = new Float32Array(weightsSab)
    for (const s of slots) weights.set(init.get(s.key) as Float32Array, s.offset)
    const counter = new SharedArrayBuffer(4)
    const script = workerScript()
    const netJson = networkToJson(opts.net)
    const workers: Worker[] = []
    const ready = await Promise.all(
      Array.from({ length: workerCount }, (_, index) => {
        const data: WorkerInit = {
          index, netJson, slots, paramCount, weights: weightsSab, counter,
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
      throw new LabError('bad_request', `Expected ${n} images of ${this.imageSize} values (${this.net.input.shape.join('x')}), got ${xs.length} values for ${n} labels.`)
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

  private maskFor(update: StepOptions['update']): Uint8Array | undefined {
    if (!update) return undefined
    const keys = new Set(update)
    const mask = new Uint8Array(this.paramCount)
    for (const s of this.slots) if (keys.has(s.key)) mask.fill(1, s.offset, s.offset + s.size)
    for (const k of keys) if (!this.slots.some((s) => s.key === k)) throw new LabError('bad_request', `"${k}" is not a parameter of this trainer.`, 'update')
    return mask
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
    const replies = await Promise.all(this.workers.map((_, i) => this.request(i, { type: 'step', id: this.nextId++, n, chunk, step: this.step, seed: stepSeed })))
    const chunkLoss = new Float64Array(chunks)
    const done = new Uint8Array(chunks)
    replies.forEach((r, i) => {
      if (r.type !== 'stepped') return
      for (const [c, l] of r.losses) {
        chunkLoss[c] = l
        done[c] = 1
      }
      this.memory[i] = r.memory
    })
    // Fixed-order weighted average: chunk 0 first, then 1, ... whichever worker computed them, whenever.
    this.grad.fill(0)
    let loss = 0
    for (let c = 0; c < chunks; c++) {
      if (!done[c]) throw new LabError('internal', `Chunk ${c} of step ${this.step} was not computed by any worker.`)
      const share = (Math.min(n, (c + 1) * chunk) - c * chunk) / n
      const row = this.gradRows.subarray(c * p, (c + 1) * p)
      for (let j = 0; j < p; j++) this.grad[j] += share * row[j]
      loss += share * chunkLoss[c]
    }
    this.optimizer.apply(this.weights, this.grad, this.maskFor(opts.update))
    this.step++
    return loss
  }

  /** Mean softmax cross-entropy and accuracy over the given images (split across workers, chunks of `chunk`). */
  async evaluate(xs: Float32Array, labels: ArrayLike<number>, chunk = 256): Promise<EvaluationResult> {
    this.usable()
    const n = this.load(xs, labels)
    if (n === 0) return { loss: NaN, accuracy: NaN, count: 0 }
    const shards = shardRanges(n, this.workerCount)
    const replies = await Promise.all(
      shards.map(([start, end], i) => (end > start ? this.request(i, { type: 'eval', id: this.nextId++, start, end, chunk, seed: this.seed }) : Promise.resolve(null)))
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
    const out: Weights = new Map()
    for (const s of this.slots) out.set(s.key, Float32Array.from(this.grad.subarray(s.offset, s.offset + s.size)))
    return out
  }

  /** Overwrites some parameters (keys as in getWeights); the workers use them from the next step on. */
  setWeights(values: Weights): void {
    this.usable()
    for (const [k, v] of values) {
      const s = this.slots.find((x) => x.key === k)
      if (!s) throw new LabError('bad_request', `"${k}" is not a parameter of this trainer.`, 'weights')
      if (v.length !== s.size) throw new LabError('bad_request', `"${k}" has ${s.size} values; got ${v.length}.`, 'weights')
    }
    for (const [k, v] of values) this.weights.set(v, (this.slots.find((x) => x.key === k) as ParamSlot).offset)
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
