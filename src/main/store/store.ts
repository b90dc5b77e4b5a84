// The only place that persists: one SQLite file in WAL mode. Every write is its own transaction,
// so a killed process loses at most the write in flight.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { FINISHED_JOB_STATES, type DeviceInfo, type JobInfo, type RunKind, type RunSummary } from '../../shared/contract/core'
import { LabError } from '../../shared/errors'
import { migrate } from './migrations'
import {
  candidateRow,
  checkpointRow,
  deviceRow,
  jobRow,
  lookupTableRow,
  measurementRow,
  runRow,
  type CandidateRow,
  type CheckpointRow,
  type DeviceRow,
  type JobRow,
  type LookupTableRow,
  type MeasurementRow,
  type RunRow
} from './rows'
import type {
  CandidateRecord,
  DeviceRecord,
  JobCheckpoint,
  LookupTableRecord,
  MeasurementFilter,
  MeasurementRecord,
  NewCandidate,
  NewLookupTable,
  NewMeasurement,
  NewRun,
  RunPatch
} from './types'

export const STORE_FILE_NAME = 'lab.sqlite'

export interface Store {
  /** Absolute path of the SQLite file. */
  readonly file: string
  /** Run fn in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T

  // ---- jobs ----
  insertJob(job: JobInfo): void
  /** Write every field of the job (the manager owns the whole record). */
  updateJob(job: JobInfo): void
  getJob(id: string): JobInfo | null
  /** Oldest first. */
  listJobs(options?: { includeFinished?: boolean }): JobInfo[]

  // ---- job checkpoints ----
  /** Persist a checkpoint (JSON value or Uint8Array); older checkpoints of the job are dropped in the same transaction. */
  saveCheckpoint(jobId: string, data: unknown, savedAt?: number): JobCheckpoint
  loadCheckpoint(jobId: string): JobCheckpoint | null

  // ---- runs ----
  insertRun(run: NewRun): RunSummary
  updateRun(id: string, patch: RunPatch): RunSummary
  getRun(id: string): RunSummary | null
  /** Runs not deleted, newest first. */
  listRuns(kind?: RunKind): RunSummary[]
  /** Undo-able delete: the run disappears from lists until restoreRun. */
  deleteRun(id: string, deletedAt?: number): void
  restoreRun(id: string): RunSummary

  // ---- devices ----
  /** Insert or refresh a device card; firstSeenAt is kept from the first sighting. */
  upsertDevice(card: DeviceInfo, seenAt?: number): DeviceRecord
  getDevice(serial: string): DeviceRecord | null
  listDevices(): DeviceRecord[]

  // ---- candidates ----
  insertCandidate(candidate: NewCandidate): CandidateRecord
  getCandidate(id: string): CandidateRecord | null
  listCandidates(runId: string): CandidateRecord[]

  // ---- measurements ----
  insertMeasurement(m: NewMeasurement): MeasurementRecord
  /** Newest first. */
  listMeasurements(filter?: MeasurementFilter): MeasurementRecord[]

  // ---- lookup tables ----
  insertLookupTable(table: NewLookupTable): LookupTableRecord
  getLookupTable(id: string): LookupTableRecord | null
  /** Newest first. */
  listLookupTables(filter?: { deviceSerial?: string; spaceName?: string }): LookupTableRecord[]

  /** PRAGMA integrity_check: 'ok' or the problems SQLite found. */
  integrityCheck(): string
  close(): void
}

/** Readable, roughly time-sorted ids: '<prefix>-<ms base36>-<8 hex>'. */
export function newId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${crypto.randomBytes(4).toString('hex')}`
}

export function openStore(dataDir: string): Store {
  fs.mkdirSync(dataDir, { recursive: true })
  return new SqliteStore(path.join(path.resolve(dataDir), STORE_FILE_NAME))
}

class SqliteStore implements Store {
  private readonly db: Database.Database
  private readonly sql: ReturnType<SqliteStore['prepare']>

  constructor(readonly file: string) {
    let db: Database.Database
    try {
      db = new Database(file)
    } catch (e) {
      throw new LabError('invalid_file', `Could not open the lab's data file ${file}: ${e instanceof Error ? e.message : String(e)}. Check that the folder is writable.`)
    }
    try {
      db.pragma('journal_mode = WAL')
      // FULL: in WAL mode each commit syncs the log, so a commit that returned survives a killed process *and* a
      // power cut (NORMAL would survive only the former). Lab writes are few and each stands for real work.
      db.pragma('synchronous = FULL')
      db.pragma('foreign_keys = ON')
      db.pragma('busy_timeout = 5000')
      migrate(db, file)
    } catch (e) {
      db.close()
      throw e
    }
    this.db = db
    this.sql = this.prepare()
  }

  private prepare() {
    const db = this.db
    return {
      insertJob: db.prepare<JobRow>(
        `INSERT INTO jobs (id, kind, title, queue, state, params, progress, result, error, run_id, created_at, started_at, finished_at)
         VALUES (@id, @kind, @title, @queue, @state, @params, @progress, @result, @error, @run_id, @created_at, @started_at, @finished_at)`
      ),
      updateJob: db.prepare<JobRow>(
        `UPDATE jobs SET kind = @kind, title = @title, queue = @queue, state = @state, params = @params, progress = @progress,
           result = @result, error = @error, run_id = @run_id, created_at = @created_at, started_at = @started_at, finished_at = @finished_at
         WHERE id = @id`
      ),
      getJob: db.prepare<[string], JobRow>('SELECT * FROM jobs WHERE id = ?'),
      listJobs: db.prepare<[], JobRow>('SELECT * FROM jobs ORDER BY created_at, rowid'),
      listUnfinishedJobs: db.prepare<string[], JobRow>(
        `SELECT * FROM jobs WHERE state NOT IN (${FINISHED_JOB_STATES.map(() => '?').join(', ')}) ORDER BY created_at, rowid`
      ),

      lastCheckpoint: db.prepare<[string], CheckpointRow>('SELECT * FROM job_checkpoints WHERE job_id = ? ORDER BY seq DESC LIMIT 1'),
      insertCheckpoint: db.prepare<CheckpointRow>(
        'INSERT INTO job_checkpoints (job_id, seq, encoding, data, saved_at) VALUES (@job_id, @seq, @encoding, @data, @saved_at)'
      ),
      dropOlderCheckpoints: db.prepare<[string, number]>('DELETE FROM job_checkpoints WHERE job_id = ? AND seq < ?'),

      insertRun: db.prepare<RunRow>(
        `INSERT INTO runs (id, kind, name, device_serial, status, settings, figures, tags, created_at, finished_at, deleted_at)
         VALUES (@id, @kind, @name, @device_serial, @status, @settings, @figures, @tags, @created_at, @finished_at, @deleted_at)`
      ),
      updateRun: db.prepare<RunRow>(
        `UPDATE runs SET name = @name, status = @status, settings = @settings, figures = @figures, tags = @tags,
           finished_at = @finished_at WHERE id = @id`
      ),
      getRun: db.prepare<[string], RunRow>('SELECT * FROM runs WHERE id = ?'),
      listRuns: db.prepare<[], RunRow>('SELECT * FROM runs WHERE deleted_at IS NULL ORDER BY created_at DESC, rowid DESC'),
      listRunsOfKind: db.prepare<[string], RunRow>('SELECT * FROM runs WHERE deleted_at IS NULL AND kind = ? ORDER BY created_at DESC, rowid DESC'),
      setRunDeleted: db.prepare<[number | null, string]>('UPDATE runs SET deleted_at = ? WHERE id = ?'),

      upsertDevice: db.prepare<DeviceRow>(
        `INSERT INTO devices (serial, kind, label, card, first_seen_at, last_seen_at)
         VALUES (@serial, @kind, @label, @card, @first_seen_at, @last_seen_at)
         ON CONFLICT (serial) DO UPDATE SET kind = excluded.kind, label = excluded.label, card = excluded.card,
           last_seen_at = excluded.last_seen_at`
      ),
      getDevice: db.prepare<[string], DeviceRow>('SELECT * FROM devices WHERE serial = ?'),
      listDevices: db.prepare<[], DeviceRow>('SELECT * FROM devices ORDER BY last_seen_at DESC, serial'),

      insertCandidate: db.prepare<CandidateRow>(
        `INSERT INTO candidates (id, run_id, name, architecture, precision, accuracy, size_bytes, macs, predicted_latency_ms,
           predicted_energy_mj, tflite, tflite_path, created_at)
         VALUES (@id, @run_id, @name, @architecture, @precision, @accuracy, @size_bytes, @macs, @predicted_latency_ms,
           @predicted_energy_mj, @tflite, @tflite_path, @created_at)`
      ),
      getCandidate: db.prepare<[string], CandidateRow>('SELECT * FROM candidates WHERE id = ?'),
      listCandidates: db.prepare<[string], CandidateRow>('SELECT * FROM candidates WHERE run_id = ? ORDER BY created_at, rowid'),

      insertMeasurement: db.prepare<MeasurementRow>(
        `INSERT INTO measurements (id, candidate_id, run_id, device_serial, model_sha256, settings, measurement, latency_mean_ms,
           energy_mj, measured_at)
         VALUES (@id, @candidate_id, @run_id, @device_serial, @model_sha256, @settings, @measurement, @latency_mean_ms,
           @energy_mj, @measured_at)`
      ),
      listMeasurements: db.prepare<{ device_serial: string | null; model_sha256: string | null; candidate_id: string | null; run_id: string | null }, MeasurementRow>(
        `SELECT * FROM measurements
         WHERE (@device_serial IS NULL OR device_serial = @device_serial) AND (@model_sha256 IS NULL OR model_sha256 = @model_sha256)
           AND (@candidate_id IS NULL OR candidate_id = @candidate_id) AND (@run_id IS NULL OR run_id = @run_id)
         ORDER BY measured_at DESC, rowid DESC`
      ),

      insertLookupTable: db.prepare<LookupTableRow>(
        `INSERT INTO lookup_tables (id, device_serial, space_name, settings, entries, "check", created_at)
         VALUES (@id, @device_serial, @space_name, @settings, @entries, @check, @created_at)`
      ),
      getLookupTable: db.prepare<[string], LookupTableRow>('SELECT * FROM lookup_tables WHERE id = ?'),
      listLookupTables: db.prepare<{ device_serial: string | null; space_name: string | null }, LookupTableRow>(
        `SELECT * FROM lookup_tables
         WHERE (@device_serial IS NULL OR device_serial = @device_serial) AND (@space_name IS NULL OR space_name = @space_name)
         ORDER BY created_at DESC, rowid DESC`
      )
    }
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)()
  }

  // ---- jobs ----
  insertJob(job: JobInfo): void {
    this.sql.insertJob.run(jobRow.to(job))
  }
  updateJob(job: JobInfo): void {
    const changes = this.sql.updateJob.run(jobRow.to(job)).changes
    if (changes === 0) throw new LabError('not_found', `Job ${job.id} is not in the lab's store; it may have been deleted.`)
  }
  getJob(id: string): JobInfo | null {
    const row = this.sql.getJob.get(id)
    return row ? jobRow.from(row) : null
  }
  listJobs(options: { includeFinished?: boolean } = {}): JobInfo[] {
    const rows = options.includeFinished === false ? this.sql.listUnfinishedJobs.all(...FINISHED_JOB_STATES) : this.sql.listJobs.all()
    return rows.map(jobRow.from)
  }

  // ---- job checkpoints ----
  saveCheckpoint(jobId: string, data: unknown, savedAt = Date.now()): JobCheckpoint {
    return this.transaction(() => {
      const last = this.sql.lastCheckpoint.get(jobId)
      const seq = last ? last.seq + 1 : 1
      this.sql.insertCheckpoint.run({ job_id: jobId, seq, ...checkpointRow.encode(data), saved_at: savedAt })
      this.sql.dropOlderCheckpoints.run(jobId, seq)
      return { jobId, seq, data, savedAt }
    })
  }
  loadCheckpoint(jobId: string): JobCheckpoint | null {
    const row = this.sql.lastCheckpoint.get(jobId)
    return row ? checkpointRow.from(row) : null
  }

  // ---- runs ----
  insertRun(run: NewRun): RunSummary {
    const summary: RunSummary = {
      id: run.id ?? newId('run'),
      kind: run.kind,
      name: run.name,
      deviceSerial: run.deviceSerial ?? null,
      status: run.status ?? 'queued',
      createdAt: run.createdAt ?? Date.now(),
      finishedAt: null,
      tags: run.tags ?? [],
      settings: run.settings ?? null,
      figures: run.figures ?? {}
    }
    this.sql.insertRun.run(runRow.to(summary))
    return summary
  }
  updateRun(id: string, patch: RunPatch): RunSummary {
    return this.transaction(() => {
      const current = this.requireRun(id)
      const next: RunSummary = { ...current, ...definedOnly(patch) }
      this.sql.updateRun.run(runRow.to(next))
      return next
    })
  }
  getRun(id: string): RunSummary | null {
    const row = this.sql.getRun.get(id)
    return row && row.deleted_at === null ? runRow.from(row) : null
  }
  listRuns(kind?: RunKind): RunSummary[] {
    return (kind === undefined ? this.sql.listRuns.all() : this.sql.listRunsOfKind.all(kind)).map(runRow.from)
  }
  deleteRun(id: string, deletedAt = Date.now()): void {
    this.transaction(() => {
      this.requireRun(id)
      this.sql.setRunDeleted.run(deletedAt, id)
    })
  }
  restoreRun(id: string): RunSummary {
    return this.transaction(() => {
      const row = this.sql.getRun.get(id)
      if (!row) throw new LabError('not_found', `Run ${id} does not exist, so it cannot be restored.`)
      this.sql.setRunDeleted.run(null, id)
      return runRow.from(row)
    })
  }
  private requireRun(id: string): RunSummary {
    const run = this.getRun(id)
    if (!run) throw new LabError('not_found', `Run ${id} does not exist (or was deleted); refresh the runs list.`)
    return run
  }

  // ---- devices ----
  upsertDevice(card: DeviceInfo, seenAt = Date.now()): DeviceRecord {
    this.sql.upsertDevice.run(deviceRow.to({ serial: card.serial, kind: card.kind, label: card.label, card, firstSeenAt: seenAt, lastSeenAt: seenAt }))
    return this.getDevice(card.serial) as DeviceRecord
  }
  getDevice(serial: string): DeviceRecord | null {
    const row = this.sql.getDevice.get(serial)
    return row ? deviceRow.from(row) : null
  }
  listDevices(): DeviceRecord[] {
    return this.sql.listDevices.all().map(deviceRow.from)
  }

  // ---- candidates ----
  insertCandidate(c: NewCandidate): CandidateRecord {
    const record: CandidateRecord = {
      id: c.id ?? newId('cand'),
      runId: c.runId,
      name: c.name,
      architecture: c.architecture,
      precision: c.precision ?? null,
      accuracy: c.accuracy ?? null,
      sizeBytes: c.sizeBytes,
      macs: c.macs,
      predictedLatencyMs: c.predictedLatencyMs ?? null,
      predictedEnergyMj: c.predictedEnergyMj ?? null,
      tflite: c.tflite ?? null,
      tflitePath: c.tflitePath ?? null,
      createdAt: c.createdAt ?? Date.now()
    }
    this.sql.insertCandidate.run(candidateRow.to(record))
    return record
  }
  getCandidate(id: string): CandidateRecord | null {
    const row = this.sql.getCandidate.get(id)
    return row ? candidateRow.from(row) : null
  }
  listCandidates(runId: string): CandidateRecord[] {
    return this.sql.listCandidates.all(runId).map(candidateRow.from)
  }

  // ---- measurements ----
  insertMeasurement(m: NewMeasurement): MeasurementRecord {
    const record: MeasurementRecord = {
      id: m.id ?? newId('meas'),
      candidateId: m.candidateId ?? null,
      runId: m.runId ?? null,
      deviceSerial: m.measurement.serial,
      modelSha256: m.measurement.modelSha256,
      settings: m.measurement.settings,
      measurement: m.measurement,
      latencyMeanMs: m.measurement.steady.meanMs,
      energyMj: m.measurement.energy?.energyPerInferenceMj ?? null,
      measuredAt: m.measurement.measuredAt
    }
    this.sql.insertMeasurement.run(measurementRow.to(record))
    return record
  }
  listMeasurements(filter: MeasurementFilter = {}): MeasurementRecord[] {
    return this.sql.listMeasurements
      .all({
        device_serial: filter.deviceSerial ?? null,
        model_sha256: filter.modelSha256 ?? null,
        candidate_id: filter.candidateId ?? null,
        run_id: filter.runId ?? null
      })
      .map(measurementRow.from)
  }

  // ---- lookup tables ----
  insertLookupTable(t: NewLookupTable): LookupTableRecord {
    const record: LookupTableRecord = {
      id: t.id ?? newId('lut'),
      deviceSerial: t.deviceSerial,
      spaceName: t.spaceName,
      settings: t.settings,
      entries: t.entries,
      check: t.check ?? null,
      createdAt: t.createdAt ?? Date.now()
    }
    this.sql.insertLookupTable.run(lookupTableRow.to(record))
    return record
  }
  getLookupTable(id: string): LookupTableRecord | null {
    const row = this.sql.getLookupTable.get(id)
    return row ? lookupTableRow.from(row) : null
  }
  listLookupTables(filter: { deviceSerial?: string; spaceName?: string } = {}): LookupTableRecord[] {
    return this.sql.listLookupTables.all({ device_serial: filter.deviceSerial ?? null, space_name: filter.spaceName ?? null }).map(lookupTableRow.from)
  }

  integrityCheck(): string {
    const rows = this.db.pragma('integrity_check') as { integrity_check: string }[]
    return rows.map((r) => r.integrity_check).join('; ')
  }

  close(): void {
    if (this.db.open) this.db.close()
  }
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>
}
