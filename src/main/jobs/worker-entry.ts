// The one worker-thread entry for every job kind: loads the kind's runner, gives it a JobContext wired to the
// parent over messages, and posts exactly one 'result' or 'error' before letting the thread end.
import path from 'node:path'
import { parentPort, workerData } from 'node:worker_threads'
import { jobKinds, type JobKindModule } from './kinds'
import { LabError, type LabErrorCode } from '../../shared/errors'
import type { FromWorker, JobContext, JobRunner, ToWorker, WorkerStartData } from './runner'

const STOP_MESSAGES = {
  cancel: 'The job was cancelled.',
  interrupt: 'The lab is closing; the job stopped and can be resumed from its last checkpoint.'
} as const

// Under tsx (tests, CLI from source) a TS worker has CommonJS require hooks only: tsx's ESM hooks do not load
// in worker threads on Node 20, so a dynamic import() of a .ts file fails there. Source runs use require instead.
const RUNNING_FROM_SOURCE = __filename.endsWith('.ts')

async function loadRunner(start: WorkerStartData): Promise<JobRunner> {
  let mod: Partial<JobKindModule>
  if (start.runnerModule) {
    mod = require(start.runnerModule) as Partial<JobKindModule>
  } else {
    const entry = jobKinds[start.kind as keyof typeof jobKinds]
    if (!entry) throw new Error(`Jobs of kind '${start.kind}' are not available in this version of the lab.`)
    mod = RUNNING_FROM_SOURCE ? (require(path.join(__dirname, entry.file)) as Partial<JobKindModule>) : await entry.load()
  }
  if (!mod.runner) throw new Error(`The module for '${start.kind}' jobs does not export a runner.`)
  return mod.runner
}

async function main(): Promise<void> {
  const port = parentPort
  if (!port) throw new Error('worker-entry must run in a worker thread')
  const start = workerData as WorkerStartData
  const post = (message: FromWorker) => port.postMessage(message)

  const controller = new AbortController()
  const pendingCheckpoints = new Map<number, { resolve: () => void; reject: (e: Error) => void }>()
  const pendingCalls = new Map<number, { resolve: (value: unknown) => void; reject: (e: Error) => void }>()
  let nextRequestId = 1
  let latestCheckpoint: unknown = start.hasCheckpoint ? start.checkpoint : null

  // Listen before anything slow, so a stop sent while the runner loads is not missed.
  const onMessage = (message: ToWorker) => {
    if (message.type === 'stop') {
      const error = new Error(STOP_MESSAGES[message.reason])
      error.name = 'AbortError'
      controller.abort(error)
    } else if (message.type === 'checkpoint-saved') {
      const pending = pendingCheckpoints.get(message.requestId)
      pendingCheckpoints.delete(message.requestId)
      if (message.error === null) pending?.resolve()
      else pending?.reject(new Error(message.error))
    } else if (message.type === 'call-result') {
      const pending = pendingCalls.get(message.requestId)
      pendingCalls.delete(message.requestId)
      if (message.ok) pending?.resolve(message.value)
      else pending?.reject(new LabError(message.error.code as LabErrorCode, message.error.message))
    }
  }
  port.on('message', onMessage)

  const ctx: JobContext = {
    jobId: start.jobId,
    params: start.params,
    signal: controller.signal,
    reportProgress: (p) => post({ type: 'progress', fraction: p.fraction, stage: p.stage, counters: p.counters }),
    checkpoint: (data) =>
      new Promise<void>((resolve, reject) => {
        const requestId = nextRequestId++
        pendingCheckpoints.set(requestId, {
          resolve: () => {
            latestCheckpoint = data
            resolve()
          },
          reject
        })
        post({ type: 'checkpoint', requestId, data })
      }),
    loadCheckpoint: () => latestCheckpoint,
    log: (text) => post({ type: 'log', text }),
    call: <T>(service: string, args: unknown) =>
      new Promise<T>((resolve, reject) => {
        const requestId = nextRequestId++
        pendingCalls.set(requestId, { resolve: resolve as (value: unknown) => void, reject })
        post({ type: 'call', requestId, service, args })
      })
  }

  try {
    const runner = await loadRunner(start)
    const result = await runner.run(ctx)
    post({ type: 'result', result: result === undefined ? null : result })
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e))
    const rawCode: unknown = (err as Error & { code?: unknown }).code
    const code = typeof rawCode === 'string' ? rawCode : null
    post({ type: 'error', message: err.message, code: controller.signal.aborted ? 'cancelled' : code })
  } finally {
    // With no 'message' listener the port no longer keeps the thread alive; it ends once the job's own work has.
    port.off('message', onMessage)
  }
}

void main()
