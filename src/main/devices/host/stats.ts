// Latency statistics in the shape the benchmark tool reports them.
import type { LatencyStats } from '../../../shared/contract/measure'

/** Linear-interpolated percentile of sorted values, p in [0, 100]. */
function percentile(sorted: number[], p: number): number {
  const pos = ((sorted.length - 1) * p) / 100
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo)
}

/** mean, population std, min, max, median and p50/p90/p95/p99 of latencies in ms. */
export function latencyStats(samplesMs: number[]): LatencyStats {
  const n = samplesMs.length
  if (n === 0) return { count: 0, meanMs: 0, stdMs: null, minMs: null, maxMs: null, medianMs: null, percentilesMs: {} }
  const sorted = [...samplesMs].sort((a, b) => a - b)
  const meanMs = sorted.reduce((a, b) => a + b, 0) / n
  const variance = sorted.reduce((a, b) => a + (b - meanMs) ** 2, 0) / n
  const percentilesMs: Record<string, number> = {}
  for (const p of [5, 50, 90, 95, 99]) percentilesMs[String(p)] = percentile(sorted, p)
  return {
    count: n,
    meanMs,
    stdMs: Math.sqrt(variance),
    minMs: sorted[0],
    maxMs: sorted[n - 1],
    medianMs: percentile(sorted, 50),
    percentilesMs
  }
}
