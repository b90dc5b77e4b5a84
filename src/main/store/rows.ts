// Row <-> type mapping for every table, in one place. JSON columns are parsed here and nowhere else.
import type { JobInfo, JobKind, JobProgress, JobState, RunKind, RunSummary, TargetKind } from '../../shared/contract/core'
import type { CandidateRecord, DeviceRecord, JobCheckpoint, LookupTableRecord, MeasurementRecord } from './types'

export interface DeviceRow {
  serial: string
  kind: string
  label: string
  card: string
  first_seen_at: number
  last_seen_at: number
}
export interface RunRow {
  id: string
  kind: string
  name: string
  device_serial: string | null
  status: string
  settings: string
  figures: string
  tags: string
  created_at: number
  finished_at: number | null
  deleted_at: number | null
}
export interface CandidateRow {
  id: string
  run_id: string
  name: string
  architecture: string
  precision: string | null
  accuracy: number | null
  size_bytes: number
  macs: number
  predicted_latency_ms: number | null
  predicted_energy_mj: number | null
  tflite: Buffer | null
  tflite_path: string | null
  created_at: number
}
export interface MeasurementRow {
  id: string
  candidate_id: string | null
  run_id: string | null
  device_serial: string
  model_sha256: string
  settings: string
  measurement: string
  latency_mean_ms: number
  energy_mj: number | null
  measured_at: number
}
export interface LookupTableRow {
  id: string
  device_serial: string
  space_name: string
  settings: string
  entries: string
  check: string | null
  created_at: number
}
export interface JobRow {
  id: string
  kind: string
  title: string
  queue: string
  state: string
  params: string
  progress: string | null
  result: string | null
  error: string | null
  run_id: string | null
  created_at: number
  started_at: number | null
  finished_at: number | null
}
export interface CheckpointRow {
  job_id: string
  seq: number
  encoding: string
  data: Buffer
  saved_at: number
}

/** JSON for a column; undefined is stored as null so it reads back as null. */
export function toJson(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value)
}
function fromJson<T>(text: string): T {
  return JSON.parse(text) as T
}
function fromJsonOrNull<T>(text: string | null): T | null {
  return text === null ? null : (JSON.parse(text) as T)
}
function bytes(buffer: Buffer | null): Uint8Array | null {
  return buffer === null ? null : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}
/** better-sqlite3 binds Buffers as BLOBs; a plain Uint8Array is wrapped without copying. */
export function toBlob(data: Uint8Array | null | undefined): Buffer | null {
  if (data === null || data === undefined) return null
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength)
}

export const deviceRow = {
  from: (r: DeviceRow): DeviceRecord => ({
    serial: r.serial,
    kind: r.kind as TargetKind,
    label: r.label,
    card: fromJson(r.card),
    firstSeenAt: r.first_seen_at,
    lastSeenAt: r.last_seen_at
  }),
  to: (d: DeviceRecord): DeviceRow => ({
    serial: d.serial,
    kind: d.kind,
    label: d.label,
    card: toJson(d.card),
    first_seen_at: d.firstSeenAt,
    last_seen_at: d.lastSeenAt
  })
}

export const runRow = {
  from: (r: RunRow): RunSummary => ({
    id: r.id,
    kind: r.kind as RunKind,
    name: r.name,
    deviceSerial: r.device_serial,
    status: r.status as JobState,
    createdAt: r.created_at,
    finishedAt: r.finished_at,
    tags: fromJson(r.tags),
    settings: fromJson(r.settings),
    figures: fromJson(r.figures)
  }),
  to: (s: RunSummary, deletedAt: number | null = null): RunRow => ({
    id: s.id,
    kind: s.kind,
    name: s.name,
    device_serial: s.deviceSerial,
    status: s.status,
    settings: toJson(s.settings),
    figures: toJson(s.figures),
    tags: toJson(s.tags),
    created_at: s.createdAt,
    finished_at: s.finishedAt,
    deleted_at: deletedAt
  })
}

export const candidateRow = {
  from: (r: CandidateRow): CandidateRecord => ({
    id: r.id,
    runId: r.run_id,
    name: r.name,
    architecture: fromJson(r.architecture),
    precision: fromJsonOrNull(r.precision),
    accuracy: r.accuracy,
    sizeBytes: r.size_bytes,
    macs: r.macs,
    predictedLatencyMs: r.predicted_latency_ms,
    predictedEnergyMj: r.predicted_energy_mj,
    tflite: bytes(r.tflite),
    tflitePath: r.tflite_path,
    createdAt: r.created_at
  }),
  to: (c: CandidateRecord): CandidateRow => ({
    id: c.id,
    run_id: c.runId,
    name: c.name,
    architecture: toJson(c.architecture),
    precision: c.precision === null ? null : toJson(c.precision),
    accuracy: c.accuracy,
    size_bytes: c.sizeBytes,
    macs: c.macs,
    predicted_latency_ms: c.predictedLatencyMs,
    predicted_energy_mj: c.predictedEnergyMj,
    tflite: toBlob(c.tflite),
    tflite_path: c.tflitePath,
    created_at: c.createdAt
  })
}

export const measurementRow = {
  from: (r: MeasurementRow): MeasurementRecord => ({
    id: r.id,
    candidateId: r.candidate_id,
    runId: r.run_id,
    deviceSerial: r.device_serial,
    modelSha256: r.model_sha256,
    settings: fromJson(r.settings),
    measurement: fromJson(r.measurement),
    latencyMeanMs: r.latency_mean_ms,
    energyMj: r.energy_mj,
    measuredAt: r.measured_at
  }),
  to: (m: MeasurementRecord): MeasurementRow => ({
    id: m.id,
    candidate_id: m.candidateId,
    run_id: m.runId,
    device_serial: m.deviceSerial,
    model_sha256: m.modelSha256,
    settings: toJson(m.settings),
    measurement: toJson(m.measurement),
    latency_mean_ms: m.latencyMeanMs,
    energy_mj: m.energyMj,
    measured_at: m.measuredAt
  })
}

export const lookupTableRow = {
  from: (r: LookupTableRow): LookupTableRecord => ({
    id: r.id,
    deviceSerial: r.device_serial,
    spaceName: r.space_name,
    settings: fromJson(r.settings),
    entries: fromJson(r.entries),
    check: fromJsonOrNull(r.check),
    createdAt: r.created_at
  }),
  to: (t: LookupTableRecord): LookupTableRow => ({
    id: t.id,
    device_serial: t.deviceSerial,
    space_name: t.spaceName,
    settings: toJson(t.settings),
    entries: toJson(t.entries),
    check: t.check === null ? null : toJson(t.check),
    created_at: t.createdAt
  })
}

export const jobRow = {
  from: (r: JobRow): JobInfo => ({
    id: r.id,
    kind: r.kind as JobKind,
    title: r.title,
    queue: r.queue,
    state: r.state as JobState,
    params: fromJson(r.params),
    progress: fromJsonOrNull<JobProgress>(r.progress),
    createdAt: r.created_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    error: r.error,
    result: fromJsonOrNull(r.result),
    runId: r.run_id
  }),
  to: (j: JobInfo): JobRow => ({
    id: j.id,
    kind: j.kind,
    title: j.title,
    queue: j.queue,
    state: j.state,
    params: toJson(j.params),
    progress: j.progress === null ? null : toJson(j.progress),
    result: j.result === null || j.result === undefined ? null : toJson(j.result),
    error: j.error,
    run_id: j.runId,
    created_at: j.createdAt,
    started_at: j.startedAt,
    finished_at: j.finishedAt
  })
}

export const checkpointRow = {
  from: (r: CheckpointRow): JobCheckpoint => ({
    jobId: r.job_id,
    seq: r.seq,
    data: r.encoding === 'bytes' ? bytes(r.data) : JSON.parse(r.data.toString('utf8')),
    savedAt: r.saved_at
  }),
  /** Raw bytes stay bytes; anything else is stored as UTF-8 JSON. */
  encode: (data: unknown): Pick<CheckpointRow, 'encoding' | 'data'> =>
    data instanceof Uint8Array ? { encoding: 'bytes', data: toBlob(data) as Buffer } : { encoding: 'json', data: Buffer.from(toJson(data), 'utf8') }
}
