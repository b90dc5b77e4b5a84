// The 'profile' job: measure every distinct block configuration of a space (and the fixed layers) on one device,
// by packed probes, one model per block, or both; then check the table's predictions on random networks measured
// end to end, and store the table with its check. Every measured model is checkpointed, so a cancelled or
// interrupted job resumes where it stopped and never measures a stored key again.
import { setTimeout as sleep } from 'node:timers/promises'
import type { BenchmarkSettings, Measurement, MeasurementRecordInfo } from '../../shared/api'
import type { LookupTableSummary, LutEntry, MethodAgreement, PredictionCheck, ProfileRequest } from '../../shared/contract/profile'
import type { JobContext, JobRunner } from '../jobs/runner'
import { syntheticCalibration, exportArchitecture } from '../model/export'
import { initWeights, INPUT_NAME, type Network } from '../model/ir'
import { createRng } from '../model/rng'
import { architectureKeys, architectureToString, blockNetwork, enumerateBlockConfigs, getSpace, parseArchitecture, sampleArchitecture, type KeyedBlockConfig, type SearchSpace } from '../model/space'
import { writeTflite, type LayerPrecision } from '../model/tflite/writer'
import { attributeProbeOps, planProbes, type Probe } from './packing'
import { predictionCheck, sumEntries, type CheckSample } from './predictor'
import { median } from './stats'
import { makeEntry, type EntryStats, type TableToSave } from './table'
import { typicalLatencyMs } from '../../shared/contract/measure'

export interface ProfileJobParams extends ProfileRequest {
  runId: string | null
  deviceLabel: string
  /** Most blocks per packed probe (default 64, balanced across probes). */
  maxBlocksPerProbe?: number
}

type CheckMeasurement = { architecture: string; measuredMs: number; measuredMj: number | null }

export interface ProfileCheckpoint {
  /** Steady time (and energy) of a one-op model: what one invoke costs beyond its ops. */
  baseline: { ms: number; mj: number | null } | null
  /** One record per round (pass over every probe or block), index = round. */
  packedRounds: Record<string, EntryStats>[]
  perBlockRounds: Record<string, EntryStats>[]
  checkRounds: CheckMeasurement[][]
  elapsedMs: { packed: number; perBlock: number; check: number }
  /** Keys whose packed probe could not be attributed and were measured one by one instead. */
  packedFallbackKeys: string[]
}

/** A checkpoint written before rounds existed (one pass) becomes round 1 of the new shape. */
export function profileCheckpointOf(raw: unknown): ProfileCheckpoint {
  const empty: ProfileCheckpoint = { baseline: null, packedRounds: [], perBlockRounds: [], checkRounds: [], elapsedMs: { packed: 0, perBlock: 0, check: 0 }, packedFallbackKeys: [] }
  if (!raw || typeof raw !== 'object') return empty
  const old = raw as Partial<ProfileCheckpoint> & { packed?: Record<string, EntryStats>; perBlock?: Record<string, EntryStats>; check?: CheckMeasurement[] }
  return {
    ...empty,
    ...old,
    packedRounds: old.packedRounds ?? (old.packed ? [old.packed] : []),
    perBlockRounds: old.perBlockRounds ?? (old.perBlock ? [old.perBlock] : []),
    checkRounds: old.checkRounds ?? (old.check ? [old.check] : [])
  }
}

/**
 * One key's entry from its rounds: the median of the rounds' times (and energies), so a slow spell of the device
 * during one round does not move it; the spread is the total one (within-round variance + between-round variance).
 */
export function combineRounds(rounds: EntryStats[]): EntryStats {
  if (rounds.length === 1) return rounds[0]
  const means = rounds.map((r) => r.meanMs)
  const grand = means.reduce((a, b) => a + b, 0) / means.length
  const within = rounds.reduce((a, r) => a + r.stdMs ** 2, 0) / rounds.length
  const between = means.reduce((a, m) => a + (m - grand) ** 2, 0) / means.length
  const energies = rounds.map((r) => r.energyMj).filter((e): e is number => e !== null)
  const energyStds = rounds.map((r) => r.energyStdMj).filter((e): e is number => e !== null)
  return {
    count: rounds.reduce((a, r) => a + r.count, 0),
    meanMs: median(means),
    stdMs: Math.sqrt(within + between),
    energyMj: energies.length ? median(energies) : null,
    energyStdMj: energyStds.length ? median(energyStds) : null
  }
}

/** Most bytes of exported models a profile job keeps between rounds. */
const EXPORT_CACHE_BYTES = 256 * 1024 * 1024

export interface ProfileJobResult {
  tableId: string
  entries: number
  /** Keys measured by this run of the job (a resumed job skips the ones its checkpoint holds). */
  measuredKeys: string[]
  skippedKeys: string[]
  check: Omit<PredictionCheck, 'points'> | null
  agreement: MethodAgreement | null
  durationMs: { packed: number | null; perBlock: number | null; check: number }
  /** Keys whose packed probe did not line up with its op profile and were measured one model per block instead. */
  packedFallbackKeys: string[]
}

/** The cheapest model the runtime accepts: one 1x1 conv on a 1x1x8 map. Its time is the per-invoke overhead. */
export function baselineNetwork(): Network {
  return {
    name: 'baseline',
    input: { shape: [1, 1, 8], dtype: 'float32' },
    layers: [{ name: 'baseline', op: 'conv2d', inputs: [INPUT_NAME], filters: 8, kernel: [1, 1], strides: [1, 1], padding: 'same', activation: 'none', useBias: true }],
    outputs: ['baseline']
  }
}

function modelBytes(net: Network, precision: LayerPrecision, seed: number): Uint8Array {
  const calibration = precision === 'int8' ? syntheticCalibration(net, 4, seed) : undefined
  return writeTflite(net, initWeights(net, seed), { precision, calibration })
}

export function resolveSpace(req: Pick<ProfileRequest, 'space' | 'input' | 'widthMult' | 'stemStride'>): SearchSpace {
  // A job queued before the stem-stride setting has none: it was asked for stride 1.
  return getSpace(req.space, { input: req.input, widthMult: req.widthMult, stemStride: req.stemStride ?? 1 })
}

export const runner: JobRunner<ProfileJobParams, ProfileCheckpoint, ProfileJobResult> = {
  async run(ctx) {
    const p = ctx.params
    const space = resolveSpace(p)
    const configs = enumerateBlockConfigs(space)
    const cp = profileCheckpointOf(ctx.loadCheckpoint())
    // A job queued before rounds existed has none: it was asked for one pass.
    const rounds = p.rounds ?? 1
    const methods = p.method === 'both' ? (['packed', 'per-block'] as const) : ([p.method] as const)
    const skippedKeys = [...new Set([...cp.packedRounds, ...cp.perBlockRounds].flatMap((r) => Object.keys(r)))]
    const measuredKeys = new Set<string>()
    const plain: BenchmarkSettings = { ...p.settings }
    let modelsMeasured = 0
    // Every round measures the same models: keep each export for the next rounds (a probe of the small space takes
    // ~0.1 s of weight initialisation and serialisation); the device side skips pushing bytes it already holds.
    // Bounded: a thousand check networks of the mobile space would not fit; past the bound models are re-exported.
    const exported = new Map<string, Uint8Array>()
    let exportedBytes = 0
    const bytesOf = (key: string, make: () => Uint8Array): Uint8Array => {
      const kept = exported.get(key)
      if (kept) return kept
      const bytes = make()
      if (rounds > 1 && exportedBytes + bytes.length <= EXPORT_CACHE_BYTES) {
        exported.set(key, bytes)
        exportedBytes += bytes.length
      }
      return bytes
    }
    const roundOf = <T>(list: T[], r: number, make: () => T): T => {
      while (list.length <= r) list.push(make())
      return list[r]
    }

    const blocksTotal = configs.length * methods.length * rounds
    const checkTotal = p.checkNetworks * rounds
    const countRounds = (list: Record<string, EntryStats>[]) => list.slice(0, rounds).reduce((n, r) => n + Object.keys(r).length, 0)
    const blocksDone = () => methods.reduce((n, m) => n + countRounds(m === 'packed' ? cp.packedRounds : cp.perBlockRounds), 0)
    const checkDone = () => cp.checkRounds.slice(0, rounds).reduce((n, r) => n + Math.min(r.length, p.checkNetworks), 0)
    const progress = (stage: string) => {
      const done = blocksDone() + checkDone()
      const total = blocksTotal + checkTotal
      ctx.reportProgress({ fraction: total ? Math.min(0.99, done / total) : 0.99, stage, counters: { blocksDone: blocksDone(), blocksTotal, checkDone: checkDone(), checkTotal } })
    }
    const measure = async (bytes: Uint8Array, settings: BenchmarkSettings): Promise<Measurement> => {
      ctx.signal.throwIfAborted()
      // Let the device cool between models (not before the first one of this run).
      if (modelsMeasured > 0 && p.coolDownMs > 0) await sleep(p.coolDownMs, undefined, { signal: ctx.signal })
      modelsMeasured++
      const record = await ctx.call<MeasurementRecordInfo>('measure', { serial: p.serial, model: bytes, settings, runId: p.runId })
      return record.measurement
    }
    const timed = async (phase: keyof ProfileCheckpoint['elapsedMs'], work: () => Promise<void>) => {
      const t0 = Date.now()
      await work()
      cp.elapsedMs[phase] += Date.now() - t0
      await ctx.checkpoint(cp)
    }

    progress('Measuring the per-invoke overhead')
    if (!cp.baseline) {
      const m = await measure(modelBytes(baselineNetwork(), p.precision, p.seed), plain)
      cp.baseline = { ms: typicalLatencyMs(m.steady), mj: m.energy?.energyPerInferenceMj ?? null }
      await ctx.checkpoint(cp)
    }
    const baseline = cp.baseline

    /** One model per block; the entry is its steady time minus the per-invoke overhead. */
    const measurePerBlock = async (c: KeyedBlockConfig, into: Record<string, EntryStats>) => {
      const m = await measure(bytesOf(`block ${c.key}`, () => modelBytes(blockNetwork(c.config), p.precision, p.seed)), plain)
      const meanMs = Math.max(0, typicalLatencyMs(m.steady) - baseline.ms)
      const e = m.energy
      into[c.key] = {
        count: m.steady.count,
        meanMs,
        stdMs: m.steady.stdMs ?? 0,
        energyMj: e ? Math.max(0, e.energyPerInferenceMj - (baseline.mj ?? 0)) : null,
        energyStdMj: e ? e.uncertaintyMj : null
      }
      measuredKeys.add(c.key)
    }

    // Rounds are interleaved: round r measures every probe (or block) and every check network once, so a slow
    // spell of the device (heat, another app, a shared host) lands on one round of many keys, and the median over
    // rounds drops it, instead of landing on every sample of a few keys.
    const rng = createRng(p.seed)
    const archs = Array.from({ length: p.checkNetworks }, () => sampleArchitecture(space, rng))
    const inRound = (r: number) => (rounds > 1 ? `Round ${r + 1} of ${rounds} · ` : '')
    for (let r = 0; r < rounds; r++) {
      for (const method of methods) {
        if (method === 'per-block') {
          const into = roundOf<Record<string, EntryStats>>(cp.perBlockRounds, r, () => ({}))
          for (const c of configs) {
            if (into[c.key]) continue
            progress(`${inRound(r)}Per block: ${Object.keys(into).length + 1} of ${configs.length} (${c.key})`)
            await timed('perBlock', () => measurePerBlock(c, into))
          }
        } else {
          const into = roundOf<Record<string, EntryStats>>(cp.packedRounds, r, () => ({}))
          const todo = configs.filter((c) => !into[c.key])
          const probes = planProbes(todo, { maxBlocksPerProbe: p.maxBlocksPerProbe })
          for (const [i, probe] of probes.entries()) {
            progress(`${inRound(r)}Packed probe ${i + 1} of ${probes.length}: ${probe.blocks.length} blocks`)
            // Export inside the timed work: the packed time includes making the probe, as the per-block time does.
            await timed('packed', () => {
              const bytes = bytesOf(`probe ${probe.blocks.map((b) => b.key).join(' ')}`, () => modelBytes(probe.network, p.precision, p.seed))
              return measureProbe(ctx, probe, bytes, todo, baseline, measure, measurePerBlock, into, cp, measuredKeys)
            })
          }
        }
      }

      // ---- prediction check: random networks measured end to end
      const checks = roundOf<CheckMeasurement[]>(cp.checkRounds, r, () => [])
      for (let i = checks.length; i < archs.length; i++) {
        progress(`${inRound(r)}Check network ${i + 1} of ${archs.length}`)
        await timed('check', async () => {
          const arch = architectureToString(archs[i])
          const bytes = bytesOf(`check ${i}`, () => exportArchitecture({ space: p.space, input: p.input, widthMult: p.widthMult, stemStride: p.stemStride ?? 1, arch, precision: p.precision, seed: p.seed + i, softmax: false }).bytes)
          const m = await measure(bytes, plain)
          checks.push({ architecture: arch, measuredMs: typicalLatencyMs(m.steady), measuredMj: m.energy?.energyPerInferenceMj ?? null })
        })
      }
    }

    // ---- the table: each key's entry and each network's time is the median over rounds
    const combine = (list: Record<string, EntryStats>[]): Record<string, EntryStats> =>
      Object.fromEntries(configs.map((c) => [c.key, combineRounds(list.slice(0, rounds).map((r) => r[c.key]).filter((e): e is EntryStats => !!e))]))
    const packed: Record<string, EntryStats> = methods.includes('packed' as never) ? combine(cp.packedRounds) : {}
    const perBlock: Record<string, EntryStats> = methods.includes('per-block' as never) ? combine(cp.perBlockRounds) : {}
    const check: CheckMeasurement[] = archs.map((a, i) => {
      const samples = cp.checkRounds.slice(0, rounds).map((r) => r[i]).filter((c): c is CheckMeasurement => !!c)
      const mj = samples.map((c) => c.measuredMj).filter((e): e is number => e !== null)
      return { architecture: architectureToString(a), measuredMs: median(samples.map((c) => c.measuredMs)), measuredMj: mj.length ? median(mj) : null }
    })
    const primary = methods[0] === 'packed' ? packed : perBlock
    const rowsOf = (stats: Record<string, EntryStats>): LutEntry[] => configs.map((c) => makeEntry(space, c.key, stats[c.key]))
    const rows = rowsOf(primary)
    const checkOf = (tableRows: LutEntry[]): PredictionCheck | null => {
      if (check.length === 0) return null
      const samples: CheckSample[] = check.map((c) => {
        const sum = sumEntries(tableRows, architectureKeys(space, parseArchitecture(space, c.architecture)))
        return { architecture: c.architecture, sumMs: sum.latencyMs, sumMj: sum.energyMj, measuredMs: c.measuredMs, measuredMj: c.measuredMj }
      })
      return predictionCheck(samples)
    }
    const checked = checkOf(rows)
    let agreement: MethodAgreement | null = null
    if (p.method === 'both') {
      const diffs = configs.map((c) => Math.abs(packed[c.key].meanMs - perBlock[c.key].meanMs) / Math.max(perBlock[c.key].meanMs, 1e-6))
      const perBlockCheck = checkOf(rowsOf(perBlock))
      agreement = {
        keys: configs.length,
        medianAbsDiffPct: 100 * median(diffs),
        within10Pct: diffs.filter((d) => d <= 0.1).length / diffs.length,
        perBlockCheck: perBlockCheck ? withoutPoints(perBlockCheck) : null
      }
    }
    const durationMs = {
      packed: methods.includes('packed' as never) ? cp.elapsedMs.packed : null,
      perBlock: methods.includes('per-block' as never) ? cp.elapsedMs.perBlock : null
    }
    const toSave: TableToSave = {
      deviceSerial: p.serial,
      space: p.space,
      meta: {
        deviceLabel: p.deviceLabel,
        method: p.method,
        precision: p.precision,
        settings: p.settings,
        runId: p.runId,
        durationMs,
        source: 'measured',
        spaceOptions: { input: p.input, widthMult: p.widthMult, stemStride: p.stemStride ?? 1 },
        agreement
      },
      rows,
      check: checked
    }
    const saved = await ctx.call<LookupTableSummary>('tables.save', toSave)
    if (p.runId) {
      const figures: Record<string, number> = { entries: rows.length, baselineMs: baseline.ms }
      if (durationMs.packed !== null) figures.packedMs = durationMs.packed
      if (durationMs.perBlock !== null) figures.perBlockMs = durationMs.perBlock
      if (checked) Object.assign(figures, { within10Pct: checked.within10Pct, rmseMs: checked.rmseMs, kendallTau: checked.kendallTau, overheadMs: checked.overheadMs, rounds })
      if (agreement) figures.methodsMedianDiffPct = agreement.medianAbsDiffPct
      await ctx.call('runs.setFigures', { runId: p.runId, figures })
    }
    ctx.reportProgress({
      fraction: 1,
      stage: checked ? `Table of ${rows.length} keys; ${(100 * checked.within10Pct).toFixed(0)}% of ${checked.networks} networks predicted within ±10%` : `Table of ${rows.length} keys`,
      counters: { blocksDone: blocksTotal, blocksTotal, checkDone: checkDone(), checkTotal }
    })
    return {
      tableId: saved.id,
      entries: rows.length,
      measuredKeys: [...measuredKeys],
      skippedKeys,
      check: checked ? withoutPoints(checked) : null,
      agreement,
      durationMs: { ...durationMs, check: cp.elapsedMs.check },
      packedFallbackKeys: [...cp.packedFallbackKeys]
    }
  }
}

function withoutPoints(c: PredictionCheck): Omit<PredictionCheck, 'points'> {
  const { points: _points, ...rest } = c
  void _points
  return rest
}

/**
 * One probe: a single push and run with op profiling; each block gets its operators' share of the probe's steady
 * time beyond the per-invoke overhead. The tool's per-op averages include warm-up runs, so they are used as
 * shares of the clean steady figure rather than as absolute times. A probe whose rows cannot be attributed is
 * measured block by block instead.
 */
async function measureProbe(
  ctx: JobContext<ProfileJobParams, ProfileCheckpoint>,
  probe: Probe,
  bytes: Uint8Array,
  todo: readonly KeyedBlockConfig[],
  baseline: { ms: number; mj: number | null },
  measure: (bytes: Uint8Array, settings: BenchmarkSettings) => Promise<Measurement>,
  measurePerBlock: (c: KeyedBlockConfig, into: Record<string, EntryStats>) => Promise<void>,
  into: Record<string, EntryStats>,
  cp: ProfileCheckpoint,
  measuredKeys: Set<string>
): Promise<void> {
  const m = await measure(bytes, { ...ctx.params.settings, profileOps: true })
  let attribution: ReturnType<typeof attributeProbeOps>
  try {
    attribution = attributeProbeOps(probe, m.ops)
  } catch (e) {
    ctx.log(`${e instanceof Error ? e.message : String(e)} Measuring its ${probe.blocks.length} blocks one by one.`)
    for (const b of probe.blocks) {
      const c = todo.find((t) => t.key === b.key) as KeyedBlockConfig
      await measurePerBlock(c, into)
      if (!cp.packedFallbackKeys.includes(b.key)) cp.packedFallbackKeys.push(b.key)
    }
    return
  }
  const opsMs = attribution.opsMs
  const scale = opsMs > 0 ? Math.max(0, typicalLatencyMs(m.steady) - baseline.ms) / opsMs : 0
  const energy = m.energy
  const energyBeyondBaseline = energy ? Math.max(0, energy.energyPerInferenceMj - (baseline.mj ?? 0)) : null
  for (const b of probe.blocks) {
    const opMs = attribution.blockMs.get(b.key) ?? 0
    const share = opsMs > 0 ? opMs / opsMs : 0
    into[b.key] = {
      count: m.steady.count,
      meanMs: opMs * scale,
      // The run-to-run spread of a block inside a probe is not reported; its share of the probe's spread is.
      stdMs: (m.steady.stdMs ?? 0) * share,
      energyMj: energyBeyondBaseline !== null ? energyBeyondBaseline * share : null,
      energyStdMj: energy ? energy.uncertaintyMj * share : null
    }
    measuredKeys.add(b.key)
  }
}
