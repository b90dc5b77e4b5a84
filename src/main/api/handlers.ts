// The LabApi implementation: one handler per method, composed from the lab's services.
// Transports (IPC, WebSocket) and the CLI all call these through dispatch().
import path from 'node:path'
import { LabError, type RunSummary } from '../../shared/api'
import { inspectDataset, listDatasets } from '../data/registry'
import { readModelInput } from '../devices/service'
import { HOST_SERIAL } from '../devices/registry'
import { exportArchitecture, summarizeTflite } from '../model/export'
import type { Lab } from '../lab'
import type { Handlers } from './dispatch'
import { profileHandlers } from '../profile/handlers'
import { searchHandlers } from '../nas/handlers'
import { quantizeHandlers } from '../quant/handlers'
import { compareHandlers } from '../compare/handlers'

export function createHandlers(lab: Lab): Handlers {
  const devicesReady = async () => {
    await lab.startDevices()
  }
  return {
    // ---- lab, jobs, runs ----
    'lab.info': async () => lab.info(),
    'jobs.list': async (req) => lab.jobs.list({ includeFinished: req.includeFinished }),
    'jobs.get': async (req) => lab.jobs.get(req.jobId),
    'jobs.startDemo': async (req) => lab.jobs.start({ kind: 'demo', params: req, title: `Demo job (${req.steps} steps)`, queue: req.queue }),
    'jobs.cancel': async (req) => lab.jobs.cancel(req.jobId),
    'jobs.resume': async (req) => lab.jobs.resume(req.jobId),
    'runs.list': async (req) => lab.store.listRuns(req.kind).map(listedRun),

    // ---- devices ----
    'devices.list': async () => {
      await devicesReady()
      return lab.registry.list()
    },
    'devices.status': async () => {
      await devicesReady()
      return lab.devices.status()
    },
    'devices.refresh': async (req) => {
      await devicesReady()
      return lab.devices.refresh(req.serial)
    },
    'devices.addServer': async (req) => {
      await devicesReady()
      await lab.devices.adb.addServer(req.address)
      return lab.devices.status()
    },
    'devices.removeServer': async (req) => {
      lab.devices.adb.removeServer(req.address)
      return lab.devices.status()
    },
    'virtualPhones.list': async () => lab.devices.listVirtualPhones(),
    'virtualPhones.start': async (req) => {
      await devicesReady()
      const status = lab.devices.status()
      if (status.adbProblem) throw new LabError('tool_missing', `A virtual phone needs adb: ${status.adbProblem}`)
      // From the CLI the phone outlives the command (it runs until `virtual-phone stop`); from a window it belongs to the lab.
      return lab.devices.startVirtualPhone(req, lab.options.mode !== 'cli')
    },
    'virtualPhones.stop': async (req) => lab.devices.stopVirtualPhone(req.serial),
    'measure.start': async (req) => {
      if (req.serial !== HOST_SERIAL) await devicesReady()
      const device = lab.registry.get(req.serial)
      if (device.state !== 'device') throw new LabError('device_unavailable', `${device.label} is ${device.state}: ${device.stateHint ?? 'wait until it is ready'}.`)
      const model = readModelInput(req)
      const modelName = req.modelName ?? (req.modelPath ? path.basename(req.modelPath) : 'model.tflite')
      const run = lab.store.insertRun({ kind: 'measure', name: `${modelName} on ${device.label}`, deviceSerial: req.serial, status: 'queued', settings: { modelName, ...req.settings } })
      return lab.jobs.start({
        kind: 'measure',
        params: { serial: req.serial, model, modelName, settings: req.settings, runId: run.id },
        title: `Measure ${modelName} on ${device.label}`,
        queue: `device:${req.serial}`,
        runId: run.id
      })
    },
    'measurements.list': async (req) =>
      lab.store
        .listMeasurements({ deviceSerial: req.serial, candidateId: req.candidateId, runId: req.runId })
        .map((r) => ({ id: r.id, candidateId: r.candidateId, runId: r.runId, measurement: r.measurement })),

    // ---- models ----
    'tflite.inspect': async (req) => summarizeTflite(readModelInput({ modelPath: req.path, modelBase64: req.base64 })),
    'tflite.export': async (req) => exportArchitecture(req).model,

    // ---- data ----
    'data.list': async () => listDatasets({ dataDir: lab.dataDir }),
    'data.inspect': async (req) => inspectDataset(req.name, { dataDir: lab.dataDir, path: req.path }),

    // ---- settings ----
    'settings.get': async () => lab.settings.get(),
    'settings.set': async (req) => lab.settings.set(req),

    // ---- profile, lookup tables, predictor ----
    ...profileHandlers(lab),

    // ---- ProxylessNAS search (its candidates are served by Compare's candidates.*) ----
    'search.start': searchHandlers(lab)['search.start'],
    'search.history': searchHandlers(lab)['search.history'],

    // ---- runs, candidates, compare ----
    ...compareHandlers(lab),

    // ---- quantize (HAQ) ----
    ...quantizeHandlers(lab)
  }
}

/**
 * A run as runs.list gives it: its settings without a search's recorded history (curves and probabilities, up to a
 * few hundred KB per run; `search.history` returns it), so the Runs page stays quick with hundreds of searches.
 */
export function listedRun(run: RunSummary): RunSummary {
  const s = run.settings
  if (s === null || typeof s !== 'object' || Array.isArray(s) || !('history' in s)) return run
  const { history: _history, ...rest } = s as Record<string, unknown>
  return { ...run, settings: rest }
}
