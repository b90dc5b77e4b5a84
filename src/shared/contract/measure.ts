// Measurements: what any Target (a phone over adb, the virtual phone, this computer) reports for one .tflite run.
import { z } from 'zod'

export const DelegateSchema = z.enum(['none', 'xnnpack', 'gpu', 'nnapi'])
export type Delegate = z.infer<typeof DelegateSchema>

export const BenchmarkSettingsSchema = z
  .object({
    threads: z.number().int().min(1).max(64).default(1),
    runs: z.number().int().min(1).max(100_000).default(50),
    warmupRuns: z.number().int().min(0).max(10_000).default(5),
    /**
     * The timed runs last at least this long (benchmark_model's --min_secs; the tool's own default is 1 s): more runs
     * of a sub-millisecond model than `runs` alone, so one busy moment of the device moves the median less. With
     * energy on, at least 12 battery samples and 1 s. 0 = exactly `runs`.
     */
    minSecs: z.number().min(0).max(150).default(0),
    /** taskset mask in hex (e.g. 'f0' = cores 4-7); null = no pinning. */
    cpuMaskHex: z.string().regex(/^[0-9a-fA-F]{1,16}$/, 'must be a hex CPU mask such as f0').nullable().default(null),
    delegate: DelegateSchema.default('none'),
    profileOps: z.boolean().default(false),
    energy: z.boolean().default(false),
    /** Energy sampling period on the device. */
    energySampleMs: z.number().int().min(10).max(5_000).default(100)
  })
  .strict()
export type BenchmarkSettings = z.output<typeof BenchmarkSettingsSchema>
export type BenchmarkSettingsInput = z.input<typeof BenchmarkSettingsSchema>

export interface LatencyStats {
  count: number
  meanMs: number
  stdMs: number | null
  minMs: number | null
  maxMs: number | null
  medianMs: number | null
  /** Percentiles as printed by the tool, keyed by percentile ('50', '90', '95', '99', ...). */
  percentilesMs: Record<string, number>
}

/**
 * The latency a table or a candidate uses: the median of the timed runs where the tool printed it (one run slowed by
 * another process or a GC pause moves the mean, not the median), else the mean.
 */
export function typicalLatencyMs(s: LatencyStats): number {
  return s.medianMs !== null && Number.isFinite(s.medianMs) ? s.medianMs : s.meanMs
}

export interface OpTiming {
  /** Position in the run order, or null where the tool does not say. */
  index: number | null
  nodeType: string
  name: string
  firstMs: number | null
  avgMs: number
  percent: number | null
  timesCalled: number | null
  /** 'tflite' for a TFLite node, 'delegate' for an operator inside a delegate (e.g. an XNNPACK op). */
  source: 'tflite' | 'delegate'
}

export interface MemoryFootprint {
  initMb: number | null
  overallMb: number | null
  peakMb: number | null
}

export interface EnergyEstimate {
  energyPerInferenceMj: number
  /** One standard error of the per-inference energy. */
  uncertaintyMj: number
  idlePowerMw: number
  activePowerMw: number
  samples: number
  /** False when the figure should not be trusted (e.g. USB charging during the run). */
  reliable: boolean
  unreliableReason: string | null
  /** True when the battery readings come from a power model (virtual phone), not a real battery. */
  modelled: boolean
}

export interface Measurement {
  serial: string
  /** The benchmark tool and its version, e.g. 'benchmark_model 2.17' or 'host tflite-wasm'. */
  tool: string
  settings: BenchmarkSettings
  modelSha256: string
  modelBytes: number
  initMs: number | null
  firstMs: number | null
  warmup: LatencyStats | null
  steady: LatencyStats
  ops: OpTiming[]
  memory: MemoryFootprint
  energy: EnergyEstimate | null
  temperaturesC: { before: Record<string, number>; after: Record<string, number> }
  /** Things the person should know: delegate fell back, throttling, etc. */
  warnings: string[]
  exitCode: number | null
  measuredAt: number
  durationMs: number
}
