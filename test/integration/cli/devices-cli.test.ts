// Phones from the command line, as a user drives them: a real (private) adb server, a virtual phone started in the
// background by the CLI, listed, measured with energy, and stopped.
import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adbAvailable, startPrivateAdbServer, type PrivateAdbServer } from '../helpers/adb-server'

const run = promisify(execFile)
const root = path.resolve(__dirname, '..', '..', '..')
const bin = path.join(root, 'bin', 'proxyless-lab.cjs')
const model = path.join(root, 'node_modules', '@mediapipe', 'face_detection', 'face_detection_short_range.tflite')

let adb: PrivateAdbServer
let tmp: string
let env: NodeJS.ProcessEnv

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args, '--data-dir', path.join(tmp, 'data')], { cwd: root, env, timeout: 120_000 })
    return { code: 0, stdout: r.stdout, stderr: r.stderr }
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string }
    return { code: typeof err.code === 'number' ? err.code : 1, stdout: err.stdout ?? '', stderr: err.stderr ?? '' }
  }
}

describe.skipIf(!adbAvailable())('devices from the CLI (real adb server, virtual phone)', () => {
  beforeAll(async () => {
    adb = await startPrivateAdbServer()
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-devcli-'))
    env = { ...adb.env, ANDROID_ADB_SERVER_PORT: String(adb.port), PROXYLESS_LAB_RUNTIME_DIR: path.join(tmp, 'run') }
  })

  afterAll(async () => {
    await cli('virtual-phone', 'stop', '--all')
    await adb?.stop()
    fs.rmSync(tmp, { recursive: true, force: true })
  })

  it('starts a virtual phone, lists it with its card, measures a model with energy, and stops it', async () => {
    const started = await cli('virtual-phone', 'start', '--name', 'cli-phone', '--threads', '4', '--json')
    expect(started.code, started.stderr).toBe(0)
    const { serial } = JSON.parse(started.stdout) as { serial: string }
    expect(serial).toMatch(/^127\.0\.0\.1:\d+$/)

    type Listed = { devices: { serial: string; kind: string; model: string | null; modelled: boolean; state: string }[] }
    // A phone that has just joined the adb server may take a moment to show (a person would run the command again).
    let devices: Listed['devices'] = []
    for (let attempt = 0; attempt < 3 && !devices.some((d) => d.serial === serial && d.state === 'device'); attempt++) {
      const listed = await cli('devices', '--json')
      expect(listed.code, listed.stderr).toBe(0)
      devices = (JSON.parse(listed.stdout) as Listed).devices
    }
    expect(devices.map((d) => d.serial)).toContain('host')
    const phone = devices.find((d) => d.serial === serial)!
    expect(phone).toMatchObject({ kind: 'virtual', state: 'device', modelled: true })
    expect(phone.model).not.toBeNull()

    const measured = await cli('run-model', model, '--device', serial, '--runs', '5', '--warmup', '1', '--energy', '--profile-ops', '--json')
    expect(measured.code, measured.stderr).toBe(0)
    const m = JSON.parse(measured.stdout)
    expect(m.serial).toBe(serial)
    // With energy the tool is asked for at least 1 s of steady runs, so a fast model runs more than 5 times.
    expect(m.steady.count).toBeGreaterThanOrEqual(5)
    expect(m.steady.count * m.steady.meanMs).toBeGreaterThanOrEqual(950)
    expect(m.steady.meanMs).toBeGreaterThan(0)
    expect(m.energy).not.toBeNull()
    expect(m.energy.modelled).toBe(true)
    expect(m.ops.length).toBeGreaterThan(0)

    const stopped = await cli('virtual-phone', 'stop', serial, '--json')
    expect(stopped.code, stopped.stderr).toBe(0)
    expect((await cli('virtual-phone', 'list', '--json')).stdout.trim()).toBe('[]')
  })

  it('says what is wrong for an unknown device, a missing file and a bad setting', async () => {
    const unknown = await cli('run-model', model, '--device', 'no-such-phone')
    expect(unknown.code).toBe(1)
    expect(unknown.stderr).toMatch(/No device with serial "no-such-phone"/)
    const missing = await cli('run-model', path.join(tmp, 'nope.tflite'), '--device', 'host')
    expect(missing.code).toBe(1)
    expect(missing.stderr).toMatch(/There is no file/)
    const bad = await cli('run-model', model, '--device', 'host', '--cpu-mask', 'zz')
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(/hex CPU mask/)
  })
})

describe('models from the CLI', () => {
  let dir: string
  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-modelcli-'))
    tmp = tmp ?? dir
    env = env ?? process.env
  })
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

  it('exports an architecture and reads it back, and rejects an invalid one with the reason', async () => {
    const out = path.join(dir, 'net.tflite')
    const exported = await cli('tflite', 'export', '--space', 'small', '--arch', 'random', '--seed', '3', '--precision', 'mixed:b1_*=int8,head=fp16', '--out', out, '--json')
    expect(exported.code, exported.stderr).toBe(0)
    const meta = JSON.parse(exported.stdout)
    expect(meta.fileBytes).toBe(fs.statSync(out).size)
    const inspected = JSON.parse((await cli('tflite', 'inspect', out, '--json')).stdout)
    const opNames = inspected.ops.map((o: { name: string }) => o.name)
    expect(opNames).toEqual(expect.arrayContaining(['QUANTIZE', 'DEQUANTIZE', 'CONV_2D', 'DEPTHWISE_CONV_2D']))
    const bad = await cli('tflite', 'export', '--space', 'small', '--arch', 'k9e9', '--out', out)
    expect(bad.code).toBe(2)
    expect(bad.stderr.length).toBeGreaterThan(20)
    const notTflite = path.join(dir, 'junk.tflite')
    fs.writeFileSync(notTflite, 'hello, this is not a model')
    const junk = await cli('tflite', 'inspect', notTflite)
    expect(junk.code).toBe(1)
    expect(junk.stderr).toMatch(/not a valid TFLite model/)
  })
})
