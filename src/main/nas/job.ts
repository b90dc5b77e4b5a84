// The 'search' job: (quick lookup table) → warm-up → for each target: search, derive, retrain, export fp32/int8,
// measure on the device → baselines trained, exported and measured the same way. Checkpoints after every epoch and
// every finished candidate; a resumed job continues from the last one (an epoch interrupted midway runs again).
import type { LutEntry } from '../../shared/contract/profile'
import type { MeasurementRecordInfo } from '../../shared/api'
import { SearchRequestSchema, type CandidateInfo, type SearchHistoryRecord, type SearchRequest, type SearchResult } from '../../shared/contract/search'
import { LabError } from '../../shared/errors'
import { loadDataset } from '../data/registry'
import { makeSplits, type Splits } from '../data/splits'
import type { JobContext, JobRunner } from '../jobs/runner'
import { initTrainingEngine, shardWorkers, trainingWorkers } from '../model/train/engine'
import { getSpace, type Architecture, type SearchSpace } from '../model/space'
import { candidateBenchmark, describeArchitecture, exportAndMeasure, type CandidateSink } from './derive'
import { emptyHistory, historySaver, recordDerived, recordStep } from './history'
import { architectureCost, mostProbableWithin, type CostTable, type LossForm } from './latency-loss'
import { DEFAULT_SEARCH_SETTINGS, ProxylessSearch, evaluate, recalibrateBatchNorm, type SearchSettings, type SearchState, type StepProgress } from './search'
import { Supernet } from './supernet'
import { costTableFromRows, measureQuickTable } from './table'

export type SearchJobParams = SearchRequest & { runId: string; dataDir?: string }

/** One search of the sweep: a target (and λ for 'add#linear'). */
export interface SweepItem {
  target: number
  lambda: number | null
  form: LossForm
}

type Task = { kind: 'warmup' } | { kind: 'search'; i: number } | { kind: 'retrain'; i: number } | { kind: 'baseline'; j: number }

export interface SearchCheckpoint {
  version: 1
  rows: LutEntry[] | null
  task: number
  epochsDone: number
  /** State after warm-up: every search starts from it. */
  warm: SearchState | null
  /** State of the current task's model (null: fresh). */
  current: SearchState | null
  /** Derived architecture per sweep item, once searched. */
  derived: ({ arch: Architecture; probabilities: number[][] } | null)[]
  candidates: CandidateInfo[]
  /** The curves, probabilities and derived networks shown in the window (also saved into the run's settings). */
  history?: SearchHistoryRecord
}

/** The uniform networks whose costs are the automatic targets: the usual hand-designed MBConv choices. */
export const AUTO_TARGET_OPS = ['k3e3', 'k3e6', 'k5e6'] as const

/**
 * Automatic targets: the table's cost of the uniform k3e3, k3e6 and k5e6 networks of the space, so each searched
 * network is asked to match a hand-designed one at equal predicted cost (the comparison ProxylessNAS makes against
 * MobileNetV2). Uniform networks sit at the cheap end of the range; targets spread over the whole range (as before)
 * put every searched network above all the baselines. Spaces without those ops: three targets spread evenly over
 * the range on a log scale.
 */
export function automaticTargets(table: CostTable, blockOps?: readonly (readonly string[])[]): number[] {
  const lo = architectureCost(table.perBlock.map((c) => c.indexOf(Math.min(...c))), table)
  const hi = architectureCost(table.perBlock.map((c) => c.indexOf(Math.max(...c))), table)
  if (blockOps && blockOps.length === table.perBlock.length && AUTO_TARGET_OPS.every((op) => blockOps.every((ops) => ops.includes(op)))) {
    const costs = AUTO_TARGET_OPS.map((op) => architectureCost(blockOps.map((ops) => ops.indexOf(op)), table))
    const distinct = [...new Set(costs.map((c) => Number(c.toPrecision(4))))].sort((a, b) => a - b)
    if (distinct.length === AUTO_TARGET_OPS.length && distinct[0] > lo) return distinct
  }
  const floor = Math.max(lo, 1e-6)
  return [0.25, 0.5, 0.75].map((q) => floor * (hi / floor) ** q)
}

/** Sweep items from the request: λ values, else targets, else the automatic targets. */
export function sweepItems(req: SearchRequest, table: CostTable, blockOps?: readonly (readonly string[])[]): SweepItem[] {
  const targets = req.objective === 'latency' ? req.targetsMs : req.targetsMj
  const auto = automaticTargets(table, blockOps)
  // mul#log takes logarithms of the target, so it needs targets above 1 (ms or mJ); faster targets use add#linear.
  const form = (t: number): LossForm => (req.lossForm === 'mul#log' && t <= 1 ? 'add#linear' : req.lossForm)
  if (req.lambdas.length > 0) {
    const t = targets[0] ?? auto[1]
    return req.lambdas.map((lambda) => ({ target: t, lambda, form: 'add#linear' }))
  }
  return (targets.length > 0 ? targets : auto).map((t) => ({ target: t, lambda: null, form: form(t) }))
}

/** Epochs of each baseline: as set, else as many as a searched network's weights get (see the schema). */
export function baselineEpochs(req: SearchRequest): number {
  if (req.epochs.baseline !== undefined) return req.epochs.baseline
  return req.retrain === 'inherit' ? req.epochs.warmup + req.epochs.search + req.epochs.retrain : req.epochs.retrain
}

export function planTasks(items: number, baselines: number): Task[] {
  const tasks: Task[] = [{ kind: 'warmup' }]
  for (let i = 0; i < items; i++) tasks.push({ kind: 'search', i }, { kind: 'retrain', i })
  for (let j = 0; j < baselines; j++) tasks.push({ kind: 'baseline', j })
  return tasks
}

function resolveSpace(req: SearchRequest, image: { height: number; width: number; channels: number }, classes: number, widthMult = req.widthMult): SearchSpace {
  const input = req.dataset === 'cifar10' ? 'cifar10' : 'fashion-mnist'
  const space = getSpace(req.space, { input, widthMult, classes, stemStride: req.stemStride })
  const [h, w, c] = space.inputShape
  if (h !== image.height || w !== image.width || c !== image.channels) {
    throw new LabError('bad_request', `The ${req.space} space takes ${h}x${w}x${c} images but ${req.dataset} has ${image.height}x${image.width}x${image.channels}; choose the small space for this dataset.`, 'space')
  }
  return space
}

/** Fewest images a worker's shard may hold: its batch-norm statistics come from the shard alone. */
export const MIN_SHARD_IMAGES = 32

/** Training workers for supernet weight steps: the cores available, but no shard below MIN_SHARD_IMAGES. */
export function supernetWorkers(cores: number, batchSize: number): number {
  return shardWorkers(cores, batchSize, MIN_SHARD_IMAGES)
}

export const runner: JobRunner<SearchJobParams, SearchCheckpoint, SearchResult> = {
  async run(ctx) {
    const { runId, dataDir, ...request } = ctx.params
    const req = SearchRequestSchema.parse(request)
    // The fastest backend present (tfjs-node, else wasm with the lab's native kernels, else cpu), or the one
    // PROXYLESS_LAB_BACKEND names; the run records which, so the window and the CLI can say it.
    const engine = await initTrainingEngine({ log: (line) => ctx.log(line) })
    // Weight steps run data-parallel on this many worker threads (1 = this thread); α steps and evaluation stay here.
    // Each worker normalises its shard by the shard's own batch-norm statistics, so a shard keeps at least
    // MIN_SHARD_IMAGES images (batch 64: at most 2 workers, whatever the core count).
    const workers = supernetWorkers(trainingWorkers(), req.batchSize)
    if (workers > 1) ctx.log(`Weight steps run on ${workers} training workers (${Math.ceil(req.batchSize / workers)} images each).`)
    if (runId) void ctx.call('runs.patchSettings', { runId, patch: { trainingEngine: { ...engine, workers } } }).catch((e: unknown) => ctx.log(`Could not store the training engine: ${String(e)}`))
    const ds = await loadDataset(req.dataset, { dataDir })
    const splits: Splits = makeSplits(ds, { seed: req.seed, trainSubset: req.subset.train, validationSubset: req.subset.validation, testSubset: req.subset.test })
    const space = resolveSpace(req, ds.train, ds.classNames.length)
    const benchmark = candidateBenchmark(req.benchmark, req.objective)
    const measure = async (model: Uint8Array, candidateId: string | null): Promise<MeasurementRecordInfo> =>
      ctx.call<MeasurementRecordInfo>('measure', { serial: req.serial, model, settings: benchmark, runId, candidateId })

    const cp: SearchCheckpoint = ctx.loadCheckpoint() ?? { version: 1, rows: null, task: 0, epochsDone: 0, warm: null, current: null, derived: [], candidates: [] }
    if (cp.rows === null) {
      if (req.tableId) {
        const t = await ctx.call<{ deviceSerial: string; rows: LutEntry[] }>('tables.getRows', { id: req.tableId })
        if (t.deviceSerial !== req.serial) ctx.log(`Note: lookup table ${req.tableId} was measured on ${t.deviceSerial}, but candidates are measured on ${req.serial}.`)
        cp.rows = t.rows
      } else {
        ctx.reportProgress({ fraction: 0, stage: `Measuring the blocks of the ${space.name} space on ${req.serial}` })
        cp.rows = await measureQuickTable(
          space,
          async (model, settings) => (await ctx.call<MeasurementRecordInfo>('measure', { serial: req.serial, model, settings, runId, candidateId: null })).measurement,
          { ...benchmark, runs: Math.min(benchmark.runs, 10), warmupRuns: Math.min(benchmark.warmupRuns, 2) },
          (done, total) => ctx.reportProgress({ fraction: 0, stage: `Measuring block ${done} of ${total} on ${req.serial}` }),
          ctx.signal
        )
      }
      await ctx.checkpoint(cp)
    }
    const rows = cp.rows
    const table = costTableFromRows(space, rows, req.objective)
    const items = sweepItems(req, table, space.blocks.map((b) => b.candidates))
    const tasks = planTasks(items.length, req.baselines.length)
    while (cp.derived.length < items.length) cp.derived.push(null)
    const settings: SearchSettings = { ...DEFAULT_SEARCH_SETTINGS, batchSize: req.batchSize, lr: req.lr, archLr: req.archLr, archEvery: req.archEvery, gateMode: req.gateMode, seed: req.seed }
    const epochsOf = (t: Task): number => (t.kind === 'warmup' ? req.epochs.warmup : t.kind === 'search' ? req.epochs.search : t.kind === 'retrain' ? req.epochs.retrain : baselineEpochs(req))
    // Progress counts epochs, and each export-and-measure as one more.
    const units = tasks.map((t) => epochsOf(t) + (t.kind === 'retrain' || t.kind === 'baseline' ? 1 : 0))
    const totalUnits = units.reduce((a, b) => a + b, 0) || 1
    const unitsBefore = (k: number): number => units.slice(0, k).reduce((a, b) => a + b, 0)
    const sink: CandidateSink = {
      insertCandidate: (c) => ctx.call('candidates.insert', { ...c, runId }),
      measure: async (model, candidateId) => (await measure(model, candidateId)).measurement
    }
    const objectiveUnit = table.unit
    const history = (cp.history ??= emptyHistory(objectiveUnit))
    const saveHistory = historySaver((h) => void ctx.call('runs.patchSettings', { runId, patch: { history: h } }).catch((e: unknown) => ctx.log(`Could not store the search history: ${String(e)}`)))

    const modelFor = (task: Task): { search: ProxylessSearch; space: SearchSpace; arch: Architecture | null } => {
      if (task.kind === 'warmup' || task.kind === 'search') return { search: new ProxylessSearch(new Supernet(space, { seed: req.seed }), settings), space, arch: null }
      if (task.kind === 'retrain') {
        const arch = (cp.derived[task.i] as { arch: Architecture }).arch
        return { search: new ProxylessSearch(Supernet.forArchitecture(space, arch, req.seed + 1 + task.i), settings), space, arch }
      }
      const b = req.baselines[task.j]
      const bspace = resolveSpace(req, ds.train, ds.classNames.length, b.widthMult)
      const arch = bspace.blocks.map(() => b.op)
      return { search: new ProxylessSearch(Supernet.forArchitecture(bspace, arch, req.seed + 100 + task.j), settings), space: bspace, arch }
    }

    const describe = (task: Task): string =>
      task.kind === 'warmup'
        ? 'Warm-up'
        : task.kind === 'search'
          ? `Search for ${fmtTarget(items[task.i], objectiveUnit)}`
          : task.kind === 'retrain'
            ? `Retraining the network for ${fmtTarget(items[task.i], objectiveUnit)}`
            : `Baseline ${req.baselines[task.j].op} ×${req.baselines[task.j].widthMult}`

    for (let k = cp.task; k < tasks.length; k++) {
      const task = tasks[k]
      const epochs = epochsOf(task)
      const { search, space: taskSpace, arch } = modelFor(task)
      try {
        if (workers > 1) await search.attachTrainer(workers, (line) => ctx.log(`${describe(task)}: ${line}`))
        if (cp.current) search.loadState(cp.current)
        const objective = task.kind === 'search' ? { table, loss: { form: items[task.i].form, target: items[task.i].target, lambda: items[task.i].lambda ?? undefined } } : undefined
        const phase = task.kind === 'warmup' ? 'warmup' : task.kind === 'search' ? 'search' : 'train'
        for (let e = cp.epochsDone; e < epochs; e++) {
          const onStep = (p: StepProgress): void => {
            const fraction = (unitsBefore(k) + e + p.step / p.stepsPerEpoch) / totalUnits
            const counters: Record<string, number> = { epoch: e + 1, epochs, step: p.step, stepsPerEpoch: p.stepsPerEpoch, loss: p.loss, accuracy: p.accuracy }
            if (p.expectedCost !== null) counters[objectiveUnit === 'ms' ? 'expectedLatencyMs' : 'expectedEnergyMj'] = p.expectedCost
            if (task.kind === 'search') p.probabilities.forEach((row, b) => row.forEach((v, j) => (counters[`p.b${b + 1}.${search.net.blocks[b].ops[j]}`] = v)))
            const extra = p.expectedCost !== null ? ` · E[${objectiveUnit === 'ms' ? 'lat' : 'energy'}] ${p.expectedCost.toFixed(3)} ${objectiveUnit}` : ''
            ctx.reportProgress({ fraction, stage: `${describe(task)}: epoch ${e + 1}/${epochs}, step ${p.step}/${p.stepsPerEpoch} · loss ${p.loss.toFixed(3)} · accuracy ${(100 * p.accuracy).toFixed(1)}%${extra}`, counters })
            const item = task.kind === 'search' || task.kind === 'retrain' ? items[task.i] : null
            const probabilities = task.kind === 'search' ? { ops: search.net.blocks.map((b) => [...b.ops]), values: p.probabilities } : undefined
            recordStep(history, k, () => ({ kind: task.kind, label: describe(task), target: item?.target ?? null, lambda: item?.lambda ?? null }), e + 1, { ...p, probabilities })
            saveHistory(history, p.step >= p.stepsPerEpoch)
          }
          await search.runEpoch(splits.train, splits.validation, { phase, epoch: e, epochs, objective, signal: ctx.signal, onStep })
          cp.epochsDone = e + 1
          cp.current = search.saveState()
          await ctx.checkpoint(cp)
        }
        // The task is done: prepare the next one's starting state and checkpoint the step.
        if (task.kind === 'warmup') {
          cp.warm = search.saveState()
        } else if (task.kind === 'search') {
          const choice = deriveChoice(search, items[task.i], table, req.derive, (line) => ctx.log(`${describe(task)}: ${line}`))
          const derivedArch = search.net.architectureOf(choice)
          cp.derived[task.i] = { arch: derivedArch, probabilities: search.probabilities() }
          ctx.log(`${describe(task)}: derived ${derivedArch.join('-')} (predicted ${architectureCost(choice, table).toFixed(3)} ${objectiveUnit}).`)
          const probabilities = { phase: k, ops: search.net.blocks.map((b) => [...b.ops]), values: search.probabilities() }
          recordDerived(history, { phase: k, target: items[task.i].target, lambda: items[task.i].lambda, unit: objectiveUnit, architecture: derivedArch.join('-'), predicted: architectureCost(choice, table), probabilities })
          saveHistory(history, true)
          if (req.retrain === 'inherit') {
            const derived = Supernet.forArchitecture(space, derivedArch, req.seed + 1 + task.i)
            const next = new ProxylessSearch(derived, settings)
            next.net.load(search.net.snapshot())
            cp.current = next.saveState()
            next.dispose()
            cp.task = k + 1
            cp.epochsDone = 0
            await ctx.checkpoint(cp)
            continue
          }
        } else {
          ctx.reportProgress({ fraction: (unitsBefore(k) + epochs) / totalUnits, stage: `${describe(task)}: exporting and measuring on ${req.serial}` })
          const net = search.net
          const zeros = (arch as Architecture).map(() => 0)
          recalibrateBatchNorm(net, zeros, splits.train)
          const accuracyFp32 = evaluate(net, zeros, splits.test)
          const origin =
            task.kind === 'retrain'
              ? { kind: 'search' as const, target: items[task.i].target, unit: objectiveUnit, lambda: items[task.i].lambda, lossForm: items[task.i].form, probabilities: (cp.derived[task.i] as { probabilities: number[][] }).probabilities }
              : { kind: 'baseline' as const, op: req.baselines[task.j].op, widthMult: req.baselines[task.j].widthMult }
          const name = task.kind === 'retrain' ? `Searched, ${fmtTarget(items[task.i], objectiveUnit)}` : `Baseline ${req.baselines[task.j].op} ×${req.baselines[task.j].widthMult}`
          const made = await exportAndMeasure(
            net,
            arch as Architecture,
            { name, architecture: describeArchitecture(taskSpace, arch as Architecture, origin), accuracyFp32, rows: taskSpace.widthMult === space.widthMult ? rows : null },
            { train: splits.train, test: splits.test },
            { precisions: req.precisions, calibrationImages: 32, int8EvalImages: req.int8EvalImages },
            sink,
            ctx.signal
          )
          cp.candidates.push(...made)
        }
        cp.task = k + 1
        cp.epochsDone = 0
        const nextTask = tasks[k + 1]
        cp.current = nextTask?.kind === 'search' ? cp.warm : null
        if (!tasks.slice(k + 1).some((t) => t.kind === 'search')) cp.warm = null
        await ctx.checkpoint(cp)
      } finally {
        await search.close()
      }
    }
    const accuracies = cp.candidates.filter((c) => c.architecture.origin.kind === 'search' && c.accuracy !== null).map((c) => c.accuracy as number)
    const bestAccuracy = accuracies.length > 0 ? Math.max(...accuracies) : null
    const figures: Record<string, number> = { candidates: cp.candidates.length }
    if (bestAccuracy !== null) figures.bestAccuracy = bestAccuracy
    await ctx.call('runs.setFigures', { runId, figures })
    ctx.reportProgress({ fraction: 1, stage: `Done: ${cp.candidates.length} candidates measured on ${req.serial}` })
    return { runId, candidates: cp.candidates, bestAccuracy }
  }
}

/**
 * The network a finished search gives: the most probable one costing 90–100% of the target, else the most probable
 * one under it (λ sweeps and 'argmax': the per-block argmax).
 * When no network of the space meets the target, the argmax is taken and the log says so.
 */
export function deriveChoice(search: ProxylessSearch, item: SweepItem, table: CostTable, mode: SearchRequest['derive'], log: (line: string) => void): number[] {
  const argmax = search.derivedChoice()
  if (mode === 'argmax' || item.lambda !== null) return argmax
  // Between 90% and 100% of the target where the space has such a network, else anything under the target.
  const within = mostProbableWithin(search.alpha, table, item.target, { floor: 0.9 * item.target }) ?? mostProbableWithin(search.alpha, table, item.target)
  if (within === null) {
    log(`no network of the space is predicted within ${Number(item.target.toPrecision(3))} ${table.unit}; taking the most probable one.`)
    return argmax
  }
  return within
}

function fmtTarget(item: SweepItem, unit: string): string {
  const t = `${Number(item.target.toPrecision(3))} ${unit}`
  return item.lambda === null ? `target ${t}` : `λ ${item.lambda} (target ${t})`
}

export type { JobContext }
