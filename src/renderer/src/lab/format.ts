// Words and numbers as a person reads them. Pure functions, no DOM.
import type { CpuCluster, DeviceInfo, DeviceState, JobState } from '../../../shared/api'

/** 130_000 → "2 min 10 s left"; null → a sentence saying it is still being estimated. */
export function formatTimeLeft(timeLeftMs: number | null | undefined): string {
  if (timeLeftMs === null || timeLeftMs === undefined || !Number.isFinite(timeLeftMs)) return 'Estimating time left…'
  const totalS = Math.max(0, Math.round(timeLeftMs / 1000))
  if (totalS === 0) return 'Almost done'
  return `${formatDurationS(totalS)} left`
}

/** Whole seconds as "45 s", "2 min 10 s", "1 h 5 min" (seconds dropped once hours show). */
export function formatDurationS(totalS: number): string {
  const h = Math.floor(totalS / 3600)
  const min = Math.floor((totalS % 3600) / 60)
  const s = totalS % 60
  if (h > 0) return min > 0 ? `${h} h ${min} min` : `${h} h`
  if (min > 0) return s > 0 ? `${min} min ${s} s` : `${min} min`
  return `${s} s`
}

export function formatPercent(fraction: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(fraction) ? fraction : 0))
  return `${Math.round(clamped * 100)} %`
}

const JOB_STATE_WORDS: Record<JobState, string> = {
  queued: 'Waiting',
  running: 'Running',
  cancelling: 'Cancelling',
  cancelled: 'Cancelled',
  failed: 'Failed',
  succeeded: 'Done',
  interrupted: 'Interrupted'
}

export function describeJobState(state: JobState): string {
  return JOB_STATE_WORDS[state] ?? state
}

// Kept here rather than imported from the contract module, which would pull zod into the page.
const FINISHED: ReadonlySet<JobState> = new Set<JobState>(['cancelled', 'failed', 'succeeded'])
export function isFinishedJobState(state: JobState): boolean {
  return FINISHED.has(state)
}

export function formatFrequencyKhz(khz: number | null): string {
  if (khz === null) return 'unknown speed'
  return khz >= 1_000_000 ? `${(khz / 1_000_000).toFixed(2)} GHz` : `${Math.round(khz / 1000)} MHz`
}

/** [{4 cores, 1.8 GHz}, {4 cores, 2.4 GHz}] → "4 × 1.80 GHz + 4 × 2.40 GHz"; an unknown speed → "4 cores". */
export function formatCpuClusters(clusters: readonly CpuCluster[]): string | null {
  if (clusters.length === 0) return null
  return clusters
    .map((c) => (c.maxFreqKhz === null ? `${c.cores.length} ${c.cores.length === 1 ? 'core' : 'cores'}` : `${c.cores.length} × ${formatFrequencyKhz(c.maxFreqKhz)}`))
    .join(' + ')
}

export function formatDateTime(epochMs: number | null): string {
  if (epochMs === null) return '—'
  return new Date(epochMs).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' })
}

/** A figure key like "latencyMs" → "Latency (ms)". */
export function labelFigure(key: string): string {
  const units: Record<string, string> = { Ms: 'ms', Mj: 'mJ', Pct: '%', Ua: 'µA', Mb: 'MB', Kb: 'KB', Bytes: 'bytes' }
  const match = /^(.*?)(Ms|Mj|Pct|Ua|Mb|Kb|Bytes)$/.exec(key)
  const base = match ? match[1] : key
  const words = base.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase()
  const label = words.charAt(0).toUpperCase() + words.slice(1)
  return match ? `${label} (${units[match[2]]})` : label
}

export function formatFigure(value: number): string {
  if (!Number.isFinite(value)) return String(value)
  if (Number.isInteger(value)) return value.toLocaleString('en')
  const abs = Math.abs(value)
  return value.toLocaleString('en', { maximumFractionDigits: abs >= 100 ? 1 : abs >= 1 ? 2 : 4 })
}

const DEVICE_STATE_WORDS: Record<DeviceState, string> = {
  device: 'Ready',
  offline: 'Offline',
  unauthorized: 'Not authorized',
  connecting: 'Connecting',
  'no permissions': 'No permission',
  unknown: 'Unknown state'
}

export function describeDeviceState(state: DeviceState): string {
  return DEVICE_STATE_WORDS[state] ?? state
}

/** One line under a device's name: what it is, in a few words. */
export function describeDeviceBriefly(device: DeviceInfo): string {
  if (device.kind === 'host') return device.model ? `${device.model}, TFLite in WebAssembly` : 'TFLite in WebAssembly on this computer'
  const parts = [device.soc, device.androidVersion ? `Android ${device.androidVersion}` : null, device.kind === 'virtual' ? 'virtual' : null]
  const words = parts.filter((p): p is string => !!p).join(' · ')
  return words || device.serial
}

/** Clusters slowest first, named as people call them: little/big, or little/mid/big (then "prime" for a fourth). */
export function nameCpuClusters(clusters: readonly CpuCluster[]): { name: string; text: string }[] {
  if (clusters.length === 0) return []
  const sorted = [...clusters].sort((a, b) => (a.maxFreqKhz ?? 0) - (b.maxFreqKhz ?? 0))
  const names =
    sorted.length === 1 ? ['All'] : sorted.length === 2 ? ['Little', 'Big'] : sorted.length === 3 ? ['Little', 'Mid', 'Big'] : sorted.map((_, i) => (i === sorted.length - 1 ? 'Prime' : `Cluster ${i + 1}`))
  return sorted.map((c, i) => {
    const cores = `${c.cores.length} ${c.cores.length === 1 ? 'core' : 'cores'}`
    return { name: names[i], text: c.maxFreqKhz === null ? cores : `${cores} × ${formatFrequencyKhz(c.maxFreqKhz)}` }
  })
}

/** The hottest thermal zones first, at most `limit` of them. */
export function hottestZones(zonesC: Record<string, number>, limit = 4): { name: string; tempC: number }[] {
  return Object.entries(zonesC)
    .filter(([, t]) => Number.isFinite(t))
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([name, tempC]) => ({ name, tempC }))
}
