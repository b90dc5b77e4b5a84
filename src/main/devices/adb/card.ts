// The device card: what a person sees about a phone (model, SoC, ABIs, CPU clusters, Android, battery, temperatures),
// read from getprop, sysfs/procfs and `dumpsys battery`. Parsers are pure; readDeviceCard does the I/O.
import type { DeviceClient } from '@devicefarmer/adbkit'
import type { CpuCluster, DeviceInfo } from '../../../shared/contract/core'
import { quoteShellArg, readFiles, readShell } from './shell'

export type Props = Record<string, string>

export interface BatteryReport {
  levelPct: number | null
  tempC: number | null
  voltageMv: number | null
  /** BatteryManager status: 1 unknown, 2 charging, 3 discharging, 4 not charging, 5 full. */
  status: number | null
  acPowered: boolean
  usbPowered: boolean
  wirelessPowered: boolean
}

/** Parse the AOSP `dumpsys battery` text (`  AC powered: false`, `  level: 87`, `  temperature: 281` in 0.1 °C). */
export function parseDumpsysBattery(text: string): BatteryReport {
  const fields = new Map<string, string>()
  for (const line of text.replace(/\r\n/g, '\n').split('\n')) {
    const m = /^\s*([A-Za-z][A-Za-z ]*?):\s*(.*?)\s*$/.exec(line)
    if (m) fields.set(m[1].toLowerCase(), m[2])
  }
  const num = (key: string): number | null => {
    const v = fields.get(key)
    if (v === undefined || !/^-?\d+(\.\d+)?$/.test(v)) return null
    return Number(v)
  }
  const bool = (key: string) => fields.get(key) === 'true'
  const level = num('level')
  const scale = num('scale')
  const temp = num('temperature')
  const voltage = num('voltage')
  return {
    levelPct: level === null ? null : scale && scale > 0 ? Math.round((level / scale) * 100) : level,
    tempC: temp === null ? null : temp / 10,
    // Most phones print mV; a few print µV.
    voltageMv: voltage === null ? null : voltage > 100_000 ? voltage / 1000 : voltage,
    status: num('status'),
    acPowered: bool('ac powered'),
    usbPowered: bool('usb powered'),
    wirelessPowered: bool('wireless powered')
  }
}

export function chargingSource(b: BatteryReport): DeviceInfo['chargingSource'] {
  if (b.usbPowered) return 'usb'
  if (b.acPowered) return 'ac'
  if (b.wirelessPowered) return 'wireless'
  return 'none'
}

/** Charging, or plugged in (a full battery on USB still masks the phone's own draw). */
export function isOnExternalPower(b: BatteryReport, statusFile: string | null = null): boolean {
  return b.usbPowered || b.acPowered || b.wirelessPowered || b.status === 2 || /^charging$/i.test(statusFile?.trim() ?? '')
}

/** '0-3,6,8-9' → [0,1,2,3,6,8,9] */
export function parseCpuList(text: string): number[] {
  const cores: number[] = []
  for (const part of text.trim().split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part.trim())
    if (!m) continue
    const a = Number(m[1])
    const b = m[2] === undefined ? a : Number(m[2])
    for (let i = a; i <= b && i - a < 1024; i++) cores.push(i)
  }
  return cores
}

/** Group cores with the same cpuinfo_max_freq into clusters, slowest first. */
export function groupClusters(cores: number[], maxFreqKhz: (number | null)[]): CpuCluster[] {
  const byFreq = new Map<number | null, number[]>()
  cores.forEach((core, i) => {
    const f = maxFreqKhz[i] ?? null
    byFreq.set(f, [...(byFreq.get(f) ?? []), core])
  })
  return [...byFreq.entries()]
    .map(([f, c]) => ({ cores: c, maxFreqKhz: f }))
    .sort((a, b) => (a.maxFreqKhz ?? Infinity) - (b.maxFreqKhz ?? Infinity))
}

/** Temperatures from thermal zones: milli-°C on most kernels, a few report °C or deci-°C; absurd values dropped. */
export function thermalValueC(raw: string | null): number | null {
  if (raw === null || !/^-?\d+(\.\d+)?$/.test(raw.trim())) return null
  const v = Number(raw.trim())
  const c = Math.abs(v) >= 1000 ? v / 1000 : Math.abs(v) >= 200 ? v / 10 : v
  return c > -40 && c < 150 ? c : null
}

/** Wireless ADB serials: `192.168.1.5:5555`, `[fe80::1]:5555`, or mDNS `adb-<id>._adb-tls-connect._tcp`. */
export function isWirelessSerial(serial: string): boolean {
  return /^(\d{1,3}\.){3}\d{1,3}:\d+$/.test(serial) || /^\[[0-9a-fA-F:]+\]:\d+$/.test(serial) || /^[\w.-]+:\d+$/.test(serial) || /_adb-tls-(connect|pairing)\._tcp/.test(serial)
}

export function socFromProps(p: Props): string | null {
  const model = p['ro.soc.model']
  const maker = p['ro.soc.manufacturer']
  if (model) return maker && !model.toLowerCase().includes(maker.toLowerCase()) ? `${maker} ${model}` : model
  return p['ro.board.platform'] || p['ro.hardware'] || null
}

export function abisFromProps(p: Props): string[] {
  const list = p['ro.product.cpu.abilist'] || [p['ro.product.cpu.abi'], p['ro.product.cpu.abi2']].filter(Boolean).join(',')
  return list.split(',').map((s) => s.trim()).filter(Boolean)
}

/**
 * Virtual phones all share one make and model, so their label carries the name they were started with ("Virtual
 * Pixel · phone-a"); otherwise two of them read the same in every picker, table and chart. A phone whose name only
 * spells its model (the first-run "virtual-pixel") keeps the plain make and model.
 */
export function virtualPhoneLabel(manufacturer: string | null, model: string | null, name: string | null, serial: string): string {
  const plain = [manufacturer, model].filter(Boolean).join(' ') || serial
  const words = (s: string) => s.toLowerCase().replace(/[^a-z0-9]+/g, '')
  if (!name || (model && words(name) === words(model))) return plain
  return `${model ?? 'Virtual phone'} · ${name}`
}

/** Fill a DeviceInfo's card fields from props and the pieces read off the device. */
export function buildCard(
  base: DeviceInfo,
  p: Props,
  extra: { clusters: CpuCluster[]; battery: BatteryReport | null; thermalZonesC: Record<string, number> }
): DeviceInfo {
  const manufacturer = p['ro.product.manufacturer'] || null
  const model = p['ro.product.model'] || null
  const sdk = Number(p['ro.build.version.sdk'])
  const modelled = p['ro.proxyless.power_model'] === 'modelled'
  const virtual = modelled || p['ro.proxyless.virtual'] === '1'
  const label = virtual ? virtualPhoneLabel(manufacturer, model, p['ro.product.name'] || null, base.serial) : [manufacturer, model].filter(Boolean).join(' ') || base.serial
  return {
    ...base,
    kind: virtual ? 'virtual' : 'adb',
    label,
    model,
    manufacturer,
    soc: socFromProps(p),
    board: p['ro.product.board'] || p['ro.board.platform'] || null,
    abis: abisFromProps(p),
    cpuClusters: extra.clusters,
    androidVersion: p['ro.build.version.release'] || null,
    sdk: Number.isFinite(sdk) && sdk > 0 ? sdk : null,
    batteryLevelPct: extra.battery?.levelPct ?? null,
    batteryTempC: extra.battery?.tempC ?? null,
    chargingSource: extra.battery ? chargingSource(extra.battery) : null,
    thermalZonesC: extra.thermalZonesC,
    wirelessAdb: isWirelessSerial(base.serial),
    modelled
  }
}

// ---- I/O ----

export async function readProps(device: DeviceClient): Promise<Props> {
  return (await device.getProperties()) as unknown as Props
}

export async function readBattery(device: DeviceClient): Promise<BatteryReport | null> {
  const text = await readShell(device, 'dumpsys battery', { timeoutMs: 15_000 })
  if (!/level:/i.test(text)) return null
  return parseDumpsysBattery(text)
}

export async function readCpuClusters(device: DeviceClient): Promise<CpuCluster[]> {
  const [possible] = await readFiles(device, ['/sys/devices/system/cpu/possible'])
  const cores = possible ? parseCpuList(possible) : []
  if (cores.length === 0) return []
  const freqs = await readFiles(device, cores.map((c) => `/sys/devices/system/cpu/cpu${c}/cpufreq/cpuinfo_max_freq`))
  return groupClusters(cores, freqs.map((f) => (f && /^\d+$/.test(f) ? Number(f) : null)))
}

/** Thermal zone paths (`/sys/class/thermal/thermal_zoneN`), listed once per device. */
export async function listThermalZones(device: DeviceClient): Promise<string[]> {
  const text = await readShell(device, `ls ${quoteShellArg('/sys/class/thermal')} 2>/dev/null`)
  return text
    .split(/\s+/)
    .filter((n) => /^thermal_zone\d+$/.test(n))
    .sort((a, b) => Number(a.slice(12)) - Number(b.slice(12)))
    .map((n) => `/sys/class/thermal/${n}`)
}

/** Zone type → °C; duplicate type names get the zone number appended. */
export async function readThermalZones(device: DeviceClient, zones: string[]): Promise<Record<string, number>> {
  if (zones.length === 0) return {}
  const values = await readFiles(device, zones.flatMap((z) => [`${z}/type`, `${z}/temp`]))
  const out: Record<string, number> = {}
  zones.forEach((zone, i) => {
    const c = thermalValueC(values[2 * i + 1])
    if (c === null) return
    let name = values[2 * i] || zone.slice(zone.lastIndexOf('/') + 1)
    if (name in out) name = `${name}#${zone.replace(/^.*thermal_zone/, '')}`
    out[name] = c
  })
  return out
}

/** Read the whole card. Failures of optional parts leave their fields empty instead of failing the card. */
export async function readDeviceCard(device: DeviceClient, base: DeviceInfo): Promise<DeviceInfo> {
  const props = await readProps(device)
  const [clusters, battery, zones] = await Promise.all([
    readCpuClusters(device).catch(() => []),
    readBattery(device).catch(() => null),
    listThermalZones(device).catch(() => [] as string[])
  ])
  const thermalZonesC = await readThermalZones(device, zones).catch(() => ({}))
  return buildCard(base, props, { clusters, battery, thermalZonesC })
}
