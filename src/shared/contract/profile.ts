// Profile: measure every distinct block of a search space on a device, keep the lookup table, predict network
// latency (and energy) from it, and check the prediction against fresh end-to-end measurements.
import { z } from 'zod'
import { Id } from './core'
import { BenchmarkSettingsSchema } from './measure'

export const ProfileMethodSchema = z.enum(['packed', 'per-block', 'both'])
export type ProfileMethod = z.infer<typeof ProfileMethodSchema>

export const ProfileRequestSchema = z
  .object({
    serial: Id,
    space: z.enum(['mobile', 'small']),
    /** For the small space: which input it is built for. */
    input: z.enum(['fashion-mnist', 'cifar10']).optional(),
    widthMult: z.number().min(0.25).max(2).optional(),
    /**
     * Stride of the small space's stem. Left out: 2 for the small space, the search's default (a table serves the
     * searches of the space it was measured for), 1 for the mobile space (whose stem is set by its recipe).
     */
    stemStride: z.union([z.literal(1), z.literal(2)]).optional(),
    /** 'packed' = many blocks per probe model timed from op profiling; 'per-block' = one model per block; 'both' compares. */
    method: ProfileMethodSchema.default('packed'),
    precision: z.enum(['fp32', 'fp16', 'int8']).default('fp32'),
    settings: BenchmarkSettingsSchema.default(BenchmarkSettingsSchema.parse({ runs: 30, warmupRuns: 5 })),
    /** Pause between models so the phone cools (ms). */
    coolDownMs: z.number().int().min(0).max(600_000).default(0),
    /** Random networks measured end to end to check the predictor (0 = skip the check). */
    checkNetworks: z.number().int().min(0).max(1000).default(30),
    /**
     * Passes over every probe (or block) and check network. Each pass measures everything once, so a slow spell
     * of the device lands on one pass of many models; entries and network times are the median over passes.
     */
    rounds: z.number().int().min(1).max(20).default(3),
    seed: z.number().int().min(1).default(1)
  })
  .strict()
export type ProfileRequest = z.output<typeof ProfileRequestSchema>

/** One row of a lookup table, in the ProxylessNAS / Once-for-All scheme (key → count, mean, std). */
export interface LutEntry {
  key: string
  /** 'block' for a searchable block, 'fixed' for stem/first block/head/classifier. */
  kind: 'block' | 'fixed'
  count: number
  meanMs: number
  stdMs: number
  /** Energy per inference when measured. */
  energyMj: number | null
  energyStdMj: number | null
  /** Parsed from the key for views: stage, kernel, expansion, stride, input/output shapes. */
  stage: number | null
  kernel: number | null
  expand: number | null
  stride: number | null
  inputShape: number[] | null
  outputShape: number[] | null
}

export interface PredictionCheck {
  networks: number
  /** Share of networks whose predicted latency is within ±10% of the measured one (0..1). */
  within10Pct: number
  rmseMs: number
  kendallTau: number
  /** Fitted per-device overhead added to every prediction (ms). */
  overheadMs: number
  /** Fitted factor on the table's sum (prediction = scale · Σ + overhead); 1 (or absent, older checks) = sum as is. */
  scale?: number
  /** The same for energy (mJ), when both the table and the measurements have energy. */
  overheadMj?: number | null
  scaleMj?: number | null
  /** True when the figures and points are leave-one-out predictions (each network predicted by a fit without it). */
  outOfSample?: boolean
  points: { architecture: string; predictedMs: number; measuredMs: number; predictedMj: number | null; measuredMj: number | null }[]
}

/** The check's fitted predictor in words: "1.080 × table sum + 0.120 ms" (or "table sum + 0.120 ms" at scale 1). */
export function describeCalibration(check: Pick<PredictionCheck, 'overheadMs' | 'scale'>, digits = 3): string {
  const scale = check.scale ?? 1
  const sign = check.overheadMs < 0 ? '−' : '+'
  const sum = Math.abs(scale - 1) < 1e-9 ? 'table sum' : `${scale.toFixed(3)} × table sum`
  return `${sum} ${sign} ${Math.abs(check.overheadMs).toFixed(digits)} ms`
}

export interface LookupTableSummary {
  id: string
  deviceSerial: string
  deviceLabel: string
  space: string
  method: ProfileMethod
  precision: string
  settings: unknown
  entries: number
  createdAt: number
  runId: string | null
  check: PredictionCheck | null
  /** Wall time of profiling by each method (ms), when measured. */
  durationMs: { packed: number | null; perBlock: number | null }
  source: 'measured' | 'imported'
  /**
   * The variant of the space the table was measured for (a search with it must use the same). Tables from before
   * these were recorded: stride 1, width 1.
   */
  spaceOptions?: { input?: string; widthMult: number; stemStride: 1 | 2 }
  /** With method 'both': how far the per-block entries are from the packed ones, and the per-block table's check. */
  agreement?: MethodAgreement | null
}

export interface MethodAgreement {
  keys: number
  /** Median of |packed − per-block| / per-block over the keys (%). */
  medianAbsDiffPct: number
  /** Share of keys whose packed entry is within ±10% of the per-block one (0..1). */
  within10Pct: number
  /** The prediction check computed with the per-block entries on the same measured networks. */
  perBlockCheck: Omit<PredictionCheck, 'points'> | null
}

export interface LookupTable extends LookupTableSummary {
  rows: LutEntry[]
}

export const profileRequests = {
  'profile.start': ProfileRequestSchema,
  'tables.list': z.object({ serial: Id.optional(), space: z.string().optional() }).strict(),
  'tables.get': z.object({ id: Id }).strict(),
  'tables.export': z.object({ id: Id }).strict(),
  'tables.import': z
    .object({
      yaml: z.string().min(1).max(20_000_000),
      serial: Id,
      space: z.enum(['mobile', 'small']),
      name: z.string().max(200).optional()
    })
    .strict(),
  /** Predict a network's latency/energy from a table. */
  'tables.predict': z.object({ id: Id, architecture: z.string().min(1).max(2000) }).strict()
} as const

export interface ProfileResponses {
  'profile.start': import('./core').JobInfo
  'tables.list': LookupTableSummary[]
  'tables.get': LookupTable
  /** YAML text in the ProxylessNAS / OFA key scheme. */
  'tables.export': { yaml: string; fileName: string }
  'tables.import': LookupTableSummary
  'tables.predict': { latencyMs: number; energyMj: number | null; missingKeys: string[] }
}
