// ParallelTrainer refuses bad options with a sentence before it starts any thread.
import * as fs from 'fs'
import { describe, expect, it } from 'vitest'
import { ParallelTrainer } from '../../../src/main/model/train/parallel'
import { referenceTrainingNet } from '../../../src/main/model/train/reference-net'

const net = referenceTrainingNet({ inputShape: [8, 8, 1] })
const threads = (): number => fs.readdirSync('/proc/self/task').length

describe('ParallelTrainer options', () => {
  it.each([
    [{ workers: 0 }, /Workers must be a whole number/],
    [{ chunk: 0 }, /chunk size must be a whole number/],
    [{ optimizer: { kind: 'sgd' as const, lr: -1 } }, /learning rate must be positive/],
    [{ weights: new Map([['stem/kernel', new Float32Array(3)]]) }, /./]
  ])('%o is refused', async (extra, message) => {
    const before = threads()
    await expect(ParallelTrainer.create({ net, optimizer: { kind: 'sgd', lr: 0.1 }, log: () => undefined, ...extra })).rejects.toThrow(message)
    expect(threads()).toBe(before)
  })
})
