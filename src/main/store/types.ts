// What the store keeps, as typed records. Shared contract types (JobInfo, RunSummary, DeviceInfo, Measurement)
// are used as they are; the rest are defined here until a capability moves them into src/shared.
import type { DeviceInfo, JobState, RunKind, RunSummary, TargetKind } from '../../shared/contract/core'
import type { BenchmarkSettings, Measurement } from '../../shared/contract/measure'

export interface DeviceRecord {
  serial: string
  kind: TargetKind
  label: string
  card: DeviceInfo
  firstSeenAt: number
  lastSeenAt: number
}

export interface NewRun {
  /** Generated when left out. */
  id?: string
  kind: RunKind
  name: string
  deviceSerial?: string | null
  status?: JobState
  settings?: unknown
  figures?: Record<string, number>
  tags?: string[]
  createdAt?: number
}

export type RunPatch = Partial<Pick<RunSummary, 'name' | 'status' | 'finishedAt' | 'tags' | 'settings' | 'figures'>>

export interface CandidateRecord {
  id: string
  runId: string
  name: string
  architecture: unknown
  /** Per-layer precision (bits), null for a float model. */
  precision: unknown | null
  accuracy: number | null
  sizeBytes: number
  macs: number
  predictedLatencyMs: number | null
  predictedEnergyMj: number | null
  /** The .tflite bytes, when kept inside the store. */
  tflite: Uint8Array | null
  /** Or a path to the .tflite file, when kept beside it. */
  tflitePath: string | null
  createdAt: number
}
export type NewCandidate = Omit<CandidateRecord, 'id' | 'createdAt' | 'precision' | 'accuracy' | 'predictedLatencyMs' | 'predictedEnergyMj' | 'tflite' | 'tflitePath'> &
  Partial<Pick<CandidateRecord, 'id' | 'createdAt' | 'precision' | 'accuracy' | 'predictedLatencyMs' | 'predictedEnergyMj' | 'tflite' | 'tflitePath'>>

export interface MeasurementRecord {
  id: string
  candidateId: string | null
  runId: string | null
  deviceSerial: string
  modelSha256: string
  settings: BenchmarkSettings
  measurement: Measurement
  latencyMeanMs: number
  energyMj: number | null
  measuredAt: number
}
export interface NewMeasurement {
  id?: string
  candidateId?: string | null
  runId?: string | null
  /** Serial, model hash, settings, mean latency, energy and time all come from the measurement itself. */
  measurement: Measurement
}
export interface MeasurementFilter {
  deviceSerial?: string
  modelSha256?: string
  candidateId?: string
  runId?: string
}

export interface LookupTableRecord {
  id: string
  deviceSerial: string
  spaceName: string
  settings: unknown
  entries: unknown
  /** Predicted-vs-measured check, null until one was run. */
  check: unknown | null
  createdAt: number
}
export type NewLookupTable = Omit<LookupTableRecord, 'id' | 'createdAt' | 'check'> & Partial<Pick<LookupTableRecord, 'id' | 'createdAt' | 'check'>>

/** Checkpoint data: any JSON value, or raw bytes (e.g. model weights). */
export type CheckpointData = unknown
export interface JobCheckpoint {
  jobId: string
  seq: number
  data: CheckpointData
  savedAt: number
}
