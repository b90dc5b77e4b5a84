// Overhead of one phone measurement beyond the benchmark itself: real adb server + a virtual phone.
// Compares AdbTarget.measure() (thermal check, tool lookup, model push/stat, run, parse, temperatures) with the bare
// benchmark command sent over the same adb path. Run: npx tsx bench/measure-overhead.ts
import fs from 'node:fs'
import path from 'node:path'
import { AdbDevices } from '../src/main/devices/adb'
import { benchmarkCommand, benchmarkFlags, pushModel } from '../src/main/devices/adb/runner'
import { readShell } from '../src/main/devices/adb/shell'
import { parseBenchmarkOutput } from '../src/main/devices/adb/parser'
import { ThermalProbe } from '../src/main/devices/adb/thermal'
import { DeviceRegistry } from '../src/main/devices/registry'
import { VirtualPhone } from '../src/main/devices/virtual/phone'
import { LabEvents } from '../src/main/events'
import { BenchmarkSettingsSchema } from '../src/shared/contract/measure'
import { startPrivateAdbServer } from '../test/integration/helpers/adb-server'

const REPEATS = 6
const MODEL = new Uint8Array(fs.readFileSync(path.join(__dirname, '../node_modules/@mediapipe/face_detection/face_detection_short_range.tflite')))

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main(): Promise<void> {
  const adb = await startPrivateAdbServer()
  const phone = await VirtualPhone.start({ name: 'bench' })
  const registry = new DeviceRegistry(new LabEvents())
  const devices = new AdbDevices({ registry, adbBin: adb.adbBin, env: { ANDROID_ADB_SERVER_PORT: String(adb.port) }, thermal: { maxZoneC: 200, maxBatteryC: 200, maxWaitMs: 0, pollMs: 1000 } })
  try {
    await devices.start()
    await adb.run(['connect', phone.serial])
    while (!registry.list().some((d) => d.serial === phone.serial && d.state === 'device' && d.model)) await new Promise((r) => setTimeout(r, 50))
    const target = devices.target(phone.serial)
    const device = adb.client().getDevice(phone.serial)

    for (const runs of [5, 50]) {
      const settings = BenchmarkSettingsSchema.parse({ runs, warmupRuns: 1 })
      const t0 = performance.now()
      await target.measure(MODEL, settings) // first: tool lookup + push
      const firstMs = performance.now() - t0
      const { path: graph } = await pushModel(device, MODEL)
      const command = benchmarkCommand('/data/local/tmp/benchmark_model', benchmarkFlags(graph, settings).flags, null)
      const full: number[] = []
      const bare: number[] = []
      for (let i = 0; i < REPEATS; i++) {
        let t = performance.now()
        await readShell(device, command)
        bare.push(performance.now() - t)
        t = performance.now()
        await target.measure(MODEL, settings)
        full.push(performance.now() - t)
      }
      const overhead = median(full) - median(bare)
      console.log(
        `runs=${runs}: bare benchmark command median ${median(bare).toFixed(1)} ms, full measure() median ${median(full).toFixed(1)} ms, ` +
          `overhead ${overhead.toFixed(1)} ms (${((overhead / median(bare)) * 100).toFixed(1)}% of the run), first measure (tool + push) ${firstMs.toFixed(1)} ms`
      )
    }

    // The pieces measure() adds around the run, timed alone (less noisy than the difference above).
    const probe = new ThermalProbe(device)
    await probe.read()
    const time = async (f: () => Promise<unknown>) => {
      const xs: number[] = []
      for (let i = 0; i < 10; i++) {
        const t = performance.now()
        await f()
        xs.push(performance.now() - t)
      }
      return median(xs)
    }
    const thermalMs = await time(() => probe.read())
    const statMs = await time(() => pushModel(device, MODEL))
    const text = fs.readFileSync(path.join(__dirname, '../test/fixtures/benchmark-output/tf2.14-info-xnnpack-delegate-ops.txt'), 'utf8')
    const parseMs = await time(async () => parseBenchmarkOutput(text))
    console.log(
      `per-measure pieces (median of 10): temperature read ${thermalMs.toFixed(1)} ms (x2: before and after), model stat (already pushed) ${statMs.toFixed(1)} ms, ` +
        `parse with op tables ${parseMs.toFixed(2)} ms => about ${(2 * thermalMs + statMs + parseMs).toFixed(1)} ms per measurement`
    )

    const energySettings = BenchmarkSettingsSchema.parse({ runs: 50, warmupRuns: 1, energy: true, energySampleMs: 50 })
    const e: number[] = []
    for (let i = 0; i < 3; i++) {
      const t = performance.now()
      await target.measure(MODEL, energySettings)
      e.push(performance.now() - t)
    }
    console.log(`runs=50 with energy (idle baseline ${Math.max(1500, 50 * 12)} ms included): measure() median ${median(e).toFixed(1)} ms`)
  } finally {
    devices.stop()
    await phone.stop()
    await adb.stop()
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
