// Messages between the ParallelTrainer (main thread) and its worker threads. Bulk data never travels in
// messages: weights, gradients and the batch live in SharedArrayBuffers that both sides view.
import type { TrainingBackend } from '../backend'

export interface ParamSlot {
  key: string
  shape: number[]
  /** Offset in floats inside the flat parameter vector. */
  offset: number
  size: number
}

export interface WorkerInit {
  index: number
  /** The IR network (JSON), or null when the trainer was given a parameter layout and a loss module instead. */
  netJson: string | null
  /** One image's shape [H, W, C]. */
  inputShape: number[]
  slots: ParamSlot[]
  paramCount: number
  /** Float32 [paramCount]: current weights, written by the main thread between steps. */
  weights: SharedArrayBuffer
  /** Int32 [1]: the next chunk of the current step to take (workers take chunks with Atomics.add). */
  counter: SharedArrayBuffer
  backend?: TrainingBackend
  nativeKernels?: boolean
  /** Absolute path of a module exporting createTrainingLoss; absent = the IR network's loss. */
  lossModule?: string
  lossOptions?: unknown
}

export type ToWorker =
  | { type: 'input'; images: SharedArrayBuffer; labels: SharedArrayBuffer }
  /** Float32 [chunks * paramCount]: the mean gradient of chunk i goes to row i, whichever worker computes it. */
  | { type: 'grads'; grads: SharedArrayBuffer }
  /** Chunk i is images [i*chunk, min(n, (i+1)*chunk)). */
  /**
   * `update`: the keys whose gradients the main thread will use (default every key); `reload`: keys whose shared
   * weights changed since this worker was last told (or 'all'), to load into its variables before computing.
   */
  | { type: 'step'; id: number; n: number; chunk: number; step: number; seed: number; context?: unknown; update?: string[]; reload: string[] | 'all' }
  | { type: 'eval'; id: number; start: number; end: number; chunk: number; seed: number; context?: unknown; reload: string[] | 'all' }
  | { type: 'close' }

export interface WorkerMemory {
  /** Live tensors in this worker's tfjs engine after the call. */
  numTensors: number
  /** Bytes of this worker's WebAssembly heap (its backend's memory), 0 on other backends. */
  wasmHeapBytes: number
  /** Resident set of the whole process, sampled in this worker (threads share one process). */
  rssBytes: number
  /** Peak resident set of the whole process so far (process.resourceUsage().maxRSS). */
  maxRssBytes: number
}

export type FromWorker =
  | { type: 'ready'; index: number; backend: TrainingBackend; nativeKernels: boolean; memory: WorkerMemory }
  /** Mean loss of each chunk this worker took, as [chunk index, loss, correct predictions (NaN if the loss does not say)]. */
  | { type: 'stepped'; id: number; losses: [number, number, number][]; memory: WorkerMemory }
  | { type: 'evaluated'; id: number; lossSum: number; correct: number; memory: WorkerMemory }
  | { type: 'failed'; id: number; message: string }
