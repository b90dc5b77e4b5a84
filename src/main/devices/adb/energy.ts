// Energy per inference from the phone's own battery gauge: a device-side loop samples current_now / voltage_now
// (with /proc/uptime timestamps) while the benchmark runs; an idle baseline just before is subtracted.
//   E_inference [mJ] = (P_active − P_idle) [mW] × (steady duration / runs) [s]
// Units and sign differ between phones (µA vs mA, µV vs mV, charge-positive vs discharge-positive), so each device is
// calibrated from magnitudes and from a known load (idle vs busy readings), and the result is cached per device.
import fs from 'node:fs'
import path from 'node:path'
import type { DeviceClient } from '@devicefarmer/adbkit'
import type { EnergyEstimate } from '../../../shared/contract/measure'
import { quoteShellArg, readFiles, readShell, runShell } from './shell'

export interface PowerSample {
  /** Device uptime in seconds. */
  tS: number
  currentRaw: number
  voltageRaw: number
}

export interface PowerCalibration {
  /** Multiply a raw current by this to get µA (1 for µA, 1000 for mA). */
  currentToUa: number
  /** Multiply a raw voltage by this to get µV (1 for µV, 1000 for mV, 1e6 for V). */
  voltageToUv: number
  /** Multiply a raw current by this to get discharge-positive current (the Android convention is charge-positive: -1). */
  dischargeSign: 1 | -1
  /** How the sign was decided: 'load' (busy vs idle, trustworthy), 'status' (battery discharging), or 'convention'. */
  signFrom: 'load' | 'status' | 'convention'
}

export const BATTERY_DIRS = ['/sys/class/power_supply/battery', '/sys/class/power_supply/Battery', '/sys/class/power_supply/bms', '/sys/class/power_supply/main-battery']

/** Parse the sampler loop's output: per iteration an uptime line, then current, then voltage. */
export function parseSamplerOutput(text: string): PowerSample[] {
  const samples: PowerSample[] = []
  let pending: { tS: number; values: number[] } | null = null
  for (const raw of text.replace(/\r\n/g, '\n').split('\n')) {
    const line = raw.trim()
    const uptime = /^(\d+(?:\.\d+)?)\s+\d+(?:\.\d+)?$/.exec(line)
    if (uptime) {
      pending = { tS: Number(uptime[1]), values: [] }
      continue
    }
    if (pending && /^-?\d+$/.test(line)) {
      pending.values.push(Number(line))
      if (pending.values.length === 2) {
        samples.push({ tS: pending.tS, currentRaw: pending.values[0], voltageRaw: pending.values[1] })
        pending = null
      }
    }
  }
  return samples
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b)
  const mid = Math.floor(s.length / 2)
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2
}

export function meanAndStandardError(values: number[]): { mean: number; se: number; sd: number } {
  const n = values.length
  if (n === 0) return { mean: NaN, se: NaN, sd: NaN }
  const mean = values.reduce((a, b) => a + b, 0) / n
  if (n === 1) return { mean, se: 0, sd: 0 }
  const variance = values.reduce((a, v) => a + (v - mean) ** 2, 0) / (n - 1)
  const sd = Math.sqrt(variance)
  return { mean, se: sd / Math.sqrt(n), sd }
}

/** Units from magnitudes: a phone draws ~10 mA..5 A at ~3..5 V. */
export function detectUnits(samples: PowerSample[]): Pick<PowerCalibration, 'currentToUa' | 'voltageToUv'> {
  const currentMag = median(samples.map((s) => Math.abs(s.currentRaw)))
  const voltageMag = median(samples.map((s) => Math.abs(s.voltageRaw)))
  // 10 000 in mA would be 10 A (impossible for a phone); 10 000 in µA is 10 mA (a phone asleep).
  const currentToUa = currentMag >= 10_000 ? 1 : 1000
  const voltageToUv = voltageMag >= 100_000 ? 1 : voltageMag >= 100 ? 1000 : 1_000_000
  return { currentToUa, voltageToUv }
}

/**
 * Decide units and sign. The known load is the benchmark: the phone must draw MORE during it than at rest, so the
 * direction the raw current moves under load gives the discharge sign. When the change is lost in the noise, fall back
 * to the battery status (discharging: raw current should read as a draw), then to the Android convention.
 */
export function calibrate(idle: PowerSample[], busy: PowerSample[], discharging: boolean): PowerCalibration {
  const units = detectUnits([...idle, ...busy])
  if (idle.length >= 2 && busy.length >= 2) {
    const a = meanAndStandardError(busy.map((s) => s.currentRaw))
    const b = meanAndStandardError(idle.map((s) => s.currentRaw))
    const diff = a.mean - b.mean
    const se = Math.sqrt(a.se ** 2 + b.se ** 2)
    if (diff !== 0 && Math.abs(diff) > 3 * se) return { ...units, dischargeSign: diff > 0 ? 1 : -1, signFrom: 'load' }
  }
  const all = [...idle, ...busy].map((s) => s.currentRaw)
  if (discharging && all.length > 0) {
    const m = median(all)
    if (m !== 0) return { ...units, dischargeSign: m > 0 ? 1 : -1, signFrom: 'status' }
  }
  return { ...units, dischargeSign: -1, signFrom: 'convention' }
}

/** Power drawn from the battery in mW (positive = the phone uses energy; negative = net charge flows in). */
export function samplePowerMw(sample: PowerSample, cal: PowerCalibration): number {
  const currentUa = sample.currentRaw * cal.currentToUa * cal.dischargeSign
  const voltageUv = sample.voltageRaw * cal.voltageToUv
  return (currentUa * voltageUv) / 1e9 // µA·µV = 1e-12 W = 1e-9 mW
}

export interface ChargingState {
  charging: boolean
  source: 'usb' | 'ac' | 'wireless' | 'none' | null
}

export const CHARGING_ADVICE =
  'For a trustworthy figure measure over wireless ADB with the cable out: `adb tcpip 5555`, unplug the cable, then `adb connect <phone-ip>:5555` (Android 11+: Developer options → Wireless debugging → `adb pair`).'

export interface EnergyInput {
  idle: PowerSample[]
  active: PowerSample[]
  calibration: PowerCalibration
  /** Wall time of the steady (measured) runs and how many there were. */
  steadyDurationMs: number
  runs: number
  charging: ChargingState
  modelled: boolean
}

/** The energy estimate with a one-standard-error uncertainty; flagged unreliable with a reason when it should not be trusted. */
export function estimateEnergy(input: EnergyInput): EnergyEstimate {
  const idleMw = input.idle.map((s) => samplePowerMw(s, input.calibration))
  const activeMw = input.active.map((s) => samplePowerMw(s, input.calibration))
  const idle = meanAndStandardError(idleMw)
  const active = meanAndStandardError(activeMw)
  const perInferenceS = input.steadyDurationMs / Math.max(1, input.runs) / 1000
  const energyPerInferenceMj = (active.mean - idle.mean) * perInferenceS
  const uncertaintyMj = Math.sqrt(active.se ** 2 + idle.se ** 2) * perInferenceS
  const reasons: string[] = []
  const chargeFlowsIn = idle.mean < 0 || active.mean < 0
  if (input.charging.charging || chargeFlowsIn) {
    const via = input.charging.source && input.charging.source !== 'none' ? ` (${input.charging.source.toUpperCase()} power)` : ''
    reasons.push(`The phone was charging${via} during the run, so the battery current includes the charger. ${CHARGING_ADVICE}`)
  }
  if (input.idle.length < 3 || input.active.length < 3) {
    reasons.push(`Only ${input.idle.length} idle and ${input.active.length} busy battery samples were taken; use more runs or a shorter sampling period.`)
  } else if (new Set(input.active.map((s) => s.currentRaw)).size === 1 && new Set(input.idle.map((s) => s.currentRaw)).size === 1) {
    reasons.push('The battery current never changed between samples; this phone updates its fuel gauge too slowly for per-inference energy.')
  }
  if (reasons.length === 0 && !(energyPerInferenceMj > 0)) {
    reasons.push('The phone drew no more power during the benchmark than at rest; background activity probably hid it. Close other apps, turn the screen off and measure again.')
  }
  return {
    energyPerInferenceMj: Number.isFinite(energyPerInferenceMj) ? energyPerInferenceMj : 0,
    uncertaintyMj: Number.isFinite(uncertaintyMj) ? uncertaintyMj : 0,
    idlePowerMw: Number.isFinite(idle.mean) ? idle.mean : 0,
    activePowerMw: Number.isFinite(active.mean) ? active.mean : 0,
    samples: input.idle.length + input.active.length,
    reliable: reasons.length === 0,
    unreliableReason: reasons.length ? reasons.join(' ') : null,
    modelled: input.modelled
  }
}

// ---- per-device calibration cache ----

export class CalibrationCache {
  private readonly memory = new Map<string, PowerCalibration>()
  constructor(private readonly file: string | null = null) {
    if (file && fs.existsSync(file)) {
      try {
        const data = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, PowerCalibration>
        for (const [k, v] of Object.entries(data)) this.memory.set(k, v)
      } catch {
        // A corrupt cache only costs a re-calibration.
      }
    }
  }
  get(deviceKey: string): PowerCalibration | null {
    return this.memory.get(deviceKey) ?? null
  }
  /** Only load-based calibrations are worth keeping; the others are re-decided next time. */
  offer(deviceKey: string, cal: PowerCalibration): void {
    if (cal.signFrom !== 'load') return
    this.memory.set(deviceKey, cal)
    if (this.file) {
      fs.mkdirSync(path.dirname(this.file), { recursive: true })
      fs.writeFileSync(this.file, JSON.stringify(Object.fromEntries(this.memory), null, 2))
    }
  }
}

// ---- the device-side sampler ----

export interface BatteryFiles {
  currentPath: string
  voltagePath: string
}

/** Find the battery's current_now / voltage_now; null when the phone exposes none. */
export async function findBatteryFiles(device: DeviceClient): Promise<BatteryFiles | null> {
  const values = await readFiles(device, BATTERY_DIRS.map((d) => `${d}/current_now`))
  const i = values.findIndex((v) => v !== null && /^-?\d+$/.test(v))
  if (i < 0) return null
  return { currentPath: `${BATTERY_DIRS[i]}/current_now`, voltagePath: `${BATTERY_DIRS[i]}/voltage_now` }
}

export function samplerCommand(files: BatteryFiles, flagPath: string, periodMs: number): string {
  const q = quoteShellArg
  const sleepS = (periodMs / 1000).toFixed(3).replace(/0+$/, '').replace(/\.$/, '')
  return (
    `touch ${q(flagPath)}; while test -e ${q(flagPath)}; do ` +
    `cat ${q('/proc/uptime')} ${q(files.currentPath)} ${q(files.voltagePath)}; sleep ${q(sleepS)}; done`
  )
}

export interface RunningSampler {
  /** Stop the loop on the device and return every sample taken. */
  stop(): Promise<PowerSample[]>
}

/** Start the device-side sampling loop on its own shell stream. */
export function startSampler(device: DeviceClient, files: BatteryFiles, flagPath: string, periodMs: number, signal?: AbortSignal): RunningSampler {
  const controller = new AbortController()
  const onAbort = () => controller.abort()
  signal?.addEventListener('abort', onAbort, { once: true })
  let text = ''
  const done = readShell(device, samplerCommand(files, flagPath, periodMs), {
    signal: controller.signal,
    onData: (chunk) => {
      text += chunk
    }
  }).catch(() => text)
  return {
    async stop() {
      signal?.removeEventListener('abort', onAbort)
      await runShell(device, `rm -f ${quoteShellArg(flagPath)}`).catch(() => undefined)
      // The loop notices the missing flag within one period; after that, cut the stream.
      const timer = setTimeout(() => controller.abort(), Math.max(3000, periodMs * 3))
      await done
      clearTimeout(timer)
      return parseSamplerOutput(text)
    }
  }
}
