// Lookup tables: rows in the ProxylessNAS / Once-for-All key scheme, their YAML form, and how they are kept in the
// store (one lookup_tables row: entries = LutEntry[], settings = everything else the summary shows).
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml'
import { LabError } from '../../shared/errors'
import type { LookupTable, LookupTableSummary, LutEntry, PredictionCheck, ProfileMethod } from '../../shared/contract/profile'
import type { BenchmarkSettings } from '../../shared/contract/measure'
import { blockConfig, blockKey, enumerateBlockConfigs, type SearchSpace } from '../model/space'
import type { LookupTableRecord, NewLookupTable } from '../store'

/** Latency (and energy) statistics of one key, before it becomes a row. */
export interface EntryStats {
  count: number
  meanMs: number
  stdMs: number
  energyMj: number | null
  energyStdMj: number | null
}

const SHAPE = (s: string): number[] => s.split('x').map(Number)

/** Fields a view shows, read from the key itself ('expanded_conv-input:28x28x16-output:14x14x24-expand:3-…'). */
export function parseKey(key: string): Pick<LutEntry, 'kernel' | 'expand' | 'stride' | 'inputShape' | 'outputShape'> {
  const field = (name: string): string | null => new RegExp(`(?:^|-)${name}:([^-]+)`).exec(key)?.[1] ?? null
  const num = (name: string): number | null => {
    const v = field(name)
    return v === null || !Number.isFinite(Number(v)) ? null : Number(v)
  }
  const shape = (name: string): number[] | null => {
    const v = field(name)
    if (v === null) return null
    const s = SHAPE(v)
    return s.every((d) => Number.isInteger(d) && d > 0) ? s : null
  }
  return { kernel: num('kernel'), expand: num('expand'), stride: num('stride'), inputShape: shape('input'), outputShape: shape('output') }
}

/** The stage a key's blocks sit in (first match), or null for fixed layers and keys the space does not use. */
export function stageOfKey(space: SearchSpace, key: string): number | null {
  for (const b of space.blocks) {
    for (const op of b.candidates) {
      const c = blockConfig(b, op)
      if (c && blockKey(c) === key) return b.stage
    }
  }
  return null
}

export function isFixedKey(space: SearchSpace | null, key: string): boolean {
  if (space) {
    const hit = enumerateBlockConfigs(space).find((c) => c.key === key)
    if (hit) return hit.fixed
  }
  return /^(Conv|Conv_1|Logits|AvgPool2D|Conv_2)-/.test(key) || (key.startsWith('expanded_conv-') && parseKey(key).expand === 1)
}

export function makeEntry(space: SearchSpace | null, key: string, stats: EntryStats): LutEntry {
  return {
    key,
    kind: isFixedKey(space, key) ? 'fixed' : 'block',
    count: stats.count,
    meanMs: stats.meanMs,
    stdMs: stats.stdMs,
    energyMj: stats.energyMj,
    energyStdMj: stats.energyStdMj,
    stage: space ? stageOfKey(space, key) : null,
    ...parseKey(key)
  }
}

// ---------------------------------------------------------------- YAML (ProxylessNAS / OFA scheme)

const round = (x: number, digits = 6): number => Number(x.toFixed(digits))

/**
 * `<key>:\n  count: N\n  mean: ms\n  std: ms` per row, as OFA's `*_lookup_table.yaml` (ProxylessNAS's
 * mobile_trim.yaml has the same keys and fields). Energy, when measured, rides along as `energy_mj` and
 * `energy_std_mj`, which readers of the original format ignore.
 */
export function tableToYaml(rows: readonly LutEntry[], header: string[] = []): string {
  const doc: Record<string, Record<string, number>> = {}
  for (const r of rows) {
    const item: Record<string, number> = { count: r.count, mean: round(r.meanMs), std: round(r.stdMs) }
    if (r.energyMj !== null) item.energy_mj = round(r.energyMj)
    if (r.energyStdMj !== null) item.energy_std_mj = round(r.energyStdMj)
    doc[r.key] = item
  }
  const comments = header.map((h) => `# ${h.replace(/\n/g, ' ')}\n`).join('')
  return comments + stringifyYaml(doc, { lineWidth: 0 })
}

/** Reads a table in that scheme; accepts `std` or `var` (ProxylessNAS), `count` optional (1). */
export function tableFromYaml(text: string, space: SearchSpace | null): LutEntry[] {
  let doc: unknown
  try {
    doc = parseYaml(text)
  } catch (e) {
    throw new LabError('bad_request', `The lookup table is not valid YAML: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}.`)
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new LabError('bad_request', 'A lookup table must be a YAML mapping of keys to {count, mean, std}, as ProxylessNAS and Once-for-All tables are.')
  }
  const rows: LutEntry[] = []
  for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
    const v = value as Record<string, unknown> | null
    const num = (name: string): number | null => (v && typeof v[name] === 'number' && Number.isFinite(v[name]) ? (v[name] as number) : null)
    const mean = num('mean')
    if (mean === null || mean < 0) throw new LabError('bad_request', `Lookup table key "${key}" needs a number "mean" (ms) of at least 0.`)
    const variance = num('var')
    const std = num('std') ?? (variance !== null && variance >= 0 ? Math.sqrt(variance) : 0)
    const count = num('count') ?? 1
    rows.push(makeEntry(space, key, { count, meanMs: mean, stdMs: std, energyMj: num('energy_mj'), energyStdMj: num('energy_std_mj') }))
  }
  if (rows.length === 0) throw new LabError('bad_request', 'The lookup table has no keys.')
  return rows
}

// ---------------------------------------------------------------- store form

/** What a lookup_tables row keeps besides entries and check (its "settings" column). */
export interface TableMeta {
  deviceLabel: string
  method: ProfileMethod
  precision: string
  settings: BenchmarkSettings | null
  runId: string | null
  durationMs: { packed: number | null; perBlock: number | null }
  source: 'measured' | 'imported'
  spaceOptions?: { input?: string; widthMult?: number; stemStride?: number }
  agreement?: LookupTableSummary['agreement']
  name?: string
}

export interface TableToSave {
  deviceSerial: string
  space: string
  meta: TableMeta
  rows: LutEntry[]
  check: PredictionCheck | null
}

export function toNewLookupTable(t: TableToSave): NewLookupTable {
  return { deviceSerial: t.deviceSerial, spaceName: t.space, settings: t.meta, entries: t.rows, check: t.check }
}

export function recordToTable(r: LookupTableRecord): LookupTable {
  const meta = (r.settings ?? {}) as Partial<TableMeta>
  const rows = (Array.isArray(r.entries) ? r.entries : []) as LutEntry[]
  return {
    id: r.id,
    deviceSerial: r.deviceSerial,
    deviceLabel: meta.deviceLabel ?? r.deviceSerial,
    space: r.spaceName,
    method: meta.method ?? 'packed',
    precision: meta.precision ?? 'fp32',
    settings: meta.settings ?? null,
    entries: rows.length,
    createdAt: r.createdAt,
    runId: meta.runId ?? null,
    check: (r.check as PredictionCheck | null) ?? null,
    durationMs: meta.durationMs ?? { packed: null, perBlock: null },
    source: meta.source ?? 'measured',
    agreement: meta.agreement ?? null,
    spaceOptions: {
      ...(typeof meta.spaceOptions?.input === 'string' ? { input: meta.spaceOptions.input } : {}),
      widthMult: typeof meta.spaceOptions?.widthMult === 'number' ? meta.spaceOptions.widthMult : 1,
      stemStride: meta.spaceOptions?.stemStride === 2 ? 2 : 1
    },
    rows
  }
}

export function recordToSummary(r: LookupTableRecord): LookupTableSummary {
  const { rows: _rows, ...summary } = recordToTable(r)
  void _rows
  return summary
}
