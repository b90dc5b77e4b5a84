import { describe, expect, it } from 'vitest'
import * as tf from '@tensorflow/tfjs'
import { initTrainingBackend } from '../../../src/main/model/backend'

describe('training backend', () => {
  it('falls back from tfjs-node (not installed here) to wasm and says so', async () => {
    const lines: string[] = []
    expect(await initTrainingBackend('tensorflow', (l) => lines.push(l))).toBe('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(lines).toEqual(['TensorFlow.js training backend: wasm'])
    // The wasm backend really computes (its binary was found on disk).
    expect(Array.from(tf.tidy(() => tf.conv2d(tf.ones([1, 3, 3, 1]) as tf.Tensor4D, tf.ones([3, 3, 1, 1]) as tf.Tensor4D, 1, 'same').dataSync()))).toEqual([4, 6, 4, 6, 9, 6, 4, 6, 4])
  })

  it('honours an explicit cpu choice and warns that it is slow', async () => {
    const lines: string[] = []
    expect(await initTrainingBackend('cpu', (l) => lines.push(l))).toBe('cpu')
    expect(tf.getBackend()).toBe('cpu')
    expect(lines[0]).toMatch(/cpu \(pure JavaScript: training will be very slow\)/)
  })

  it('rejects an unknown backend name', async () => {
    await expect(initTrainingBackend('webgpu' as never, () => {})).rejects.toThrow(/Unknown training backend "webgpu"/)
  })
})
