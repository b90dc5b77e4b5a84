// LabApi handlers of the Quantize capability: start a HAQ job, read its per-episode records and results, download
// a stored candidate's .tflite.
import { readTrainingEngine } from '../../shared/contract/engine'
import { HOST_SERIAL } from '../devices/registry'
import type { Handlers } from '../api/dispatch'
import type { Lab } from '../lab'
import { LabError } from '../../shared/errors'
import type { QuantizeReport } from '../../shared/contract/quantize'
import { parseBudget } from './budget'

type QuantizeHandlerNames = 'quantize.start' | 'quantize.episodes' | 'quantize.tflite'

const UNITS = { latency: 'ms', energy: 'mJ', size: 'B' } as const

export function quantizeHandlers(lab: Lab): Pick<Handlers, QuantizeHandlerNames> {
  return {
    'quantize.start': async (req) => {
      if (req.serial !== HOST_SERIAL) await lab.startDevices()
      const device = lab.registry.get(req.serial)
      if (device.state !== 'device') throw new LabError('device_unavailable', `${device.label} is ${device.state}: ${device.stateHint ?? 'wait until it is ready'}.`)
      const budget = parseBudget(req.budget) // a typed sentence now rather than a failed job later
      if (req.space !== 'deploy' && budget.metric !== 'size') {
        throw new LabError('bad_request', `The ${req.space} space prices model size only (phones run no 2–7 bit kernels): use a size budget such as size:0.5, or the deploy space.`, 'budget')
      }
      if (req.warmupEpisodes >= req.episodes) {
        throw new LabError('bad_request', `With ${req.warmupEpisodes} warm-up episodes out of ${req.episodes} the agent never acts on what it learned: choose fewer warm-up episodes than episodes.`, 'warmupEpisodes')
      }
      const model = req.model.kind === 'candidate' ? `candidate ${req.model.candidateId}` : `small ${req.model.arch}`
      const run = lab.store.insertRun({
        kind: 'quantize',
        name: `HAQ ${model} on ${device.label} (${req.budget})`,
        deviceSerial: req.serial,
        status: 'queued',
        settings: { request: req, episodes: [], results: [], notes: [], layers: [] }
      })
      return lab.jobs.start({
        kind: 'quantize',
        params: { ...req, runId: run.id, dataDir: lab.dataDir },
        title: `Quantize ${model} for ${device.label} under ${req.budget}`,
        queue: 'cpu',
        runId: run.id
      })
    },

    'quantize.episodes': async (req) => {
      const run = lab.store.getRun(req.runId)
      if (!run || run.kind !== 'quantize') throw new LabError('not_found', `There is no quantize run ${req.runId}; pick one from the runs list.`)
      const s = (run.settings ?? {}) as Record<string, unknown>
      const request = (s.request ?? {}) as { budget?: string; costSource?: 'device' | 'table'; space?: 'deploy' | 'linear' | 'kmeans' }
      const job = lab.jobs.list().find((j) => j.runId === run.id) ?? null
      let budget: QuantizeReport['budget'] = null
      if (request.budget) {
        const b = parseBudget(request.budget)
        budget = { text: request.budget, metric: b.metric, limit: typeof s.budgetLimit === 'number' ? s.budgetLimit : b.kind === 'absolute' ? b.value : null, unit: UNITS[b.metric] }
      }
      return {
        runId: run.id,
        jobId: job?.id ?? null,
        state: job?.state ?? run.status,
        stage: job?.progress?.stage ?? (typeof s.stage === 'string' ? s.stage : null),
        serial: run.deviceSerial,
        budget,
        costSource: request.costSource ?? null,
        space: request.space ?? null,
        accuracyFp: typeof s.accuracyFp === 'number' ? s.accuracyFp : typeof run.figures.accuracyFp === 'number' ? run.figures.accuracyFp : null,
        layers: Array.isArray(s.layers) ? (s.layers as QuantizeReport['layers']) : [],
        episodes: Array.isArray(s.episodes) ? (s.episodes as QuantizeReport['episodes']) : [],
        results: Array.isArray(s.results) ? (s.results as QuantizeReport['results']) : [],
        notes: Array.isArray(s.notes) ? (s.notes as string[]) : [],
        trainingEngine: readTrainingEngine(s.trainingEngine)
      }
    },

    'quantize.tflite': async (req) => {
      const c = lab.store.getCandidate(req.candidateId)
      if (!c) throw new LabError('not_found', `There is no candidate ${req.candidateId}; refresh the run.`)
      if (!c.tflite) throw new LabError('not_found', `Candidate "${c.name}" has no .tflite file (bit-width policies are not exported): choose a deploy-space result.`)
      const fileName = `${c.name.replace(/[^A-Za-z0-9_.-]+/g, '_').replace(/_+$/, '')}.tflite`
      return { name: c.name, fileName, base64: Buffer.from(c.tflite).toString('base64'), sizeBytes: c.tflite.length }
    }
  }
}
