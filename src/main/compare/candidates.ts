// Candidates as the API shows them: store records without their bytes, with the figures measured on devices.
import fs from 'node:fs'
import path from 'node:path'
import type { CandidateDetail, CandidateDeviceFigures, CandidateInfo, CandidateMeasurement } from '../../shared/contract/compare'
import { LabError } from '../../shared/errors'
import type { CandidateRecord, MeasurementRecord, Store } from '../store'

/** How to name a device and tell whether it is ready now (the registry knows live devices, the store old ones). */
export interface DeviceLookup {
  label(serial: string): string
  connected(serial: string): boolean
}

export function storeDeviceLookup(store: Store, live?: { label(serial: string): string | null; ready(serial: string): boolean }): DeviceLookup {
  return {
    label: (serial) => live?.label(serial) ?? store.getDevice(serial)?.label ?? (serial === 'host' ? 'This computer' : serial),
    connected: (serial) => live?.ready(serial) ?? false
  }
}

/** The measurement that stands for a candidate: the newest on `serial` when given, else the newest anywhere. */
export function pickMeasurement(measurements: readonly MeasurementRecord[], serial: string | null): MeasurementRecord | null {
  // listMeasurements is newest first
  if (serial !== null) return measurements.find((m) => m.deviceSerial === serial) ?? null
  return measurements[0] ?? null
}

/**
 * Every measurement that belongs to a candidate, grouped by candidate (newest first). One pass over the table: the
 * store's filtered query cannot use an index for an optional filter, so a query per candidate would scan it each time.
 */
export function measurementsByCandidate(store: Store): Map<string, MeasurementRecord[]> {
  const groups = new Map<string, MeasurementRecord[]>()
  for (const m of store.listMeasurements()) {
    if (m.candidateId === null) continue
    const list = groups.get(m.candidateId)
    if (list) list.push(m)
    else groups.set(m.candidateId, [m])
  }
  return groups
}

export function candidateInfo(c: CandidateRecord, measured: MeasurementRecord | null): CandidateInfo {
  return {
    id: c.id,
    runId: c.runId,
    name: c.name,
    architecture: c.architecture,
    precision: c.precision,
    accuracy: c.accuracy,
    sizeBytes: c.sizeBytes,
    macs: c.macs,
    predictedLatencyMs: c.predictedLatencyMs,
    predictedEnergyMj: c.predictedEnergyMj,
    hasTflite: c.tflite !== null || c.tflitePath !== null,
    createdAt: c.createdAt,
    measuredLatencyMs: measured?.latencyMeanMs ?? null,
    measuredEnergyMj: measured?.energyMj ?? null,
    measuredOn: measured?.deviceSerial ?? null
  }
}

export function requireCandidate(store: Store, id: string): CandidateRecord {
  const c = store.getCandidate(id)
  if (!c) throw new LabError('not_found', `Candidate ${id} does not exist; it may belong to a run that was deleted. Refresh the run's page.`)
  return c
}

/** Candidates of one run, or of every run not deleted. */
export function listCandidateInfos(store: Store, runId?: string): CandidateInfo[] {
  const runs = runId === undefined ? store.listRuns() : [requireRunAny(store, runId)]
  const measured = measurementsByCandidate(store)
  return runs.flatMap((run) => store.listCandidates(run.id).map((c) => candidateInfo(c, pickMeasurement(measured.get(c.id) ?? [], run.deviceSerial))))
}

function requireRunAny(store: Store, id: string) {
  const run = store.getRun(id)
  if (!run) throw new LabError('not_found', `Run ${id} does not exist (or was deleted); refresh the runs list.`)
  return run
}

export function candidateDetail(store: Store, id: string, devices: DeviceLookup): CandidateDetail {
  const c = requireCandidate(store, id)
  const run = store.getRun(c.runId)
  const all = store.listMeasurements({ candidateId: id })
  const measurements: CandidateMeasurement[] = all.map((m) => ({
    id: m.id,
    runId: m.runId,
    deviceSerial: m.deviceSerial,
    deviceLabel: devices.label(m.deviceSerial),
    measurement: m.measurement
  }))
  const bySerial = new Map<string, MeasurementRecord[]>()
  for (const m of all) bySerial.set(m.deviceSerial, [...(bySerial.get(m.deviceSerial) ?? []), m])
  const perDevice: CandidateDeviceFigures[] = [...bySerial.entries()].map(([serial, list]) => {
    const latest = list[0]
    return {
      deviceSerial: serial,
      deviceLabel: devices.label(serial),
      connected: devices.connected(serial),
      count: list.length,
      latencyMeanMs: latest.latencyMeanMs,
      latencyStdMs: latest.measurement.steady.stdMs,
      energyMj: latest.energyMj,
      energyReliable: latest.measurement.energy?.reliable ?? null,
      energyModelled: latest.measurement.energy?.modelled ?? null,
      measuredAt: latest.measuredAt,
      measurementId: latest.id
    }
  })
  perDevice.sort((a, b) => a.latencyMeanMs - b.latencyMeanMs)
  return { candidate: candidateInfo(c, pickMeasurement(all, run?.deviceSerial ?? null)), run, measurements, devices: perDevice }
}

/** The candidate's .tflite bytes, from the store or from the file beside it. */
export function candidateTflite(store: Store, id: string, dataDir: string): Uint8Array {
  const c = requireCandidate(store, id)
  if (c.tflite) return c.tflite
  if (c.tflitePath) {
    const file = path.isAbsolute(c.tflitePath) ? c.tflitePath : path.join(dataDir, c.tflitePath)
    try {
      return new Uint8Array(fs.readFileSync(file))
    } catch (e) {
      throw new LabError('not_found', `The .tflite file of ${c.name} (${file}) cannot be read: ${e instanceof Error ? e.message : String(e)}. It may have been moved or deleted.`)
    }
  }
  throw new LabError('not_found', `${c.name} has no .tflite file kept with it, so it cannot be downloaded or measured.`)
}

export function tfliteFileName(name: string): string {
  return `${name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'candidate'}.tflite`
}
