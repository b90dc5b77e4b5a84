// The search history the window draws: thinning keeps epoch ends and the newest point under a cap, recording
// keeps a point every few steps, and search.history reads it back from the run through the LabApi door.
import fc from 'fast-check'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { dispatch } from '../../../src/main/api/dispatch'
import { createLab, type Lab } from '../../../src/main/lab'
import { emptyHistory, historySaver, recordDerived, recordStep, thinHistory } from '../../../src/main/nas/history'
import { SearchRequestSchema, type SearchHistory, type SearchHistoryPoint } from '../../../src/shared/contract/search'

const point = (step: number, epochEnd = false): SearchHistoryPoint => ({ step, phase: 0, epoch: 1, loss: 1, accuracy: 0.5, expectedCost: null, epochEnd })
const phase = () => ({ kind: 'search' as const, label: 'Search for target 5 ms', target: 5, lambda: null })

describe('thinHistory', () => {
  it('keeps at most the cap, every epoch end while they fit, and the first and newest points', () => {
    fc.assert(
      fc.property(fc.array(fc.boolean(), { minLength: 1, maxLength: 400 }), fc.integer({ min: 2, max: 120 }), (ends, cap) => {
        const points = ends.map((e, i) => point(i + 1, e))
        const out = thinHistory(points, cap)
        expect(out.length).toBeLessThanOrEqual(Math.max(cap, 2))
        expect(out[0]).toBe(points[0])
        expect(out.at(-1)).toBe(points.at(-1))
        // still in step order
        for (let i = 1; i < out.length; i++) expect(out[i].step).toBeGreaterThan(out[i - 1].step)
        const epochEnds = points.filter((p) => p.epochEnd)
        if (epochEnds.length + 2 <= cap) for (const p of epochEnds) expect(out).toContain(p)
      })
    )
  })

  it('leaves a short history alone', () => {
    const points = [point(1), point(2), point(3, true)]
    expect(thinHistory(points, 10)).toEqual(points)
  })
})

describe('recordStep', () => {
  it('counts steps across epochs and phases, and keeps the first and last step of each epoch', () => {
    const h = emptyHistory('ms')
    h.stride = 4
    for (let e = 1; e <= 2; e++) for (let s = 1; s <= 10; s++) recordStep(h, 0, phase, e, { step: s, stepsPerEpoch: 10, loss: 2 / s, accuracy: s / 10, expectedCost: 7.123456 })
    recordStep(h, 1, () => ({ kind: 'retrain', label: 'Retraining', target: 5, lambda: null }), 1, { step: 1, stepsPerEpoch: 10, loss: 1, accuracy: 0.1, expectedCost: null })
    expect(h.stepsDone).toBe(20)
    expect(h.points.map((p) => p.step)).toEqual([1, 4, 8, 10, 11, 12, 16, 20, 21])
    expect(h.points.filter((p) => p.epochEnd).map((p) => p.step)).toEqual([10, 20])
    expect(h.points[0].expectedCost).toBe(7.123)
    expect(h.phases.map((p) => p?.firstStep)).toEqual([0, 20])
    expect(h.phases[1]?.kind).toBe('retrain')
  })

  it('halves the points and doubles the stride when the cap is reached, so a long search stays small', () => {
    const h = emptyHistory('ms')
    for (let e = 1; e <= 50; e++) for (let s = 1; s <= 100; s++) recordStep(h, 0, phase, e, { step: s, stepsPerEpoch: 100, loss: 1, accuracy: 0.5, expectedCost: 3 }, 300)
    expect(h.points.length).toBeLessThanOrEqual(300)
    expect(h.stride).toBeGreaterThan(1)
    expect(h.points.filter((p) => p.epochEnd)).toHaveLength(50)
    expect(h.points.at(-1)?.step).toBe(5000)
  })

  it('keeps the newest probabilities of a search with their ops', () => {
    const h = emptyHistory('mJ')
    recordStep(h, 2, phase, 1, { step: 1, stepsPerEpoch: 5, loss: 1, accuracy: 0.2, expectedCost: 1, probabilities: { ops: [['k3e3', 'zero']], values: [[0.123456, 0.876544]] } })
    expect(h.probabilities).toEqual({ phase: 2, ops: [['k3e3', 'zero']], values: [[0.1235, 0.8765]] })
    expect(h.phases).toHaveLength(3)
    expect(h.phases[0]).toBeNull()
  })
})

describe('recordDerived and historySaver', () => {
  it('replaces the derived network of a phase that ran again after a resume', () => {
    const h = emptyHistory('ms')
    const d = { phase: 1, target: 5, lambda: null, unit: 'ms' as const, architecture: 'k3e3-zero', predicted: 4.56789, probabilities: { phase: 1, ops: [['k3e3'], ['zero']], values: [[1], [1]] } }
    recordDerived(h, d)
    recordDerived(h, { ...d, architecture: 'k5e6-zero' })
    expect(h.derived).toHaveLength(1)
    expect(h.derived[0].architecture).toBe('k5e6-zero')
    expect(h.derived[0].predicted).toBe(4.568)
  })

  it('saves at most once per interval unless forced', () => {
    let t = 0
    const saved: number[] = []
    const save = historySaver(() => saved.push(t), 1000, () => t)
    const h = emptyHistory('ms')
    save(h)
    t = 500
    save(h)
    t = 600
    save(h, true)
    t = 1200
    save(h)
    t = 1700
    save(h)
    expect(saved).toEqual([0, 600, 1700])
  })
})

describe('search.history through the LabApi door', () => {
  let tmp: string
  let lab: Lab
  beforeEach(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-search-history-'))
    lab = await createLab({ mode: 'test', dataDir: path.join(tmp, 'data'), devices: 'lazy' })
  })
  afterEach(async () => {
    await lab.close()
    fs.rmSync(tmp, { recursive: true, force: true })
  })

  it('returns the request, the recorded curves, probabilities and derived networks of a run', async () => {
    const request = SearchRequestSchema.parse({ serial: 'phone-a', objective: 'energy', targetsMj: [2] })
    const run = lab.store.insertRun({ kind: 'search', name: 'Search on phone', deviceSerial: 'phone-a', status: 'running', settings: request })
    const h = emptyHistory('mJ')
    for (let s = 1; s <= 4; s++) recordStep(h, 1, phase, 1, { step: s, stepsPerEpoch: 4, loss: 1 / s, accuracy: s / 4, expectedCost: 3 - s / 4, probabilities: { ops: [['k3e3', 'zero']], values: [[0.4, 0.6]] } })
    recordDerived(h, { phase: 1, target: 2, lambda: null, unit: 'mJ', architecture: 'zero', predicted: 2.1, probabilities: h.probabilities! })
    lab.store.updateRun(run.id, { settings: { ...request, history: h } })

    const res = await dispatch(lab.handlers, 1, 'search.history', { runId: run.id })
    expect(res.ok).toBe(true)
    const got = (res as { result: SearchHistory }).result
    expect(got.request).toEqual(request)
    expect(got.objective).toBe('energy')
    expect(got.unit).toBe('mJ')
    expect(got.state).toBe('running')
    expect(got.points.map((p) => p.step)).toEqual([1, 2, 3, 4])
    expect(got.phases[1]?.label).toBe('Search for target 5 ms')
    expect(got.probabilities?.values).toEqual([[0.4, 0.6]])
    expect(got.derived.map((d) => d.architecture)).toEqual(['zero'])
  })

  it('gives an empty history for a run started before histories were kept', async () => {
    const run = lab.store.insertRun({ kind: 'search', name: 'Old search', deviceSerial: 'phone-a', status: 'succeeded', settings: { serial: 'phone-a' } })
    const res = await dispatch(lab.handlers, 1, 'search.history', { runId: run.id })
    const got = (res as { result: SearchHistory }).result
    expect(got.points).toEqual([])
    expect(got.unit).toBe('ms')
    expect(got.request?.dataset).toBe('fashion-mnist')
  })

  it('refuses a missing run id, and a run that is not a search, with sentences', async () => {
    const bad = await dispatch(lab.handlers, 1, 'search.history', {})
    expect(bad.ok).toBe(false)
    expect(!bad.ok && bad.error.code).toBe('bad_request')
    expect(!bad.ok && bad.error.message).toMatch(/runId/)
    const quant = lab.store.insertRun({ kind: 'quantize', name: 'HAQ', deviceSerial: 'phone-a', status: 'succeeded', settings: {} })
    const wrong = await dispatch(lab.handlers, 1, 'search.history', { runId: quant.id })
    expect(!wrong.ok && wrong.error.code).toBe('not_found')
    expect(!wrong.ok && wrong.error.message).toMatch(/no search run/)
  })
})
