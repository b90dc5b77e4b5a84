// Phones over adb end to end: the real adb server (private port) + virtual phones + AdbDevices / AdbTarget.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdbDevices } from '../../../src/main/devices/adb'
import { pushModel } from '../../../src/main/devices/adb/runner'
import { DeviceRegistry } from '../../../src/main/devices/registry'
import { VirtualPhone } from '../../../src/main/devices/virtual/phone'
import { LabEvents } from '../../../src/main/events'
import { BenchmarkSettingsSchema } from '../../../src/shared/contract/measure'
import type { LabEvent } from '../../../src/shared/api'
import { LabError } from '../../../src/shared/errors'
import { startPrivateAdbServer, type PrivateAdbServer } from '../helpers/adb-server'

const MODEL = new Uint8Array(fs.readFileSync(path.join(__dirname, '../../../node_modules/@mediapipe/face_detection/face_detection_short_range.tflite')))

let adb: PrivateAdbServer
let tmp: string
let phoneA: VirtualPhone
let phoneB: VirtualPhone
let registry: DeviceRegistry
let devices: AdbDevices
const events: LabEvent[] = []

async function waitFor<T>(what: string, get: () => T | null | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms
  for (;;) {
    const v = get()
    if (v) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function connect(phone: VirtualPhone): Promise<void> {
  const r = await adb.run(['connect', phone.serial])
  expect(r.stdout).toMatch(/connected to/)
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'adb-phone-'))
  adb = await startPrivateAdbServer()
  ;[phoneA, phoneB] = await Promise.all([VirtualPhone.start({ name: 'vpa', threads: 8, seed: 1 }), VirtualPhone.start({ name: 'vpb', threads: 4, seed: 2 })])
  const labEvents = new LabEvents()
  labEvents.subscribe((e) => events.push(e))
  registry = new DeviceRegistry(labEvents)
  devices = new AdbDevices({
    registry,
    adbBin: adb.adbBin,
    env: { ANDROID_ADB_SERVER_PORT: String(adb.port) },
    cacheDir: tmp,
    thermal: { maxZoneC: 90, maxBatteryC: 60, maxWaitMs: 2_000, pollMs: 200 },
    idleBaselineMs: 800
  })
  await devices.start()
  await connect(phoneA)
  await connect(phoneB)
})

afterAll(async () => {
  devices?.stop()
  await phoneA?.stop()
  await phoneB?.stop()
  await adb?.stop()
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe('phones over adb', () => {
  it('lists and tracks phones with their card', async () => {
    const card = await waitFor('phone A card', () => {
      const d = registry.list().find((x) => x.serial === phoneA.serial)
      return d && d.state === 'device' && d.model ? d : null
    })
    expect(card).toMatchObject({ kind: 'virtual', model: 'Virtual Pixel', modelled: true, adbServer: `127.0.0.1:${adb.port}`, wirelessAdb: true })
    expect(card.abis.length).toBeGreaterThan(0)
    expect(card.cpuClusters.flatMap((c) => c.cores)).toHaveLength(8)
    expect(card.cpuClusters.length).toBe(2)
    expect(card.androidVersion).not.toBeNull()
    expect(card.batteryLevelPct).not.toBeNull()
    expect(Object.keys(card.thermalZonesC).length).toBeGreaterThan(0)
    expect(events.some((e) => e.type === 'device.added' && e.device.serial === phoneA.serial)).toBe(true)
    await waitFor('phone B', () => registry.list().find((x) => x.serial === phoneB.serial && x.state === 'device'))
  })

  it('measures a model and parses the result; the second time the model is not pushed again', async () => {
    const target = devices.target(phoneA.serial)
    const stages: string[] = []
    const settings = BenchmarkSettingsSchema.parse({ runs: 8, warmupRuns: 2, profileOps: true, cpuMaskHex: 'f0', threads: 2 })
    const m = await target.measure(MODEL, settings, { onProgress: (p) => stages.push(p.stage) })
    expect(m.exitCode).toBe(0)
    expect(m.steady.count).toBe(8)
    expect(m.steady.meanMs).toBeGreaterThan(0)
    expect(m.warmup?.count).toBe(2)
    expect(m.ops.length).toBeGreaterThan(0)
    expect(m.modelBytes).toBe(MODEL.byteLength)
    expect(m.modelSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(m.energy).toBeNull()
    expect(Object.keys(m.temperaturesC.before).length).toBeGreaterThan(0)
    expect(Object.keys(m.temperaturesC.after).length).toBeGreaterThan(0)
    expect(stages).toContain('Running the benchmark')
    expect(m.tool).toMatch(/benchmark_model/)
    const device = adb.client().getDevice(phoneA.serial)
    const stat = await device.stat(`/data/local/tmp/proxyless/${m.modelSha256}.tflite`)
    expect(stat.size).toBe(MODEL.byteLength)
    expect(await pushModel(device, MODEL)).toEqual({ path: `/data/local/tmp/proxyless/${m.modelSha256}.tflite`, pushed: false })
  })

  it('reports a GPU delegate failure as an error, not a CPU time', async () => {
    const err = await devices
      .target(phoneA.serial)
      .measure(MODEL, BenchmarkSettingsSchema.parse({ runs: 2, warmupRuns: 0, delegate: 'gpu' }))
      .then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(LabError)
    expect((err as LabError).message).toMatch(/exit code 1/)
  })

  it('samples energy on the device and flags USB charging', async () => {
    const target = devices.target(phoneA.serial)
    const settings = BenchmarkSettingsSchema.parse({ runs: 40, warmupRuns: 2, energy: true, energySampleMs: 50, threads: 4 })
    const m = await target.measure(MODEL, settings)
    expect(m.energy).not.toBeNull()
    expect(m.energy!.modelled).toBe(true)
    expect(m.energy!.samples).toBeGreaterThan(5)
    expect(m.energy!.activePowerMw).toBeGreaterThan(m.energy!.idlePowerMw)
    expect(m.energy!.energyPerInferenceMj).toBeGreaterThan(0)
    expect(m.energy!.reliable).toBe(true)

    phoneA.setUsbCharging(true)
    try {
      const charging = await target.measure(MODEL, settings)
      expect(charging.energy!.reliable).toBe(false)
      expect(charging.energy!.unreliableReason).toMatch(/adb tcpip 5555/)
    } finally {
      phoneA.setUsbCharging(false)
    }
  })

  it('measures two phones in parallel', async () => {
    const settings = BenchmarkSettingsSchema.parse({ runs: 6, warmupRuns: 1 })
    const [a, b] = await Promise.all([devices.target(phoneA.serial).measure(MODEL, settings), devices.target(phoneB.serial).measure(MODEL, settings)])
    expect(a.serial).toBe(phoneA.serial)
    expect(b.serial).toBe(phoneB.serial)
    expect(a.steady.count).toBe(6)
    expect(b.steady.count).toBe(6)
  })

  it('cancels a running measurement', async () => {
    const controller = new AbortController()
    const run = devices.target(phoneB.serial).measure(MODEL, BenchmarkSettingsSchema.parse({ runs: 5000, warmupRuns: 0 }), {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.stage === 'Running the benchmark') setTimeout(() => controller.abort(), 300)
      }
    })
    const err = await run.then(() => null, (e: unknown) => e)
    expect((err as LabError).code).toBe('cancelled')
  })

  it('fails cleanly with no result when the phone is unplugged mid-benchmark', async () => {
    const results: unknown[] = []
    const run = devices.target(phoneB.serial).measure(MODEL, BenchmarkSettingsSchema.parse({ runs: 5000, warmupRuns: 0 }), {
      onProgress: (p) => {
        if (p.stage === 'Running the benchmark') setTimeout(() => void phoneB.stop(), 400)
      }
    })
    const err = await run.then((m) => results.push(m), (e: unknown) => e)
    expect(results).toEqual([])
    expect(err).toBeInstanceOf(LabError)
    expect((err as LabError).code).toBe('device_unavailable')
    expect((err as LabError).message).toMatch(/no result was stored|not reachable/)
    // adb does not push this transition on track-devices; the failed run makes the lab re-check, so it shows offline.
    const d = await waitFor('phone B offline', () => registry.list().find((x) => x.serial === phoneB.serial && x.state === 'offline'), 10_000)
    expect(d.stateHint).toMatch(/Wi-Fi/)
  })

  it('drops a phone that is disconnected', async () => {
    await adb.run(['disconnect', phoneA.serial])
    await waitFor('phone A removed', () => !registry.has(phoneA.serial))
    expect(events.some((e) => e.type === 'device.removed' && e.serial === phoneA.serial)).toBe(true)
    expect(() => devices.target(phoneA.serial)).toThrow(/No phone/)
  })
})
