// Lab services the search job calls from its worker (the store lives in the main thread), and the store → API
// mapping of candidates. lab.ts spreads searchServices(store) into its services.
import { LabError } from '../../shared/errors'
import type { CandidateArchitecture, CandidateDetail, CandidateInfo } from '../../shared/contract/search'
import type { JobService } from '../jobs/runner'
import type { Store } from '../store'
import type { CandidateRecord } from '../store/types'
import { rowsFromEntries } from './table'

export interface InsertCandidateArgs {
  runId: string
  name: string
  architecture: CandidateArchitecture
  precision: 'fp32' | 'int8'
  accuracy: number | null
  sizeBytes: number
  macs: number
  predictedLatencyMs: number | null
  predictedEnergyMj: number | null
  tflite: Uint8Array
}

export function searchServices(store: Store): Record<string, JobService> {
  return {
    'candidates.insert': async (args) => {
      const a = args as InsertCandidateArgs
      const c = store.insertCandidate({ ...a, tflite: a.tflite })
      return { id: c.id, runId: c.runId, createdAt: c.createdAt }
    },
    'tables.getRows': async (args) => {
      const { id } = args as { id: string }
      const t = store.getLookupTable(id)
      if (!t) throw new LabError('not_found', `There is no lookup table ${id}; profile the device first, or leave the table out so the search measures the blocks itself.`)
      return { deviceSerial: t.deviceSerial, spaceName: t.spaceName, rows: rowsFromEntries(t.entries) }
    }
  }
}

/** A stored candidate with its latest measurement on any device. */
export function candidateInfo(store: Store, c: CandidateRecord): CandidateInfo {
  const ms = store.listMeasurements({ candidateId: c.id })
  const latest = ms.length > 0 ? ms.reduce((a, b) => (b.measuredAt > a.measuredAt ? b : a)) : null
  return {
    id: c.id,
    runId: c.runId,
    name: c.name,
    architecture: c.architecture as CandidateArchitecture,
    precision: c.precision === 'int8' ? 'int8' : 'fp32',
    accuracy: c.accuracy,
    sizeBytes: c.sizeBytes,
    macs: c.macs,
    predictedLatencyMs: c.predictedLatencyMs,
    predictedEnergyMj: c.predictedEnergyMj,
    measuredLatencyMs: latest ? latest.latencyMeanMs : null,
    measuredEnergyMj: latest ? latest.energyMj : null,
    createdAt: c.createdAt
  }
}

export function candidateDetail(store: Store, id: string): CandidateDetail {
  const c = store.getCandidate(id)
  if (!c) throw new LabError('not_found', `There is no candidate ${id}; it may belong to a deleted run. Refresh the list.`)
  return { ...candidateInfo(store, c), measurements: store.listMeasurements({ candidateId: id }).map((m) => ({ id: m.id, measurement: m.measurement })) }
}
