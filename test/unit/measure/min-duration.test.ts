// benchmark_model's --min_secs as the virtual phone and "This computer" honour it: more timed runs until the steady
// phase lasts the minimum, the first pass's warm-up and start-up figures kept.
import { describe, expect, it } from 'vitest'
import { benchmarkForAtLeast } from '../../../src/main/devices/host/min-duration'
import type { HostBenchmarkResult, HostRunOptions, LoadedModel } from '../../../src/main/devices/host/runtime'

/** A model whose every run takes `msPerRun` (the n-th pass may run faster), recording each pass's options. */
function fakeModel(msPerRun: (pass: number) => number): { model: LoadedModel; passes: HostRunOptions[] } {
  const passes: HostRunOptions[] = []
  const model = {
    async benchmark(opts: HostRunOptions): Promise<HostBenchmarkResult> {
      const ms = msPerRun(passes.length)
      passes.push(opts)
      return {
        initMs: 7,
        firstMs: 3,
        warmup: { count: opts.warmupRuns, meanMs: 2 * ms, stdMs: 0, minMs: ms, maxMs: ms, medianMs: ms, percentilesMs: {} },
        steady: { count: opts.runs, meanMs: ms, stdMs: 0, minMs: ms, maxMs: ms, medianMs: ms, percentilesMs: {} },
        memory: { peakMb: 1 }
      } as unknown as HostBenchmarkResult
    }
  } as unknown as LoadedModel
  return { model, passes }
}

describe('benchmarkForAtLeast', () => {
  const opts: HostRunOptions = { threads: 1, runs: 20, warmupRuns: 3, profileOps: false }

  it('runs exactly the asked runs when they already last the minimum, or when no minimum is asked', async () => {
    const slow = fakeModel(() => 60)
    expect((await benchmarkForAtLeast(slow.model, opts, 1000))?.steady.count).toBe(20)
    expect(slow.passes).toHaveLength(1)
    const none = fakeModel(() => 0.1)
    expect((await benchmarkForAtLeast(none.model, opts, 0))?.steady.count).toBe(20)
    expect(none.passes).toHaveLength(1)
  })

  it('tops up a fast model to at least the minimum and keeps the first pass’s warm-up', async () => {
    const fast = fakeModel(() => 0.25)
    const r = await benchmarkForAtLeast(fast.model, opts, 1000)
    expect(r).not.toBeNull()
    expect(r!.steady.count * r!.steady.meanMs).toBeGreaterThanOrEqual(1000)
    expect(fast.passes[1].warmupRuns).toBe(0)
    expect(r!.warmup.count).toBe(3)
    expect(r!.initMs).toBe(7)
  })

  it('a second pass that runs faster than the estimate is topped up again', async () => {
    // 1 ms per run at first, then 0.5 ms: the 1,200-run estimate lasts 600 ms, so a third pass is needed.
    const speeding = fakeModel((pass) => (pass === 0 ? 1 : 0.5))
    const r = await benchmarkForAtLeast(speeding.model, opts, 1000)
    expect(speeding.passes.length).toBe(3)
    expect(r!.steady.count * r!.steady.meanMs).toBeGreaterThanOrEqual(1000)
  })

  it('stops between passes when cancelled', async () => {
    const fast = fakeModel(() => 0.25)
    expect(await benchmarkForAtLeast(fast.model, opts, 1000, () => true)).toBeNull()
    expect(fast.passes).toHaveLength(1)
  })
})
