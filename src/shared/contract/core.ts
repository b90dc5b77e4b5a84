// The foundation part of the LabApi: lab info, jobs, devices (summary) and runs (summary).
import { z } from 'zod'

export const Id = z.string().min(1, 'must not be empty').max(200, 'is too long')

// ---- lab ----
export type LabMode = 'electron' | 'browser' | 'cli' | 'test'
export interface LabInfo {
  version: string
  apiVersion: number
  mode: LabMode
  dataDir: string
  /** TensorFlow.js backend the training engine uses (e.g. 'wasm'), or null when not yet chosen. */
  trainingBackend: string | null
  platform: string
}

// ---- jobs ----
export const JobKindSchema = z.enum(['demo', 'profile', 'search', 'quantize', 'measure', 'check'])
export type JobKind = z.infer<typeof JobKindSchema>
export type JobState = 'queued' | 'running' | 'cancelling' | 'cancelled' | 'failed' | 'succeeded' | 'interrupted'
export const FINISHED_JOB_STATES: readonly JobState[] = ['cancelled', 'failed', 'succeeded']

export interface JobProgress {
  /** 0..1 */
  fraction: number
  /** What the job is doing now, in words ("Measuring block 12 of 72"). */
  stage: string
  /** Estimated time left in ms, or null while it cannot be estimated. */
  timeLeftMs: number | null
  /** Counters a view may show (e.g. { blocksDone: 12, blocksTotal: 72 }). */
  counters?: Record<string, number>
}

export interface JobInfo {
  id: string
  kind: JobKind
  title: string
  /** 'cpu' or 'device:<serial>' */
  queue: string
  state: JobState
  params: unknown
  progress: JobProgress | null
  createdAt: number
  startedAt: number | null
  finishedAt: number | null
  error: string | null
  result: unknown
  runId: string | null
}

export const DemoJobParams = z
  .object({
    steps: z.number().int().min(1).max(100_000).default(20),
    stepMs: z.number().int().min(0).max(60_000).default(200),
    /** Throw at this step (to test failure paths). */
    failAtStep: z.number().int().min(0).optional(),
    queue: z.string().regex(/^(cpu|device:.+)$/, "must be 'cpu' or 'device:<serial>'").default('cpu')
  })
  .strict()
export type DemoJobParams = z.output<typeof DemoJobParams>

// ---- devices ----
export type TargetKind = 'host' | 'adb' | 'virtual'
export type DeviceState = 'device' | 'offline' | 'unauthorized' | 'connecting' | 'no permissions' | 'unknown'

export interface CpuCluster {
  cores: number[]
  maxFreqKhz: number | null
}

/** Everything the lab knows about a target; card fields are null until read. */
export interface DeviceInfo {
  serial: string
  kind: TargetKind
  state: DeviceState
  /** A sentence telling the person what to do when state is not 'device'. */
  stateHint: string | null
  label: string
  /** adb server this device was seen on ('host:port'), null for this computer. */
  adbServer: string | null
  model: string | null
  manufacturer: string | null
  soc: string | null
  board: string | null
  abis: string[]
  cpuClusters: CpuCluster[]
  androidVersion: string | null
  sdk: number | null
  batteryLevelPct: number | null
  batteryTempC: number | null
  chargingSource: 'usb' | 'ac' | 'wireless' | 'none' | null
  thermalZonesC: Record<string, number>
  wirelessAdb: boolean
  /** True for the virtual phone: its energy figures come from a power model. */
  modelled: boolean
}

// ---- runs ----
export type RunKind = 'profile' | 'search' | 'quantize' | 'measure' | 'demo'
export interface RunSummary {
  id: string
  kind: RunKind
  name: string
  deviceSerial: string | null
  status: JobState
  createdAt: number
  finishedAt: number | null
  tags: string[]
  settings: unknown
  figures: Record<string, number>
}

export const coreRequests = {
  'lab.info': z.object({}).strict(),
  'jobs.list': z.object({ includeFinished: z.boolean().default(true) }).strict(),
  'jobs.get': z.object({ jobId: Id }).strict(),
  'jobs.startDemo': DemoJobParams,
  'jobs.cancel': z.object({ jobId: Id }).strict(),
  'jobs.resume': z.object({ jobId: Id }).strict(),
  'devices.list': z.object({}).strict(),
  /** Runs, newest first; a search run's settings come without its recorded history (`search.history` has it). */
  'runs.list': z.object({ kind: z.enum(['profile', 'search', 'quantize', 'measure', 'demo']).optional() }).strict()
} as const

export interface CoreResponses {
  'lab.info': LabInfo
  'jobs.list': JobInfo[]
  'jobs.get': JobInfo
  'jobs.startDemo': JobInfo
  'jobs.cancel': JobInfo
  'jobs.resume': JobInfo
  'devices.list': DeviceInfo[]
  'runs.list': RunSummary[]
}
