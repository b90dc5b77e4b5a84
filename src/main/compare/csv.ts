// CSV of a run's candidates (one row each, with the figures measured on the run's device) and a small RFC 4180
// reader so exported files can be read back (by tests, and by a person's script).
import type { CandidateInfo } from '../../shared/contract/compare'

export const CANDIDATE_CSV_COLUMNS = [
  'id',
  'name',
  'accuracy',
  'size_bytes',
  'macs',
  'predicted_latency_ms',
  'predicted_energy_mj',
  'measured_latency_ms',
  'measured_energy_mj',
  'measured_on',
  'architecture',
  'precision'
] as const

function cell(value: unknown): string {
  if (value === null || value === undefined) return ''
  const text = typeof value === 'string' ? value : typeof value === 'number' ? String(value) : JSON.stringify(value)
  return /[",\r\n]/.test(text) || /^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function toCsv(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  return [header, ...rows].map((r) => r.map(cell).join(',')).join('\r\n') + '\r\n'
}

export function candidatesCsv(candidates: readonly CandidateInfo[]): string {
  return toCsv(
    CANDIDATE_CSV_COLUMNS,
    candidates.map((c) => [
      c.id,
      c.name,
      c.accuracy,
      c.sizeBytes,
      c.macs,
      c.predictedLatencyMs,
      c.predictedEnergyMj,
      c.measuredLatencyMs,
      c.measuredEnergyMj,
      c.measuredOn,
      architectureText(c.architecture),
      c.precision
    ])
  )
}

/** 'k3e6 k5e3 zero …' for an op list; JSON for anything else. */
export function architectureText(architecture: unknown): string {
  if (Array.isArray(architecture) && architecture.every((a) => typeof a === 'string')) return architecture.join(' ')
  return JSON.stringify(architecture ?? null)
}

/** Rows of a CSV text (RFC 4180: quoted fields may hold commas, quotes and line breaks). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') {
          field += '"'
          i++
        } else quoted = false
      } else field += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') {
      row.push(field)
      field = ''
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += ch
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows
}
