// A run bundle: one JSON file that carries a run with its candidates (and their .tflite bytes as base64), their
// measurements and the lookup tables the run made, so another lab can import it as it was.
import { z } from 'zod'
import type { DeviceInfo, RunSummary } from '../../shared/contract/core'
import type { ImportedRun } from '../../shared/contract/compare'
import { LabError } from '../../shared/errors'
import { newId, type CandidateRecord, type LookupTableRecord, type MeasurementRecord, type Store } from '../store'

export const BUNDLE_FORMAT = 'proxyless-lab.run-bundle'
export const BUNDLE_VERSION = 1

const JsonValue = z.unknown()
const Finite = z.number().refine(Number.isFinite, 'must be a finite number')

const RunSchema = z.object({
  id: z.string().min(1),
  kind: z.enum(['profile', 'search', 'quantize', 'measure', 'demo']),
  name: z.string().min(1).max(500),
  deviceSerial: z.string().nullable(),
  status: z.enum(['queued', 'running', 'cancelling', 'cancelled', 'failed', 'succeeded', 'interrupted']),
  createdAt: Finite,
  finishedAt: Finite.nullable(),
  tags: z.array(z.string()),
  settings: JsonValue,
  figures: z.record(z.string(), Finite)
})

const CandidateSchema = z.object({
  id: z.string().min(1),
  name: z.string(),
  architecture: JsonValue,
  precision: JsonValue.nullable(),
  accuracy: Finite.nullable(),
  sizeBytes: z.number().int().min(0),
  macs: z.number().min(0),
  predictedLatencyMs: Finite.nullable(),
  predictedEnergyMj: Finite.nullable(),
  /** The .tflite file, base64; null when the run kept none. */
  tfliteBase64: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'is not base64').nullable(),
  createdAt: Finite
})

const MeasurementSchema = z.object({
  id: z.string().min(1),
  candidateId: z.string().nullable(),
  runId: z.string().nullable(),
  // The Measurement itself: checked for the fields the store indexes; the rest is kept as it was written.
  measurement: z
    .object({
      serial: z.string().min(1),
      modelSha256: z.string(),
      settings: z.object({}).passthrough(),
      steady: z.object({ meanMs: Finite }).passthrough(),
      energy: z.object({ energyPerInferenceMj: Finite }).passthrough().nullable(),
      measuredAt: Finite
    })
    .passthrough()
})

const LookupTableSchema = z.object({
  id: z.string().min(1),
  deviceSerial: z.string().min(1),
  spaceName: z.string().min(1),
  settings: JsonValue,
  entries: JsonValue,
  check: JsonValue.nullable(),
  createdAt: Finite
})

export const RunBundleSchema = z.object({
  format: z.literal(BUNDLE_FORMAT),
  version: z.literal(BUNDLE_VERSION),
  exportedAt: Finite,
  run: RunSchema,
  candidates: z.array(CandidateSchema),
  measurements: z.array(MeasurementSchema),
  lookupTables: z.array(LookupTableSchema).default([]),
  /** Cards of the devices the measurements were made on, so labels survive the move. */
  devices: z
    .array(z.object({ serial: z.string().min(1), label: z.string(), card: z.object({ serial: z.string(), kind: z.enum(['host', 'adb', 'virtual']), label: z.string() }).passthrough(), lastSeenAt: Finite }))
    .default([])
})
export type RunBundle = z.output<typeof RunBundleSchema>

/** Lookup tables that belong to a run: named by its settings or figures, or naming the run in theirs. */
function tablesOfRun(store: Store, run: RunSummary): LookupTableRecord[] {
  const runText = JSON.stringify(run.settings ?? null)
  return store.listLookupTables().filter((t) => runText.includes(JSON.stringify(t.id)) || JSON.stringify(t.settings ?? null).includes(JSON.stringify(run.id)))
}

/** Measurements of the run itself and of each of its candidates (on any device), oldest first. */
export function measurementsOfRun(store: Store, runId: string, candidateIds: readonly string[]): MeasurementRecord[] {
  // One pass over the table (an optional-filter query scans it anyway), keeping the run's and its candidates' rows.
  const wanted = new Set(candidateIds)
  const byId = new Map<string, MeasurementRecord>()
  for (const m of store.listMeasurements()) if (m.runId === runId || (m.candidateId !== null && wanted.has(m.candidateId))) byId.set(m.id, m)
  return [...byId.values()].sort((a, b) => a.measuredAt - b.measuredAt || a.id.localeCompare(b.id))
}

export function exportRunBundle(store: Store, runId: string, readTflite: (c: CandidateRecord) => Uint8Array | null): RunBundle {
  const run = store.getRun(runId)
  if (!run) throw new LabError('not_found', `Run ${runId} does not exist (or was deleted); refresh the runs list.`)
  const candidates = store.listCandidates(runId)
  const measurements = measurementsOfRun(store, runId, candidates.map((c) => c.id))
  return {
    format: BUNDLE_FORMAT,
    version: BUNDLE_VERSION,
    exportedAt: Date.now(),
    run,
    candidates: candidates.map((c) => {
      const bytes = readTflite(c)
      return {
        id: c.id,
        name: c.name,
        architecture: c.architecture,
        precision: c.precision,
        accuracy: c.accuracy,
        sizeBytes: c.sizeBytes,
        macs: c.macs,
        predictedLatencyMs: c.predictedLatencyMs,
        predictedEnergyMj: c.predictedEnergyMj,
        tfliteBase64: bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64') : null,
        createdAt: c.createdAt
      }
    }),
    measurements: measurements.map((m) => ({ id: m.id, candidateId: m.candidateId, runId: m.runId, measurement: m.measurement as unknown as RunBundle['measurements'][number]['measurement'] })),
    lookupTables: tablesOfRun(store, run).map((t) => ({ ...t })),
    devices: [...new Set(measurements.map((m) => m.deviceSerial).concat(run.deviceSerial ?? []))]
      .map((serial) => store.getDevice(serial))
      .filter((d): d is NonNullable<typeof d> => d !== null)
      .map((d) => ({ serial: d.serial, label: d.label, card: d.card as unknown as RunBundle['devices'][number]['card'], lastSeenAt: d.lastSeenAt }))
  }
}

function describePath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return 'the file'
  return path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? String(p) : `.${String(p)}`))
    .join('')
}

/** Parse and validate a bundle; every failure is a sentence that says what is wrong and where. */
export function parseRunBundle(json: string): RunBundle {
  let raw: unknown
  try {
    raw = JSON.parse(json)
  } catch (e) {
    throw new LabError('invalid_file', `This file is not JSON (${e instanceof Error ? e.message : String(e)}). Choose a run bundle exported by Proxyless Lab (Runs → Export → JSON).`)
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new LabError('invalid_file', 'This file holds JSON but not a run bundle. Choose a file exported by Proxyless Lab (Runs → Export → JSON).')
  }
  const format = (raw as { format?: unknown }).format
  if (format !== BUNDLE_FORMAT) {
    throw new LabError(
      'invalid_file',
      format === undefined
        ? 'This JSON file is not a Proxyless Lab run bundle (it has no "format" field). Choose a file exported with Runs → Export → JSON.'
        : `This JSON file is a ${JSON.stringify(format)} file, not a Proxyless Lab run bundle. Choose a file exported with Runs → Export → JSON.`
    )
  }
  const version = (raw as { version?: unknown }).version
  if (typeof version === 'number' && version > BUNDLE_VERSION) {
    throw new LabError('invalid_file', `This run bundle was written by a newer Proxyless Lab (bundle version ${version}; this lab reads up to ${BUNDLE_VERSION}). Update Proxyless Lab to import it.`)
  }
  const parsed = RunBundleSchema.safeParse(raw)
  if (!parsed.success) {
    const issue = parsed.error.issues[0]
    throw new LabError('invalid_file', `This run bundle is damaged: ${describePath(issue.path)} ${issue.message.replace(/^Invalid input: /, '').toLowerCase()}. Export the run again on the lab it came from.`)
  }
  const bundle = parsed.data
  const candidateIds = new Set(bundle.candidates.map((c) => c.id))
  if (candidateIds.size !== bundle.candidates.length) throw new LabError('invalid_file', 'This run bundle is damaged: two candidates share one id. Export the run again on the lab it came from.')
  bundle.measurements.forEach((m, i) => {
    if (m.candidateId !== null && !candidateIds.has(m.candidateId)) {
      throw new LabError('invalid_file', `This run bundle is damaged: measurements[${i}] belongs to candidate ${m.candidateId}, which is not in the file. Export the run again on the lab it came from.`)
    }
  })
  return bundle
}

/** Imports a bundle in one transaction; ids that already exist in this lab get new ones (links follow). */
export function importRunBundle(store: Store, json: string): ImportedRun {
  const bundle = parseRunBundle(json)
  let remapped = 0
  return store.transaction(() => {
    const newRun = (id: string) =>
      store.insertRun({
        id,
        kind: bundle.run.kind,
        name: bundle.run.name,
        deviceSerial: bundle.run.deviceSerial,
        status: bundle.run.status,
        settings: bundle.run.settings,
        figures: bundle.run.figures,
        tags: bundle.run.tags,
        createdAt: bundle.run.createdAt
      })
    // getRun hides soft-deleted runs, whose ids are still taken: try the id and take a new one on a clash.
    let runId = bundle.run.id
    try {
      newRun(runId)
    } catch (e) {
      if (!isUniqueClash(e)) throw e
      remapped++
      runId = newId('run')
      newRun(runId)
    }
    const run = store.updateRun(runId, { finishedAt: bundle.run.finishedAt })
    const candidateIds = new Map<string, string>()
    for (const c of bundle.candidates) {
      const clash = store.getCandidate(c.id) !== null
      const id = clash ? newId('cand') : c.id
      if (clash) remapped++
      candidateIds.set(c.id, id)
      store.insertCandidate({
        id,
        runId,
        name: c.name,
        architecture: c.architecture,
        precision: c.precision,
        accuracy: c.accuracy,
        sizeBytes: c.sizeBytes,
        macs: c.macs,
        predictedLatencyMs: c.predictedLatencyMs,
        predictedEnergyMj: c.predictedEnergyMj,
        tflite: c.tfliteBase64 === null ? null : new Uint8Array(Buffer.from(c.tfliteBase64, 'base64')),
        createdAt: c.createdAt
      })
    }
    for (const m of bundle.measurements) {
      // A measurement made by another run of the exporting lab (e.g. a re-measure) keeps no run link here.
      const linkedRun = m.runId === bundle.run.id ? runId : m.runId !== null && store.getRun(m.runId) !== null ? m.runId : null
      const insert = (id: string) =>
        store.insertMeasurement({
          id,
          candidateId: m.candidateId === null ? null : (candidateIds.get(m.candidateId) ?? null),
          runId: linkedRun,
          measurement: m.measurement as unknown as MeasurementRecord['measurement']
        })
      try {
        insert(m.id)
      } catch (e) {
        if (!isUniqueClash(e)) throw e
        remapped++
        insert(newId('meas'))
      }
    }
    for (const t of bundle.lookupTables) {
      const clash = store.getLookupTable(t.id) !== null
      if (clash) remapped++
      store.insertLookupTable({ ...t, id: clash ? newId('lut') : t.id })
    }
    for (const d of bundle.devices) {
      if (store.getDevice(d.serial) === null) store.upsertDevice(d.card as unknown as DeviceInfo, d.lastSeenAt)
    }
    return { run: store.getRun(runId) ?? run, candidates: bundle.candidates.length, measurements: bundle.measurements.length, lookupTables: bundle.lookupTables.length, remappedIds: remapped }
  })
}

function isUniqueClash(e: unknown): boolean {
  return typeof e === 'object' && e !== null && String((e as { code?: unknown }).code).startsWith('SQLITE_CONSTRAINT')
}
