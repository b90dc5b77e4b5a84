// Quantize: HAQ mixed-precision search (a DDPG agent picks fp32 / fp16 / int8 per layer) under a latency, energy or
// size budget, with the cost measured on the phone (or read from a per-layer table built from the phone), the
// uniform baselines measured beside it, and the best policies stored as candidates with their .tflite files.
import type { TrainingEngineInfo } from './engine'
import { z } from 'zod'
import { Id } from './core'

const BUDGET_PATTERN = /^\s*(latency|energy|size)\s*:\s*[0-9]*\.?[0-9]+(?:e[+-]?[0-9]+)?\s*[a-zA-Z%]*\s*$/i

/** Where the float model comes from: a stored candidate (e.g. from a NAS run) or a small-space architecture trained here. */
export const QuantizeModelSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('candidate'), candidateId: Id }).strict(),
  z
    .object({
      kind: z.literal('small'),
      /** Seven block ops, e.g. 'k3e3-k3e3-k5e3-zero-k3e6-k3e3-k3e3'. */
      arch: z.string().regex(/^[a-z0-9]+(-[a-z0-9]+){6}$/, 'must be seven block ops such as k3e3-k3e3-k5e3-zero-k3e6-k3e3-k3e3'),
      widthMult: z.number().min(0.25).max(2).default(0.5),
      /** 2 trains and runs about 4x faster than 1 (28x28 → 14x14 after the stem). */
      stemStride: z.union([z.literal(1), z.literal(2)]).default(2),
      /** Images for the quick float training (Adam, no batch norm). */
      trainImages: z.number().int().min(64).max(60_000).default(3000),
      trainEpochs: z.number().int().min(1).max(50).default(2)
    })
    .strict()
])
export type QuantizeModel = z.output<typeof QuantizeModelSchema>

export const QuantizeRequestSchema = z
  .object({
    serial: Id,
    model: QuantizeModelSchema,
    dataset: z.enum(['fashion-mnist', 'mnist', 'cifar10']).default('fashion-mnist'),
    /** 'latency:0.6' (a fraction of the measured fp32 cost), 'latency:6ms', 'energy:12mJ', 'size:200KB'. */
    budget: z.string().regex(BUDGET_PATTERN, 'must look like latency:0.6, latency:6ms, energy:0.5, or size:200KB').default('latency:0.8'),
    /** 'deploy' = fp32 / fp16 / int8 per layer (what phones run); 'linear' / 'kmeans' = 2–8 bit weights, size budgets only. */
    space: z.enum(['deploy', 'linear', 'kmeans']).default('deploy'),
    episodes: z.number().int().min(1).max(2000).default(16),
    warmupEpisodes: z.number().int().min(0).max(500).default(6),
    finetune: z
      .object({
        /** Images seen by each policy's short fine-tune (0 = none). */
        images: z.number().int().min(0).max(60_000).default(256),
        batchSize: z.number().int().min(1).max(512).default(32),
        lr: z.number().positive().max(1).default(1e-4)
      })
      .strict()
      .default({ images: 256, batchSize: 32, lr: 1e-4 }),
    /** Held-out images the accuracy is measured on. */
    evalImages: z.number().int().min(50).max(10_000).default(500),
    /** 'table' prices the budget walk from per-layer times (device measures the baselines and the best policies); 'device' measures every policy. */
    costSource: z.enum(['device', 'table']).default('table'),
    measure: z
      .object({
        runs: z.number().int().min(1).max(10_000).default(30),
        warmupRuns: z.number().int().min(0).max(1000).default(3),
        threads: z.number().int().min(1).max(64).default(1),
        energy: z.boolean().default(true)
      })
      .strict()
      .default({ runs: 30, warmupRuns: 3, threads: 1, energy: true }),
    /** How many of the best distinct policies become candidates (each measured on the device). */
    keepBest: z.number().int().min(1).max(10).default(2),
    seed: z.number().int().min(1).default(1)
  })
  .strict()
export type QuantizeRequest = z.output<typeof QuantizeRequestSchema>
export type QuantizeRequestInput = z.input<typeof QuantizeRequestSchema>

export type QuantPrecisionName = 'fp32' | 'fp16' | 'int8' | 'int16x8' | `${number}bit`

/** One episode of the search, as the live curves draw it. */
export interface QuantizeEpisode {
  episode: number
  /** Per quantizable layer, in network order: 'fp32' | 'fp16' | 'int8' (deploy) or e.g. '4bit' / '4/6bit'. */
  precisions: string[]
  accuracy: number
  reward: number
  latencyMs: number | null
  energyMj: number | null
  sizeBytes: number
  warmup: boolean
}

/** A policy exported and measured on the device: a uniform baseline or one of the best found. */
export interface QuantizeResultRow {
  name: string
  role: 'baseline' | 'best'
  candidateId: string | null
  precisions: string[]
  accuracy: number | null
  /** Measured on the device. */
  latencyMs: number | null
  energyMj: number | null
  sizeBytes: number
  /** What the table predicted for the same policy (null without a table). */
  tableLatencyMs: number | null
  tableEnergyMj: number | null
  /** (device − table) / device. */
  tableLatencyError: number | null
  withinBudget: boolean | null
  episode: number | null
  measurementId: string | null
}

export interface QuantizeLayerInfo {
  name: string
  op: 'conv2d' | 'depthwise_conv2d' | 'dense'
  macs: number
  params: number
}

export interface QuantizeReport {
  runId: string
  jobId: string | null
  state: string
  stage: string | null
  serial: string | null
  budget: { text: string; metric: 'latency' | 'energy' | 'size'; limit: number | null; unit: string } | null
  costSource: 'device' | 'table' | null
  space: 'deploy' | 'linear' | 'kmeans' | null
  accuracyFp: number | null
  layers: QuantizeLayerInfo[]
  episodes: QuantizeEpisode[]
  results: QuantizeResultRow[]
  notes: string[]
  /** What the job trained (fine-tuned) on; null before it started or for runs from before engines were recorded. */
  trainingEngine: TrainingEngineInfo | null
}

export const quantizeRequests = {
  'quantize.start': QuantizeRequestSchema,
  /** Per-episode records (live curves), baselines and best policies of one quantize run. */
  'quantize.episodes': z.object({ runId: Id }).strict(),
  /** The .tflite of a stored candidate (a baseline or a found policy), base64, for download. */
  'quantize.tflite': z.object({ candidateId: Id }).strict()
} as const

export interface QuantizeResponses {
  'quantize.start': import('./core').JobInfo
  'quantize.episodes': QuantizeReport
  'quantize.tflite': { name: string; fileName: string; base64: string; sizeBytes: number }
}
