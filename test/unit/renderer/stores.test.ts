// The Profile view's stores against a small in-memory lab connection (a stand-in transport, not the stores).
import { beforeEach, describe, expect, it } from 'vitest'
import { createPinia, setActivePinia } from 'pinia'
import type { DeviceInfo, JobInfo, LabEvent, LookupTableSummary, MethodName } from '../../../src/shared/api'
import { LabError } from '../../../src/shared/errors'
import type { ConnectionStatus, LabConnection } from '../../../src/renderer/src/lab/transport'
import { useLabStore } from '../../../src/renderer/src/stores/lab'
import { adbAddressProblem, useDevicesStore } from '../../../src/renderer/src/stores/devices'
import { useJobsStore } from '../../../src/renderer/src/stores/jobs'
import { DEFAULT_MEASURE_FORM, buildProfileRequest, measureFormProblems, profileJobFor, useProfileStore } from '../../../src/renderer/src/stores/profile'
import { useTablesStore } from '../../../src/renderer/src/stores/tables'
import { measurementOfJob, modelFileProblem, useMeasurementsStore } from '../../../src/renderer/src/stores/measurements'
import { hottestZones, nameCpuClusters } from '../../../src/renderer/src/lab/format'

type Handler = (request: any) => unknown

class FakeLab implements LabConnection {
  readonly transport = 'websocket' as const
  readonly calls: { method: string; request: unknown }[] = []
  constructor(private readonly handlers: Partial<Record<MethodName, Handler>>) {}
  async call(method: MethodName, request: unknown): Promise<any> {
    this.calls.push({ method, request })
    const h = this.handlers[method]
    if (!h) throw new LabError('not_found', `No ${method} here.`)
    return h(request)
  }
  onEvent(_: (e: LabEvent) => void): () => void {
    return () => undefined
  }
  status(): ConnectionStatus {
    return { state: 'open' }
  }
  onStatus(): () => void {
    return () => undefined
  }
  retryNow(): void {}
  close(): void {}
}

function device(serial: string, over: Partial<DeviceInfo> = {}): DeviceInfo {
  return {
    serial,
    kind: 'adb',
    state: 'device',
    stateHint: null,
    label: `Phone ${serial}`,
    adbServer: '127.0.0.1:5037',
    model: null,
    manufacturer: null,
    soc: null,
    board: null,
    abis: [],
    cpuClusters: [],
    androidVersion: null,
    sdk: null,
    batteryLevelPct: null,
    batteryTempC: null,
    chargingSource: null,
    thermalZonesC: {},
    wirelessAdb: false,
    modelled: false,
    ...over
  }
}

function job(over: Partial<JobInfo>): JobInfo {
  return { id: 'j1', kind: 'profile', title: 'Profile', queue: 'device:p1', state: 'running', params: {}, progress: null, createdAt: 1, startedAt: 1, finishedAt: null, error: null, result: null, runId: null, ...over }
}

beforeEach(() => setActivePinia(createPinia()))

describe('profile request and settings', () => {
  it('sends the chosen space, input, method and settings as profile.start expects', () => {
    expect(buildProfileRequest('p1', 'small-cifar10', 'both', { ...DEFAULT_MEASURE_FORM, cpuMaskHex: 'F0', coolDownS: 2.5, energy: false })).toEqual({
      serial: 'p1',
      space: 'small',
      input: 'cifar10',
      method: 'both',
      settings: { threads: 1, runs: 30, warmupRuns: 5, cpuMaskHex: 'f0', energy: false },
      coolDownMs: 2500,
      checkNetworks: 30,
      rounds: 3
    })
    expect(buildProfileRequest('p1', 'mobile', 'packed', DEFAULT_MEASURE_FORM)).not.toHaveProperty('input')
  })

  it('names each setting the lab would refuse', () => {
    expect(measureFormProblems(DEFAULT_MEASURE_FORM)).toEqual({})
    const p = measureFormProblems({ ...DEFAULT_MEASURE_FORM, threads: 0, runs: 1.5, cpuMaskHex: 'xyz', coolDownS: -1, checkNetworks: 5000, rounds: 0 })
    expect(Object.keys(p).sort()).toEqual(['checkNetworks', 'coolDownS', 'cpuMaskHex', 'rounds', 'runs', 'threads'])
  })

  it('shows the running profile of a device before any finished one', () => {
    const jobs = [job({ id: 'done', state: 'failed', createdAt: 5 }), job({ id: 'live', state: 'running', createdAt: 2 }), job({ id: 'elsewhere', queue: 'device:p2', createdAt: 9 })]
    expect(profileJobFor(jobs, 'p1')?.id).toBe('live')
    expect(profileJobFor(jobs.slice(0, 1), 'p1')?.id).toBe('done')
    expect(profileJobFor(jobs, 'p3')).toBeNull()
  })
})

describe('profile store', () => {
  it('picks a ready phone, starts a profile on it and shows the job; a second click is blocked while it runs', async () => {
    const started = job({ id: 'job-7', queue: 'device:p1', state: 'queued' })
    const fake = new FakeLab({ 'profile.start': () => started, 'devices.list': () => [device('host', { kind: 'host', label: 'This computer' }), device('p1')] })
    useLabStore().attach(fake)
    const devices = useDevicesStore()
    const profile = useProfileStore()
    await devices.refresh()
    await Promise.resolve()
    expect(devices.selectedSerial).toBe('p1')
    expect(profile.blockedReason).toBeNull()
    await profile.start()
    expect(fake.calls.find((c) => c.method === 'profile.start')?.request).toMatchObject({ serial: 'p1', space: 'small', input: 'fashion-mnist', method: 'packed' })
    expect(profile.job?.id).toBe('job-7')
    expect(profile.blockedReason).toMatch(/already running/)
    expect(useJobsStore().trayJobs.map((j) => j.id)).toContain('job-7')
  })

  it('keeps the lab’s sentence when profile.start is refused', async () => {
    const fake = new FakeLab({
      'devices.list': () => [device('p1')],
      'profile.start': () => {
        throw new LabError('tool_missing', 'No benchmark tool for arm64-v8a: choose one in Settings.')
      }
    })
    useLabStore().attach(fake)
    await useDevicesStore().refresh()
    const profile = useProfileStore()
    await profile.start()
    expect(profile.startError).toBe('No benchmark tool for arm64-v8a: choose one in Settings.')
  })
})

describe('tables store', () => {
  const summary = (id: string, createdAt: number): LookupTableSummary => ({
    id,
    deviceSerial: 'p1',
    deviceLabel: 'Phone p1',
    space: 'small',
    method: 'packed',
    precision: 'fp32',
    settings: {},
    entries: 3,
    createdAt,
    runId: null,
    check: null,
    durationMs: { packed: 1, perBlock: null },
    source: 'measured'
  })

  it('reads the newest table of the chosen device and space, and an import becomes the newest', async () => {
    const fake = new FakeLab({
      'devices.list': () => [device('p1')],
      'tables.list': () => [summary('a', 1), summary('b', 2)],
      'tables.get': (r: { id: string }) => ({ ...summary(r.id, 0), rows: [] }),
      'tables.import': () => summary('imported', 3)
    })
    useLabStore().attach(fake)
    await useDevicesStore().refresh()
    const tables = useTablesStore()
    const profile = useProfileStore()
    await tables.refresh()
    await new Promise((r) => setTimeout(r, 0))
    expect(profile.tableSummary?.id).toBe('b')
    expect(profile.table?.id).toBe('b')
    await tables.importYaml('a: 1', 'p1', 'small', 'mine')
    expect(fake.calls.find((c) => c.method === 'tables.import')).toEqual({ method: 'tables.import', request: { yaml: 'a: 1', serial: 'p1', space: 'small', name: 'mine' } })
    expect(profile.tableSummary?.id).toBe('imported')
    expect(tables.transferNote).toMatch(/Imported 3 rows/)
  })

  it('reloads the list when a profile job succeeds', async () => {
    let listed = 0
    useLabStore().attach(new FakeLab({ 'tables.list': () => (listed++, []) }))
    const tables = useTablesStore()
    tables.applyEvent({ type: 'job.finished', job: job({ state: 'failed' }) })
    tables.applyEvent({ type: 'job.finished', job: job({ state: 'succeeded' }) })
    await new Promise((r) => setTimeout(r, 0))
    expect(listed).toBe(1)
  })
})

describe('devices store', () => {
  it('starts and stops a virtual phone, and keeps a failed refresh’s sentence on that card only', async () => {
    const fake = new FakeLab({
      'virtualPhones.start': (r: { name?: string }) => ({ serial: '127.0.0.1:40001', name: r.name ?? 'v', threads: 2, port: 40001, pid: 1, adbServer: null, adbConnected: true, startedAt: 0 }),
      'virtualPhones.stop': () => [],
      'devices.refresh': () => {
        throw new LabError('device_unavailable', 'Phone p1 is offline: reconnect it.')
      }
    })
    useLabStore().attach(fake)
    const devices = useDevicesStore()
    expect(await devices.startVirtualPhone({ name: 'bench' })).toBe('127.0.0.1:40001')
    expect(devices.virtualPhones).toHaveLength(1)
    await devices.stopVirtualPhone('127.0.0.1:40001')
    expect(devices.virtualPhones).toHaveLength(0)
    await devices.refreshDevice('p1')
    expect(devices.cardErrors).toEqual({ p1: 'Phone p1 is offline: reconnect it.' })
    expect(devices.busy).toEqual({})
  })

  it('checks adb server addresses before sending them', () => {
    expect(adbAddressProblem('192.168.1.20:5037')).toBeNull()
    expect(adbAddressProblem('farm.example.org:7401')).toBeNull()
    expect(adbAddressProblem('192.168.1.20')).toMatch(/host:port/)
    expect(adbAddressProblem('host:70000')).toMatch(/between 1 and 65535/)
    expect(adbAddressProblem('  ')).toMatch(/host:port/)
  })

  it('names CPU clusters little/big by clock and lists the hottest zones first', () => {
    expect(nameCpuClusters([{ cores: [4, 5], maxFreqKhz: 2_400_000 }, { cores: [0, 1, 2, 3], maxFreqKhz: 1_800_000 }])).toEqual([
      { name: 'Little', text: '4 cores × 1.80 GHz' },
      { name: 'Big', text: '2 cores × 2.40 GHz' }
    ])
    expect(hottestZones({ a: 30, b: 50, c: 40 }, 2)).toEqual([
      { name: 'b', tempC: 50 },
      { name: 'c', tempC: 40 }
    ])
  })
})

describe('measuring a model of one’s own', () => {
  it('accepts .tflite files only and reads the measurement from a finished job', () => {
    expect(modelFileProblem('face.tflite', 229_000)).toBeNull()
    expect(modelFileProblem('face.onnx', 229_000)).toMatch(/not a \.tflite/)
    expect(modelFileProblem('empty.tflite', 0)).toMatch(/empty/)
    const m = { steady: { meanMs: 1 } }
    expect(measurementOfJob(job({ kind: 'measure', state: 'succeeded', result: { id: 'r', measurement: m } }))).toBe(m)
    expect(measurementOfJob(job({ kind: 'measure', state: 'failed', result: null }))).toBeNull()
  })
})

describe('measurements store', () => {
  it('inspects a chosen model, measures it on the chosen device with op profiling on, and shows the result when the job ends', async () => {
    const fake = new FakeLab({
      'devices.list': () => [device('p1')],
      'tflite.inspect': () => ({ fileBytes: 12, sha256: 's', version: 3, description: '', subgraphs: 1, tensors: 2, operators: 1, ops: [], inputs: [], outputs: [], constantBytesByType: {}, customOps: [] }),
      'measure.start': () => job({ id: 'm1', kind: 'measure', queue: 'device:p1', state: 'queued' })
    })
    useLabStore().attach(fake)
    await useDevicesStore().refresh()
    const measurements = useMeasurementsStore()
    expect(measurements.blockedReason).toMatch(/Choose a \.tflite/)
    await measurements.choose({ name: 'face.tflite', size: 12, readBase64: async () => 'AAAAAAAAAAAA' })
    expect(fake.calls.find((c) => c.method === 'tflite.inspect')?.request).toEqual({ base64: 'AAAAAAAAAAAA' })
    expect(measurements.summary?.operators).toBe(1)
    await measurements.start()
    expect(fake.calls.find((c) => c.method === 'measure.start')?.request).toMatchObject({ serial: 'p1', modelBase64: 'AAAAAAAAAAAA', modelName: 'face.tflite', settings: { profileOps: true } })
    expect(measurements.running).toBe(true)
    const m = { steady: { meanMs: 2 } }
    useJobsStore().applyEvent({ type: 'job.finished', job: job({ id: 'm1', kind: 'measure', queue: 'device:p1', state: 'succeeded', result: { id: 'r', measurement: m } }) })
    expect(measurements.measurement).toEqual(m)
  })

  it('refuses a file that is not a model without calling the lab', async () => {
    const fake = new FakeLab({})
    useLabStore().attach(fake)
    const measurements = useMeasurementsStore()
    await measurements.choose({ name: 'notes.txt', size: 100, readBase64: async () => 'x' })
    expect(measurements.fileError).toMatch(/not a \.tflite/)
    expect(fake.calls).toHaveLength(0)
  })
})
