// Lookup-table rows as the Profile view shows them: key parts, sorting, CSV, the kernel × expansion heatmap and the
// prediction check. Pure functions, no DOM.
import { describeCalibration, type LookupTableSummary, type LutEntry, type PredictionCheck } from '../../../shared/api'

/** The space choices a person picks from; `space`/`input` are what profile.start takes. */
export type SpaceChoiceId = 'small-fashion-mnist' | 'small-cifar10' | 'mobile'
export interface SpaceChoice {
  id: SpaceChoiceId
  space: 'small' | 'mobile'
  input: 'fashion-mnist' | 'cifar10' | undefined
  title: string
  detail: string
  inputShape: [number, number, number]
}
export const SPACE_CHOICES: readonly SpaceChoice[] = [
  { id: 'small-fashion-mnist', space: 'small', input: 'fashion-mnist', title: 'Small · Fashion-MNIST', detail: '28×28×1', inputShape: [28, 28, 1] },
  { id: 'small-cifar10', space: 'small', input: 'cifar10', title: 'Small · CIFAR-10', detail: '32×32×3', inputShape: [32, 32, 3] },
  { id: 'mobile', space: 'mobile', input: undefined, title: 'Mobile', detail: '224×224×3', inputShape: [224, 224, 3] }
]

export function spaceChoice(id: SpaceChoiceId): SpaceChoice {
  return SPACE_CHOICES.find((c) => c.id === id) ?? SPACE_CHOICES[0]
}

/** The input a table was profiled for, read from its settings (`spaceOptions.input` or `input`) or its space name. */
function tableInput(summary: LookupTableSummary): string | null {
  const settings = summary.settings && typeof summary.settings === 'object' ? (summary.settings as Record<string, unknown>) : {}
  const options = settings.spaceOptions && typeof settings.spaceOptions === 'object' ? (settings.spaceOptions as Record<string, unknown>) : {}
  const input = options.input ?? settings.input
  if (typeof input === 'string') return input
  const m = /(fashion-mnist|cifar10)/.exec(summary.space)
  return m ? m[1] : null
}

/** Whether a table belongs to a space choice; a small-space table that names no input counts as Fashion-MNIST (the space's default). */
/**
 * The space options a table was measured with, beyond its input: a search that uses the table must search exactly
 * that space, or the table lacks its keys. The lab reports them with each table (Profile measures the small space
 * at stride 2 unless asked for 1; older tables are stride 1); older summaries without them fall back to settings.
 */
export function tableSpaceOptions(summary: LookupTableSummary): { stemStride: 1 | 2; widthMult?: number } {
  if (summary.spaceOptions) return { stemStride: summary.spaceOptions.stemStride, widthMult: summary.spaceOptions.widthMult }
  const settings = summary.settings && typeof summary.settings === 'object' ? (summary.settings as Record<string, unknown>) : {}
  const options = settings.spaceOptions && typeof settings.spaceOptions === 'object' ? (settings.spaceOptions as Record<string, unknown>) : {}
  const stride = options.stemStride ?? settings.stemStride
  const width = options.widthMult ?? settings.widthMult
  return { stemStride: stride === 2 ? 2 : 1, ...(typeof width === 'number' && Number.isFinite(width) ? { widthMult: width } : {}) }
}

export function tableMatchesChoice(summary: LookupTableSummary, choice: SpaceChoice): boolean {
  const base = summary.space.split(/[:/\s-]/)[0]
  if (base !== choice.space) return false
  if (choice.space !== 'small') return true
  return (tableInput(summary) ?? 'fashion-mnist') === choice.input
}

/** The newest table for a device and space choice, or null. */
export function latestTable(summaries: readonly LookupTableSummary[], serial: string, choice: SpaceChoice): LookupTableSummary | null {
  let best: LookupTableSummary | null = null
  for (const s of summaries) {
    if (s.deviceSerial !== serial || !tableMatchesChoice(s, choice)) continue
    if (!best || s.createdAt > best.createdAt) best = s
  }
  return best
}

// ---- rows ----

export interface LutRowView {
  key: string
  kind: LutEntry['kind']
  /** "Stem", "Block", "Head", "Classifier" for fixed layers; "MBConv" for searchable blocks. */
  layer: string
  stage: number | null
  inputShape: number[] | null
  outputShape: number[] | null
  kernel: number | null
  expand: number | null
  stride: number | null
  skip: boolean | null
  count: number
  meanMs: number
  stdMs: number
  energyMj: number | null
}

const FIXED_NAMES: Record<string, string> = { Conv: 'Stem conv', Conv_1: 'Head conv', Logits: 'Classifier', expanded_conv: 'MBConv' }

function parseShape(text: string | undefined): number[] | null {
  if (!text) return null
  const parts = text.split('x').map(Number)
  return parts.every((n) => Number.isInteger(n) && n >= 0) ? parts : null
}

/** Reads the parts of a ProxylessNAS/OFA key, e.g. `expanded_conv-input:14x14x40-output:14x14x40-expand:6-kernel:5-stride:1-idskip:1`. */
export function parseLutKey(key: string): { name: string; fields: Record<string, string> } {
  const [name, ...rest] = key.split('-')
  const fields: Record<string, string> = {}
  for (const part of rest) {
    const at = part.indexOf(':')
    if (at > 0) fields[part.slice(0, at)] = part.slice(at + 1)
  }
  return { name, fields }
}

export function toRowView(entry: LutEntry): LutRowView {
  const { name, fields } = parseLutKey(entry.key)
  const num = (v: string | undefined) => (v === undefined || v === '' || !Number.isFinite(Number(v)) ? null : Number(v))
  return {
    key: entry.key,
    kind: entry.kind,
    layer: entry.kind === 'fixed' && name === 'expanded_conv' ? 'First block' : (FIXED_NAMES[name] ?? name),
    stage: entry.stage,
    inputShape: entry.inputShape ?? parseShape(fields.input),
    outputShape: entry.outputShape ?? parseShape(fields.output),
    kernel: entry.kernel ?? num(fields.kernel),
    expand: entry.expand ?? num(fields.expand),
    stride: entry.stride ?? num(fields.stride),
    skip: fields.idskip === undefined ? null : fields.idskip === '1',
    count: entry.count,
    meanMs: entry.meanMs,
    stdMs: entry.stdMs,
    energyMj: entry.energyMj
  }
}

export type LutSortKey = 'stage' | 'layer' | 'input' | 'kernel' | 'expand' | 'stride' | 'skip' | 'meanMs' | 'stdMs' | 'energyMj'
export type SortDirection = 'ascending' | 'descending'

function shapeSize(shape: number[] | null): number | null {
  return shape ? shape.reduce((a, b) => a * b, 1) : null
}

function sortValue(row: LutRowView, key: LutSortKey): number | string | null {
  switch (key) {
    case 'stage':
      // Fixed layers (stem, head, classifier) sort after every stage.
      return row.stage ?? (row.kind === 'fixed' ? Number.MAX_SAFE_INTEGER : null)
    case 'layer':
      return row.layer
    case 'input':
      return shapeSize(row.inputShape)
    case 'skip':
      return row.skip === null ? null : row.skip ? 1 : 0
    default:
      return row[key]
  }
}

/** A stable sort; missing values always go last, whichever the direction. */
export function sortLutRows(rows: readonly LutRowView[], key: LutSortKey, direction: SortDirection): LutRowView[] {
  const sign = direction === 'ascending' ? 1 : -1
  return rows
    .map((row, index) => ({ row, index, value: sortValue(row, key) }))
    .sort((a, b) => {
      if (a.value === null || b.value === null) return a.value === b.value ? a.index - b.index : a.value === null ? 1 : -1
      const c = typeof a.value === 'string' || typeof b.value === 'string' ? String(a.value).localeCompare(String(b.value)) : a.value - b.value
      return c !== 0 ? sign * c : a.index - b.index
    })
    .map((x) => x.row)
}

function csvCell(value: string | number | boolean | null): string {
  if (value === null) return ''
  const text = String(value)
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function formatShape(shape: number[] | null): string {
  return shape ? shape.join('×') : '—'
}

/** The table as CSV, one row per key, with units in the header. */
export function lutToCsv(rows: readonly LutRowView[]): string {
  const header = ['key', 'kind', 'stage', 'input', 'output', 'kernel', 'expand', 'stride', 'skip', 'count', 'mean_ms', 'std_ms', 'energy_mj']
  const lines = rows.map((r) =>
    [
      r.key,
      r.kind,
      r.stage,
      r.inputShape ? r.inputShape.join('x') : null,
      r.outputShape ? r.outputShape.join('x') : null,
      r.kernel,
      r.expand,
      r.stride,
      r.skip === null ? null : r.skip ? 1 : 0,
      r.count,
      r.meanMs,
      r.stdMs,
      r.energyMj
    ]
      .map(csvCell)
      .join(',')
  )
  return [header.join(','), ...lines].join('\n') + '\n'
}

// ---- heatmap: mean latency per stage for each (kernel, expansion) ----

export interface LutHeatmap {
  /** Column labels, e.g. "k3 e3", in kernel then expansion order. */
  columns: string[]
  /** Row labels, e.g. "Stage 1". */
  rows: string[]
  /** [columnIndex, rowIndex, meanMs] for every cell that has blocks. */
  cells: [number, number, number][]
  minMs: number
  maxMs: number
}

export function lutHeatmap(rows: readonly LutRowView[]): LutHeatmap | null {
  const blocks = rows.filter((r) => r.kind === 'block' && r.stage !== null && r.kernel !== null && r.expand !== null)
  if (blocks.length === 0) return null
  const ops = [...new Set(blocks.map((r) => `${r.kernel}:${r.expand}`))]
    .map((s) => s.split(':').map(Number) as [number, number])
    .sort((a, b) => a[0] - b[0] || a[1] - b[1])
  const stages = [...new Set(blocks.map((r) => r.stage as number))].sort((a, b) => a - b)
  const sums = new Map<string, { total: number; n: number }>()
  for (const r of blocks) {
    const id = `${r.kernel}:${r.expand}|${r.stage}`
    const s = sums.get(id) ?? { total: 0, n: 0 }
    s.total += r.meanMs
    s.n += 1
    sums.set(id, s)
  }
  const cells: [number, number, number][] = []
  ops.forEach(([k, e], x) =>
    stages.forEach((stage, y) => {
      const s = sums.get(`${k}:${e}|${stage}`)
      if (s) cells.push([x, y, s.total / s.n])
    })
  )
  const values = cells.map((c) => c[2])
  return {
    columns: ops.map(([k, e]) => `k${k} e${e}`),
    // Stages are 0-based in the engine; people count from 1.
    rows: stages.map((s) => `Stage ${s + 1}`),
    cells,
    minMs: Math.min(...values),
    maxMs: Math.max(...values)
  }
}

// ---- predicted vs measured ----

export interface PredictionView {
  points: [number, number][]
  /** Points outside the ±10 % band, in the same [predicted, measured] form. */
  outside: [number, number][]
  axisMaxMs: number
  within10Pct: number
  rmseMs: number
  kendallTau: number
  networks: number
}

export function isWithinBand(predictedMs: number, measuredMs: number, band = 0.1): boolean {
  return Math.abs(predictedMs - measuredMs) <= band * measuredMs
}

export function predictionView(check: PredictionCheck): PredictionView | null {
  if (check.points.length === 0) return null
  const inside: [number, number][] = []
  const outside: [number, number][] = []
  let max = 0
  for (const p of check.points) {
    const pair: [number, number] = [p.predictedMs, p.measuredMs]
    ;(isWithinBand(p.predictedMs, p.measuredMs) ? inside : outside).push(pair)
    max = Math.max(max, p.predictedMs, p.measuredMs)
  }
  return {
    points: inside,
    outside,
    axisMaxMs: niceCeil(max * 1.08),
    within10Pct: check.within10Pct,
    rmseMs: check.rmseMs,
    kendallTau: check.kendallTau,
    networks: check.networks
  }
}

/** The next "nice" number at or above x (1, 2, 2.5, 5 × 10^n). */
export function niceCeil(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) return 1
  const p = 10 ** Math.floor(Math.log10(x))
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= x - 1e-12 * p) return m * p
  return 10 * p
}

// ---- table-level facts ----

const METHOD_WORDS: Record<string, string> = { packed: 'Packed probes (op profiling)', 'per-block': 'One model per block', both: 'Packed and per-block, compared' }

/** The facts shown above a table, as label/value rows; settings are read from whatever the engine recorded. */
export function tableFacts(t: LookupTableSummary, formatDuration: (ms: number) => string, formatDate: (ms: number) => string): { label: string; value: string }[] {
  const rows: { label: string; value: string }[] = [
    { label: 'Method', value: METHOD_WORDS[t.method] ?? t.method },
    { label: 'Precision', value: t.precision },
    { label: 'Rows', value: String(t.entries) }
  ]
  const { packed, perBlock } = t.durationMs
  if (packed !== null && perBlock !== null) {
    const ratio = packed > 0 ? ` (per-block took ${(perBlock / packed).toFixed(1)}× as long)` : ''
    rows.push({ label: 'Duration', value: `packed ${formatDuration(packed)} · per-block ${formatDuration(perBlock)}${ratio}` })
  } else if (packed !== null) rows.push({ label: 'Duration', value: formatDuration(packed) })
  else if (perBlock !== null) rows.push({ label: 'Duration', value: formatDuration(perBlock) })
  const s = t.settings && typeof t.settings === 'object' ? (t.settings as Record<string, unknown>) : null
  if (s) {
    const parts: string[] = []
    const num = (k: string) => (typeof s[k] === 'number' ? (s[k] as number) : null)
    if (num('threads') !== null) parts.push(`${num('threads')} ${num('threads') === 1 ? 'thread' : 'threads'}`)
    if (num('runs') !== null) parts.push(`${num('runs')} runs`)
    if (num('warmupRuns') !== null) parts.push(`${num('warmupRuns')} warm-up`)
    if ((num('minSecs') ?? 0) > 0) parts.push(`at least ${num('minSecs')} s`)
    if (typeof s.cpuMaskHex === 'string') parts.push(`CPU mask ${s.cpuMaskHex}`)
    if (typeof s.delegate === 'string' && s.delegate !== 'none') parts.push(`${s.delegate} delegate`)
    if (s.energy === true) parts.push('energy on')
    if (parts.length) rows.push({ label: 'Settings', value: parts.join(' · ') })
  }
  rows.push({ label: t.source === 'imported' ? 'Imported' : 'Created', value: formatDate(t.createdAt) })
  if (t.check) rows.push({ label: 'Predictor', value: `latency = ${describeCalibration(t.check, 2)}${t.check.outOfSample ? ' (check figures are leave-one-out)' : ''}` })
  return rows
}
