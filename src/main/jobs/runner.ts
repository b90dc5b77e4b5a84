// What a job kind implements (JobRunner), what it is given (JobContext), and the messages between
// the JobManager (main thread) and the worker thread that runs one job.

export interface JobProgressReport {
  /** 0..1 of the whole job (the manager derives the time left from how fast this grows). */
  fraction: number
  /** What the job is doing now, in words ("Measuring block 12 of 72"). */
  stage: string
  counters?: Record<string, number>
}

export interface JobContext<P = unknown, C = unknown> {
  readonly jobId: string
  readonly params: P
  /** Aborted when a person cancels the job or the lab closes; stop at the next step (e.g. signal.throwIfAborted()). */
  readonly signal: AbortSignal
  reportProgress(progress: JobProgressReport): void
  /** Persist state to resume from; resolves once the store has committed it. Data: a JSON value or a Uint8Array. */
  checkpoint(data: C): Promise<void>
  /** The latest checkpoint of this job (from an earlier run or this one), or null. */
  loadCheckpoint(): C | null
  log(text: string): void
  /**
   * Ask the main thread for a lab service (e.g. 'measure' a model on a device, or store a result). Devices and the
   * store live in the main thread; jobs reach them only through these calls. Rejects with the service's LabError.
   */
  call<T = unknown>(service: string, args: unknown): Promise<T>
}

/** A lab service a job may call from its worker; the signal aborts when the job is cancelled or interrupted. */
export type JobService = (args: unknown, ctx: { jobId: string; signal: AbortSignal }) => Promise<unknown>

export interface JobRunner<P = unknown, C = unknown, R = unknown> {
  /** Resolve with the job's result (structured-cloneable, JSON-friendly); throw to fail the job. */
  run(ctx: JobContext<P, C>): Promise<R>
}

// ---- worker protocol ----
export interface WorkerStartData {
  jobId: string
  kind: string
  params: unknown
  checkpoint: unknown
  hasCheckpoint: boolean
  /** A module file exporting `runner` that replaces the registry entry (used by tests), or null. */
  runnerModule: string | null
}

export type StopReason = 'cancel' | 'interrupt'

export type ToWorker =
  | { type: 'stop'; reason: StopReason }
  | { type: 'checkpoint-saved'; requestId: number; error: string | null }
  | { type: 'call-result'; requestId: number; ok: true; value: unknown }
  | { type: 'call-result'; requestId: number; ok: false; error: { code: string; message: string } }

export type FromWorker =
  | ({ type: 'progress' } & JobProgressReport)
  | { type: 'checkpoint'; requestId: number; data: unknown }
  | { type: 'log'; text: string }
  | { type: 'call'; requestId: number; service: string; args: unknown }
  | { type: 'result'; result: unknown }
  | { type: 'error'; message: string; code: string | null }
