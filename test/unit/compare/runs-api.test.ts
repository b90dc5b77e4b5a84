// Runs, candidates and Compare through the LabApi door, on a real store in a temporary data folder.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatch } from '../../../src/main/api/dispatch'
import { parseCsv, CANDIDATE_CSV_COLUMNS } from '../../../src/main/compare/csv'
import { seedSyntheticRun, syntheticDevice, syntheticMeasurement } from '../../../src/main/compare/synthetic'
import { createLab, type Lab } from '../../../src/main/lab'
import type { MethodName, RequestOf, ResponseOf } from '../../../src/shared/api'
import { hypervolume, paretoFront } from '../../../src/shared/pareto'
import { openStore } from '../../../src/main/store'

let tmp: string
let lab: Lab

async function call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
  const res = await dispatch(lab.handlers, 1, method, request)
  if (!res.ok) throw Object.assign(new Error(res.error.message), { code: res.error.code })
  return res.result as ResponseOf<M>
}
async function callError(method: MethodName, request: unknown): Promise<{ code: string; message: string }> {
  const res = await dispatch(lab.handlers, 1, method, request)
  if (res.ok) throw new Error(`${method} should have failed`)
  return res.error
}

beforeEach(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-compare-'))
  lab = await createLab({ mode: 'test', dataDir: path.join(tmp, 'a'), devices: 'lazy' })
  lab.store.upsertDevice(syntheticDevice('phone-a', 'Pixel A'))
  lab.store.upsertDevice(syntheticDevice('phone-b', 'Galaxy B'))
})
afterEach(async () => {
  await lab.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe('runs', () => {
  it('lists a search run without its recorded history, which search.history still returns', async () => {
    const points = Array.from({ length: 2000 }, (_, i) => ({ phase: 0, epoch: 1, step: i + 1, loss: 1, accuracy: 0.5, expectedCost: 0.3 }))
    const history = { version: 1, unit: 'ms', phases: [{ kind: 'search', label: 'Search for target 0.3 ms', target: 0.3, lambda: null }], points, probabilities: null, derived: [], stepsDone: 2000, stride: 1 }
    const run = lab.store.insertRun({ kind: 'search', name: 'search with history', deviceSerial: 'phone-a', status: 'succeeded', settings: { serial: 'phone-a', targetsMs: [0.3], history } })
    const listed = (await call('runs.list', { kind: 'search' })).find((r) => r.id === run.id)
    expect(listed?.settings).toEqual({ serial: 'phone-a', targetsMs: [0.3] })
    expect(JSON.stringify(listed).length).toBeLessThan(1000)
    const h = await call('search.history', { runId: run.id })
    expect(h.points.length).toBeGreaterThan(0)
  })

  it('renames, tags, deletes with undo and restores a run', async () => {
    const run = seedSyntheticRun(lab.store, { name: 'Search A', serial: 'phone-a', candidates: 5, seed: 1 })
    const renamed = await call('runs.update', { id: run.id, name: 'Fast search', tags: ['pixel', 'pixel', ' latency '] })
    expect(renamed.name).toBe('Fast search')
    expect(renamed.tags).toEqual(['pixel', 'latency'])
    await call('runs.delete', { id: run.id })
    expect((await call('runs.list', {})).map((r) => r.id)).not.toContain(run.id)
    expect((await callError('runs.get', { id: run.id })).code).toBe('not_found')
    await call('runs.restore', { id: run.id })
    expect((await call('runs.get', { id: run.id })).name).toBe('Fast search')
    expect(await call('candidates.list', { runId: run.id })).toHaveLength(5)
  })

  it('refuses an empty name with a sentence', async () => {
    const run = seedSyntheticRun(lab.store, { name: 'Search A', serial: 'phone-a', candidates: 1, seed: 1 })
    const err = await callError('runs.update', { id: run.id, name: '   ' })
    expect(err.code).toBe('bad_request')
    expect(err.message).toMatch(/name/)
  })
})

describe('export and import', () => {
  it('a JSON bundle imported into another lab gives the same run, candidates, measurements and .tflite bytes', async () => {
    const run = seedSyntheticRun(lab.store, { name: 'Search A', serial: 'phone-a', candidates: 8, seed: 3, alsoOn: [{ serial: 'phone-b', speed: 1.7 }], withBytes: true })
    await call('runs.update', { id: run.id, tags: ['exported'] })
    const file = await call('runs.export', { id: run.id, format: 'json' })
    expect(file.fileName).toMatch(/\.run\.json$/)

    const other = openStore(path.join(tmp, 'b'))
    try {
      const { importRunBundle } = await import('../../../src/main/compare/bundle')
      const imported = importRunBundle(other, file.content)
      expect(imported.remappedIds).toBe(0)
      const original = lab.store.getRun(run.id)!
      expect(other.getRun(run.id)).toEqual(original)
      const a = lab.store.listCandidates(run.id)
      const b = other.listCandidates(run.id)
      expect(b).toEqual(a)
      for (const c of a) {
        const ma = lab.store.listMeasurements({ candidateId: c.id }).map(({ runId, ...m }) => ({ ...m, linked: runId !== null })).sort((x, y) => x.id.localeCompare(y.id))
        const mb = other.listMeasurements({ candidateId: c.id }).map(({ runId, ...m }) => ({ ...m, linked: runId !== null })).sort((x, y) => x.id.localeCompare(y.id))
        expect(mb).toEqual(ma)
        expect(ma).toHaveLength(2)
      }
      expect(other.getDevice('phone-b')?.label).toBe('Galaxy B')
    } finally {
      other.close()
    }
  })

  it('importing into the same lab gives every clashing id a new one and keeps the links', async () => {
    const run = seedSyntheticRun(lab.store, { name: 'Search A', serial: 'phone-a', candidates: 4, seed: 5, withBytes: true })
    const file = await call('runs.export', { id: run.id, format: 'json' })
    await call('runs.delete', { id: run.id }) // a soft-deleted run still holds its id
    const imported = await call('runs.import', { json: file.content })
    expect(imported.run.id).not.toBe(run.id)
    expect(imported.remappedIds).toBe(1 + 4 + 4)
    const copies = await call('candidates.list', { runId: imported.run.id })
    expect(copies.map((c) => c.name)).toEqual(lab.store.listCandidates(run.id).map((c) => c.name))
    expect(copies.every((c) => c.measuredLatencyMs !== null && c.hasTflite)).toBe(true)
    const tflite = await call('candidates.tflite', { id: copies[0].id })
    expect(Buffer.from(tflite.base64, 'base64')).toEqual(Buffer.from(lab.store.listCandidates(run.id)[0].tflite!))
  })

  it('CSV lists every candidate with its measured figures, and reads back to the same values', async () => {
    const run = seedSyntheticRun(lab.store, { name: 'Search, "quoted"', serial: 'phone-a', candidates: 6, seed: 7 })
    const file = await call('runs.export', { id: run.id, format: 'csv' })
    const [header, ...rows] = parseCsv(file.content)
    expect(header).toEqual([...CANDIDATE_CSV_COLUMNS])
    const infos = await call('candidates.list', { runId: run.id })
    expect(rows).toHaveLength(infos.length)
    rows.forEach((row, i) => {
      const rec = Object.fromEntries(header.map((h, k) => [h, row[k]]))
      expect(rec.id).toBe(infos[i].id)
      expect(Number(rec.accuracy)).toBe(infos[i].accuracy)
      expect(Number(rec.measured_latency_ms)).toBe(infos[i].measuredLatencyMs)
      expect(Number(rec.macs)).toBe(infos[i].macs)
      expect(rec.architecture.split(' ')).toEqual(infos[i].architecture)
      expect(rec.measured_on).toBe('phone-a')
    })
  })

  it.each([
    ['not JSON', '{"format": ', /not JSON/],
    ['another kind of JSON', '{"hello": 1}', /not a Proxyless Lab run bundle/],
    ['a newer bundle', JSON.stringify({ format: 'proxyless-lab.run-bundle', version: 9 }), /newer Proxyless Lab/],
    ['a damaged bundle', JSON.stringify({ format: 'proxyless-lab.run-bundle', version: 1, exportedAt: 1, run: { id: 'r' } }), /damaged: run\.kind/],
    ['an array', '[1, 2]', /not a run bundle/]
  ])('a bad file (%s) gives a sentence and changes nothing', async (_what, json, pattern) => {
    const before = lab.store.listRuns().length
    const err = await callError('runs.import', { json })
    expect(err.code).toBe('invalid_file')
    expect(err.message).toMatch(pattern)
    expect(err.message).toMatch(/\.$/)
    expect(lab.store.listRuns()).toHaveLength(before)
  })

  it('a bundle whose measurement names a missing candidate is refused', async () => {
    const run = seedSyntheticRun(lab.store, { name: 'Search A', serial: 'phone-a', candidates: 2, seed: 5 })
    const bundle = JSON.parse((await call('runs.export', { id: run.id, format: 'json' })).content)
    bundle.measurements[0].candidateId = 'cand-nowhere'
    const err = await callError('runs.import', { json: JSON.stringify(bundle) })
    expect(err.message).toMatch(/candidate cand-nowhere, which is not in the file/)
  })
})

describe('candidates', () => {
  it('a candidate page lists its figures on every device it was measured on', async () => {
    const run = seedSyntheticRun(lab.store, { name: 'Search A', serial: 'phone-a', candidates: 3, seed: 9, alsoOn: [{ serial: 'phone-b', speed: 2 }] })
    const [first] = lab.store.listCandidates(run.id)
    lab.store.insertMeasurement({ candidateId: first.id, measurement: syntheticMeasurement('phone-b', 99, null, [], Date.now() + 1000) })
    const detail = await call('candidates.get', { id: first.id })
    expect(detail.run?.id).toBe(run.id)
    expect(detail.measurements).toHaveLength(3)
    expect(detail.devices.map((d) => d.deviceSerial).sort()).toEqual(['phone-a', 'phone-b'])
    const b = detail.devices.find((d) => d.deviceSerial === 'phone-b')!
    expect(b.count).toBe(2)
    expect(b.latencyMeanMs).toBe(99) // the newest one
    expect(b.deviceLabel).toBe('Galaxy B')
    expect(detail.candidate.measuredOn).toBe('phone-a')
  })

  it('a candidate with no .tflite says so', async () => {
    const run = seedSyntheticRun(lab.store, { name: 'Search A', serial: 'phone-a', candidates: 1, seed: 9 })
    const err = await callError('candidates.tflite', { id: lab.store.listCandidates(run.id)[0].id })
    expect(err.code).toBe('not_found')
    expect(err.message).toMatch(/no \.tflite file/)
  })
})

describe('compare.fronts', () => {
  it('each run front equals paretoFront of the same points, with hypervolumes from one shared reference', async () => {
    const a = seedSyntheticRun(lab.store, { name: 'Search A', serial: 'phone-a', candidates: 60, seed: 11 })
    const b = seedSyntheticRun(lab.store, { name: 'Search B', serial: 'phone-b', candidates: 40, seed: 12, speed: 1.6 })
    // a candidate with no accuracy is left out, and counted
    lab.store.insertCandidate({ runId: b.id, name: 'no-accuracy', architecture: [], sizeBytes: 1, macs: 1 })
    const fronts = await call('compare.fronts', { runIds: [a.id, b.id], objective: 'latency' })
    expect(fronts.runs).toHaveLength(2)
    expect(fronts.runs[1].missing).toBe(1)
    expect(fronts.reference).not.toBeNull()
    for (const run of fronts.runs) {
      const points = run.points.map((p) => ({ id: p.candidateId, values: [p.x, p.accuracy] }))
      const expected = paretoFront(points, ['min', 'max']).map((p) => p.id)
      expect(run.front).toEqual(expected)
      expect(run.points.filter((p) => !p.dominated).map((p) => p.candidateId)).toEqual(expected)
      expect(run.hypervolume).toBeCloseTo(hypervolume(points, ['min', 'max'], fronts.reference!), 10)
      // measured latency comes from the run's own device
      const store = lab.store.listCandidates(run.runId)
      const firstPoint = run.points[0]
      expect(firstPoint.latencyMs).toBe(lab.store.listMeasurements({ candidateId: store[0].id, deviceSerial: run.deviceSerial! })[0].latencyMeanMs)
    }
    expect(fronts.attainment).toHaveLength(1)
    const pair = fronts.attainment[0]
    // B runs on a slower phone: A reaches more of the space
    expect(pair.addedByA).toBeGreaterThan(pair.addedByB)
    expect(fronts.runs[0].step.length).toBeGreaterThan(0)
  })

  it('the same run judged on another device (serial) and by prediction', async () => {
    const a = seedSyntheticRun(lab.store, { name: 'Search A', serial: 'phone-a', candidates: 20, seed: 13, alsoOn: [{ serial: 'phone-b', speed: 3 }] })
    const onA = await call('compare.fronts', { runIds: [a.id] })
    const onB = await call('compare.fronts', { runIds: [a.id], serial: 'phone-b' })
    const predicted = await call('compare.fronts', { runIds: [a.id], xAxis: 'predicted', objective: 'energy' })
    expect(onB.runs[0].deviceLabel).toBe('Galaxy B')
    expect(Math.min(...onB.runs[0].points.map((p) => p.x))).toBeGreaterThan(Math.min(...onA.runs[0].points.map((p) => p.x)))
    expect(predicted.xUnit).toBe('mJ')
    expect(predicted.runs[0].points.every((p) => p.x === p.predictedEnergyMj)).toBe(true)
  })

  it('an unknown run is a not_found sentence', async () => {
    const err = await callError('compare.fronts', { runIds: ['run-nope'] })
    expect(err.code).toBe('not_found')
    expect(err.message).toMatch(/run-nope/)
  })
})
