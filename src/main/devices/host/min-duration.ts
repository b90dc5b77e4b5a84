// Timed runs for at least a given time, as benchmark_model's --min_secs asks: after the requested runs, while the
// steady phase is shorter than the minimum, run again with enough runs (estimated from the mean so far, +20%) and
// keep the longer pass's statistics. Used by the virtual phone's benchmark_model and by "This computer".
import type { HostBenchmarkResult, HostRunOptions, LoadedModel } from './runtime'

/** Most timed runs one pass may ask for (the real tool's --max_secs caps it too). */
const MAX_RUNS = 100_000

/**
 * `model.benchmark(opts)`, then longer passes until the timed runs last `minMs` (a few passes at most: a pass that
 * runs faster than the estimate falls short). Null when `aborted()` turns true between passes.
 */
export async function benchmarkForAtLeast(model: LoadedModel, opts: HostRunOptions, minMs: number, aborted: () => boolean = () => false): Promise<HostBenchmarkResult | null> {
  let result = await model.benchmark(opts)
  const first = result
  for (let pass = 0; pass < 4 && minMs > 0 && result.steady.meanMs > 0 && result.steady.count * result.steady.meanMs < minMs; pass++) {
    const runs = Math.min(MAX_RUNS, Math.max(result.steady.count + 1, Math.ceil((minMs / result.steady.meanMs) * 1.2)))
    if (aborted()) return null
    const longer = await model.benchmark({ ...opts, runs, warmupRuns: 0 })
    result = { ...longer, initMs: first.initMs, firstMs: first.firstMs, warmup: first.warmup, memory: first.memory }
    if (runs >= MAX_RUNS) break
  }
  return result
}
