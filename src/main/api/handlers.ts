// The LabApi implementation: one handler per method, composed from the lab's services.
// Transports (IPC, WebSocket) and the CLI all call these through dispatch().
import type { Lab } from '../lab'
import type { Handlers } from './dispatch'

export function createHandlers(lab: Lab): Handlers {
  return {
    'lab.info': async () => lab.info(),
    'jobs.list': async (req) => lab.jobs.list({ includeFinished: req.includeFinished }),
    'jobs.get': async (req) => lab.jobs.get(req.jobId),
    'jobs.startDemo': async (req) => lab.jobs.start({ kind: 'demo', params: req, title: `Demo job (${req.steps} steps)`, queue: req.queue }),
    'jobs.cancel': async (req) => lab.jobs.cancel(req.jobId),
    'jobs.resume': async (req) => lab.jobs.resume(req.jobId),
    'devices.list': async () => lab.devices.list(),
    'runs.list': async (req) => lab.store.listRuns(req.kind)
  }
}
