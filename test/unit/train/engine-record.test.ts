// The training engine a run records: read back with validation, described in words for the window and the CLI.
import { describe, expect, it } from 'vitest'
import { describeTrainingEngine, readTrainingEngine } from '../../../src/shared/contract/engine'

describe('training engine record', () => {
  it('reads a stored record and refuses anything else', () => {
    expect(readTrainingEngine({ backend: 'wasm', nativeKernels: true })).toEqual({ backend: 'wasm', nativeKernels: true })
    expect(readTrainingEngine({ backend: 'tensorflow', nativeKernels: false, extra: 1 })).toEqual({ backend: 'tensorflow', nativeKernels: false })
    expect(readTrainingEngine(undefined)).toBeNull()
    expect(readTrainingEngine('wasm')).toBeNull()
    expect(readTrainingEngine({ backend: 'webgl', nativeKernels: false })).toBeNull()
    expect(readTrainingEngine({ backend: 'wasm' })).toBeNull()
  })
  it('keeps a valid worker count and drops a broken one', () => {
    expect(readTrainingEngine({ backend: 'wasm', nativeKernels: true, workers: 2 })).toEqual({ backend: 'wasm', nativeKernels: true, workers: 2 })
    expect(readTrainingEngine({ backend: 'wasm', nativeKernels: true, workers: 0 })).toEqual({ backend: 'wasm', nativeKernels: true })
    expect(readTrainingEngine({ backend: 'wasm', nativeKernels: true, workers: '2' })).toEqual({ backend: 'wasm', nativeKernels: true })
    expect(describeTrainingEngine({ backend: 'wasm', nativeKernels: true, workers: 2 })).toBe("TensorFlow.js wasm backend with the lab's native SIMD gradient kernels, data-parallel on 2 worker threads")
    expect(describeTrainingEngine({ backend: 'wasm', nativeKernels: true, workers: 1 })).not.toMatch(/worker/)
  })
  it('says which backend and kernels in words', () => {
    expect(describeTrainingEngine({ backend: 'wasm', nativeKernels: true })).toBe("TensorFlow.js wasm backend with the lab's native SIMD gradient kernels")
    expect(describeTrainingEngine({ backend: 'wasm', nativeKernels: false })).toMatch(/composed gradient kernels/)
    expect(describeTrainingEngine({ backend: 'tensorflow', nativeKernels: false })).toMatch(/tfjs-node/)
    expect(describeTrainingEngine({ backend: 'cpu', nativeKernels: false })).toMatch(/very slow/)
  })
})

describe('training worker count', () => {
  it('is one per core unless PROXYLESS_LAB_TRAIN_WORKERS says otherwise, and refuses a bad value with a sentence', async () => {
    const os = await import('node:os')
    const { trainingWorkers } = await import('../../../src/main/model/train/engine')
    expect(trainingWorkers({})).toBe(os.cpus().length)
    expect(trainingWorkers({ PROXYLESS_LAB_TRAIN_WORKERS: '3' })).toBe(3)
    expect(() => trainingWorkers({ PROXYLESS_LAB_TRAIN_WORKERS: '0' })).toThrow(/whole number from 1 to 256/)
    expect(() => trainingWorkers({ PROXYLESS_LAB_TRAIN_WORKERS: 'two' })).toThrow(/PROXYLESS_LAB_TRAIN_WORKERS="two"/)
  })
})

describe('shard workers', () => {
  it('uses the cores but keeps every shard at least minShard images', async () => {
    const { shardWorkers } = await import('../../../src/main/model/train/engine')
    expect(shardWorkers(16, 32, 16)).toBe(2)
    expect(shardWorkers(2, 32, 16)).toBe(2)
    expect(shardWorkers(16, 256, 16)).toBe(16)
    expect(shardWorkers(8, 8, 16)).toBe(1)
    expect(shardWorkers(1, 256, 16)).toBe(1)
  })
})
