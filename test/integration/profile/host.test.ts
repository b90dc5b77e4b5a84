// Profiling on this computer ('host'): a small-space table with every key, cancel + resume without re-measuring,
// the prediction check stored with the table, and YAML export/import through the LabApi handlers.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobInfo } from '../../../src/shared/api'
import { createLab, type Lab } from '../../../src/main/lab'
import { enumerateBlockConfigs } from '../../../src/main/model/space'
import { resolveSpace, type ProfileCheckpoint, type ProfileJobResult } from '../../../src/main/profile/job'
import { ProfileRequestSchema } from '../../../src/shared/contract/profile'

let tmp: string
let lab: Lab

async function waitFor(id: string, done: (j: JobInfo) => boolean, timeoutMs = 120_000): Promise<JobInfo> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const job = lab.jobs.get(id)
    if (done(job)) return job
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
const finished = (j: JobInfo) => ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(j.state)

const request = (extra: Record<string, unknown>) =>
  ProfileRequestSchema.parse({ serial: 'host', space: 'small', settings: { runs: 3, warmupRuns: 1 }, checkNetworks: 4, ...extra })

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-host-'))
  lab = await createLab({ mode: 'test', dataDir: path.join(tmp, 'data'), devices: 'lazy' })
})
afterAll(async () => {
  await lab?.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe('profile on host', () => {
  // profile.start measures the small space at stride 2, as the search does by default.
  const keys = enumerateBlockConfigs(resolveSpace({ space: 'small', stemStride: 2 })).map((c) => c.key)

  it('packed: stores a table with every key and a check of N networks', async () => {
    const job = await lab.handlers['profile.start'](request({ method: 'packed' }))
    const done = await waitFor(job.id, finished)
    expect(done.error).toBeNull()
    expect(done.state).toBe('succeeded')
    const result = done.result as ProfileJobResult
    const table = await lab.handlers['tables.get']({ id: result.tableId })
    expect(table.rows.map((r) => r.key).sort()).toEqual([...keys].sort())
    expect(table.spaceOptions).toMatchObject({ stemStride: 2, widthMult: 1 })
    // 3 runs in each of the 3 rounds (the default): entries count the runs of every round.
    expect(table.rows.every((r) => Number.isFinite(r.meanMs) && r.meanMs >= 0 && r.count === 9)).toBe(true)
    expect(table.check?.points.length).toBe(4)
    expect(table.runId).toBe(done.runId)
    const listed = await lab.handlers['tables.list']({ serial: 'host' })
    expect(listed.map((t) => t.id)).toContain(result.tableId)

    // Export, import, and the imported table predicts like the original (without the fitted overhead).
    const { yaml } = await lab.handlers['tables.export']({ id: result.tableId })
    const imported = await lab.handlers['tables.import']({ yaml, serial: 'host', space: 'small' })
    expect(imported.entries).toBe(keys.length)
    expect(imported.source).toBe('imported')
    // The imported YAML names no options; its keys are those of the stride-2 variant.
    expect(imported.spaceOptions).toMatchObject({ stemStride: 2 })
    const arch = table.check!.points[0].architecture
    const a = await lab.handlers['tables.predict']({ id: result.tableId, architecture: arch })
    const b = await lab.handlers['tables.predict']({ id: imported.id, architecture: arch })
    expect(a.missingKeys).toEqual([])
    expect(b.latencyMs).toBeCloseTo(a.latencyMs - table.check!.overheadMs, 4)
  }, 120_000)

  it('cancel mid-way, then resume: same key set, stored keys are not measured again', async () => {
    const job = await lab.handlers['profile.start'](request({ method: 'per-block', checkNetworks: 2, rounds: 1 }))
    await waitFor(job.id, (j) => (j.progress?.counters?.blocksDone ?? 0) >= 5 || finished(j))
    lab.jobs.cancel(job.id)
    const cancelled = await waitFor(job.id, finished)
    expect(cancelled.state).toBe('cancelled')
    const cp = lab.store.loadCheckpoint(job.id)?.data as ProfileCheckpoint
    const before = Object.keys(cp.perBlockRounds[0])
    expect(before.length).toBeGreaterThanOrEqual(5)
    expect(before.length).toBeLessThan(keys.length)

    lab.jobs.resume(job.id)
    const done = await waitFor(job.id, finished)
    expect(done.state).toBe('succeeded')
    const result = done.result as ProfileJobResult
    expect(result.skippedKeys.sort()).toEqual([...before].sort())
    expect(result.measuredKeys.filter((k) => before.includes(k))).toEqual([])
    expect([...before, ...result.measuredKeys].sort()).toEqual([...keys].sort())
    const table = await lab.handlers['tables.get']({ id: result.tableId })
    expect(table.rows.map((r) => r.key).sort()).toEqual([...keys].sort())
  }, 120_000)
})
