// The latency tables and candidates use: the median where the tool printed one (robust to a run slowed by another
// process), else the mean.
import { describe, expect, it } from 'vitest'
import { typicalLatencyMs, type LatencyStats } from '../../../src/shared/contract/measure'

const stats = (over: Partial<LatencyStats>): LatencyStats => ({ count: 5, meanMs: 4, stdMs: 3, minMs: 1, maxMs: 10, medianMs: 2, percentilesMs: {}, ...over })

describe('typical latency', () => {
  it('is the median when printed, so one slow run does not move it', () => {
    expect(typicalLatencyMs(stats({}))).toBe(2)
  })
  it('falls back to the mean for tools that print no median', () => {
    expect(typicalLatencyMs(stats({ medianMs: null }))).toBe(4)
    expect(typicalLatencyMs(stats({ medianMs: Number.NaN }))).toBe(4)
  })
})
