// Search commands: `search` (a ProxylessNAS run against a device's measured latency or energy) and `candidates`.
import { SearchRequestSchema, type CandidateInfo, type SearchRequestInput, type SearchResult } from '../../shared/contract/search'
import { searchHandlers } from '../nas/handlers'
import { EXIT_OK, UsageError, type Command, type CommandContext } from './command'
import { followJob } from './core-commands'

function numberList(ctx: CommandContext, name: string): number[] | undefined {
  const raw = ctx.values[name]
  if (raw === undefined) return undefined
  const list = String(raw)
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
    .map(Number)
  if (list.length === 0 || list.some((n) => !Number.isFinite(n))) throw new UsageError(`--${name} takes numbers separated by commas, e.g. 5,10,20 (got "${String(raw)}").`)
  return list
}

function intOption(ctx: CommandContext, name: string): number | undefined {
  const raw = ctx.values[name]
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number (got "${String(raw)}").`)
  return n
}

const pct = (x: number | null): string => (x === null ? '–' : `${(100 * x).toFixed(1)}%`)
const ms = (x: number | null): string => (x === null ? '–' : x.toFixed(3))

export function describeCandidates(list: CandidateInfo[]): string {
  const head = `${'candidate'.padEnd(44)} ${'acc'.padStart(6)} ${'meas ms'.padStart(9)} ${'pred ms'.padStart(9)} ${'mJ'.padStart(7)} ${'KB'.padStart(7)} ${'MMACs'.padStart(7)}  architecture`
  const rows = list.map(
    (c) =>
      `${c.name.slice(0, 44).padEnd(44)} ${pct(c.accuracy).padStart(6)} ${ms(c.measuredLatencyMs).padStart(9)} ${ms(c.predictedLatencyMs).padStart(9)} ${(c.measuredEnergyMj === null ? '–' : c.measuredEnergyMj.toFixed(3)).padStart(7)} ${(c.sizeBytes / 1024).toFixed(0).padStart(7)} ${(c.macs / 1e6).toFixed(2).padStart(7)}  ${c.architecture.architecture}`
  )
  return [head, ...rows].join('\n')
}

export const searchCommands: Command[] = [
  {
    name: 'search',
    summary: 'Search architectures with ProxylessNAS against a device’s measured latency (or energy), then train, export and measure them',
    usage:
      'proxyless-lab search --device SERIAL [--dataset fashion-mnist] [--target-ms 5,10,20 | --target-mj 1,2 | --lambda 0.1,1] [--objective latency|energy] [--loss abs#linear|mul#log|add#linear] [--derive within-target|argmax] [--table ID] [--stem-stride 1|2] [--width W] [--epochs W,S,R[,B]] [--train-images N] [--batch N] [--retrain inherit|scratch] [--no-baselines] [--seed N] [--json]',
    options: {
      device: { type: 'string' },
      dataset: { type: 'string' },
      'target-ms': { type: 'string' },
      'target-mj': { type: 'string' },
      lambda: { type: 'string' },
      objective: { type: 'string' },
      loss: { type: 'string' },
      derive: { type: 'string' },
      table: { type: 'string' },
      'stem-stride': { type: 'string' },
      width: { type: 'string' },
      epochs: { type: 'string' },
      'train-images': { type: 'string' },
      batch: { type: 'string' },
      retrain: { type: 'string' },
      'no-baselines': { type: 'boolean', default: false },
      seed: { type: 'string' },
      adb: { type: 'string', multiple: true }
    },
    details:
      'Without --table the search first measures every block of the space on the device; with it, the stem stride and width must be those the table was measured with (Profile measures the small space at stride 2 unless told otherwise). --epochs W,S,R[,B] sets warm-up, search, retrain and baseline epochs (baselines default to W+S+R with inherited weights, R from scratch, so they train as long as a searched network’s weights). Ctrl-C cancels; `proxyless-lab jobs resume JOB_ID` continues from the last epoch.',
    async run(ctx) {
      const serial = ctx.values.device as string | undefined
      if (!serial) throw new UsageError('Name the device to search for with --device SERIAL (or --device host for this computer).')
      const req: SearchRequestInput = { serial }
      if (ctx.values.dataset !== undefined) req.dataset = ctx.values.dataset as SearchRequestInput['dataset']
      const targetsMs = numberList(ctx, 'target-ms')
      const targetsMj = numberList(ctx, 'target-mj')
      const lambdas = numberList(ctx, 'lambda')
      if (targetsMs) req.targetsMs = targetsMs
      if (targetsMj) req.targetsMj = targetsMj
      if (lambdas) req.lambdas = lambdas
      if (ctx.values.objective !== undefined) req.objective = ctx.values.objective as SearchRequestInput['objective']
      if (ctx.values.loss !== undefined) req.lossForm = ctx.values.loss as SearchRequestInput['lossForm']
      if (ctx.values.derive !== undefined) req.derive = ctx.values.derive as SearchRequestInput['derive']
      if (ctx.values.table !== undefined) req.tableId = ctx.values.table as string
      const stride = intOption(ctx, 'stem-stride')
      if (stride !== undefined) {
        if (stride !== 1 && stride !== 2) throw new UsageError('--stem-stride is 1 or 2 (2 trains about 4x faster on 28x28 images; it must match the table).')
        req.stemStride = stride
      }
      const width = numberList(ctx, 'width')
      if (width) req.widthMult = width[0]
      const epochs = numberList(ctx, 'epochs')
      if (epochs) {
        if (epochs.length !== 3 && epochs.length !== 4) throw new UsageError('--epochs takes three or four numbers: warm-up, search, retrain and (optionally) baseline epochs, e.g. 2,2,3 or 2,2,3,7.')
        req.epochs = { warmup: epochs[0], search: epochs[1], retrain: epochs[2], ...(epochs.length === 4 ? { baseline: epochs[3] } : {}) }
      }
      const train = intOption(ctx, 'train-images')
      if (train !== undefined) req.subset = { train }
      const batch = intOption(ctx, 'batch')
      if (batch !== undefined) req.batchSize = batch
      if (ctx.values.retrain !== undefined) req.retrain = ctx.values.retrain as SearchRequestInput['retrain']
      if (ctx.values['no-baselines']) req.baselines = []
      const seed = intOption(ctx, 'seed')
      if (seed !== undefined) req.seed = seed
      const parsed = SearchRequestSchema.safeParse(req)
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        throw new UsageError(`Setting ${issue.path.join('.')} ${issue.message}.`)
      }
      const job = await ctx.call('search.start', parsed.data)
      ctx.out.info(`Search job ${job.id} (run ${job.runId}) started; Ctrl-C cancels it.`)
      const { job: done, code } = await followJob(ctx, job)
      if (done.state !== 'succeeded') {
        ctx.out.result({ error: { code: 'failed', message: done.error ?? done.state }, job: done }, () => `Search ${done.state}: ${done.error ?? ''}\nResume it with: proxyless-lab jobs resume ${done.id}`)
        return code
      }
      const result = done.result as SearchResult
      ctx.out.result(result, () => `${describeCandidates(result.candidates)}\nBest searched accuracy: ${pct(result.bestAccuracy)} · run ${result.runId}`)
      return EXIT_OK
    }
  },
  {
    name: 'candidates',
    summary: 'List the candidates of searches (accuracy, measured and predicted latency, energy, size, MACs)',
    usage: 'proxyless-lab candidates [--run RUN_ID] [--json]',
    options: { run: { type: 'string' } },
    async run(ctx) {
      const lab = await ctx.lab()
      const list = await searchHandlers(lab)['candidates.list']({ runId: ctx.values.run as string | undefined })
      ctx.out.result(list, () => (list.length === 0 ? 'No candidates yet: run `proxyless-lab search --device SERIAL`.' : describeCandidates(list)))
      return EXIT_OK
    }
  }
]
