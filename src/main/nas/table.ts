// From the device's lookup table (LutEntry rows, ProxylessNAS key scheme) to the search's cost table, and a quick
// table measured block by block on the device when no profile exists yet.
import { LabError } from '../../shared/errors'
import type { LutEntry } from '../../shared/contract/profile'
import { typicalLatencyMs, type BenchmarkSettings, type Measurement } from '../../shared/contract/measure'
import { initWeights } from '../model/ir'
import { architectureKeys, blockConfig, blockKey, blockNetwork, enumerateBlockConfigs, fixedBlockConfigs, type Architecture, type SearchSpace } from '../model/space'
import { writeTflite } from '../model/tflite/writer'
import type { CostTable } from './latency-loss'

export type Objective = 'latency' | 'energy'

function entryValue(e: LutEntry, objective: Objective): number | null {
  return objective === 'latency' ? e.meanMs : e.energyMj
}

/** perBlock[b][j] = F(op j of block b) from the table; 'zero' costs 0; fixed = stem + first block + head + classifier. */
export function costTableFromRows(space: SearchSpace, rows: readonly LutEntry[], objective: Objective, ops: readonly (readonly string[])[] = space.blocks.map((b) => b.candidates)): CostTable {
  const byKey = new Map(rows.map((r) => [r.key, r]))
  const missing: string[] = []
  const value = (key: string): number => {
    const e = byKey.get(key)
    const v = e ? entryValue(e, objective) : null
    if (v === null || !Number.isFinite(v)) {
      missing.push(key)
      return 0
    }
    return v
  }
  const fixed = fixedBlockConfigs(space).reduce((s, c) => s + value(blockKey(c)), 0)
  const perBlock = space.blocks.map((b, i) =>
    ops[i].map((op) => {
      const cfg = blockConfig(b, op as Architecture[number])
      return cfg ? value(blockKey(cfg)) : 0
    })
  )
  if (missing.length > 0) {
    const what = objective === 'energy' ? 'energy' : 'latency'
    throw new LabError(
      'bad_request',
      `The lookup table has no ${what} for ${missing.length} block${missing.length === 1 ? '' : 's'} of this space (e.g. ${missing[0]}); profile the ${space.name} space with the same input and width${objective === 'energy' ? ' with energy measurement on' : ''}, or leave the table out so the search measures the blocks itself.`,
      'tableId'
    )
  }
  return { unit: objective === 'latency' ? 'ms' : 'mJ', perBlock, fixed }
}

/** Predicted latency and energy of an architecture from the rows; null where a key is missing. */
export function predictFromRows(space: SearchSpace, arch: Architecture, rows: readonly LutEntry[]): { latencyMs: number | null; energyMj: number | null } {
  const byKey = new Map(rows.map((r) => [r.key, r]))
  let latencyMs: number | null = 0
  let energyMj: number | null = 0
  for (const key of architectureKeys(space, arch)) {
    const e = byKey.get(key)
    latencyMs = e && latencyMs !== null ? latencyMs + e.meanMs : null
    energyMj = e && e.energyMj !== null && energyMj !== null ? energyMj + e.energyMj : null
  }
  return { latencyMs, energyMj }
}

/** Reads LutEntry rows from a stored table's entries (an array of rows, or an object holding `rows`). */
export function rowsFromEntries(entries: unknown): LutEntry[] {
  const list = Array.isArray(entries) ? entries : (entries as { rows?: unknown } | null)?.rows
  if (!Array.isArray(list)) throw new LabError('invalid_file', 'The lookup table holds no rows; profile the device again.')
  return list.map((r, i) => {
    const e = r as Partial<LutEntry>
    if (typeof e.key !== 'string' || typeof e.meanMs !== 'number') throw new LabError('invalid_file', `Row ${i + 1} of the lookup table has no key or mean latency; profile the device again.`)
    return { ...(e as LutEntry), energyMj: typeof e.energyMj === 'number' ? e.energyMj : null }
  })
}

/**
 * Measures every distinct block of the space alone on the device (one small .tflite per block, random weights) and
 * returns table rows. `measure` is the lab's 'measure' service.
 */
export async function measureQuickTable(
  space: SearchSpace,
  measure: (model: Uint8Array, settings: BenchmarkSettings) => Promise<Measurement>,
  settings: BenchmarkSettings,
  onBlock?: (done: number, total: number) => void,
  signal?: AbortSignal
): Promise<LutEntry[]> {
  const configs = enumerateBlockConfigs(space)
  const rows: LutEntry[] = []
  for (const [i, c] of configs.entries()) {
    signal?.throwIfAborted()
    const net = blockNetwork(c.config)
    const bytes = writeTflite(net, initWeights(net, i + 1), { precision: 'fp32' })
    const m = await measure(bytes, settings)
    const cfg = c.config
    rows.push({
      key: c.key,
      kind: c.fixed ? 'fixed' : 'block',
      count: m.steady.count,
      meanMs: typicalLatencyMs(m.steady),
      stdMs: m.steady.stdMs ?? 0,
      energyMj: m.energy ? m.energy.energyPerInferenceMj : null,
      energyStdMj: null,
      stage: null,
      kernel: cfg.kind === 'mbconv' ? cfg.kernel : cfg.kind === 'conv' ? cfg.kernel : null,
      expand: cfg.kind === 'mbconv' ? cfg.expand : null,
      stride: cfg.kind === 'logits' ? null : cfg.stride,
      inputShape: [...cfg.inShape],
      outputShape: cfg.kind === 'logits' ? [cfg.classes] : [...cfg.outShape]
    })
    onBlock?.(i + 1, configs.length)
  }
  return rows
}
