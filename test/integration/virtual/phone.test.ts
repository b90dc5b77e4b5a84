// The virtual phone driven by Debian's real adb server, through the adb CLI and through adbkit, like a phone.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Client } from '@devicefarmer/adbkit'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseBenchmarkOutput } from '../../../src/main/devices/adb/parser'
import { parseProfilingSummary } from '../../../src/main/devices/host/profile'
import { quoteShellArg, readShell, shellCommand } from '../../../src/main/devices/adb/shell'
import { VirtualPhone } from '../../../src/main/devices/virtual/phone'
import { startPrivateAdbServer, type PrivateAdbServer } from '../helpers/adb-server'

const MODEL = path.resolve(__dirname, '../../../node_modules/@mediapipe/face_detection/face_detection_short_range.tflite')

let adb: PrivateAdbServer
let client: Client
let phone: VirtualPhone
let tmp: string
const extraPhones: VirtualPhone[] = []

async function waitForState(serial: string, state: string, ms = 15_000): Promise<void> {
  const end = Date.now() + ms
  for (;;) {
    const devices = await client.listDevices()
    if (devices.some((d: { id: string; type: string }) => d.id === serial && d.type === state)) return
    if (Date.now() > end) throw new Error(`${serial} never reached state ${state}: ${JSON.stringify(devices)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function connect(p: VirtualPhone): Promise<void> {
  await client.connect('127.0.0.1', p.port)
  await waitForState(p.serial, 'device')
}

const sha256File = (file: string): string => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex')

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'vphone-it-'))
  adb = await startPrivateAdbServer()
  client = adb.client()
  phone = await VirtualPhone.start({ name: 'vphone_a', threads: 8, seed: 7 })
  await connect(phone)
})

afterAll(async () => {
  for (const p of [phone, ...extraPhones]) {
    if (!p) continue
    await client.disconnect('127.0.0.1', p.port).catch(() => undefined)
    await p.stop()
  }
  await adb.stop()
  expect(await adb.isRunning()).toBe(false) // no adb server left behind
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe('adb CLI', () => {
  it('lists the phone as a device with its product, model and device names', async () => {
    const r = await adb.run(['devices', '-l'])
    expect(r.stdout).toMatch(new RegExp(`${phone.serial.replace(/\./g, '\\.')}\\s+device product:vphone_a model:Virtual_Pixel device:vphone_a`))
  })

  it('runs shell commands with exit codes (shell v2)', async () => {
    const hi = await adb.run(['-s', phone.serial, 'shell', 'echo', 'hi'])
    expect(hi).toMatchObject({ stdout: 'hi\n', code: 0 })
    const seven = await adb.run(['-s', phone.serial, 'shell', 'exit 7'])
    expect(seven.code).toBe(7)
  })

  it('answers an unknown command with exit 127 and says why', async () => {
    const r = await adb.run(['-s', phone.serial, 'shell', 'vim', '/sdcard/x'])
    expect(r.code).toBe(127)
    expect(r.stderr).toContain('vim: not available on the virtual phone (it runs only the commands the lab needs)')
  })

  it('pushes and pulls a 20 MB file with identical sha256', async () => {
    const src = path.join(tmp, 'cli-src.bin')
    fs.writeFileSync(src, crypto.randomBytes(20 * 1024 * 1024))
    const push = await adb.run(['-s', phone.serial, 'push', src, '/data/local/tmp/cli/big.bin'])
    expect(push.code, push.stderr).toBe(0)
    const back = path.join(tmp, 'cli-back.bin')
    const pull = await adb.run(['-s', phone.serial, 'pull', '/data/local/tmp/cli/big.bin', back])
    expect(pull.code, pull.stderr).toBe(0)
    expect(sha256File(back)).toBe(sha256File(src))
    const onDevice = await adb.run(['-s', phone.serial, 'shell', 'sha256sum', '/data/local/tmp/cli/big.bin'])
    expect(onDevice.stdout.split(/\s+/)[0]).toBe(sha256File(src))
  })

  it('runs benchmark_model on a real .tflite and prints the official format with plausible numbers', async () => {
    expect((await adb.run(['-s', phone.serial, 'push', MODEL, '/data/local/tmp/proxyless/face.tflite'])).code).toBe(0)
    const r = await adb.run([
      '-s', phone.serial, 'shell',
      shellCommand('taskset', 'f0', '/data/local/tmp/benchmark_model', '--graph=/data/local/tmp/proxyless/face.tflite', '--num_threads=4', '--num_runs=10', '--warmup_runs=2', '--enable_op_profiling=true', '--report_peak_memory_footprint=true')
    ])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^INFO: STARTING!\n/)
    expect(r.stdout).toMatch(/INFO: Initialized session in [\d.e+]+ms\./)
    expect(r.stdout).toContain('INFO: Running benchmark for at least 10 iterations and at least 1 seconds but terminate if exceeding 150 seconds.')
    expect(r.stdout).toMatch(/INFO: Inference timings in us: Init: [\d.e+]+, First inference: [\d.e+]+, Warmup \(avg\): [\d.e+]+, Inference \(avg\): [\d.e+]+/)
    expect(r.stdout).toContain('Operator-wise Profiling Info for Regular Benchmark Runs:')
    expect(r.stdout).toMatch(/\[node type\]\t\s*\[first\]\t\s*\[avg ms\]\t\s*\[%\]\t\s*\[cdf%\]\t\s*\[mem KB\]\t\s*\[times called\]\t\[Name\]/)
    // The lab's own parser for the real tool reads it.
    const parsed = parseBenchmarkOutput(r.stdout)
    // At least 10 runs and at least the default --min_secs=1 of them, as the real tool does.
    expect(parsed.steady.count).toBeGreaterThanOrEqual(10)
    expect(parsed.steady.count * parsed.steady.meanMs).toBeGreaterThanOrEqual(950)
    expect(parsed.steady.meanMs).toBeGreaterThan(0.05)
    expect(parsed.steady.meanMs).toBeLessThan(5_000)
    // Like benchmark_model 2.x it prints p5 / median / p95, so tables can use the median.
    expect(parsed.steady.medianMs).toBeGreaterThan(0)
    expect(parsed.steady.percentilesMs['95']).toBeGreaterThanOrEqual(parsed.steady.medianMs as number)
    expect(parsed.initMs).toBeGreaterThan(0)
    expect(parsed.ops.length).toBeGreaterThan(0)
    expect(parsed.errors).toEqual([])
    // TFLite's own summary, verbatim: XNNPACK's per-operator rows are in its "Delegate internal:" part.
    const profile = r.stdout.slice(r.stdout.indexOf('Operator-wise Profiling Info for Regular Benchmark Runs:'))
    const delegateOps = parseProfilingSummary(profile).filter((op) => op.source === 'delegate')
    expect(delegateOps.length).toBeGreaterThan(5)
    expect(delegateOps.some((op) => op.nodeType.startsWith('Convolution'))).toBe(true)
  })

  it('fails benchmark_model like the tool for a missing model, an invalid model and an unknown flag', async () => {
    const missing = await adb.run(['-s', phone.serial, 'shell', shellCommand('benchmark_model', '--graph=/data/local/tmp/none.tflite')])
    expect(missing.code).toBe(1)
    expect(missing.stdout).toContain("ERROR: Could not open '/data/local/tmp/none.tflite'.")
    await adb.run(['-s', phone.serial, 'shell', 'echo not-a-model > /data/local/tmp/bad.tflite'])
    const invalid = await adb.run(['-s', phone.serial, 'shell', shellCommand('/data/local/tmp/benchmark_model', '--graph=/data/local/tmp/bad.tflite')])
    expect(invalid.code).toBe(1)
    expect(invalid.stdout).toContain('ERROR: Benchmarking failed.')
    const unknown = await adb.run(['-s', phone.serial, 'shell', shellCommand('benchmark_model', '--graph=/data/local/tmp/bad.tflite', '--frobnicate=1')])
    expect(unknown.code).toBe(1)
    expect(unknown.stdout).toContain('Unconsumed cmdline flags: --frobnicate=1')
  })

  it('runs two phones at once, each with its own name, cores and sandbox', async () => {
    const second = await VirtualPhone.start({ name: 'vphone_b', threads: 4, seed: 9 })
    extraPhones.push(second)
    await connect(second)
    const a = await adb.run(['-s', phone.serial, 'shell', 'getprop ro.product.name; cat /sys/devices/system/cpu/possible; echo a > /sdcard/who'])
    const b = await adb.run(['-s', second.serial, 'shell', 'getprop ro.product.name; cat /sys/devices/system/cpu/possible; ls /sdcard'])
    expect(a.stdout).toBe('vphone_a\n0-7\n')
    expect(b.stdout).toBe('vphone_b\n0-3\n') // /sdcard of the second phone is empty
  })
})

describe('adbkit', () => {
  it('reads properties and features', async () => {
    const device = client.getDevice(phone.serial)
    const props = await device.getProperties()
    expect(props['ro.product.model']).toBe('Virtual Pixel')
    expect(props['ro.proxyless.power_model']).toBe('modelled')
    expect(props['ro.product.cpu.abi']).toBe('arm64-v8a')
    const features = await device.getFeatures()
    expect(Object.keys(features)).toContain('android.hardware.cpu.arm64')
    await device.waitBootComplete()
  })

  it('pushes, stats, lists and pulls a 20 MB file with identical sha256', async () => {
    const device = client.getDevice(phone.serial)
    const data = crypto.randomBytes(20 * 1024 * 1024)
    const want = crypto.createHash('sha256').update(data).digest('hex')
    const src = path.join(tmp, 'kit-src.bin')
    fs.writeFileSync(src, data)
    const push = await device.push(src, '/sdcard/kit/big.bin', 0o640)
    await new Promise<void>((resolve, reject) => {
      push.on('end', resolve)
      push.on('error', reject)
    })
    const st = await device.stat('/sdcard/kit/big.bin')
    expect(st.size).toBe(data.length)
    expect(st.mode & 0o777).toBe(0o640)
    const entries = await device.readdir('/sdcard/kit')
    expect(entries.map((e: { name: string }) => e.name)).toContain('big.bin')
    const pull = await device.pull('/sdcard/kit/big.bin')
    const hash = crypto.createHash('sha256')
    await new Promise<void>((resolve, reject) => {
      pull.on('data', (chunk: Buffer) => hash.update(chunk))
      pull.on('end', resolve)
      pull.on('error', reject)
    })
    expect(hash.digest('hex')).toBe(want)
    await expect(device.stat('/sdcard/kit/missing.bin')).rejects.toThrow()
  })

  it('refuses to push outside the device root', async () => {
    const device = client.getDevice(phone.serial)
    const push = await device.push(fs.createReadStream(MODEL), '/../../escape.bin')
    const err = await new Promise<unknown>((resolve) => {
      push.on('end', () => resolve(null))
      push.on('error', resolve)
    })
    expect(err).toBeInstanceOf(Error)
    for (const up of [['..'], ['..', '..'], ['..', '..', '..']]) expect(fs.existsSync(path.join(phone.root, ...up, 'escape.bin'))).toBe(false)
  })

  it('sees a phone added, becoming a device, and removed (trackDevices)', async () => {
    const tracker = await client.trackDevices()
    const events: string[] = []
    tracker.on('add', (d: { id: string; type: string }) => events.push(`add ${d.id}`, `state ${d.id} ${d.type}`))
    tracker.on('change', (d: { id: string; type: string }) => events.push(`change ${d.id}`, `state ${d.id} ${d.type}`))
    tracker.on('remove', (d: { id: string }) => events.push(`remove ${d.id}`))
    try {
      const third = await VirtualPhone.start({ name: 'vphone_c', threads: 2 })
      await client.connect('127.0.0.1', third.port)
      const until = async (pred: () => boolean) => {
        const end = Date.now() + 15_000
        while (!pred() && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
      }
      await until(() => events.includes(`add ${third.serial}`))
      await until(() => events.includes(`state ${third.serial} device`))
      expect(events).toContain(`state ${third.serial} device`) // offline first, then a change to device
      await third.stop()
      await client.disconnect('127.0.0.1', third.port)
      await until(() => events.includes(`remove ${third.serial}`))
      expect(events).toContain(`add ${third.serial}`)
      expect(events.indexOf(`remove ${third.serial}`)).toBeGreaterThan(events.indexOf(`add ${third.serial}`))
    } finally {
      tracker.end()
    }
  })

  it('draws more battery current and heats up while benchmark_model runs (power model), more on big cores', async () => {
    const device = client.getDevice(phone.serial)
    await adb.run(['-s', phone.serial, 'push', MODEL, '/data/local/tmp/proxyless/face.tflite'])
    const readUa = async () => Number((await readShell(device, `cat ${quoteShellArg('/sys/class/power_supply/battery/current_now')}`)).trim())
    const readBigMilliC = async () => Number((await readShell(device, 'cat /sys/class/thermal/thermal_zone0/temp')).trim())
    const idleUa = await readUa()
    const idleMilliC = await readBigMilliC()
    expect(idleUa).toBeLessThan(0) // discharging, Pixel-style sign

    const busyDraw = async (mask: string): Promise<number> => {
      const run = readShell(device, shellCommand('taskset', mask, 'benchmark_model', '--graph=/data/local/tmp/proxyless/face.tflite', '--num_threads=4', '--num_runs=30', '--warmup_runs=1'))
      let done = false
      void run.finally(() => (done = true))
      let strongest = 0
      while (!done) {
        strongest = Math.min(strongest, await readUa())
        await new Promise((r) => setTimeout(r, 30))
      }
      expect(await run).toContain('Inference (avg)')
      return strongest
    }
    const bigUa = await busyDraw('f0')
    const littleUa = await busyDraw('0f')
    expect(Math.abs(bigUa)).toBeGreaterThan(3 * Math.abs(idleUa))
    expect(Math.abs(littleUa)).toBeGreaterThan(1.5 * Math.abs(idleUa))
    expect(Math.abs(bigUa)).toBeGreaterThan(1.5 * Math.abs(littleUa))
    expect(await readBigMilliC()).toBeGreaterThan(idleMilliC)
  })

  it('refuses services it does not implement', async () => {
    const device = client.getDevice(phone.serial)
    await expect(device.openTcp(8080)).rejects.toThrow()
  })
})
