// Runs, candidates and Compare: run bookkeeping (rename, tag, delete with undo, export, import), candidate pages
// (figures on every device, .tflite download, re-measure) and Pareto fronts of accuracy vs measured latency/energy.
import { z } from 'zod'
import type { Attainment } from '../pareto'
import { Id, type RunSummary } from './core'
import { BenchmarkSettingsSchema, type Measurement } from './measure'

export const CompareObjectiveSchema = z.enum(['latency', 'energy'])
export type CompareObjective = z.infer<typeof CompareObjectiveSchema>
/** Which figure goes on the x axis: the one measured on the device, or the lookup-table prediction. */
export const CompareXAxisSchema = z.enum(['measured', 'predicted'])
export type CompareXAxis = z.infer<typeof CompareXAxisSchema>
export const RunExportFormatSchema = z.enum(['json', 'csv', 'html'])
export type RunExportFormat = z.infer<typeof RunExportFormatSchema>

const Tag = z.string().trim().min(1, 'must not be empty').max(40, 'is longer than 40 characters')

/** A candidate without its .tflite bytes (those come from candidates.tflite). */
export interface CandidateInfo {
  id: string
  runId: string
  name: string
  /** As the search wrote it: usually one op per searchable block ('k3e6', 'k5e3', 'zero', …). */
  architecture: unknown
  /** Per-layer precision (bits), null for a float model. */
  precision: unknown | null
  accuracy: number | null
  sizeBytes: number
  macs: number
  predictedLatencyMs: number | null
  predictedEnergyMj: number | null
  hasTflite: boolean
  createdAt: number
  /** Latest measurement on the run's device (or on any device when the run has none). */
  measuredLatencyMs: number | null
  measuredEnergyMj: number | null
  measuredOn: string | null
}

export interface CandidateMeasurement {
  id: string
  runId: string | null
  deviceSerial: string
  deviceLabel: string
  measurement: Measurement
}

/** One device's figures for one candidate: the latest measurement and how many there were. */
export interface CandidateDeviceFigures {
  deviceSerial: string
  deviceLabel: string
  /** The device is connected and ready now (it can measure again). */
  connected: boolean
  count: number
  latencyMeanMs: number
  latencyStdMs: number | null
  energyMj: number | null
  energyReliable: boolean | null
  energyModelled: boolean | null
  measuredAt: number
  measurementId: string
}

export interface CandidateDetail {
  candidate: CandidateInfo
  run: RunSummary | null
  /** Every measurement of this candidate on every device, newest first. */
  measurements: CandidateMeasurement[]
  devices: CandidateDeviceFigures[]
}

export interface ComparePoint {
  candidateId: string
  name: string
  accuracy: number
  /** The x value: measured or predicted latency (ms) or energy (mJ). */
  x: number
  latencyMs: number | null
  energyMj: number | null
  predictedLatencyMs: number | null
  predictedEnergyMj: number | null
  sizeBytes: number
  macs: number
  /** Pareto rank within the run (0 = on the front). */
  rank: number
  dominated: boolean
}

export interface RunFront {
  runId: string
  name: string
  kind: RunSummary['kind']
  deviceSerial: string | null
  deviceLabel: string
  points: ComparePoint[]
  /** Candidate ids on the Pareto front (accuracy up, x down). */
  front: string[]
  /** Step line [x, accuracy] closed on the shared reference point. */
  step: Array<[number, number]>
  hypervolume: number
  /** Candidates left out: no accuracy, or no figure of the chosen kind on this device. */
  missing: number
}

export interface PairAttainment extends Attainment {
  runA: string
  runB: string
}

export interface CompareFronts {
  objective: CompareObjective
  xAxis: CompareXAxis
  /** [x unit, accuracy] as shown on axes, e.g. ['ms', 'accuracy']. */
  xUnit: string
  /** Shared reference [x, accuracy]; null when no run has a point. */
  reference: [number, number] | null
  runs: RunFront[]
  attainment: PairAttainment[]
}

export interface ExportedFile {
  fileName: string
  mimeType: string
  content: string
}

export interface ImportedRun {
  run: RunSummary
  candidates: number
  measurements: number
  lookupTables: number
  /** Ids that clashed with this lab's and were given new ones. */
  remappedIds: number
}

const FrontsRequest = z
  .object({
    runIds: z.array(Id).min(1, 'needs at least one run').max(50, 'can hold at most 50 runs'),
    objective: CompareObjectiveSchema.default('latency'),
    xAxis: CompareXAxisSchema.default('measured'),
    /** Take every run's measured figures from this device instead of the run's own. */
    serial: Id.optional()
  })
  .strict()

export const compareRequests = {
  'runs.get': z.object({ id: Id }).strict(),
  /** Names of every device the lab has seen (connected or not), for lists of old runs. */
  'runs.deviceLabels': z.object({}).strict(),
  'runs.update': z
    .object({
      id: Id,
      name: z.string().trim().min(1, 'must not be empty').max(200, 'is longer than 200 characters').optional(),
      tags: z.array(Tag).max(30, 'can hold at most 30 tags').optional()
    })
    .strict(),
  'runs.delete': z.object({ id: Id }).strict(),
  'runs.restore': z.object({ id: Id }).strict(),
  'runs.export': z.object({ id: Id, format: RunExportFormatSchema.default('json'), objective: CompareObjectiveSchema.default('latency') }).strict(),
  'runs.import': z.object({ json: z.string().min(2, 'is empty').max(1_500_000_000, 'is too large') }).strict(),
  'candidates.list': z.object({ runId: Id.optional() }).strict(),
  'candidates.get': z.object({ id: Id }).strict(),
  'candidates.tflite': z.object({ id: Id }).strict(),
  'candidates.measure': z.object({ id: Id, serial: Id, settings: BenchmarkSettingsSchema.optional() }).strict(),
  'candidates.measureAll': z.object({ id: Id, settings: BenchmarkSettingsSchema.optional() }).strict(),
  'compare.fronts': FrontsRequest,
  'compare.report': FrontsRequest
} as const

export interface CompareResponses {
  'runs.get': RunSummary
  'runs.deviceLabels': Record<string, string>
  'runs.update': RunSummary
  'runs.delete': RunSummary
  'runs.restore': RunSummary
  'runs.export': ExportedFile
  'runs.import': ImportedRun
  'candidates.list': CandidateInfo[]
  'candidates.get': CandidateDetail
  'candidates.tflite': { fileName: string; base64: string; sizeBytes: number }
  'candidates.measure': import('./core').JobInfo
  'candidates.measureAll': import('./core').JobInfo[]
  'compare.fronts': CompareFronts
  'compare.report': ExportedFile
}
