// Chooses the TensorFlow.js backend for training: tfjs-node when installed, else WebAssembly (with the lab's
// gradient kernels), else the pure-JS cpu backend (correct but about 100x slower).
import * as path from 'path'
import * as tf from '@tensorflow/tfjs'
import { LabError } from '../../shared/errors'
import { registerWasmTrainingKernels } from './kernels'

export type TrainingBackend = 'tensorflow' | 'wasm' | 'cpu'

let wasmPrepared = false

/** Registers the wasm backend with its binaries located on disk (Node cannot fetch them by URL). */
export function prepareWasmBackend(): void {
  if (wasmPrepared) return
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const wasm = require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')
  const dir = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist')
  wasm.setWasmPaths(dir + path.sep)
  registerWasmTrainingKernels('wasm')
  wasmPrepared = true
}

function tryTfjsNode(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('@tensorflow/tfjs-node')
    return tf.findBackend('tensorflow') !== null
  } catch {
    return false
  }
}

async function use(name: TrainingBackend): Promise<boolean> {
  try {
    const ok = await tf.setBackend(name)
    await tf.ready()
    return ok && tf.getBackend() === name
  } catch {
    return false
  }
}

/**
 * Activates the fastest available backend, starting from `preferred` and falling back in the order
 * tensorflow → wasm → cpu. Returns the backend in use and logs the choice.
 */
export async function initTrainingBackend(preferred?: TrainingBackend, log: (line: string) => void = (l) => console.info(l)): Promise<TrainingBackend> {
  const order: TrainingBackend[] = ['tensorflow', 'wasm', 'cpu']
  const start = preferred === undefined ? 0 : order.indexOf(preferred)
  if (start < 0) throw new LabError('bad_request', `Unknown training backend "${String(preferred)}"; choose tensorflow, wasm or cpu.`, 'backend')
  for (const name of order.slice(start)) {
    if (name === 'tensorflow' && !tryTfjsNode()) continue
    if (name === 'wasm') {
      try {
        prepareWasmBackend()
      } catch {
        continue
      }
    }
    if (await use(name)) {
      const note = name === 'cpu' ? ' (pure JavaScript: training will be very slow)' : ''
      log(`TensorFlow.js training backend: ${name}${note}`)
      return name
    }
  }
  throw new LabError('internal', 'No TensorFlow.js backend could be started (tried tensorflow, wasm and cpu).')
}
