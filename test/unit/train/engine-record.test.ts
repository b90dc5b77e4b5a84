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
  it('says which backend and kernels in words', () => {
    expect(describeTrainingEngine({ backend: 'wasm', nativeKernels: true })).toBe("TensorFlow.js wasm backend with the lab's native SIMD gradient kernels")
    expect(describeTrainingEngine({ backend: 'wasm', nativeKernels: false })).toMatch(/composed gradient kernels/)
    expect(describeTrainingEngine({ backend: 'tensorflow', nativeKernels: false })).toMatch(/tfjs-node/)
    expect(describeTrainingEngine({ backend: 'cpu', nativeKernels: false })).toMatch(/very slow/)
  })
})
