// The job system end to end: real worker threads, the real store, the demo job and two misbehaving fixtures.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { LabEvent } from '../../../src/shared/api'
import type { JobInfo } from '../../../src/shared/contract/core'
import { LabError } from '../../../src/shared/errors'
import { LabEvents } from '../../../src/main/events'
import { JobManager, type JobManagerOptions } from '../../../src/main/jobs/manager'
import { openStore, type Store } from '../../../src/main/store'

const fixtures = path.join(__dirname, 'fixtures')
let dir: string
let store: Store
let events: LabEvents
let seen: LabEvent[]
let managers: JobManager[]

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-jobs-'))
  store = openStore(dir)
  events = new LabEvents()
  seen = []
  events.subscribe((e) => seen.push(e))
  managers = []
})

afterEach(async () => {
  for (const m of managers) await m.close()
  for (const m of managers) expect(m.activeWorkerCount).toBe(0)
  store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

function manager(options: Partial<JobManagerOptions> = {}): JobManager {
  const m = new JobManager({
    store,
    events,
    cpuConcurrency: 1,
    progressEventIntervalMs: 0,
    runnerModules: { check: path.join(fixtures, 'crash-runner.ts'), measure: path.join(fixtures, 'stubborn-runner.ts') },
    ...options
  })
  managers.push(m)
  return m
}

function demo(jobs: JobManager, steps: number, stepMs: number, extra: { failAtStep?: number; queue?: string } = {}): JobInfo {
  const queue = extra.queue ?? 'cpu'
  return jobs.start({ kind: 'demo', params: { steps, stepMs, queue, ...extra }, title: `Demo (${steps} steps)`, queue })
}

function jobEvents(jobId: string): LabEvent[] {
  return seen.filter((e) => 'job' in e && e.job.id === jobId)
}

function waitFor(predicate: (e: LabEvent) => boolean, what: string, timeoutMs = 20_000): Promise<LabEvent> {
  const already = seen.find(predicate)
  if (already) return Promise.resolve(already)
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop()
      reject(new Error(`timed out waiting for ${what}`))
    }, timeoutMs)
    const stop = events.subscribe((e) => {
      if (predicate(e)) {
        clearTimeout(timer)
        stop()
        resolve(e)
      }
    })
  })
}

async function finished(jobId: string): Promise<JobInfo> {
  const e = await waitFor((x) => x.type === 'job.finished' && x.job.id === jobId, `job ${jobId} to finish`)
  return (e as { job: JobInfo }).job
}

function stepReached(jobId: string, stepsDone: number) {
  return waitFor(
    (e) => e.type === 'job.progress' && e.job.id === jobId && (e.job.progress?.counters?.stepsDone ?? 0) >= stepsDone,
    `job ${jobId} to reach step ${stepsDone}`
  )
}

async function expectLabError(fn: () => unknown, code: string, text: RegExp): Promise<void> {
  let error: unknown
  try {
    await fn()
  } catch (e) {
    error = e
  }
  expect(error).toBeInstanceOf(LabError)
  expect((error as LabError).code).toBe(code)
  expect((error as LabError).message).toMatch(text)
}

describe('JobManager', () => {
  it('runs a demo job to success: added, running, progress in order with a shrinking time left, finished', async () => {
    const jobs = manager()
    const job = demo(jobs, 8, 40)
    const done = await finished(job.id)
    expect(done).toMatchObject({ state: 'succeeded', error: null, result: { stepsDone: 8, resumedFromStep: 0 } })
    expect(done.progress).toMatchObject({ fraction: 1, timeLeftMs: 0 })

    const mine = jobEvents(job.id)
    expect(mine[0]).toMatchObject({ type: 'job.added', job: { state: 'queued' } })
    expect(mine[1]).toMatchObject({ type: 'job.progress', job: { state: 'running' } })
    expect(mine[mine.length - 1].type).toBe('job.finished')
    const progress = mine.filter((e) => e.type === 'job.progress' && e.job.progress).map((e) => (e as { job: JobInfo }).job.progress!)
    expect(progress.map((p) => p.counters?.stepsDone)).toEqual([1, 2, 3, 4, 5, 6, 7, 8])
    const timesLeft = progress.map((p) => p.timeLeftMs).filter((t): t is number => t !== null)
    expect(timesLeft.length).toBeGreaterThanOrEqual(5)
    expect(timesLeft[timesLeft.length - 1]).toBeLessThan(timesLeft[0])
    expect(timesLeft[timesLeft.length - 1]).toBe(0)

    expect(store.getJob(job.id)).toEqual(done)
    expect(jobs.get(job.id)).toEqual(done)
    expect(jobs.list({ includeFinished: false })).toEqual([])
    expect(jobs.list().map((j) => j.id)).toEqual([job.id])
  })

  it('cancels a running job: cancelling, then cancelled, its worker gone and no more checkpoints', async () => {
    const jobs = manager()
    const job = demo(jobs, 200, 30)
    await stepReached(job.id, 2)
    expect(jobs.cancel(job.id).state).toBe('cancelling')
    const done = await finished(job.id)
    expect(done.state).toBe('cancelled')
    expect(done.finishedAt).not.toBeNull()
    expect(jobs.activeWorkerCount).toBe(0)
    const seq = store.loadCheckpoint(job.id)!.seq
    await new Promise((r) => setTimeout(r, 150))
    expect(store.loadCheckpoint(job.id)!.seq).toBe(seq)
    await expectLabError(() => jobs.cancel(job.id), 'conflict', /nothing to cancel/)
  })

  it('terminates a job that ignores its cancel signal after the grace period', async () => {
    const jobs = manager({ cancelGraceMs: 300 })
    const job = jobs.start({ kind: 'measure', params: {}, title: 'Stubborn', queue: 'cpu' })
    await waitFor((e) => e.type === 'job.progress' && e.job.id === job.id && e.job.progress !== null, 'first progress')
    jobs.cancel(job.id)
    const done = await finished(job.id)
    expect(done.state).toBe('cancelled')
    expect(done.result).toBeNull()
    expect(jobs.activeWorkerCount).toBe(0)
  })

  it('fails a job that throws, with its sentence, keeping the checkpoint of the last finished step', async () => {
    const jobs = manager()
    const job = demo(jobs, 10, 5, { failAtStep: 3 })
    const done = await finished(job.id)
    expect(done.state).toBe('failed')
    expect(done.error).toBe('The demo job failed at step 3 of 10, as asked by failAtStep.')
    expect(store.loadCheckpoint(job.id)!.data).toEqual({ stepsDone: 3 })
  })

  it('fails, with a sentence, a job whose worker exits without a result instead of hanging', async () => {
    const jobs = manager()
    const job = jobs.start({ kind: 'check', params: {}, title: 'Crashing job', queue: 'cpu' })
    const done = await finished(job.id)
    expect(done.state).toBe('failed')
    expect(done.error).toMatch(/^The worker running "Crashing job" stopped unexpectedly \(exit code 3\) before reporting a result; resume/)
  })

  it('close() interrupts a running job; a new manager on the same store resumes it from its checkpoint', async () => {
    const first = manager()
    const job = demo(first, 12, 40)
    await stepReached(job.id, 3)
    await first.close()
    expect(first.activeWorkerCount).toBe(0)
    const stopped = store.getJob(job.id)!
    expect(stopped.state).toBe('interrupted')
    const checkpointed = (store.loadCheckpoint(job.id)!.data as { stepsDone: number }).stepsDone
    expect(checkpointed).toBeGreaterThanOrEqual(3)
    await expectLabError(() => first.resume(job.id), 'conflict', /shutting down/)

    const second = manager()
    await second.recover()
    expect(second.get(job.id).state).toBe('interrupted')
    seen = []
    expect(second.resume(job.id).state).toBe('running') // its queue is free, so it starts at once
    const done = await finished(job.id)
    expect(done).toMatchObject({ state: 'succeeded', result: { stepsDone: 12, resumedFromStep: checkpointed } })
    // After resume: queued, running (both still showing the old progress), then the worker's own reports.
    const afterResume = jobEvents(job.id) as { type: string; job: JobInfo }[]
    expect(afterResume.slice(0, 2).map((e) => e.job.state)).toEqual(['queued', 'running'])
    expect(afterResume[1].job.progress!.counters!.stepsDone).toBe(checkpointed)
    expect(afterResume[2].job.progress!.counters!.stepsDone).toBe(checkpointed + 1)
    await expectLabError(() => second.resume(job.id), 'conflict', /only an interrupted, failed or cancelled job/)
  })

  it('recovers a job left running by a kill -9ed lab process and resumes it from its checkpoint', async () => {
    store.close()
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'crashed-lab.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let jobId = ''
    let lastStep = 0
    const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)))
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString()
        jobId = /job (\S+)/.exec(out)?.[1] ?? ''
        lastStep = Math.max(0, ...[...out.matchAll(/step (\d+)/g)].map((m) => Number(m[1])))
        if (lastStep >= 4) {
          child.kill('SIGKILL')
          resolve()
        }
      })
      child.on('exit', () => reject(new Error(`the lab child exited by itself: ${out}`)))
    })
    expect(await exited).toBe('SIGKILL')

    store = openStore(dir)
    expect(store.getJob(jobId)!.state).toBe('running')
    const jobs = manager()
    const recovered = await jobs.recover()
    expect(recovered.map((j) => [j.id, j.state])).toEqual([[jobId, 'interrupted']])
    const checkpointed = (store.loadCheckpoint(jobId)!.data as { stepsDone: number }).stepsDone
    expect(checkpointed).toBeGreaterThanOrEqual(lastStep)
    jobs.resume(jobId)
    const done = await finished(jobId)
    expect(done).toMatchObject({ state: 'succeeded', result: { stepsDone: 40, resumedFromStep: checkpointed } })
  })

  it('keeps a second cpu job queued while the first runs (concurrency 1); a device queue runs beside it', async () => {
    const jobs = manager({ cpuConcurrency: 1 })
    const a = demo(jobs, 6, 40)
    const b = demo(jobs, 2, 10)
    const phone = demo(jobs, 2, 10, { queue: 'device:P1' })
    expect(jobs.get(a.id).state).toBe('running')
    expect(jobs.get(b.id).state).toBe('queued')
    expect(jobs.get(phone.id).state).toBe('running')
    await stepReached(a.id, 2)
    expect(jobs.get(b.id).state).toBe('queued')
    const [doneA, doneB] = await Promise.all([finished(a.id), finished(b.id)])
    expect(doneB.startedAt!).toBeGreaterThanOrEqual(doneA.finishedAt!)
    expect((await finished(phone.id)).state).toBe('succeeded')
  })

  it('runs up to cpuConcurrency cpu jobs at once, and one job per device queue', async () => {
    const jobs = manager({ cpuConcurrency: 2 })
    const cpu = [demo(jobs, 3, 20), demo(jobs, 3, 20), demo(jobs, 3, 20)]
    const phone = [demo(jobs, 3, 20, { queue: 'device:P1' }), demo(jobs, 3, 20, { queue: 'device:P1' })]
    expect(cpu.map((j) => jobs.get(j.id).state)).toEqual(['running', 'running', 'queued'])
    expect(phone.map((j) => jobs.get(j.id).state)).toEqual(['running', 'queued'])
    for (const j of [...cpu, ...phone]) expect((await finished(j.id)).state).toBe('succeeded')
  })

  it('cancels a queued job without starting it, and refuses unknown jobs and kinds with sentences', async () => {
    const jobs = manager()
    const a = demo(jobs, 3, 20)
    const b = demo(jobs, 3, 20)
    expect(jobs.cancel(b.id)).toMatchObject({ state: 'cancelled', startedAt: null })
    expect((await finished(a.id)).state).toBe('succeeded')
    expect(jobs.get(b.id).state).toBe('cancelled')
    await expectLabError(() => jobs.get('job-nope'), 'not_found', /There is no job job-nope/)
    await expectLabError(() => jobs.start({ kind: 'no-such-kind' as never, params: {}, title: 'x', queue: 'cpu' }), 'bad_request', /not available/)
    await expectLabError(() => jobs.start({ kind: 'demo', params: {}, title: 'x', queue: 'gpu' }), 'bad_request', /'cpu' or 'device:<serial>'/)
  })

  it('mirrors the job state onto its run', async () => {
    const jobs = manager()
    const run = store.insertRun({ kind: 'demo', name: 'Demo run' })
    const job = jobs.start({ kind: 'demo', params: { steps: 2, stepMs: 5, queue: 'cpu' }, title: 'Demo', queue: 'cpu', runId: run.id })
    const done = await finished(job.id)
    expect(store.getRun(run.id)).toMatchObject({ status: 'succeeded', finishedAt: done.finishedAt })
  })
})
