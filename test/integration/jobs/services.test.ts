// Jobs reach devices and the store only through lab services called from their worker threads.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, expect, it } from 'vitest'
import type { JobInfo } from '../../../src/shared/contract/core'
import { LabError } from '../../../src/shared/errors'
import { LabEvents } from '../../../src/main/events'
import { JobManager } from '../../../src/main/jobs/manager'
import { openStore, type Store } from '../../../src/main/store'

let dir: string
let store: Store
let events: LabEvents
let jobs: JobManager
let slowCallAborted: boolean
let slowCallEntered: () => void
let slowCallStarted: Promise<void>

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-services-'))
  store = openStore(dir)
  events = new LabEvents()
  slowCallAborted = false
  slowCallStarted = new Promise((resolve) => (slowCallEntered = resolve))
  jobs = new JobManager({
    store,
    events,
    cpuConcurrency: 1,
    progressEventIntervalMs: 0,
    runnerModules: { check: path.join(__dirname, 'fixtures', 'service-runner.ts') },
    services: {
      double: async (n) => (n as number) * 2,
      fails: async () => {
        throw new LabError('device_unavailable', 'The phone went away; plug it back in.')
      },
      slow: (_args, { signal }) =>
        new Promise((_resolve, reject) => {
          slowCallEntered()
          signal.addEventListener('abort', () => {
            slowCallAborted = true
            reject(new LabError('cancelled', 'Stopped.'))
          })
        })
    }
  })
})

afterEach(async () => {
  await jobs.close()
  expect(jobs.activeWorkerCount).toBe(0)
  store.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

function finished(id: string): Promise<JobInfo> {
  return new Promise((resolve) => {
    const stop = events.subscribe((e) => {
      if (e.type === 'job.finished' && e.job.id === id) {
        stop()
        resolve(e.job)
      }
    })
  })
}

it('a job gets service answers, and service errors arrive typed with their sentence', async () => {
  const job = jobs.start({ kind: 'check', params: { mode: 'answers' }, title: 'services', queue: 'cpu' })
  const done = await finished(job.id)
  expect(done.state).toBe('succeeded')
  expect(done.result).toEqual({
    doubled: 42,
    failures: [
      'device_unavailable: The phone went away; plug it back in.',
      'internal: The job asked for the lab service "no-such-service", which this lab does not offer.'
    ]
  })
})

it('cancelling a job aborts the service call it is waiting on', async () => {
  const job = jobs.start({ kind: 'check', params: { mode: 'waits' }, title: 'waits', queue: 'cpu' })
  await slowCallStarted
  const done = finished(job.id)
  jobs.cancel(job.id)
  expect((await done).state).toBe('cancelled')
  expect(slowCallAborted).toBe(true)
})
