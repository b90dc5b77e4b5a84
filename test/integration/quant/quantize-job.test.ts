// A short HAQ search on a virtual phone through a private adb server: a tiny small-space network trained here,
// uniform baselines measured and stored, a few episodes, the best policy exported, run and measured on the device.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, expect, it } from 'vitest'
import type { JobInfo } from '../../../src/shared/contract/core'
import { QuantizeRequestSchema, type QuantizeRequestInput } from '../../../src/shared/contract/quantize'
import { runTfliteOnHost } from '../../../src/main/devices/host/runtime'
import { VirtualPhone } from '../../../src/main/devices/virtual/phone'
import { createLab, type Lab } from '../../../src/main/lab'
import { shardWorkers } from '../../../src/main/model/train/engine'
import { startPrivateAdbServer, type PrivateAdbServer } from '../helpers/adb-server'

let adb: PrivateAdbServer
let phone: VirtualPhone
let lab: Lab
let tmp: string

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'quant-it-'))
  adb = await startPrivateAdbServer()
  phone = await VirtualPhone.start({ name: 'quant', threads: 2, seed: 3 })
  await adb.run(['connect', phone.serial])
  lab = await createLab({ mode: 'test', devices: 'start', dataDir: path.join(tmp, 'data'), env: { ...process.env, ...adb.env, ANDROID_ADB_SERVER_PORT: String(adb.port) } })
  const deadline = Date.now() + 20_000
  while (!lab.registry.list().some((d) => d.serial === phone.serial && d.state === 'device' && d.model !== null)) {
    if (Date.now() > deadline) throw new Error(`the virtual phone never became ready: ${JSON.stringify(lab.registry.list().map((d) => [d.serial, d.state]))}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}, 60_000)

afterAll(async () => {
  await lab?.close()
  await adb?.run(['disconnect', phone.serial]).catch(() => undefined)
  await phone?.stop()
  await adb?.stop()
  expect(await adb.isRunning()).toBe(false)
  fs.rmSync(tmp, { recursive: true, force: true })
})

function finished(jobId: string): Promise<JobInfo> {
  return new Promise((resolve) => {
    const stop = lab.events.subscribe((e) => {
      if (e.type === 'job.finished' && e.job.id === jobId) {
        stop()
        resolve(e.job)
      }
    })
  })
}

async function start(input: QuantizeRequestInput): Promise<JobInfo> {
  return lab.handlers['quantize.start'](QuantizeRequestSchema.parse(input))
}

const FAST = {
  episodes: 4,
  warmupEpisodes: 2,
  finetune: { images: 64, batchSize: 32, lr: 1e-4 },
  evalImages: 200,
  measure: { runs: 10, warmupRuns: 2, threads: 1, energy: true },
  keepBest: 1
}

let fp32CandidateId = ''

it('searches under a size budget, stores measured baselines and a measured best policy whose .tflite runs', async () => {
  const job = await start({
    serial: phone.serial,
    model: { kind: 'small', arch: 'k3e3-k3e3-k3e3-zero-k3e3-k3e3-k3e3', widthMult: 0.25, stemStride: 2, trainImages: 600, trainEpochs: 1 },
    budget: 'size:0.8',
    costSource: 'table',
    ...FAST
  })
  const done = await finished(job.id)
  expect(done.error).toBeNull()
  expect(done.state).toBe('succeeded')

  const report = await lab.handlers['quantize.episodes']({ runId: job.runId as string })
  expect(report.episodes.map((e) => e.episode)).toEqual([0, 1, 2, 3])
  // The float model trained data-parallel: one worker per core, shards of at least 16 of its 32 images.
  const workers = shardWorkers(os.cpus().length, 32, 16)
  expect(report.trainingEngine).toEqual({ backend: 'wasm', nativeKernels: true, workers })
  expect(report.notes.join(' ')).toMatch(new RegExp(`on ${workers} worker thread`))
  expect(report.layers.length).toBeGreaterThan(10)
  for (const e of report.episodes) {
    expect(e.precisions).toHaveLength(report.layers.length)
    expect(e.accuracy).toBeGreaterThanOrEqual(0)
    expect(e.accuracy).toBeLessThanOrEqual(100)
    expect(e.latencyMs).toBeGreaterThan(0) // priced by the table
  }

  // uniform baselines: exported, measured on the phone, stored as candidates with their .tflite
  const baselines = report.results.filter((r) => r.role === 'baseline')
  expect(baselines.map((b) => b.name)).toEqual(['uniform fp32', 'uniform fp16', 'uniform int8'])
  const candidates = lab.store.listCandidates(job.runId as string)
  for (const b of baselines) {
    expect(b.latencyMs).toBeGreaterThan(0)
    expect(b.energyMj).toBeGreaterThan(0)
    expect(b.measurementId).not.toBeNull()
    const c = candidates.find((x) => x.id === b.candidateId)
    expect(c?.tflite?.length).toBe(b.sizeBytes)
  }
  fp32CandidateId = baselines[0].candidateId as string
  const fp32Bytes = baselines[0].sizeBytes

  // the best policy: measured on the device, within the size budget, the table's prediction kept beside it
  const best = report.results.find((r) => r.role === 'best')
  expect(best).toBeDefined()
  expect(best!.withinBudget).toBe(true)
  expect(best!.sizeBytes).toBeLessThanOrEqual(0.8 * fp32Bytes)
  expect(best!.latencyMs).toBeGreaterThan(0)
  expect(best!.tableLatencyMs).toBeGreaterThan(0)
  expect(best!.tableLatencyError).not.toBeNull()
  const measurements = lab.store.listMeasurements({ runId: job.runId as string })
  expect(measurements.some((m) => m.id === best!.measurementId)).toBe(true)

  // its .tflite (downloaded through the API) runs and gives a probability per class
  const file = await lab.handlers['quantize.tflite']({ candidateId: best!.candidateId as string })
  const bytes = new Uint8Array(Buffer.from(file.base64, 'base64'))
  expect(bytes.length).toBe(best!.sizeBytes)
  const [probs] = await runTfliteOnHost(bytes, [new Float32Array(28 * 28).fill(0.5)])
  expect(probs.length).toBe(10)
  const sum = Array.from(probs as Float32Array).reduce((a, b) => a + b, 0)
  expect(sum).toBeGreaterThan(0.9)
  expect(sum).toBeLessThan(1.1)

  const run = lab.store.getRun(job.runId as string)
  expect(run?.status).toBe('succeeded')
  expect(run?.figures.bestLatencyMs).toBe(best!.latencyMs)
}, 150_000)

it('fails with a sentence when even int8 everywhere cannot meet the latency budget (model taken from a stored candidate)', async () => {
  expect(fp32CandidateId).not.toBe('')
  const job = await start({ serial: phone.serial, model: { kind: 'candidate', candidateId: fp32CandidateId }, budget: 'latency:0.01', costSource: 'table', ...FAST, measure: { ...FAST.measure, energy: false } })
  const done = await finished(job.id)
  expect(done.state).toBe('failed')
  expect(done.error).toMatch(/^Even int8 everywhere needs [0-9.]+ ms, above the [0-9.]+ ms budget: raise the budget or choose a smaller network\.$/)
}, 90_000)

it('resumes a cancelled search from its checkpoint without measuring the baselines again', async () => {
  expect(fp32CandidateId).not.toBe('')
  const job = await start({ serial: phone.serial, model: { kind: 'candidate', candidateId: fp32CandidateId }, budget: 'size:0.8', ...FAST, episodes: 8, measure: { ...FAST.measure, energy: false } })
  // cancel once the checkpoint after episode 5 exists (episode 6 is being reported)
  const cancelled = new Promise<JobInfo>((resolve) => {
    let asked = false
    const stop = lab.events.subscribe((e) => {
      if (e.type === 'job.progress' && e.job.id === job.id && !asked && (e.job.progress?.counters?.episode ?? 0) >= 6) {
        asked = true
        lab.jobs.cancel(job.id)
      }
      if (e.type === 'job.finished' && e.job.id === job.id) {
        stop()
        resolve(e.job)
      }
    })
  })
  expect((await cancelled).state).toBe('cancelled')
  const measuredBefore = lab.store.listMeasurements({ runId: job.runId as string }).length

  const resumed = lab.jobs.resume(job.id)
  const done = await finished(resumed.id)
  expect(done.error).toBeNull()
  expect(done.state).toBe('succeeded')
  const report = await lab.handlers['quantize.episodes']({ runId: job.runId as string })
  expect(report.episodes.map((e) => e.episode)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
  // three baselines from the first attempt, one best policy from the second; only the best was measured again
  expect(lab.store.listCandidates(job.runId as string).map((c) => c.name).slice(0, 3)).toEqual(['uniform fp32', 'uniform fp16', 'uniform int8'])
  expect(lab.store.listCandidates(job.runId as string)).toHaveLength(4)
  expect(lab.store.listMeasurements({ runId: job.runId as string }).length).toBe(measuredBefore + 1)
}, 120_000)
