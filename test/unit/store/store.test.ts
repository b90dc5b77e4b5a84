import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import type { DeviceInfo, JobInfo } from '../../../src/shared/contract/core'
import type { Measurement } from '../../../src/shared/contract/measure'
import { LabError } from '../../../src/shared/errors'
import { openStore, STORE_FILE_NAME, type Store } from '../../../src/main/store'
import { migrations } from '../../../src/main/store/migrations'

let dir: string
let store: Store | null

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-store-'))
  store = null
})
afterEach(() => {
  store?.close()
  fs.rmSync(dir, { recursive: true, force: true })
})

function open(): Store {
  store?.close()
  store = openStore(dir)
  return store
}

function rawPragma(name: string): unknown {
  const db = new Database(path.join(dir, STORE_FILE_NAME), { readonly: true })
  try {
    return db.pragma(name, { simple: true })
  } finally {
    db.close()
  }
}

function job(id: string, over: Partial<JobInfo> = {}): JobInfo {
  return {
    id,
    kind: 'demo',
    title: `Demo ${id}`,
    queue: 'cpu',
    state: 'queued',
    params: { steps: 3, stepMs: 10, queue: 'cpu' },
    progress: null,
    createdAt: 1000,
    startedAt: null,
    finishedAt: null,
    error: null,
    result: null,
    runId: null,
    ...over
  }
}

function card(serial: string, label: string): DeviceInfo {
  return {
    serial,
    kind: 'adb',
    state: 'device',
    stateHint: null,
    label,
    adbServer: '127.0.0.1:5037',
    model: 'Pixel 6',
    manufacturer: 'Google',
    soc: 'gs101',
    board: null,
    abis: ['arm64-v8a'],
    cpuClusters: [{ cores: [0, 1, 2, 3], maxFreqKhz: 1_800_000 }],
    androidVersion: '14',
    sdk: 34,
    batteryLevelPct: 80,
    batteryTempC: 30.5,
    chargingSource: 'usb',
    thermalZonesC: { cpu: 41.2 },
    wirelessAdb: false,
    modelled: false
  }
}

function measurement(serial: string, sha: string, meanMs: number, energyMj: number | null): Measurement {
  return {
    serial,
    tool: 'benchmark_model 2.17',
    settings: { threads: 1, runs: 50, warmupRuns: 5, minSecs: 0, cpuMaskHex: null, delegate: 'none', profileOps: false, energy: energyMj !== null, energySampleMs: 100 },
    modelSha256: sha,
    modelBytes: 12345,
    initMs: 3.5,
    firstMs: 9.1,
    warmup: null,
    steady: { count: 50, meanMs, stdMs: 0.2, minMs: meanMs - 1, maxMs: meanMs + 1, medianMs: meanMs, percentilesMs: { '50': meanMs, '90': meanMs + 0.5 } },
    ops: [{ index: 0, nodeType: 'CONV_2D', name: 'conv', firstMs: 1, avgMs: 0.8, percent: 80, timesCalled: 1, source: 'tflite' }],
    memory: { initMb: 1, overallMb: 2, peakMb: null },
    energy:
      energyMj === null
        ? null
        : { energyPerInferenceMj: energyMj, uncertaintyMj: 0.1, idlePowerMw: 300, activePowerMw: 900, samples: 40, reliable: false, unreliableReason: 'USB charging', modelled: false },
    temperaturesC: { before: { cpu: 40 }, after: { cpu: 42 } },
    warnings: [],
    exitCode: 0,
    measuredAt: 5000,
    durationMs: 1200
  }
}

describe('migrations', () => {
  it('builds the schema on an empty folder, in WAL mode, at the latest version', () => {
    open()
    store!.close()
    store = null
    expect(rawPragma('user_version')).toBe(migrations.length)
    expect(rawPragma('journal_mode')).toBe('wal')
    const db = new Database(path.join(dir, STORE_FILE_NAME), { readonly: true })
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name)
    db.close()
    expect(tables).toEqual(['candidates', 'devices', 'job_checkpoints', 'jobs', 'lookup_tables', 'measurements', 'runs'])
  })

  it('re-opens an existing file without re-running migrations or losing rows', () => {
    open().insertRun({ id: 'run-1', kind: 'demo', name: 'first' })
    open()
    open()
    expect(store!.listRuns().map((r) => r.id)).toEqual(['run-1'])
    expect(store!.integrityCheck()).toBe('ok')
  })

  it('refuses a data file written by a newer lab, with a sentence naming the file and versions', () => {
    open().close()
    store = null
    const db = new Database(path.join(dir, STORE_FILE_NAME))
    db.pragma(`user_version = ${migrations.length + 3}`)
    db.close()
    let error: unknown
    try {
      open()
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(LabError)
    expect((error as LabError).message).toContain('newer version of Proxyless Lab')
    expect((error as LabError).message).toContain(`schema version ${migrations.length + 3}`)
    expect((error as LabError).message).toContain(STORE_FILE_NAME)
    store = null
  })
})

describe('round trips', () => {
  it('jobs: insert, update, get, list with and without finished jobs', () => {
    const s = open()
    s.insertJob(job('job-a', { createdAt: 1 }))
    s.insertJob(job('job-b', { createdAt: 2 }))
    const done = job('job-a', {
      createdAt: 1,
      state: 'succeeded',
      startedAt: 10,
      finishedAt: 20,
      progress: { fraction: 1, stage: 'Done', timeLeftMs: 0, counters: { step: 3 } },
      result: { stepsDone: 3 }
    })
    s.updateJob(done)
    expect(s.getJob('job-a')).toEqual(done)
    expect(s.getJob('nope')).toBeNull()
    expect(s.listJobs().map((j) => j.id)).toEqual(['job-a', 'job-b'])
    expect(s.listJobs({ includeFinished: false }).map((j) => j.id)).toEqual(['job-b'])
    expect(() => s.updateJob(job('ghost'))).toThrow(/not in the lab's store/)
  })

  it('checkpoints: the latest wins, JSON and bytes both survive a re-open', () => {
    const s = open()
    s.insertJob(job('job-c'))
    expect(s.loadCheckpoint('job-c')).toBeNull()
    s.saveCheckpoint('job-c', { step: 1 }, 100)
    s.saveCheckpoint('job-c', { step: 2, nested: [1, 'x', null] }, 200)
    expect(s.loadCheckpoint('job-c')).toEqual({ jobId: 'job-c', seq: 2, data: { step: 2, nested: [1, 'x', null] }, savedAt: 200 })
    s.saveCheckpoint('job-c', new Uint8Array([1, 2, 250]), 300)
    const reopened = open()
    const cp = reopened.loadCheckpoint('job-c')!
    expect(cp.seq).toBe(3)
    expect(cp.data).toBeInstanceOf(Uint8Array)
    expect(Array.from(cp.data as Uint8Array)).toEqual([1, 2, 250])
  })

  it('runs: insert, patch, list by kind, undo-able delete', () => {
    const s = open()
    const a = s.insertRun({ kind: 'profile', name: 'Pixel profile', deviceSerial: 'P1', settings: { threads: 4 }, tags: ['pixel'], createdAt: 10 })
    s.insertRun({ id: 'run-s', kind: 'search', name: 'Search', createdAt: 20 })
    expect(s.getRun(a.id)).toEqual(a)
    const patched = s.updateRun(a.id, { status: 'succeeded', finishedAt: 99, figures: { meanLatencyMs: 4.5 } })
    expect(patched).toMatchObject({ status: 'succeeded', finishedAt: 99, figures: { meanLatencyMs: 4.5 }, tags: ['pixel'], settings: { threads: 4 } })
    expect(s.getRun(a.id)).toEqual(patched)
    expect(s.listRuns().map((r) => r.id)).toEqual(['run-s', a.id])
    expect(s.listRuns('profile').map((r) => r.id)).toEqual([a.id])
    s.deleteRun(a.id)
    expect(s.listRuns().map((r) => r.id)).toEqual(['run-s'])
    expect(s.getRun(a.id)).toBeNull()
    expect(s.restoreRun(a.id)).toEqual(patched)
    expect(s.listRuns('profile')).toEqual([patched])
    expect(() => s.updateRun('missing', { name: 'x' })).toThrow(LabError)
  })

  it('devices: first seen is kept, the card is refreshed', () => {
    const s = open()
    s.upsertDevice(card('P1', 'Pixel 6'), 100)
    const again = s.upsertDevice({ ...card('P1', 'Pixel 6 (desk)'), batteryLevelPct: 55 }, 200)
    expect(again).toMatchObject({ serial: 'P1', kind: 'adb', label: 'Pixel 6 (desk)', firstSeenAt: 100, lastSeenAt: 200 })
    expect(again.card.batteryLevelPct).toBe(55)
    expect(open().listDevices()).toEqual([again])
  })

  it('candidates: architecture, precision and tflite bytes round-trip; a candidate needs an existing run', () => {
    const s = open()
    const run = s.insertRun({ kind: 'search', name: 'NAS' })
    const c = s.insertCandidate({
      runId: run.id,
      name: 'cand-1',
      architecture: { blocks: ['mb3_k3', 'skip'] },
      precision: { weights: [8, 4], activations: [8, 8] },
      accuracy: 0.912,
      sizeBytes: 4096,
      macs: 1_234_567,
      predictedLatencyMs: 3.2,
      tflite: new Uint8Array([0x54, 0x46, 0x4c, 0x33])
    })
    const back = open().getCandidate(c.id)!
    expect({ ...back, tflite: Array.from(back.tflite!) }).toEqual({ ...c, tflite: [0x54, 0x46, 0x4c, 0x33] })
    expect(store!.listCandidates(run.id).map((x) => x.id)).toEqual([c.id])
    expect(() => store!.insertCandidate({ runId: 'no-such-run', name: 'x', architecture: {}, sizeBytes: 1, macs: 1 })).toThrow(/FOREIGN KEY/)
  })

  it('measurements: the Measurement JSON and its indexed figures round-trip and filter', () => {
    const s = open()
    const m1 = s.insertMeasurement({ measurement: measurement('P1', 'aa', 4.25, 1.5) })
    const m2 = s.insertMeasurement({ measurement: { ...measurement('P2', 'bb', 7, null), measuredAt: 6000 } })
    expect(m1).toMatchObject({ deviceSerial: 'P1', modelSha256: 'aa', latencyMeanMs: 4.25, energyMj: 1.5, measuredAt: 5000 })
    const reopened = open()
    expect(reopened.listMeasurements()).toEqual([m2, m1])
    expect(reopened.listMeasurements({ deviceSerial: 'P1' })).toEqual([m1])
    expect(reopened.listMeasurements({ modelSha256: 'bb' })).toEqual([m2])
    expect(reopened.listMeasurements({ deviceSerial: 'P1', modelSha256: 'bb' })).toEqual([])
  })

  it('lookup tables: entries and check round-trip and filter by device and space', () => {
    const s = open()
    const t1 = s.insertLookupTable({ deviceSerial: 'P1', spaceName: 'proxyless-mbv2', settings: { threads: 1 }, entries: [{ key: 'mb6_k5_32', latencyMs: 0.71 }], createdAt: 1 })
    const t2 = s.insertLookupTable({ deviceSerial: 'P1', spaceName: 'tiny', settings: {}, entries: [], check: { rmseMs: 0.2 }, createdAt: 2 })
    expect(open().getLookupTable(t1.id)).toEqual(t1)
    expect(store!.listLookupTables({ deviceSerial: 'P1' })).toEqual([t2, t1])
    expect(store!.listLookupTables({ spaceName: 'tiny' })).toEqual([t2])
    expect(store!.listLookupTables({ deviceSerial: 'P9' })).toEqual([])
  })
})
