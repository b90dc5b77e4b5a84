// LabApi handlers for runs, candidates and Compare, composed into the lab's handlers (see api/handlers.ts).
import { BenchmarkSettingsSchema, type BenchmarkSettings } from '../../shared/contract/measure'
import type { JobInfo, RunSummary } from '../../shared/contract/core'
import { LabError } from '../../shared/errors'
import type { Handlers } from '../api/dispatch'
import { HOST_SERIAL } from '../devices/registry'
import type { Lab } from '../lab'
import { candidateDetail, candidateTflite, listCandidateInfos, requireCandidate, storeDeviceLookup, tfliteFileName, type DeviceLookup } from './candidates'
import { exportRunBundle, importRunBundle } from './bundle'
import { candidatesCsv } from './csv'
import { computeFronts } from './fronts'
import { renderReport } from './report'
import { version as labVersion } from '../../../package.json'

type CompareHandlerNames =
  | 'runs.get'
  | 'runs.deviceLabels'
  | 'runs.update'
  | 'runs.delete'
  | 'runs.restore'
  | 'runs.export'
  | 'runs.import'
  | 'candidates.list'
  | 'candidates.get'
  | 'candidates.tflite'
  | 'candidates.measure'
  | 'candidates.measureAll'
  | 'compare.fronts'
  | 'compare.report'

export function fileStem(text: string): string {
  return text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80) || 'run'
}

export function labDeviceLookup(lab: Pick<Lab, 'store' | 'registry'>): DeviceLookup {
  return storeDeviceLookup(lab.store, {
    label: (serial) => (lab.registry.has(serial) ? lab.registry.get(serial).label : null),
    ready: (serial) => lab.registry.has(serial) && lab.registry.get(serial).state === 'device'
  })
}

export function compareHandlers(lab: Lab): Pick<Handlers, CompareHandlerNames> {
  const store = lab.store
  const devices = () => labDeviceLookup(lab)
  const requireRun = (id: string): RunSummary => {
    const run = store.getRun(id)
    if (!run) throw new LabError('not_found', `Run ${id} does not exist (or was deleted); refresh the runs list.`)
    return run
  }
  const readBytes = (c: { id: string }) => {
    try {
      return candidateTflite(store, c.id, lab.dataDir)
    } catch {
      return null
    }
  }

  async function measureCandidate(id: string, serial: string, settings: BenchmarkSettings | undefined): Promise<JobInfo> {
    const candidate = requireCandidate(store, id)
    if (serial !== HOST_SERIAL) await lab.startDevices()
    const device = lab.registry.get(serial)
    if (device.state !== 'device') throw new LabError('device_unavailable', `${device.label} is ${device.state}: ${device.stateHint ?? 'wait until it is ready'}.`)
    const model = candidateTflite(store, id, lab.dataDir)
    const chosen = settings ?? BenchmarkSettingsSchema.parse({ energy: device.kind !== 'host' })
    const modelName = tfliteFileName(candidate.name)
    const run = store.insertRun({
      kind: 'measure',
      name: `${candidate.name} on ${device.label}`,
      deviceSerial: serial,
      status: 'queued',
      settings: { modelName, candidateId: id, ...chosen }
    })
    return lab.jobs.start({
      kind: 'measure',
      params: { serial, model, modelName, settings: chosen, runId: run.id, candidateId: id },
      title: `Measure ${candidate.name} on ${device.label}`,
      queue: `device:${serial}`,
      runId: run.id
    })
  }

  return {
    'runs.get': async (req) => requireRun(req.id),
    'runs.deviceLabels': async () => {
      const labels: Record<string, string> = Object.fromEntries(store.listDevices().map((d) => [d.serial, d.label]))
      for (const d of lab.registry.list()) labels[d.serial] = d.label
      return labels
    },
    'runs.update': async (req) => {
      requireRun(req.id)
      const tags = req.tags === undefined ? undefined : [...new Set(req.tags.map((t) => t.trim()))]
      return store.updateRun(req.id, { name: req.name, tags })
    },
    'runs.delete': async (req) => {
      const run = requireRun(req.id)
      store.deleteRun(req.id)
      return run
    },
    'runs.restore': async (req) => store.restoreRun(req.id),
    'runs.export': async (req) => {
      const run = requireRun(req.id)
      const stem = fileStem(run.name)
      if (req.format === 'json') {
        return { fileName: `${stem}.run.json`, mimeType: 'application/json', content: JSON.stringify(exportRunBundle(store, run.id, readBytes), null, 1) }
      }
      if (req.format === 'csv') return { fileName: `${stem}.candidates.csv`, mimeType: 'text/csv', content: candidatesCsv(listCandidateInfos(store, run.id)) }
      const fronts = computeFronts(store, { runIds: [run.id], objective: req.objective, xAxis: 'measured' }, devices())
      return { fileName: `${stem}.report.html`, mimeType: 'text/html', content: renderReport(fronts, { title: `${run.name}: Pareto front`, labVersion }) }
    },
    'runs.import': async (req) => importRunBundle(store, req.json),
    'candidates.list': async (req) => listCandidateInfos(store, req.runId),
    'candidates.get': async (req) => candidateDetail(store, req.id, devices()),
    'candidates.tflite': async (req) => {
      const c = requireCandidate(store, req.id)
      const bytes = candidateTflite(store, req.id, lab.dataDir)
      return { fileName: tfliteFileName(c.name), base64: Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64'), sizeBytes: bytes.byteLength }
    },
    'candidates.measure': async (req) => measureCandidate(req.id, req.serial, req.settings),
    'candidates.measureAll': async (req) => {
      requireCandidate(store, req.id)
      await lab.startDevices()
      const ready = lab.registry.list().filter((d) => d.kind !== 'host' && d.state === 'device')
      if (ready.length === 0) {
        throw new LabError('device_unavailable', 'No phone is connected and ready. Plug one in (or start a virtual phone in Devices), then measure again.')
      }
      const jobs: JobInfo[] = []
      for (const d of ready) jobs.push(await measureCandidate(req.id, d.serial, req.settings))
      return jobs
    },
    'compare.fronts': async (req) => computeFronts(store, req, devices()),
    'compare.report': async (req) => {
      const fronts = computeFronts(store, req, devices())
      const title = fronts.runs.length === 1 ? `${fronts.runs[0].name}: Pareto front` : `Comparison of ${fronts.runs.length} runs`
      return { fileName: `${fileStem(fronts.runs.map((r) => r.name).join('-vs-'))}.report.html`, mimeType: 'text/html', content: renderReport(fronts, { title, labVersion }) }
    }
  }
}
