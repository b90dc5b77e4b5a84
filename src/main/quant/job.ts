// The 'quantize' job: HAQ on a trained network with the cost from the phone.
//   1. the float model (a stored candidate, or a small-space architecture trained briefly here);
//   2. uniform fp32 / fp16 / int8 baselines: exported, measured on the device, stored as candidates;
//   3. a per-layer × precision latency table from op-profiled runs of those three models;
//   4. the search (runQuantSearch): every episode's record goes to the run's settings for the live curves;
//   5. the best few policies: fine-tuned, exported, ALWAYS measured on the device, stored as candidates with the
//      table-vs-device difference.
// Checkpoints hold the model, the baselines, the table and the search state, so a resumed job skips what is done.
import { LabError } from '../../shared/errors'
import type { BenchmarkSettingsInput, Measurement } from '../../shared/contract/measure'
import type { QuantizeEpisode, QuantizeLayerInfo, QuantizeRequest, QuantizeResultRow } from '../../shared/contract/quantize'
import { loadDataset } from '../data/registry'
import { iterateBatches, makeSplits, type SplitView } from '../data/splits'
import type { JobContext, JobRunner } from '../jobs/runner'
import { initTrainingEngine, shardWorkers, trainingWorkers } from '../model/train/engine'
import { ParallelTrainer } from '../model/train/parallel'
import { initWeights, networkFromJson, weightsFromJson, weightsToJson, type Network, type Weights, type WeightsJson } from '../model/ir'
import { buildNetwork, getSpace, parseArchitecture } from '../model/space'
import type { LayerPrecision } from '../model/tflite/writer'
import { createRng } from '../model/rng'
import { readTflite, tfliteBufferData } from '../model/tflite/reader'
import type { CandidateRecord, NewCandidate } from '../store/types'
import { budgetLimit, formatMetric, metricValue, parseBudget, type Budget } from './budget'
import { buildLatencyTable, DeviceCost, PolicyExporter, relativeDifference, tableCost, tablePolicyCost, TABLE_PRECISIONS, type LatencyTable, type MeasuredCost } from './device-cost'
import { PolicyEvaluator, type ImageArrays } from './evaluate'
import { HAQ_LINEAR_PINS, QuantEnv, type CostFigures, type PolicyCost } from './env'
import { quantLayersOf } from './layers'
import { DEPLOY_SPACE, HAQ_KMEANS_SPACE, HAQ_LINEAR_SPACE, packedModelBytes, policyKey, type PrecisionSpace, type QuantPolicy } from './precision'
import { runQuantSearch, type EpisodeRecord, type QuantSearchCheckpoint } from './search'

export interface QuantizeJobParams extends QuantizeRequest {
  runId: string
  /** The lab's data folder (datasets downloaded there are found). */
  dataDir: string
}

interface BaselineState {
  cost: MeasuredCost
  accuracy: number
  candidateId: string
}

interface QuantizeCheckpoint {
  version: 1
  model?: { network: Network; weights: WeightsJson; source: string }
  baselines?: Partial<Record<LayerPrecision, BaselineState>>
  table?: LatencyTable | null
  search?: QuantSearchCheckpoint
}

export interface QuantizeJobResult {
  runId: string
  accuracyFp: number
  results: QuantizeResultRow[]
}

const CALIBRATION_IMAGES = 16

/** A policy as one word per layer ('int8', '4bit', '4/6bit'). */
export function precisionWords(policy: QuantPolicy): string[] {
  if (policy.kind === 'deploy') return policy.layers.map((l) => l.precision)
  return policy.layers.map((l) => (l.aBits === undefined ? `${l.wBits}bit` : `${l.wBits}/${l.aBits}bit`))
}

function episodeRow(r: EpisodeRecord): QuantizeEpisode {
  return {
    episode: r.episode,
    precisions: precisionWords(r.policy),
    accuracy: r.accuracy,
    reward: r.reward,
    latencyMs: r.cost.latencyMs ?? null,
    energyMj: r.cost.energyMj ?? null,
    sizeBytes: r.cost.sizeBytes,
    warmup: r.warmup
  }
}

function toArrays(view: SplitView): ImageArrays {
  const count = view.indices.length
  if (count === 0) return { x: new Float32Array(0), y: new Int32Array(0), count: 0 }
  const batch = iterateBatches(view, { batchSize: count, shuffle: false }).next().value
  if (!batch) throw new LabError('internal', 'A data split gave no batch.')
  return { x: batch.x, y: batch.y, count }
}

function spaceOf(name: QuantizeRequest['space']): PrecisionSpace {
  return name === 'linear' ? HAQ_LINEAR_SPACE : name === 'kmeans' ? HAQ_KMEANS_SPACE : DEPLOY_SPACE
}

/** The float model's batch, and the fewest images a worker's shard may hold (below it, fixed costs outweigh a core). */
const FLOAT_BATCH = 32
const MIN_FLOAT_SHARD = 16

/**
 * Quick float training of a small-space network with Adam (no batch norm in this IR; SGD barely moves it), data-parallel
 * over every core with the training engine's ParallelTrainer: each worker thread takes a shard of the batch, the
 * gradients are summed in a fixed order, and one Adam step updates the shared weights.
 */
async function trainFloat(
  net: Network,
  train: ImageArrays,
  opts: { epochs: number; seed: number; signal: AbortSignal; workers?: number; log: (line: string) => void },
  onStep: (done: number, total: number, loss: number) => void
): Promise<{ weights: Weights; workers: number }> {
  const batchSize = FLOAT_BATCH
  const inShape = net.input.shape
  const per = inShape.reduce((a, b) => a * b, 1)
  const rng = createRng(opts.seed + 104729)
  const stepsPerEpoch = Math.max(1, Math.floor(train.count / batchSize))
  const total = stepsPerEpoch * opts.epochs
  opts.signal.throwIfAborted()
  const trainer = await ParallelTrainer.create({ net, weights: initWeights(net, opts.seed), seed: opts.seed, workers: opts.workers, optimizer: { kind: 'adam', lr: 2e-3 }, log: opts.log })
  try {
    const bx = new Float32Array(batchSize * per)
    const by = new Int32Array(batchSize)
    for (let step = 0; step < total; step++) {
      opts.signal.throwIfAborted()
      for (let k = 0; k < batchSize; k++) {
        const i = Math.floor(rng() * train.count)
        bx.set(train.x.subarray(i * per, (i + 1) * per), k * per)
        by[k] = train.y[i]
      }
      const loss = await trainer.trainStep(bx, by)
      if (step % 10 === 0 || step === total - 1) onStep(step + 1, total, loss)
    }
    return { weights: trainer.getWeights(), workers: trainer.workerCount }
  } finally {
    await trainer.dispose()
  }
}

/**
 * Float weights back from an fp32 .tflite this lab wrote (tensors `<layer>/kernel`, `<layer>/bias`), undoing the
 * writer's layouts: conv OHWI → HWIO, dense [out,in] → [in,out], depthwise [1,kh,kw,C·m] is already [kh,kw,C,m].
 */
export function weightsFromTflite(net: Network, bytes: Uint8Array): Weights | null {
  const info = readTflite(bytes)
  const tensors = new Map(info.subgraphs[0]?.tensors.map((t) => [t.name, t]) ?? [])
  const weights: Weights = new Map()
  for (const layer of net.layers) {
    if (layer.op !== 'conv2d' && layer.op !== 'depthwise_conv2d' && layer.op !== 'dense') continue
    for (const kind of ['kernel', 'bias'] as const) {
      if (kind === 'bias' && !layer.useBias) continue
      const t = tensors.get(`${layer.name}/${kind}`)
      if (!t || t.type !== 'float32') return null
      const raw = tfliteBufferData(bytes, info, t.buffer)
      const data = new Float32Array(raw.byteLength / 4)
      new Uint8Array(data.buffer).set(raw)
      if (kind === 'bias' || layer.op === 'depthwise_conv2d') {
        weights.set(`${layer.name}/${kind}`, data)
      } else if (layer.op === 'conv2d') {
        const [o, kh, kw, i] = t.shape
        const out = new Float32Array(data.length)
        for (let a = 0; a < o; a++) for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let c = 0; c < i; c++) out[((y * kw + x) * i + c) * o + a] = data[((a * kh + y) * kw + x) * i + c]
        weights.set(`${layer.name}/kernel`, out)
      } else {
        const [o, i] = t.shape
        const out = new Float32Array(data.length)
        for (let a = 0; a < o; a++) for (let c = 0; c < i; c++) out[c * o + a] = data[a * i + c]
        weights.set(`${layer.name}/kernel`, out)
      }
    }
  }
  return weights
}

/**
 * A stored candidate's network and float weights: { network, weights } as this job stores them, or a search
 * candidate ({ space, architecture, widthMult, stemStride, input }) whose fp32 .tflite holds the trained (BN-folded)
 * weights; without usable weights the network is trained here.
 */
function modelFromCandidate(c: CandidateRecord): { network: Network; weights: Weights | null } {
  const a = (c.architecture ?? {}) as Record<string, unknown>
  if (a.network && a.weights) return { network: networkFromJson(a.network), weights: weightsFromJson(a.weights) }
  const arch = typeof a.architecture === 'string' ? a.architecture : typeof a.arch === 'string' ? a.arch : null
  let network: Network | null = a.network ? networkFromJson(a.network) : null
  if (!network && arch && (a.space === 'small' || a.space === undefined)) {
    const space = getSpace('small', {
      widthMult: typeof a.widthMult === 'number' ? a.widthMult : 1,
      stemStride: a.stemStride === 2 ? 2 : 1,
      input: a.input === 'cifar10' ? 'cifar10' : 'fashion-mnist'
    })
    network = buildNetwork(space, parseArchitecture(space, arch), { softmax: true })
  }
  if (!network) throw new LabError('bad_request', `Candidate "${c.name}" carries neither a network nor a small-space architecture, so it cannot be quantized: choose a candidate from a search run.`)
  let weights: Weights | null = null
  if (c.tflite && c.precision !== 'int8') {
    try {
      weights = weightsFromTflite(network, c.tflite)
    } catch {
      weights = null
    }
  }
  return { network, weights }
}

export const runner: JobRunner<QuantizeJobParams, QuantizeCheckpoint, QuantizeJobResult> = {
  async run(ctx) {
    const p = ctx.params
    const cp: QuantizeCheckpoint = ctx.loadCheckpoint() ?? { version: 1 }
    const save = (): Promise<void> => ctx.checkpoint(cp)
    const notes: string[] = []
    const settingsPatch = (patch: Record<string, unknown>): void => {
      void ctx.call('runs.patchSettings', { runId: p.runId, patch }).catch((e: unknown) => ctx.log(`Could not store run settings: ${String(e)}`))
    }
    const stage = (fraction: number, text: string, counters?: Record<string, number>): void => {
      ctx.reportProgress({ fraction, stage: text, counters })
      settingsPatch({ stage: text })
    }
    const budget: Budget = parseBudget(p.budget)
    const space = spaceOf(p.space)
    if (space.kind === 'bits' && budget.metric !== 'size') {
      throw new LabError('bad_request', `The ${p.space} space prices model size only (phones run no 2–7 bit kernels): use a size budget such as size:0.5, or the deploy space for ${budget.metric}.`, 'budget')
    }
    const measureSettings: BenchmarkSettingsInput = { runs: p.measure.runs, warmupRuns: p.measure.warmupRuns, threads: p.measure.threads, energy: p.measure.energy || budget.metric === 'energy' }

    const engine = await initTrainingEngine({ log: (l) => ctx.log(l) })
    settingsPatch({ trainingEngine: engine })
    stage(0.01, `Loading ${p.dataset}`)
    const ds = await loadDataset(p.dataset, { dataDir: p.dataDir })
    const trainImages = p.model.kind === 'small' ? p.model.trainImages : Math.max(1000, p.finetune.images * 4)
    const splits = makeSplits(ds, { seed: p.seed, trainSubset: trainImages, validationSubset: p.evalImages })
    const train = toArrays(splits.train)
    const heldOut = toArrays(splits.validation)

    // ---- 1. the float model
    if (!cp.model) {
      let network: Network
      let weights: Weights | null = null
      let source: string
      if (p.model.kind === 'candidate') {
        const c = await ctx.call<CandidateRecord | null>('candidates.get', { id: p.model.candidateId })
        if (!c) throw new LabError('not_found', `There is no candidate ${p.model.candidateId}; pick one from the candidates list.`)
        const m = modelFromCandidate(c)
        network = m.network
        weights = m.weights
        source = `candidate ${c.name}${weights ? '' : ' (retrained here: it carries no float weights)'}`
      } else {
        const sp = getSpace('small', { widthMult: p.model.widthMult, stemStride: p.model.stemStride, input: p.dataset === 'cifar10' ? 'cifar10' : 'fashion-mnist' })
        network = buildNetwork(sp, parseArchitecture(sp, p.model.arch), { softmax: true })
        source = `small ${p.model.arch} (width ${p.model.widthMult}, stem stride ${p.model.stemStride})`
      }
      if (!weights) {
        const epochs = p.model.kind === 'small' ? p.model.trainEpochs : 2
        const trained = await trainFloat(network, train, { epochs, seed: p.seed, signal: ctx.signal, workers: shardWorkers(trainingWorkers(), FLOAT_BATCH, MIN_FLOAT_SHARD), log: (l) => ctx.log(l) }, (done, total, loss) =>
          ctx.reportProgress({ fraction: 0.02 + 0.13 * (done / total), stage: `Training the float model (Adam, no batch norm, data-parallel): step ${done} of ${total}, loss ${loss.toFixed(3)}` })
        )
        weights = trained.weights
        settingsPatch({ trainingEngine: { ...engine, workers: trained.workers } })
        notes.push(`The float model was trained here for ${epochs} epoch(s) on ${train.count} images with Adam (no batch norm) on ${trained.workers} worker thread(s), so its accuracy is that of a quick run, not a converged one. Policy fine-tuning runs on one thread.`)
      }
      cp.model = { network, weights: weightsToJson(weights), source }
      await save()
    }
    const net = networkFromJson(cp.model.network)
    const weights = weightsFromJson(cp.model.weights)
    const calibration = Array.from({ length: Math.min(CALIBRATION_IMAGES, train.count) }, (_, i) => {
      const per = net.input.shape.reduce((a, b) => a * b, 1)
      return train.x.slice(i * per, (i + 1) * per)
    })
    const layers = quantLayersOf(net)
    const layerInfo: QuantizeLayerInfo[] = layers.map((l) => ({ name: l.name, op: l.op, macs: l.macs, params: l.kernelParams + l.biasParams }))
    const macs = layers.reduce((s, l) => s + l.macs, 0)
    settingsPatch({ layers: layerInfo, modelSource: cp.model.source, notes })

    const evaluator = new PolicyEvaluator({ net, weights, train, heldOut, calibration, finetune: p.finetune, seed: p.seed })
    const exporter = new PolicyExporter(net, weights, calibration)
    const measure = async (model: Uint8Array, settings: BenchmarkSettingsInput, runId: string | null = p.runId) =>
      ctx.call<{ id: string; measurement: Measurement }>('measure', { serial: p.serial, model, settings, runId })
    const device = new DeviceCost(exporter, measure, measureSettings)
    const deployEnv = new QuantEnv(layers, { space: DEPLOY_SPACE })
    const uniform = (precision: LayerPrecision): QuantPolicy => deployEnv.policyOf(deployEnv.uniformLevels(precision))
    const insertCandidate = (c: NewCandidate): Promise<{ id: string }> => ctx.call<{ id: string }>('candidates.insert', c)
    // The float network and weights ride along, so any of these candidates can be quantized again (model: candidate).
    const architecture = { source: 'quantize', model: cp.model.source, network: net, weights: cp.model.weights }

    // ---- 2. uniform baselines, measured on the device and stored
    cp.baselines ??= {}
    if (!cp.baselines.fp32) {
      // One throwaway run first: the phone's first model after a pause runs cold (tool start, caches, clocks), and the
      // fp32 baseline is what fraction budgets are taken against.
      stage(0.14, `Warming up ${p.serial} with one unrecorded run`)
      await measure(exporter.bytes(uniform('fp32')), { ...measureSettings, runs: Math.min(10, p.measure.runs), energy: false }, null)
    }
    for (const [i, precision] of (['fp32', 'fp16', 'int8'] as const).entries()) {
      ctx.signal.throwIfAborted()
      if (cp.baselines[precision]) continue
      const policy = uniform(precision)
      stage(0.15 + 0.03 * i, `Baseline: uniform ${precision}, short fine-tune and measuring on ${p.serial}`)
      const accuracy = await evaluator.evaluate(policy)
      const tflite = exporter.bytes(policy, evaluator.finetune(policy))
      const cost = await device.measurePolicy(policy, tflite)
      const cand = await insertCandidate({
        runId: p.runId,
        name: `uniform ${precision}`,
        architecture,
        precision: { kind: 'deploy', perLayer: Object.fromEntries(policy.layers.map((l) => [l.layer, precision])), policyKey: policyKey(policy), measured: cost, role: 'baseline' },
        accuracy,
        sizeBytes: tflite.length,
        macs,
        tflite
      })
      cp.baselines[precision] = { cost, accuracy, candidateId: cand.id }
      await save()
    }
    const baselines = cp.baselines as Record<LayerPrecision, BaselineState>
    for (const prec of TABLE_PRECISIONS) device.remember(uniform(prec), baselines[prec].cost)

    // ---- 3. the per-layer latency table (op-profiled runs of the uniform models)
    if (cp.table === undefined && space.kind === 'deploy') {
      stage(0.25, `Latency table: op-profiled runs of the uniform fp32, fp16 and int8 models on ${p.serial}`)
      try {
        // Two op-profiled runs per precision, interleaved; the table keeps each layer's faster time.
        const profiles = { fp32: [], fp16: [], int8: [] } as Record<LayerPrecision, Measurement[]>
        for (let round = 0; round < 2; round++) {
          for (const prec of TABLE_PRECISIONS) profiles[prec].push((await measure(exporter.bytes(uniform(prec)), { ...measureSettings, energy: false, profileOps: true }, null)).measurement)
        }
        cp.table = buildLatencyTable(layers.map((l) => l.name), profiles, { fp32: baselines.fp32.cost, fp16: baselines.fp16.cost, int8: baselines.int8.cost })
      } catch (e) {
        if (p.costSource === 'table' || !(e instanceof LabError)) throw e
        notes.push(`No latency table: ${e.message}`)
        cp.table = null
      }
      await save()
    }
    const table = cp.table ?? null
    const tableFigures = (policy: QuantPolicy, sizeBytes: number): CostFigures | null => (table && policy.kind === 'deploy' ? tableCost(table, policy, sizeBytes) : null)

    // ---- 4. the search
    const env = new QuantEnv(layers, { space, pins: space.kind === 'bits' && space.activations ? HAQ_LINEAR_PINS : [] })
    let cost: PolicyCost
    if (space.kind === 'bits') cost = async (policy) => ({ sizeBytes: packedModelBytes(layers, policy, space) })
    else if (p.costSource === 'table') cost = tablePolicyCost(table as LatencyTable, exporter, device.measured)
    else cost = device.cost
    const accuracyFp = space.kind === 'deploy' ? baselines.fp32.accuracy : undefined
    const episodes: QuantizeEpisode[] = (cp.search?.records ?? []).map(episodeRow)
    const fp32Cost = space.kind === 'deploy' ? await cost(uniform('fp32')) : null
    const limit = fp32Cost ? budgetLimit(budget, fp32Cost) : null
    settingsPatch({ budgetLimit: limit, episodes, notes })
    stage(0.3, `Searching: ${p.episodes} episodes under ${p.budget}${limit !== null ? ` (${formatMetric(budget.metric, limit)})` : ''}`)
    const search = await runQuantSearch({
      env,
      budget,
      episodes: p.episodes,
      ddpg: { warmupEpisodes: p.warmupEpisodes, seed: p.seed },
      evaluate: (policy) => evaluator.evaluate(policy),
      cost,
      accuracyFp,
      signal: ctx.signal,
      checkpointEvery: 5,
      resume: cp.search,
      onEpisode: (record, progress) => {
        episodes.push(episodeRow(record))
        const best = progress.best
        const counters: Record<string, number> = { episode: record.episode + 1, episodes: p.episodes, reward: record.reward, accuracy: record.accuracy, sizeBytes: record.cost.sizeBytes }
        if (record.cost.latencyMs !== undefined) counters.latencyMs = record.cost.latencyMs
        if (record.cost.energyMj !== undefined) counters.energyMj = record.cost.energyMj
        if (best) {
          counters.bestReward = best.reward
          counters.bestAccuracy = best.accuracy
        }
        ctx.reportProgress({ fraction: 0.3 + 0.6 * ((record.episode + 1) / p.episodes), stage: `Episode ${record.episode + 1} of ${p.episodes}: accuracy ${record.accuracy.toFixed(1)}%, reward ${record.reward.toFixed(3)}`, counters })
        settingsPatch({ episodes })
      },
      onCheckpoint: async (state) => {
        cp.search = state
        await save()
      }
    })
    const limitValue = search.limit
    settingsPatch({ budgetLimit: limitValue, accuracyFp: search.accuracyFp })

    // ---- 5. the best policies: fine-tune, export, measure on the device, store
    const ranked: EpisodeRecord[] = []
    const seen = new Set<string>()
    // Highest reward first; equal rewards (common: accuracy moves in steps of one image) go to the cheaper policy.
    const costOfRecord = (r: EpisodeRecord): number => {
      try {
        return metricValue(r.cost, budget.metric)
      } catch {
        return r.cost.sizeBytes
      }
    }
    for (const r of [...search.episodes].sort((a, b) => b.reward - a.reward || costOfRecord(a) - costOfRecord(b) || a.episode - b.episode)) {
      const key = policyKey(r.policy)
      if (seen.has(key)) continue
      seen.add(key)
      ranked.push(r)
      if (ranked.length >= p.keepBest) break
    }
    const results: QuantizeResultRow[] = []
    const rowOf = (name: string, role: QuantizeResultRow['role'], policy: QuantPolicy, accuracy: number, measured: MeasuredCost | null, sizeBytes: number, candidateId: string | null, episode: number | null): QuantizeResultRow => {
      const predicted = tableFigures(policy, sizeBytes)
      const figure = measured ?? ({ sizeBytes } as CostFigures)
      let withinBudget: boolean | null = null
      try {
        withinBudget = limitValue !== null ? metricValue(figure, budget.metric) <= limitValue : null
      } catch {
        withinBudget = null
      }
      return {
        name,
        role,
        candidateId,
        precisions: precisionWords(policy),
        accuracy,
        latencyMs: measured?.latencyMs ?? null,
        energyMj: measured?.energyMj ?? null,
        sizeBytes,
        tableLatencyMs: predicted?.latencyMs ?? null,
        tableEnergyMj: predicted?.energyMj ?? null,
        tableLatencyError: relativeDifference(predicted?.latencyMs, measured?.latencyMs),
        withinBudget,
        episode,
        measurementId: measured?.measurementId ?? null
      }
    }
    for (const prec of TABLE_PRECISIONS) {
      const b = baselines[prec]
      results.push(rowOf(`uniform ${prec}`, 'baseline', uniform(prec), b.accuracy, b.cost, b.cost.sizeBytes, b.candidateId, null))
    }
    for (const [i, r] of ranked.entries()) {
      ctx.signal.throwIfAborted()
      stage(0.9 + 0.09 * (i / ranked.length), `Best policy ${i + 1} of ${ranked.length} (episode ${r.episode + 1}): fine-tune, export and measure on ${p.serial}`)
      const name = `HAQ #${i + 1} (episode ${r.episode + 1}, ${p.budget})`
      if (r.policy.kind === 'bits') {
        const cand = await insertCandidate({ runId: p.runId, name, architecture, precision: { kind: 'bits', quantizer: r.policy.quantizer, layers: r.policy.layers, policyKey: policyKey(r.policy), role: 'best' }, accuracy: r.accuracy, sizeBytes: r.cost.sizeBytes, macs })
        results.push(rowOf(name, 'best', r.policy, r.accuracy, null, r.cost.sizeBytes, cand.id, r.episode))
        continue
      }
      const tflite = exporter.bytes(r.policy, evaluator.finetune(r.policy))
      const measured = await device.measurePolicy(r.policy, tflite)
      const predicted = tableFigures(r.policy, tflite.length)
      const cand = await insertCandidate({
        runId: p.runId,
        name,
        architecture,
        precision: { kind: 'deploy', perLayer: Object.fromEntries(r.policy.layers.map((l) => [l.layer, l.precision])), policyKey: policyKey(r.policy), measured, table: predicted, role: 'best', episode: r.episode, reward: r.reward },
        accuracy: r.accuracy,
        sizeBytes: tflite.length,
        macs,
        predictedLatencyMs: predicted?.latencyMs ?? null,
        predictedEnergyMj: predicted?.energyMj ?? null,
        tflite
      })
      results.push(rowOf(name, 'best', r.policy, r.accuracy, measured, tflite.length, cand.id, r.episode))
    }
    const best = results.find((r) => r.role === 'best')
    if (best && best.withinBudget === false) {
      notes.push(`Measured on the device, the best policy needs ${best.latencyMs?.toFixed(2) ?? '?'} ms, above the budget the ${p.costSource === 'table' ? 'table' : 'earlier measurement'} said it met: the phone's timing varies between runs; compare the table-vs-device column.`)
    }
    settingsPatch({ results, notes, stage: 'Done' })

    const figures: Record<string, number> = { accuracyFp: search.accuracyFp, episodes: search.episodes.length }
    if (best) {
      if (best.accuracy !== null) figures.bestAccuracy = best.accuracy
      figures.bestSizeBytes = best.sizeBytes
      if (best.latencyMs !== null) {
        figures.bestLatencyMs = best.latencyMs
        figures.latencyReduction = 1 - best.latencyMs / baselines.fp32.cost.latencyMs
      }
      if (best.energyMj !== null && baselines.fp32.cost.energyMj) {
        figures.bestEnergyMj = best.energyMj
        figures.energyReduction = 1 - best.energyMj / baselines.fp32.cost.energyMj
      }
    }
    figures.fp32LatencyMs = baselines.fp32.cost.latencyMs
    figures.int8LatencyMs = baselines.int8.cost.latencyMs
    if (limitValue !== null) figures.budgetLimit = limitValue
    await ctx.call('runs.setFigures', { runId: p.runId, figures })
    ctx.reportProgress({ fraction: 1, stage: best ? `Done: best ${best.accuracy?.toFixed(1)}% at ${best.latencyMs?.toFixed(2) ?? '–'} ms on the device` : 'Done' })
    return { runId: p.runId, accuracyFp: search.accuracyFp, results }
  }
}

