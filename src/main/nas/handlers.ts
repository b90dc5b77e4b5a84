// LabApi handlers for searches and their candidates. The search trains on the CPU queue and measures on the
// device through the 'measure' service, so the device's own queue stays free between measurements.
import type { z } from 'zod'
import { HOST_SERIAL } from '../devices/registry'
import type { Lab } from '../lab'
import { SearchRequestSchema, type CandidateInfo, type SearchRequest, type SearchHistory, type SearchHistoryRecord, type SearchResponses, type searchRequests } from '../../shared/contract/search'
import { LabError } from '../../shared/errors'
import { readTrainingEngine } from '../../shared/contract/engine'
import { HISTORY_POINT_CAP, emptyHistory, thinHistory } from './history'
import { candidateDetail, candidateInfo } from './services'
import type { SearchJobParams } from './job'

/** Same shape as Pick<Handlers, 'search.start' | 'search.history' | 'candidates.list' | 'candidates.get'> once api.ts composes searchRequests. */
export type SearchHandlers = { [M in keyof typeof searchRequests]: (request: z.output<(typeof searchRequests)[M]>) => Promise<SearchResponses[M]> }

/**
 * Why a lookup table cannot price this search's space (it was measured for another space, stem stride or width),
 * as a sentence naming the setting to change; null when it fits. Tables without a stem stride were measured at 1.
 */
export function tableMismatch(space: string, settings: unknown, req: Pick<SearchRequest, 'space' | 'stemStride' | 'widthMult'>): string | null {
  const options = ((settings ?? {}) as { spaceOptions?: { widthMult?: unknown; stemStride?: unknown } }).spaceOptions ?? {}
  if (space !== req.space) return `The lookup table was measured for the ${space} space, but the search asks for the ${req.space} space: choose space "${space}" or a table of the ${req.space} space.`
  const stride = options.stemStride === 2 ? 2 : 1
  if (req.space === 'small' && stride !== req.stemStride) {
    return `The lookup table was measured with stem stride ${stride}, but the search asks for stride ${req.stemStride}: set the stem stride to ${stride} (CLI: --stem-stride ${stride}) or profile the small space with stride ${req.stemStride}.`
  }
  const width = typeof options.widthMult === 'number' ? options.widthMult : 1
  if (Math.abs(width - req.widthMult) > 1e-9) return `The lookup table was measured at width ×${width}, but the search asks for ×${req.widthMult}: set the width multiplier to ${width} or profile at ×${req.widthMult}.`
  return null
}

export function searchHandlers(lab: Lab): SearchHandlers {
  return {
    'search.start': async (req) => {
      if (req.serial !== HOST_SERIAL) await lab.startDevices()
      const device = lab.registry.get(req.serial)
      if (device.state !== 'device') throw new LabError('device_unavailable', `${device.label} is ${device.state}: ${device.stateHint ?? 'wait until it is ready'}.`)
      if (req.tableId) {
        const table = lab.store.getLookupTable(req.tableId)
        if (!table) throw new LabError('not_found', `There is no lookup table ${req.tableId}; profile ${device.label} first, or leave the table out so the search measures the blocks itself.`)
        const mismatch = tableMismatch(table.spaceName, table.settings, req)
        if (mismatch) throw new LabError('bad_request', mismatch, 'tableId')
      }
      const targets = req.objective === 'latency' ? req.targetsMs : req.targetsMj
      const what = req.lambdas.length > 0 ? `λ ${req.lambdas.join(', ')}` : targets.length > 0 ? `${targets.join(', ')} ${req.objective === 'latency' ? 'ms' : 'mJ'}` : 'automatic targets'
      const name = req.name ?? `Search on ${device.label} (${req.dataset}, ${what})`
      const run = lab.store.insertRun({ kind: 'search', name, deviceSerial: req.serial, status: 'queued', settings: req })
      const params: SearchJobParams = { ...req, runId: run.id, dataDir: lab.dataDir }
      return lab.jobs.start({ kind: 'search', params, title: name, queue: 'cpu', runId: run.id })
    },
    'search.history': async (req) => searchHistory(lab, req.runId),
    'candidates.list': async (req) => {
      const runs = req.runId ? [req.runId] : lab.store.listRuns('search').map((r) => r.id)
      const out: CandidateInfo[] = []
      for (const id of runs) for (const c of lab.store.listCandidates(id)) out.push(candidateInfo(lab.store, c))
      return out
    },
    'candidates.get': async (req) => candidateDetail(lab.store, req.id)
  }
}

/** A run's request and recorded history (curves, probabilities, derived networks), with its job's state if known. */
export function searchHistory(lab: Lab, runId: string): SearchHistory {
  const run = lab.store.getRun(runId)
  if (!run || run.kind !== 'search') throw new LabError('not_found', `There is no search run ${runId}; pick one from the list of search runs.`)
  const { history: raw, trainingEngine, ...settings } = run.settings && typeof run.settings === 'object' ? (run.settings as Record<string, unknown>) : {}
  const parsed = SearchRequestSchema.safeParse(settings)
  const request = parsed.success ? parsed.data : null
  const objective = request?.objective ?? (settings.objective === 'energy' ? 'energy' : 'latency')
  const unit = objective === 'energy' ? 'mJ' : 'ms'
  const h = readHistoryRecord(raw) ?? emptyHistory(unit)
  const job = lab.jobs.list().filter((j) => j.runId === run.id).sort((a, b) => b.createdAt - a.createdAt)[0] ?? null
  return {
    runId: run.id,
    name: run.name,
    serial: run.deviceSerial,
    state: job?.state ?? run.status,
    jobId: job?.id ?? null,
    stage: job?.progress?.stage ?? null,
    request,
    trainingEngine: readTrainingEngine(trainingEngine),
    objective,
    unit,
    phases: h.phases.map((p) => p ?? null),
    points: thinHistory(h.points, HISTORY_POINT_CAP),
    probabilities: h.probabilities,
    derived: h.derived
  }
}

/** The stored history when it has the shape this lab writes, else null (a run from before histories were kept). */
function readHistoryRecord(raw: unknown): SearchHistoryRecord | null {
  if (!raw || typeof raw !== 'object') return null
  const h = raw as Partial<SearchHistoryRecord>
  if (h.version !== 1 || !Array.isArray(h.phases) || !Array.isArray(h.points) || !Array.isArray(h.derived)) return null
  return h as SearchHistoryRecord
}
