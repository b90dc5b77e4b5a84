// Thermal guard: before a measurement wait until the phone has cooled (hottest thermal zone and battery below a
// threshold, within a time limit), and record temperatures before and after every measurement.
import type { DeviceClient } from '@devicefarmer/adbkit'
import { listThermalZones, readBattery, readThermalZones } from './card'
import { cancelledError } from './shell'

export interface ThermalSettings {
  /** Wait until every thermal zone reads below this (°C). */
  maxZoneC: number
  /** ... and the battery below this (°C). */
  maxBatteryC: number
  /** Give up waiting after this long and measure anyway (with a warning). 0 = never wait. */
  maxWaitMs: number
  pollMs: number
}

export const DEFAULT_THERMAL: ThermalSettings = { maxZoneC: 45, maxBatteryC: 38, maxWaitMs: 120_000, pollMs: 2_000 }

/** Key under which the battery temperature is recorded next to the zones. */
export const BATTERY_KEY = 'battery'

export class ThermalProbe {
  private zones: string[] | null = null
  constructor(private readonly device: DeviceClient) {}

  /** All readable temperatures in °C: thermal zones by type, plus 'battery' from dumpsys. */
  async read(): Promise<Record<string, number>> {
    if (this.zones === null) this.zones = await listThermalZones(this.device).catch(() => [])
    const [zonesC, battery] = await Promise.all([readThermalZones(this.device, this.zones).catch(() => ({})), readBattery(this.device).catch(() => null)])
    const out: Record<string, number> = { ...zonesC }
    if (battery?.tempC != null) out[BATTERY_KEY] = battery.tempC
    return out
  }
}

export interface CoolingVerdict {
  hot: boolean
  hottestZone: { name: string; c: number } | null
  batteryC: number | null
}

export function judge(temps: Record<string, number>, s: ThermalSettings): CoolingVerdict {
  let hottest: { name: string; c: number } | null = null
  for (const [name, c] of Object.entries(temps)) {
    if (name === BATTERY_KEY) continue
    if (!hottest || c > hottest.c) hottest = { name, c }
  }
  const batteryC = temps[BATTERY_KEY] ?? null
  const hot = (hottest !== null && hottest.c >= s.maxZoneC) || (batteryC !== null && batteryC >= s.maxBatteryC)
  return { hot, hottestZone: hottest, batteryC }
}

export interface CoolingResult {
  temperaturesC: Record<string, number>
  waitedMs: number
  /** A sentence for the measurement's warnings when the phone was hot (waited, or still hot after the limit). */
  warning: string | null
}

function describe(v: CoolingVerdict): string {
  const parts: string[] = []
  if (v.hottestZone) parts.push(`${v.hottestZone.name} ${v.hottestZone.c.toFixed(1)} °C`)
  if (v.batteryC !== null) parts.push(`battery ${v.batteryC.toFixed(1)} °C`)
  return parts.join(', ')
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(done, ms)
    function done() {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }
    function onAbort() {
      clearTimeout(timer)
      reject(cancelledError())
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** Wait until the phone is cool enough (or the time limit passes); returns the temperatures it measures at. */
export async function waitUntilCool(
  probe: ThermalProbe,
  settings: ThermalSettings,
  opts: { signal?: AbortSignal; onWait?: (verdict: CoolingVerdict, waitedMs: number) => void } = {}
): Promise<CoolingResult> {
  const start = Date.now()
  let temps = await probe.read()
  let verdict = judge(temps, settings)
  while (verdict.hot && Date.now() - start < settings.maxWaitMs) {
    opts.onWait?.(verdict, Date.now() - start)
    await sleep(Math.min(settings.pollMs, Math.max(0, settings.maxWaitMs - (Date.now() - start))), opts.signal)
    temps = await probe.read()
    verdict = judge(temps, settings)
  }
  const waitedMs = Date.now() - start
  let warning: string | null = null
  if (verdict.hot) {
    warning = `The phone was still hot after ${Math.round(waitedMs / 1000)} s (${describe(verdict)}; limits ${settings.maxZoneC} °C / battery ${settings.maxBatteryC} °C), so it may have throttled. Let it cool, take it out of its case, or raise the limits.`
  } else if (waitedMs >= settings.pollMs) {
    warning = `Waited ${Math.round(waitedMs / 1000)} s for the phone to cool below ${settings.maxZoneC} °C (battery ${settings.maxBatteryC} °C) before measuring.`
  }
  return { temperaturesC: temps, waitedMs, warning }
}
