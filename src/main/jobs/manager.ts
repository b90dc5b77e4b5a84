// The JobManager: queues jobs (one queue per device, plus the 'cpu' queue), runs each in a worker thread,
// persists state and checkpoints in the store, and tells front ends through job.* events.
import fs from 'node:fs'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import { FINISHED_JOB_STATES, type JobInfo, type JobKind, type JobState } from '../../shared/contract/core'
import { LabError } from '../../shared/errors'
import type { LabEvents } from '../events'
import { newId, type Store } from '../store'
import { TimeLeftEstimator } from './eta'
import { hasJobKind } from './kinds'
import { toErrorPayload } from '../../shared/errors'
import type { FromWorker, JobService, StopReason, ToWorker, WorkerStartData } from './runner'

export interface JobManagerOptions {
  store: Store
  events: LabEvents
  /** Jobs running at once on the 'cpu' queue; every device queue runs one at a time. */
  cpuConcurrency: number
  /** How long a cancelled job may take to stop by itself before its worker is terminated. */
  cancelGraceMs?: number
  /** How long close() waits for running jobs to stop before terminating their workers. */
  closeGraceMs?: number
  /** Least time between two job.progress events of one job (state changes are always sent). */
  progressEventIntervalMs?: number
  /** Replace the registry's module for some kinds with a file exporting `runner` (tests use this for fixtures). */
  runnerModules?: Partial<Record<JobKind, string>>
  /** Lab services jobs may call from their workers (JobContext.call). */
  services?: Record<string, JobService>
}

export interface StartJobRequest {
  kind: JobKind
  params: unknown
  title: string
  /** 'cpu' or 'device:<serial>' */
  queue: string
  runId?: string | null
}

type Outcome = { ok: true; result: unknown; beforeStop: boolean } | { ok: false; message: string }

interface LiveJob {
  info: JobInfo
  worker: Worker | null
  estimator: TimeLeftEstimator
  stop: StopReason | null
  outcome: Outcome | null
  terminateTimer: NodeJS.Timeout | null
  terminateAtMs: number
  lastPersistAtMs: number
  lastEventAtMs: number
  exited: Promise<void>
  markExited: () => void
  /** Aborted when the job is asked to stop, so service calls in flight (e.g. a measurement) stop too. */
  serviceAbort: AbortController
}

const QUEUE_PATTERN = /^(cpu|device:.+)$/
const RESUMABLE_STATES: readonly JobState[] = ['interrupted', 'failed', 'cancelled']
const PROGRESS_PERSIST_INTERVAL_MS = 1000
const EXIT_GRACE_MS = 2000
const LOG_LINES_KEPT = 200

/** The worker script: the bundled job-worker.js beside the main bundle, else the TS source run through tsx. */
export function resolveWorkerScript(dir: string = __dirname): { file: string; execArgv: string[] } {
  const bundled = path.join(dir, 'job-worker.js')
  if (fs.existsSync(bundled)) return { file: bundled, execArgv: [] }
  // tsx's CommonJS hooks: '--import tsx' does not take effect for a worker's own entry file on Node 20.
  return { file: path.join(dir, 'worker-entry.ts'), execArgv: ['--require', 'tsx/cjs'] }
}

export class JobManager {
  private readonly store: Store
  private readonly events: LabEvents
  private readonly cpuConcurrency: number
  private readonly cancelGraceMs: number
  private readonly closeGraceMs: number
  private readonly progressEventIntervalMs: number
  private readonly runnerModules: Partial<Record<JobKind, string>>
  private readonly services: Record<string, JobService>
  private readonly workerScript = resolveWorkerScript()
  /** Jobs this manager is responsible for now (queued, running, cancelling), in queue order. */
  private readonly live = new Map<string, LiveJob>()
  private readonly logs = new Map<string, string[]>()
  private closing: Promise<void> | null = null

  constructor(options: JobManagerOptions) {
    this.store = options.store
    this.events = options.events
    this.cpuConcurrency = Math.max(1, Math.floor(options.cpuConcurrency))
    this.cancelGraceMs = options.cancelGraceMs ?? 5000
    this.closeGraceMs = options.closeGraceMs ?? 3000
    this.progressEventIntervalMs = options.progressEventIntervalMs ?? 100
    this.runnerModules = options.runnerModules ?? {}
    this.services = options.services ?? {}
  }

  list(options: { includeFinished?: boolean } = {}): JobInfo[] {
    return this.store.listJobs({ includeFinished: options.includeFinished ?? true }).map((job) => this.snapshot(this.live.get(job.id)?.info ?? job))
  }

  get(id: string): JobInfo {
    const live = this.live.get(id)
    if (live) return this.snapshot(live.info)
    const job = this.store.getJob(id)
    if (!job) throw new LabError('not_found', `There is no job ${id}; it may belong to another data folder. Refresh the jobs list.`)
    return job
  }

  /** Worker threads alive now (running or stopping jobs). */
  get activeWorkerCount(): number {
    let count = 0
    for (const live of this.live.values()) if (live.worker !== null) count++
    return count
  }

  /** Lines the job wrote with ctx.log (the latest ones). */
  logOf(id: string): string[] {
    return [...(this.logs.get(id) ?? [])]
  }

  start(request: StartJobRequest): JobInfo {
    this.assertOpen()
    if (!this.hasKind(request.kind)) {
      throw new LabError('bad_request', `Jobs of kind '${request.kind}' are not available in this version of the lab.`)
    }
    if (!QUEUE_PATTERN.test(request.queue)) {
      throw new LabError('bad_request', `Queue "${request.queue}" is not valid; use 'cpu' or 'device:<serial>'.`, 'queue')
    }
    const info: JobInfo = {
      id: newId('job'),
      kind: request.kind,
      title: request.title,
      queue: request.queue,
      state: 'queued',
      params: request.params,
      progress: null,
      createdAt: Date.now(),
      startedAt: null,
      finishedAt: null,
      error: null,
      result: null,
      runId: request.runId ?? null
    }
    this.store.insertJob(info)
    this.live.set(info.id, this.liveJob(info))
    this.events.emit({ type: 'job.added', job: this.snapshot(info) })
    this.pump()
    return this.snapshot(info)
  }

  cancel(id: string): JobInfo {
    const live = this.live.get(id)
    if (live) {
      if (live.worker === null) {
        // Still waiting in its queue: nothing to stop.
        this.live.delete(id)
        this.finish(live, 'cancelled')
      } else if (live.stop === null) {
        live.stop = 'cancel'
        this.setState(live.info, 'cancelling')
        this.post(live, { type: 'stop', reason: 'cancel' })
        live.serviceAbort.abort()
        this.terminateAfter(live, this.cancelGraceMs)
      }
      return this.snapshot(live.info)
    }
    const job = this.get(id)
    if (FINISHED_JOB_STATES.includes(job.state)) {
      throw new LabError('conflict', `Job "${job.title}" has already ${job.state === 'succeeded' ? 'succeeded' : `ended (${job.state})`}; there is nothing to cancel.`)
    }
    // Interrupted (or left over by a crashed lab): cancelling means it will not be resumed.
    job.state = 'cancelled'
    job.finishedAt = Date.now()
    if (job.progress) job.progress = { ...job.progress, timeLeftMs: null }
    this.persist(job)
    this.events.emit({ type: 'job.finished', job: this.snapshot(job) })
    return this.snapshot(job)
  }

  resume(id: string): JobInfo {
    this.assertOpen()
    const live = this.live.get(id)
    if (live) throw new LabError('conflict', `Job "${live.info.title}" is ${live.info.state}; only an interrupted, failed or cancelled job can be resumed.`)
    const job = this.get(id)
    if (!RESUMABLE_STATES.includes(job.state)) {
      throw new LabError('conflict', `Job "${job.title}" is ${job.state}; only an interrupted, failed or cancelled job can be resumed.`)
    }
    if (!this.hasKind(job.kind)) throw new LabError('bad_request', `Jobs of kind '${job.kind}' are not available in this version of the lab.`)
    const info: JobInfo = {
      ...job,
      state: 'queued',
      error: null,
      result: null,
      finishedAt: null,
      progress: job.progress ? { ...job.progress, timeLeftMs: null } : null
    }
    this.persist(info)
    this.live.set(id, this.liveJob(info))
    this.events.emit({ type: 'job.progress', job: this.snapshot(info) })
    this.pump()
    return this.snapshot(info)
  }

  /** At start-up: jobs a crashed or closed lab left queued or running become interrupted (resumable). */
  async recover(): Promise<JobInfo[]> {
    const recovered: JobInfo[] = []
    for (const job of this.store.listJobs({ includeFinished: false })) {
      if (this.live.has(job.id) || job.state === 'interrupted') continue
      const progress = job.progress ? { ...job.progress, timeLeftMs: null } : null
      if (job.state === 'cancelling') {
        // A person asked to cancel it before the lab stopped: honour that.
        Object.assign(job, { state: 'cancelled', finishedAt: Date.now(), progress })
        this.persist(job)
        this.events.emit({ type: 'job.finished', job: this.snapshot(job) })
      } else {
        Object.assign(job, { state: 'interrupted', progress })
        this.persist(job)
        this.events.emit({ type: 'job.progress', job: this.snapshot(job) })
      }
      recovered.push(this.snapshot(job))
    }
    return recovered
  }

  /** Stop all work: queued and running jobs become interrupted (resumable next time); resolves when every worker is gone. */
  close(): Promise<void> {
    if (this.closing) return this.closing
    this.closing = (async () => {
      const exits: Promise<void>[] = []
      for (const live of [...this.live.values()]) {
        if (live.worker === null) {
          this.live.delete(live.info.id)
          this.finish(live, 'interrupted')
          continue
        }
        if (live.stop === null) {
          live.stop = 'interrupt'
          this.post(live, { type: 'stop', reason: 'interrupt' })
          live.serviceAbort.abort()
        }
        this.terminateAfter(live, this.closeGraceMs)
        exits.push(live.exited)
      }
      await Promise.all(exits)
    })()
    return this.closing
  }

  // ---- internals ----

  private hasKind(kind: string): boolean {
    return hasJobKind(kind) || Object.prototype.hasOwnProperty.call(this.runnerModules, kind)
  }

  private assertOpen(): void {
    if (this.closing) throw new LabError('conflict', 'The lab is shutting down; start the job again after it restarts.')
  }

  private liveJob(info: JobInfo): LiveJob {
    let markExited = () => {}
    const exited = new Promise<void>((resolve) => (markExited = resolve))
    return {
      info,
      worker: null,
      estimator: new TimeLeftEstimator(),
      stop: null,
      outcome: null,
      terminateTimer: null,
      terminateAtMs: Infinity,
      lastPersistAtMs: 0,
      lastEventAtMs: 0,
      exited,
      markExited,
      serviceAbort: new AbortController()
    }
  }

  private queueLimit(queue: string): number {
    return queue === 'cpu' ? this.cpuConcurrency : 1
  }

  /** Start every queued job whose queue has room, oldest first. */
  private pump(): void {
    if (this.closing) return
    const running = new Map<string, number>()
    for (const live of this.live.values()) {
      if (live.worker !== null) running.set(live.info.queue, (running.get(live.info.queue) ?? 0) + 1)
    }
    for (const live of this.live.values()) {
      if (live.worker !== null || live.info.state !== 'queued') continue
      const busy = running.get(live.info.queue) ?? 0
      if (busy >= this.queueLimit(live.info.queue)) continue
      running.set(live.info.queue, busy + 1)
      this.launch(live)
    }
  }

  private launch(live: LiveJob): void {
    const info = live.info
    const checkpoint = this.store.loadCheckpoint(info.id)
    const start: WorkerStartData = {
      jobId: info.id,
      kind: info.kind,
      params: info.params,
      checkpoint: checkpoint?.data ?? null,
      hasCheckpoint: checkpoint !== null,
      runnerModule: this.runnerModules[info.kind] ?? null
    }
    info.startedAt = Date.now()
    let worker: Worker
    try {
      worker = new Worker(this.workerScript.file, { execArgv: this.workerScript.execArgv, workerData: start })
    } catch (e) {
      this.live.delete(info.id)
      this.finish(live, 'failed', `Could not start a worker for "${info.title}": ${e instanceof Error ? e.message : String(e)}`)
      return
    }
    live.worker = worker
    this.setState(info, 'running')
    worker.on('message', (message: FromWorker) => this.onMessage(live, message))
    worker.on('error', (error) => {
      live.outcome ??= { ok: false, message: `The "${info.title}" job crashed: ${error.message}` }
    })
    worker.on('exit', (exitCode) => this.onExit(live, exitCode))
  }

  private onMessage(live: LiveJob, message: FromWorker): void {
    const info = live.info
    switch (message.type) {
      case 'progress': {
        const nowMs = Date.now()
        const fraction = Number.isFinite(message.fraction) ? Math.min(1, Math.max(0, message.fraction)) : 0
        info.progress = {
          fraction,
          stage: String(message.stage),
          timeLeftMs: live.estimator.update(fraction, nowMs),
          ...(message.counters ? { counters: message.counters } : {})
        }
        if (nowMs - live.lastPersistAtMs >= PROGRESS_PERSIST_INTERVAL_MS) {
          this.persist(info)
          live.lastPersistAtMs = nowMs
        }
        if (nowMs - live.lastEventAtMs >= this.progressEventIntervalMs || fraction === 1) {
          live.lastEventAtMs = nowMs
          this.events.emit({ type: 'job.progress', job: this.snapshot(info) })
        }
        return
      }
      case 'checkpoint': {
        let error: string | null = null
        try {
          // The checkpoint and the progress that goes with it commit together.
          this.store.transaction(() => {
            this.store.saveCheckpoint(info.id, message.data)
            this.store.updateJob(info)
          })
          live.lastPersistAtMs = Date.now()
        } catch (e) {
          error = `The lab could not save a checkpoint: ${e instanceof Error ? e.message : String(e)}`
        }
        this.post(live, { type: 'checkpoint-saved', requestId: message.requestId, error })
        return
      }
      case 'call': {
        void this.callService(live, message.requestId, String(message.service), message.args)
        return
      }
      case 'log': {
        const lines = this.logs.get(info.id) ?? []
        lines.push(String(message.text))
        if (lines.length > LOG_LINES_KEPT) lines.splice(0, lines.length - LOG_LINES_KEPT)
        this.logs.set(info.id, lines)
        return
      }
      case 'result':
        live.outcome ??= { ok: true, result: message.result, beforeStop: live.stop === null }
        this.terminateAfter(live, EXIT_GRACE_MS)
        return
      case 'error':
        live.outcome ??= { ok: false, message: message.message }
        this.terminateAfter(live, EXIT_GRACE_MS)
        return
    }
  }

  private async callService(live: LiveJob, requestId: number, name: string, args: unknown): Promise<void> {
    const service = Object.prototype.hasOwnProperty.call(this.services, name) ? this.services[name] : undefined
    try {
      if (!service) throw new LabError('internal', `The job asked for the lab service "${name}", which this lab does not offer.`)
      if (live.serviceAbort.signal.aborted) throw new LabError('cancelled', 'The job is stopping, so the lab did not start this step.')
      const value = await service(args, { jobId: live.info.id, signal: live.serviceAbort.signal })
      this.post(live, { type: 'call-result', requestId, ok: true, value: value === undefined ? null : value })
    } catch (e) {
      const { code, message } = toErrorPayload(e)
      this.post(live, { type: 'call-result', requestId, ok: false, error: { code, message } })
    }
  }

  private onExit(live: LiveJob, exitCode: number): void {
    live.serviceAbort.abort()
    if (live.terminateTimer) clearTimeout(live.terminateTimer)
    live.terminateTimer = null
    live.worker = null
    this.live.delete(live.info.id)
    const outcome = live.outcome
    if (outcome?.ok && outcome.beforeStop) this.finish(live, 'succeeded', null, outcome.result)
    else if (live.stop === 'cancel') this.finish(live, 'cancelled', null, outcome?.ok ? outcome.result : null)
    else if (live.stop === 'interrupt') this.finish(live, 'interrupted')
    else if (outcome?.ok) this.finish(live, 'succeeded', null, outcome.result)
    else if (outcome) this.finish(live, 'failed', outcome.message)
    else {
      this.finish(
        live,
        'failed',
        `The worker running "${live.info.title}" stopped unexpectedly (exit code ${exitCode}) before reporting a result; resume the job to continue from its last checkpoint.`
      )
    }
    live.markExited()
    this.pump()
  }

  /** Move a job to its end state (or interrupted), persist, tell front ends. The caller removed it from `live`. */
  private finish(live: LiveJob, state: JobState, error: string | null = null, result: unknown = null): void {
    const info = live.info
    info.state = state
    info.error = error
    info.result = result
    info.finishedAt = state === 'interrupted' ? null : Date.now()
    if (info.progress) {
      info.progress = state === 'succeeded' ? { ...info.progress, fraction: 1, timeLeftMs: 0 } : { ...info.progress, timeLeftMs: null }
    }
    this.persist(info)
    const type = FINISHED_JOB_STATES.includes(state) ? 'job.finished' : 'job.progress'
    this.events.emit({ type, job: this.snapshot(info) })
  }

  private setState(info: JobInfo, state: JobState): void {
    info.state = state
    this.persist(info)
    this.events.emit({ type: 'job.progress', job: this.snapshot(info) })
  }

  /** Write the job row, and mirror its state onto its run, if it has one. */
  private persist(info: JobInfo): void {
    this.store.transaction(() => {
      this.store.updateJob(info)
      if (info.runId && this.store.getRun(info.runId)) {
        this.store.updateRun(info.runId, { status: info.state, finishedAt: info.finishedAt })
      }
    })
  }

  private post(live: LiveJob, message: ToWorker): void {
    try {
      live.worker?.postMessage(message)
    } catch {
      // The worker is already gone; its exit handler settles the job.
    }
  }

  /** Terminate the worker if it has not exited by itself within graceMs (an earlier, shorter deadline stands). */
  private terminateAfter(live: LiveJob, graceMs: number): void {
    const worker = live.worker
    if (!worker) return
    const deadlineMs = Date.now() + graceMs
    if (live.terminateTimer && live.terminateAtMs <= deadlineMs) return
    if (live.terminateTimer) clearTimeout(live.terminateTimer)
    live.terminateTimer = setTimeout(() => void worker.terminate(), graceMs)
    live.terminateAtMs = deadlineMs
  }

  /** A copy, so front ends and callers never hold the manager's live record. */
  private snapshot(info: JobInfo): JobInfo {
    return structuredClone(info)
  }
}
