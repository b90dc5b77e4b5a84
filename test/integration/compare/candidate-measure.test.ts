// Re-measuring a candidate: candidates.measure runs a real 'measure' job (worker thread, TFLite runtime on this
// computer) on the candidate's .tflite, and the stored measurement carries the candidate, so the candidate page and
// the runs' fronts see it.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { dispatch } from '../../../src/main/api/dispatch'
import { createLab, type Lab } from '../../../src/main/lab'
import type { JobInfo, MethodName, RequestOf, ResponseOf } from '../../../src/shared/api'

const MODEL = path.resolve(__dirname, '../../../node_modules/@mediapipe/face_detection/face_detection_short_range.tflite')

let tmp: string
let lab: Lab

async function call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
  const res = await dispatch(lab.handlers, 1, method, request)
  if (!res.ok) throw new Error(`${res.error.code}: ${res.error.message}`)
  return res.result as ResponseOf<M>
}

async function waitFinished(id: string): Promise<JobInfo> {
  for (;;) {
    const job = await call('jobs.get', { jobId: id })
    if (['succeeded', 'failed', 'cancelled', 'interrupted'].includes(job.state)) return job
    await new Promise((r) => setTimeout(r, 100))
  }
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'compare-measure-'))
  lab = await createLab({ mode: 'test', dataDir: path.join(tmp, 'data'), devices: 'lazy' })
})
afterAll(async () => {
  await lab?.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe('candidates.measure', () => {
  it('measures the candidate on this computer and stores the measurement with its candidate id', async () => {
    const run = lab.store.insertRun({ kind: 'search', name: 'Search', deviceSerial: 'host', status: 'succeeded' })
    const bytes = new Uint8Array(fs.readFileSync(MODEL))
    const c = lab.store.insertCandidate({ runId: run.id, name: 'face-short', architecture: ['k3e6'], accuracy: 0.9, sizeBytes: bytes.length, macs: 1, predictedLatencyMs: 1, tflite: bytes })

    const job = await call('candidates.measure', { id: c.id, serial: 'host', settings: { threads: 1, runs: 3, warmupRuns: 1, cpuMaskHex: null, delegate: 'none', profileOps: true, energy: false, energySampleMs: 100 } })
    expect(job.kind).toBe('measure')
    const done = await waitFinished(job.id)
    expect(done.error).toBeNull()
    expect(done.state).toBe('succeeded')

    const detail = await call('candidates.get', { id: c.id })
    expect(detail.measurements).toHaveLength(1)
    expect(detail.devices.map((d) => d.deviceSerial)).toEqual(['host'])
    expect(detail.candidate.measuredLatencyMs).toBeGreaterThan(0)
    expect(detail.measurements[0].measurement.ops.length).toBeGreaterThan(0)
    // the job's own run is a 'measure' run that names the candidate
    const measureRun = await call('runs.get', { id: done.runId! })
    expect(measureRun.kind).toBe('measure')
    expect(measureRun.settings).toMatchObject({ candidateId: c.id })
    // and the search's front now has the candidate as its only point
    const fronts = await call('compare.fronts', { runIds: [run.id] })
    expect(fronts.runs[0].front).toEqual([c.id])
    expect(fronts.runs[0].points[0].latencyMs).toBe(detail.candidate.measuredLatencyMs)

    const tflite = await call('candidates.tflite', { id: c.id })
    expect(Buffer.from(tflite.base64, 'base64').equals(Buffer.from(bytes))).toBe(true)
  }, 120_000)
})
