// A Measurement as the Profile view shows it: latency rows, slowest ops, memory and energy words. Pure, no DOM.
import type { LatencyStats, Measurement, OpTiming } from '../../../shared/api'

/** 0.01234 → "0.0123 ms", 12.345 → "12.35 ms", 1234.5 → "1,234.5 ms". */
export function formatMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '—'
  const abs = Math.abs(ms)
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 3
  return `${ms.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })} ms`
}

export function formatMj(mj: number | null | undefined): string {
  if (mj === null || mj === undefined || !Number.isFinite(mj)) return '—'
  const abs = Math.abs(mj)
  const digits = abs >= 100 ? 1 : abs >= 1 ? 2 : 3
  return `${mj.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits })} mJ`
}

/** 1536 → "1.5 KB"; binary multiples, as file managers show them. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '—'
  if (bytes < 1024) return `${bytes} bytes`
  const units = ['KB', 'MB', 'GB']
  let value = bytes / 1024
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit += 1
  }
  return `${value.toFixed(value >= 100 ? 0 : 1)} ${units[unit]}`
}

export function formatMb(mb: number | null | undefined): string {
  if (mb === null || mb === undefined || !Number.isFinite(mb)) return '—'
  return `${mb.toFixed(mb >= 100 ? 0 : 1)} MB`
}

/** The latency statistics as label/value rows, percentiles in numeric order. */
export function latencyRows(stats: LatencyStats): { label: string; value: string }[] {
  const rows = [
    { label: 'Mean', value: formatMs(stats.meanMs) },
    { label: 'Std. deviation', value: formatMs(stats.stdMs) },
    { label: 'Median', value: formatMs(stats.medianMs) },
    { label: 'Min', value: formatMs(stats.minMs) },
    { label: 'Max', value: formatMs(stats.maxMs) }
  ]
  const percentiles = Object.entries(stats.percentilesMs)
    .map(([p, ms]) => [Number(p), ms] as const)
    .filter(([p]) => Number.isFinite(p))
    .sort((a, b) => a[0] - b[0])
  // p50 is the median, already listed.
  for (const [p, ms] of percentiles) if (!(p === 50 && stats.medianMs !== null)) rows.push({ label: `p${p}`, value: formatMs(ms) })
  rows.push({ label: 'Timed runs', value: String(stats.count) })
  return rows.filter((r) => r.value !== '—')
}

export interface OpBar {
  label: string
  avgMs: number
  percent: number | null
}

/**
 * The slowest ops, slowest first. A delegate node (e.g. TfLiteXNNPackDelegate) times the same work as the delegate's own
 * ops, so when those are listed they replace the node: the breakdown is what a person wants to see.
 */
export function slowestOps(ops: readonly OpTiming[], limit = 15): OpBar[] {
  const delegateOps = ops.filter((o) => o.source === 'delegate')
  const nodes = ops.filter((o) => o.source === 'tflite' && !(delegateOps.length > 0 && /delegate/i.test(o.nodeType)))
  return [...nodes, ...delegateOps]
    .sort((a, b) => b.avgMs - a.avgMs)
    .slice(0, limit)
    .map((o) => ({ label: o.name && o.name !== o.nodeType ? `${o.nodeType} · ${shorten(o.name, 32)}` : o.nodeType, avgMs: o.avgMs, percent: o.percent }))
}

function shorten(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max + 1)}`
}

/** The sentence under the energy figure: why it may not be trusted, or where it comes from. */
export function energyNote(m: Measurement): string | null {
  const e = m.energy
  if (!e) return m.settings.energy ? 'Energy was asked for but not measured on this target.' : null
  if (!e.reliable) return e.unreliableReason ?? 'This reading is not reliable.'
  if (e.modelled) return 'Modelled: this target has no battery to read, so a power model stands in for it.'
  return null
}
