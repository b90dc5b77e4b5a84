// The training engine's backend: the fastest TensorFlow.js backend present (tfjs-node, then wasm, then cpu),
// with the lab's native WebAssembly kernels on top of wasm. A person overrides the choice with the option or
// the PROXYLESS_LAB_BACKEND environment variable (tensorflow | wasm | cpu); PROXYLESS_LAB_NATIVE_KERNELS=0
// keeps the composed (tfjs-op) gradient kernels instead of the native ones.
import * as os from 'os'
import * as tf from '@tensorflow/tfjs'
import type { TrainingEngineInfo } from '../../../shared/contract/engine'
import { LabError } from '../../../shared/errors'
import { initTrainingBackend, type TrainingBackend } from '../backend'
import { registerNativeTrainingKernels } from './native-kernels'

export const BACKEND_ENV = 'PROXYLESS_LAB_BACKEND'
export const NATIVE_KERNELS_ENV = 'PROXYLESS_LAB_NATIVE_KERNELS'
export const TRAIN_WORKERS_ENV = 'PROXYLESS_LAB_TRAIN_WORKERS'
const BACKENDS: readonly TrainingBackend[] = ['tensorflow', 'wasm', 'cpu']

export interface EngineOptions {
  /** Preferred backend; falls back to the next one (tensorflow → wasm → cpu) when it cannot start. */
  backend?: TrainingBackend
  /** Use the native wasm kernels (default true, or the env variable). */
  nativeKernels?: boolean
  log?: (line: string) => void
}

/** The backend and kernels a thread trains with (the same record the runs keep). */
export type EngineInfo = TrainingEngineInfo

function backendFromEnv(): TrainingBackend | undefined {
  const v = process.env[BACKEND_ENV]?.trim().toLowerCase()
  if (!v) return undefined
  if (!(BACKENDS as readonly string[]).includes(v)) {
    throw new LabError('bad_request', `${BACKEND_ENV}="${v}" is not a training backend; set it to tensorflow, wasm or cpu, or unset it.`, BACKEND_ENV)
  }
  return v as TrainingBackend
}

/** Starts the training backend in this thread (each worker calls it for its own tfjs instance). */
export async function initTrainingEngine(opts: EngineOptions = {}): Promise<EngineInfo> {
  const log = opts.log ?? ((l: string) => console.info(l))
  const preferred = opts.backend ?? backendFromEnv()
  const backend = await initTrainingBackend(preferred, () => undefined)
  const wantNative = opts.nativeKernels ?? process.env[NATIVE_KERNELS_ENV] !== '0'
  let nativeKernels = false
  if (backend === 'wasm' && wantNative) {
    try {
      nativeKernels = registerNativeTrainingKernels('wasm')
    } catch (e) {
      // A missing or broken .wasm costs speed, not the run: the composed kernels compute the same gradients.
      log(`The lab's native training kernels could not load (${e instanceof Error ? e.message : String(e)}); training uses the composed kernels, 2-3x slower.`)
    }
  }
  const how = preferred ? `requested ${preferred}` : 'fastest available'
  const kernels = backend === 'wasm' ? (nativeKernels ? ', native SIMD gradient kernels' : ', composed gradient kernels') : ''
  const slow = backend === 'cpu' ? ' (pure JavaScript: training will be very slow)' : ''
  log(`Training engine: TensorFlow.js ${backend} backend (${how}${kernels})${slow}`)
  if (tf.getBackend() !== backend) throw new LabError('internal', `The ${backend} backend was chosen but ${tf.getBackend()} is active.`)
  return { backend, nativeKernels }
}

/** Worker threads for data-parallel training: PROXYLESS_LAB_TRAIN_WORKERS when set (1..256), else one per core. */
export function trainingWorkers(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env[TRAIN_WORKERS_ENV]?.trim()
  if (!raw) return Math.max(1, os.cpus().length)
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > 256) {
    throw new LabError('bad_request', `${TRAIN_WORKERS_ENV}="${raw}" is not a worker count; set it to a whole number from 1 to 256, or unset it to use one per core.`, TRAIN_WORKERS_ENV)
  }
  return n
}

/**
 * Workers for data-parallel steps of `batchSize` images: the cores available (trainingWorkers()), but no shard below
 * `minShard` images. Smaller shards cost more in fixed per-step work (and memory: each worker holds a replica and
 * its own wasm heap) than they save, and batch-norm statistics need enough images per shard.
 */
export function shardWorkers(cores: number, batchSize: number, minShard: number): number {
  return Math.max(1, Math.min(cores, Math.floor(batchSize / Math.max(1, minShard))))
}
