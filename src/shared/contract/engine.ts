// Which TensorFlow.js backend a job trained on: recorded in the run so the window, the CLI and a later comparison
// can say it (a search on tfjs-node and one on the wasm backend take very different times for the same work).

export type TrainingBackendName = 'tensorflow' | 'wasm' | 'cpu'

export interface TrainingEngineInfo {
  backend: TrainingBackendName
  /** True when the lab's native WebAssembly SIMD gradient kernels are registered (wasm only). */
  nativeKernels: boolean
  /** Worker threads that trained data-parallel (one replica per core); absent where one thread trained. */
  workers?: number
}

/** "TensorFlow.js wasm backend with the lab's native SIMD gradient kernels", and so on. */
export function describeTrainingEngine(e: TrainingEngineInfo): string {
  const on = e.workers !== undefined && e.workers > 1 ? `, data-parallel on ${e.workers} worker threads` : ''
  if (e.backend === 'tensorflow') return `TensorFlow.js tensorflow backend (tfjs-node, libtensorflow)${on}`
  if (e.backend === 'cpu') return `TensorFlow.js cpu backend (pure JavaScript, very slow)${on}`
  return `TensorFlow.js wasm backend with ${e.nativeKernels ? "the lab's native SIMD gradient kernels" : 'composed gradient kernels'}${on}`
}

/** A stored engine record, or null when the value is missing or not one (runs from before engines were recorded). */
export function readTrainingEngine(value: unknown): TrainingEngineInfo | null {
  if (!value || typeof value !== 'object') return null
  const v = value as Record<string, unknown>
  if (v.backend !== 'tensorflow' && v.backend !== 'wasm' && v.backend !== 'cpu') return null
  if (typeof v.nativeKernels !== 'boolean') return null
  const info: TrainingEngineInfo = { backend: v.backend, nativeKernels: v.nativeKernels }
  if (typeof v.workers === 'number' && Number.isInteger(v.workers) && v.workers >= 1) info.workers = v.workers
  return info
}
