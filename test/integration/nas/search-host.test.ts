// A short search on this computer ('host'): the job measures a quick block table on the device, warms up, searches
// one target, retrains, exports fp32 + int8, measures both on the device, and stores candidates. The lab is closed
// mid-epoch; a new lab resumes the job from its last epoch checkpoint without measuring the table again.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobInfo } from '../../../src/shared/api'
import { SearchRequestSchema, type SearchResult } from '../../../src/shared/contract/search'
import { createLab, type Lab } from '../../../src/main/lab'
import { enumerateBlockConfigs, getSpace } from '../../../src/main/model/space'
import { searchHandlers } from '../../../src/main/nas/handlers'
import { supernetWorkers, type SearchCheckpoint } from '../../../src/main/nas/job'

let tmp: string
let dataDir: string
let lab: Lab

async function waitFor(id: string, done: (j: JobInfo) => boolean, timeoutMs = 150_000): Promise<JobInfo> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const job = lab.jobs.get(id)
    if (done(job)) return job
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state} (${job.progress?.stage ?? ''})`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
const finished = (j: JobInfo) => ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(j.state)

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'nas-host-'))
  dataDir = path.join(tmp, 'data')
  lab = await createLab({ mode: 'test', dataDir, devices: 'lazy' })
})
afterAll(async () => {
  await lab?.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe('search on host', () => {
  it('completes after being interrupted mid-epoch, and stores measured candidates', async () => {
    const request = SearchRequestSchema.parse({
      serial: 'host',
      widthMult: 0.5,
      targetsMs: [0.05],
      lossForm: 'add#linear',
      epochs: { warmup: 1, search: 1, retrain: 1 },
      batchSize: 64, // 2 shards of 32 on 2 cores: the weight steps run on training workers
      subset: { train: 320, validation: 96, test: 64 },
      baselines: [{ op: 'k3e3', widthMult: 0.25 }],
      int8EvalImages: 16,
      benchmark: { runs: 3, warmupRuns: 1 }
    })
    const job = await searchHandlers(lab)['search.start'](request)
    expect(job.kind).toBe('search')

    // Interrupt inside the search epoch (after the warm-up checkpoint), as a closing lab does.
    const mid = await waitFor(job.id, (j) => /^Search .*step [3-9]/.test(j.progress?.stage ?? '') || finished(j))
    expect(mid.state).toBe('running')
    expect(mid.progress?.counters?.expectedLatencyMs).toBeGreaterThan(0)
    expect(Object.keys(mid.progress?.counters ?? {}).some((k) => k.startsWith('p.b1.'))).toBe(true)
    const before = lab.store.loadCheckpoint(job.id)?.data as SearchCheckpoint
    expect(before.task).toBe(1) // warm-up done, the search task in progress
    expect(before.epochsDone).toBe(0)
    await lab.close()

    lab = await createLab({ mode: 'test', dataDir, devices: 'lazy' })
    expect(lab.jobs.get(job.id).state).toBe('interrupted')
    lab.jobs.resume(job.id)
    const done = await waitFor(job.id, finished)
    expect(done.error).toBeNull()
    expect(done.state).toBe('succeeded')

    const result = done.result as SearchResult
    // One searched network and one baseline, each at fp32 and int8.
    expect(result.candidates).toHaveLength(4)
    const listed = await searchHandlers(lab)['candidates.list']({ runId: result.runId })
    expect(listed.map((c) => c.id).sort()).toEqual(result.candidates.map((c) => c.id).sort())
    for (const c of listed) {
      expect(c.measuredLatencyMs).toBeGreaterThan(0)
      expect(c.accuracy).toBeGreaterThanOrEqual(0)
      expect(c.accuracy).toBeLessThanOrEqual(1)
      expect(c.sizeBytes).toBeGreaterThan(1000)
      expect(c.macs).toBeGreaterThan(0)
    }
    const searched = listed.filter((c) => c.architecture.origin.kind === 'search')
    expect(searched.map((c) => c.precision).sort()).toEqual(['fp32', 'int8'])
    expect(searched[0].predictedLatencyMs).toBeGreaterThan(0)
    expect(searched[0].architecture.architecture.split('-')).toHaveLength(7)
    const int8 = searched.find((c) => c.precision === 'int8')!
    const fp32 = searched.find((c) => c.precision === 'fp32')!
    expect(int8.sizeBytes).toBeLessThan(fp32.sizeBytes)
    const detail = await searchHandlers(lab)['candidates.get']({ id: fp32.id })
    expect(detail.measurements[0].measurement.serial).toBe('host')

    // The quick table was measured once: a restart from scratch would have measured every block again.
    const space = getSpace('small', { widthMult: 0.5, stemStride: 2 })
    const tableMeasurements = lab.store.listMeasurements({ runId: result.runId }).filter((m) => m.candidateId === null)
    expect(tableMeasurements).toHaveLength(enumerateBlockConfigs(space).length)
    const run = lab.store.getRun(result.runId)!
    expect(run.kind).toBe('search')
    expect(run.figures.candidates).toBe(4)

    // The window's history survived the restart: one curve over warm-up, search, retrain and baseline, and the derived network.
    const history = await searchHandlers(lab)['search.history']({ runId: result.runId })
    expect(history.state).toBe('succeeded')
    // The search trained on the engine's choice here (no tfjs-node): wasm with the native kernels, and says so.
    expect(history.trainingEngine).toEqual({ backend: 'wasm', nativeKernels: true, workers: supernetWorkers(os.cpus().length, 64) }) // weight steps data-parallel
    expect(history.phases.map((p) => p?.kind)).toEqual(['warmup', 'search', 'retrain', 'baseline'])
    expect(history.points.filter((p) => p.epochEnd)).toHaveLength(4)
    const steps = history.points.map((p) => p.step)
    expect(steps).toEqual([...steps].sort((a, b) => a - b))
    expect(new Set(steps).size).toBe(steps.length)
    expect(history.points.some((p) => p.expectedCost !== null && p.expectedCost > 0)).toBe(true)
    expect(history.derived).toHaveLength(1)
    expect(history.derived[0].architecture).toBe(searched[0].architecture.architecture)
    expect(history.probabilities?.values).toHaveLength(7)
  }, 170_000)
})
