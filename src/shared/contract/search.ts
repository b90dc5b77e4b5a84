// Search: a ProxylessNAS run driven by a device's measured lookup table, producing candidates that are trained,
// exported (fp32 and int8), measured on the same device and stored beside their predicted latency and energy.
import { z } from 'zod'
import { Id, type JobInfo, type JobState } from './core'
import { BenchmarkSettingsSchema, type Measurement } from './measure'
import type { TrainingEngineInfo } from './engine'

const MBCONV = z.enum(['k3e3', 'k3e6', 'k5e3', 'k5e6', 'k7e3', 'k7e6'])

export const SearchBaselineSchema = z
  .object({
    /** The op every searchable block uses. */
    op: MBCONV,
    widthMult: z.number().min(0.25).max(2)
  })
  .strict()
export type SearchBaseline = z.infer<typeof SearchBaselineSchema>

const positive = z.number().positive().max(1e6)

// Defaults: a fast search on Fashion-MNIST on 2 cores (a few thousand images, a few epochs, about ten minutes).
export const SearchRequestSchema = z
  .object({
    serial: Id,
    /** Lookup table from a profile of this device; left out, the search first measures each block on the device. */
    tableId: Id.optional(),
    dataset: z.enum(['fashion-mnist', 'mnist', 'cifar10']).default('fashion-mnist'),
    space: z.enum(['small', 'mobile']).default('small'),
    widthMult: z.number().min(0.25).max(2).default(1),
    /** Stem stride of the small space: 2 trains about 4x faster than 1. */
    stemStride: z.union([z.literal(1), z.literal(2)]).default(2),
    /** One search per target (ms, latency objective); a Pareto set in one run. */
    targetsMs: z.array(positive).max(10).default([]),
    /** One search per target (mJ, energy objective). */
    targetsMj: z.array(positive).max(10).default([]),
    /** One search per λ of the 'add#linear' loss (with the first target, or the cost of the uniform k3e6 network). */
    lambdas: z.array(z.number().min(0).max(100)).max(10).default([]),
    objective: z.enum(['latency', 'energy']).default('latency'),
    /**
     * 'abs#linear' (default): CE + λ·|E[lat]/T − 1| with λ = 1, which pulls the expected latency towards the target
     * from both sides (the absolute-value reward of TuNAS), so each target of a sweep gives a different network.
     * 'mul#log' (α 0.2, β 0.3) and 'add#linear' (λ 0.1) are ProxylessNAS's forms: they always push towards cheaper
     * blocks and the target only scales the push, so short searches derive the same network for every target.
     */
    lossForm: z.enum(['abs#linear', 'mul#log', 'add#linear']).default('abs#linear'),
    /**
     * How the network is taken from the probabilities: 'within-target' (default) is the most probable network whose
     * predicted cost is 90–100% of the target (else the most probable one under it); 'argmax' is the paper's
     * per-block argmax, which after a short search is mostly decided by the latency term alone.
     * λ sweeps always take the argmax.
     */
    derive: z.enum(['within-target', 'argmax']).default('within-target'),
    gateMode: z.enum(['full_v2', 'two']).default('full_v2'),
    epochs: z
      .object({
        warmup: z.number().int().min(0).max(500).default(2),
        search: z.number().int().min(1).max(500).default(2),
        retrain: z.number().int().min(0).max(500).default(3),
        /**
         * Epochs of each baseline. Left out: as many as a searched network's weights get — warm-up + search +
         * retrain when the derived network inherits the supernet's weights, retrain when it starts from scratch —
         * so a searched network never wins by having been trained longer.
         */
        baseline: z.number().int().min(0).max(500).optional()
      })
      .strict()
      .default({ warmup: 2, search: 2, retrain: 3 }),
    batchSize: z.number().int().min(2).max(1024).default(64),
    lr: z.number().positive().max(10).default(0.1),
    archLr: z.number().positive().max(1).default(1e-3),
    archEvery: z.number().int().min(1).max(1000).default(5),
    subset: z
      .object({
        train: z.number().int().min(10).default(4000),
        validation: z.number().int().min(10).default(1000),
        test: z.number().int().min(10).default(2000)
      })
      .strict()
      .default({ train: 4000, validation: 1000, test: 2000 }),
    /**
     * Retrain the derived network from scratch (default; the paper's protocol, and the baselines train the same
     * epochs), or start from the supernet's weights ('inherit': fewer epochs per candidate, but measured here it
     * ended 1–3 points below baselines given as many epochs as its weights had seen).
     */
    retrain: z.enum(['scratch', 'inherit']).default('scratch'),
    baselines: z.array(SearchBaselineSchema).max(12).default([
      { op: 'k3e6', widthMult: 0.5 },
      { op: 'k3e3', widthMult: 1 },
      { op: 'k5e6', widthMult: 1 }
    ]),
    precisions: z.array(z.enum(['fp32', 'int8'])).min(1).default(['fp32', 'int8']),
    /** Test images the int8 file's accuracy is measured on (run in the host's TFLite runtime). */
    int8EvalImages: z.number().int().min(0).max(10_000).default(300),
    benchmark: BenchmarkSettingsSchema.default(BenchmarkSettingsSchema.parse({ runs: 20, warmupRuns: 3, minSecs: 1 })),
    name: z.string().max(200).optional(),
    seed: z.number().int().min(1).default(1)
  })
  .strict()
export type SearchRequest = z.output<typeof SearchRequestSchema>
export type SearchRequestInput = z.input<typeof SearchRequestSchema>

/** Where a candidate came from. */
export type CandidateOrigin =
  | { kind: 'search'; target: number; unit: 'ms' | 'mJ'; lambda: number | null; lossForm: string; probabilities: number[][] }
  | { kind: 'baseline'; op: string; widthMult: number }

export interface CandidateArchitecture {
  space: string
  input: string
  widthMult: number
  stemStride: number
  /** Compact form 'k3e6-zero-…'. */
  architecture: string
  origin: CandidateOrigin
}

export interface CandidateInfo {
  id: string
  runId: string
  name: string
  architecture: CandidateArchitecture
  precision: 'fp32' | 'int8'
  /** Test accuracy (0..1) of this precision (int8: the int8 file run in the host's TFLite runtime on `int8EvalImages` test images). */
  accuracy: number | null
  sizeBytes: number
  macs: number
  predictedLatencyMs: number | null
  predictedEnergyMj: number | null
  /** The latest measurement on the search's device. */
  measuredLatencyMs: number | null
  measuredEnergyMj: number | null
  createdAt: number
}

export interface CandidateDetail extends CandidateInfo {
  measurements: { id: string; measurement: Measurement }[]
}

// ---- the history a search run keeps (run settings 'history'), read back with search.history ----

/** One phase of a search job: warm-up, a search for one target, the retraining of its network, a baseline. */
export interface SearchHistoryPhase {
  kind: 'warmup' | 'search' | 'retrain' | 'baseline'
  label: string
  /** The phase's target (search and retrain) in the objective's unit, else null. */
  target: number | null
  lambda: number | null
  /** The step (x) at which the phase began. */
  firstStep: number
}

/** One recorded training step; a point every few steps and the last step of every epoch are kept. */
export interface SearchHistoryPoint {
  /** Training steps since the job began, over all phases: the charts' x axis. */
  step: number
  /** Index into the phases. */
  phase: number
  /** 1-based epoch of the phase. */
  epoch: number
  /** Mean cross-entropy and accuracy over the epoch so far. */
  loss: number
  accuracy: number
  /** E[latency] (ms) or E[energy] (mJ) of the current α; null outside searches. */
  expectedCost: number | null
  epochEnd: boolean
}

/** Op probabilities p = softmax(α) of every block, with each block's candidate ops in the same order. */
export interface SearchProbabilities {
  phase: number
  ops: string[][]
  values: number[][]
}

/** The network a search derived (the most likely op per block), before it is retrained and measured. */
export interface SearchDerivedArchitecture {
  phase: number
  target: number
  lambda: number | null
  unit: 'ms' | 'mJ'
  /** Compact form 'k3e6-zero-…', one op per searchable block. */
  architecture: string
  /** Its cost from the lookup table, in `unit`. */
  predicted: number
  probabilities: SearchProbabilities
}

/** What a search job records in its run's settings under 'history'. */
export interface SearchHistoryRecord {
  version: 1
  unit: 'ms' | 'mJ'
  phases: (SearchHistoryPhase | null)[]
  points: SearchHistoryPoint[]
  /** The newest probabilities of the newest search phase. */
  probabilities: SearchProbabilities | null
  derived: SearchDerivedArchitecture[]
  /** Steps of finished epochs: the next epoch's steps count on from here. */
  stepsDone: number
  /** One point is kept every `stride` steps (doubled each time the points reach their cap). */
  stride: number
}

export interface SearchHistory {
  runId: string
  name: string
  serial: string | null
  /** The job's state while the lab knows the job, else the run's status. */
  state: JobState
  jobId: string | null
  stage: string | null
  /** The request the run was started with (defaults filled in); null for a run this lab version cannot read. */
  request: SearchRequest | null
  /** What the job trained on (null before it started, or for runs from before engines were recorded). */
  trainingEngine: TrainingEngineInfo | null
  objective: 'latency' | 'energy'
  unit: 'ms' | 'mJ'
  /** By index, as points refer to them (null: a phase recorded before this lab kept histories). */
  phases: (SearchHistoryPhase | null)[]
  points: SearchHistoryPoint[]
  probabilities: SearchProbabilities | null
  derived: SearchDerivedArchitecture[]
}

export const SearchHistoryRequestSchema = z.object({ runId: Id }).strict()

export const searchRequests = {
  'search.start': SearchRequestSchema,
  'search.history': SearchHistoryRequestSchema,
  'candidates.list': z.object({ runId: Id.optional() }).strict(),
  'candidates.get': z.object({ id: Id }).strict()
} as const

export interface SearchResponses {
  'search.start': JobInfo
  'search.history': SearchHistory
  'candidates.list': CandidateInfo[]
  'candidates.get': CandidateDetail
}

/** What a finished search job returns. */
export interface SearchResult {
  runId: string
  candidates: CandidateInfo[]
  bestAccuracy: number | null
}

/** Per-step progress counters a view may show (JobProgress.counters). */
export interface SearchProgressCounters {
  epoch: number
  step: number
  stepsPerEpoch: number
  loss: number
  accuracy: number
  expectedLatencyMs: number
}
