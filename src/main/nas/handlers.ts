// LabApi handlers for searches and their candidates. The search trains on the CPU queue and measures on the
// device through the 'measure' service, so the device's own queue stays free between measurements.
import type { z } from 'zod'
import { HOST_SERIAL } from '../devices/registry'
import type { Lab } from '../lab'
import type { CandidateInfo, SearchResponses, searchRequests } from '../../shared/contract/search'
import { LabError } from '../../shared/errors'
import { candidateDetail, candidateInfo } from './services'
import type { SearchJobParams } from './job'

/** Same shape as Pick<Handlers, 'search.start' | 'candidates.list' | 'candidates.get'> once api.ts composes searchRequests. */
export type SearchHandlers = { [M in keyof typeof searchRequests]: (request: z.output<(typeof searchRequests)[M]>) => Promise<SearchResponses[M]> }

export function searchHandlers(lab: Lab): SearchHandlers {
  return {
    'search.start': async (req) => {
      if (req.serial !== HOST_SERIAL) await lab.startDevices()
      const device = lab.registry.get(req.serial)
      if (device.state !== 'device') throw new LabError('device_unavailable', `${device.label} is ${device.state}: ${device.stateHint ?? 'wait until it is ready'}.`)
      if (req.tableId && !lab.store.getLookupTable(req.tableId)) {
        throw new LabError('not_found', `There is no lookup table ${req.tableId}; profile ${device.label} first, or leave the table out so the search measures the blocks itself.`)
      }
      const targets = req.objective === 'latency' ? req.targetsMs : req.targetsMj
      const what = req.lambdas.length > 0 ? `λ ${req.lambdas.join(', ')}` : targets.length > 0 ? `${targets.join(', ')} ${req.objective === 'latency' ? 'ms' : 'mJ'}` : 'automatic targets'
      const name = req.name ?? `Search on ${device.label} (${req.dataset}, ${what})`
      const run = lab.store.insertRun({ kind: 'search', name, deviceSerial: req.serial, status: 'queued', settings: req })
      const params: SearchJobParams = { ...req, runId: run.id, dataDir: lab.dataDir }
      return lab.jobs.start({ kind: 'search', params, title: name, queue: 'cpu', runId: run.id })
    },
    'candidates.list': async (req) => {
      const runs = req.runId ? [req.runId] : lab.store.listRuns('search').map((r) => r.id)
      const out: CandidateInfo[] = []
      for (const id of runs) for (const c of lab.store.listCandidates(id)) out.push(candidateInfo(lab.store, c))
      return out
    },
    'candidates.get': async (req) => candidateDetail(lab.store, req.id)
  }
}
