// proxyless-lab quantize: HAQ mixed precision for one phone under a budget, with the progress bar and a results table.
import { LabError, type QuantizeRequestInput, type QuantizeResultRow } from '../../shared/api'
import { EXIT_OK, UsageError, type Command, type CommandContext } from './command'
import { followJob } from './core-commands'
import { ADB_OPTION } from './device-commands'

function intValue(ctx: CommandContext, name: string): number | undefined {
  const raw = ctx.values[name]
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${name} must be a whole number (got "${String(raw)}").`)
  return n
}

/** 'small:k3e3-…' or a candidate id. */
export function parseModelOption(text: string): QuantizeRequestInput['model'] {
  if (text.startsWith('small:')) return { kind: 'small', arch: text.slice('small:'.length) }
  if (text.length === 0) throw new UsageError('--model needs a candidate id or small:ARCH.')
  return { kind: 'candidate', candidateId: text }
}

const f = (x: number | null, digits = 2): string => (x === null ? '–' : x.toFixed(digits))

export function describeResults(rows: QuantizeResultRow[]): string {
  const header = ['policy', 'acc %', 'latency ms', 'table ms', 'energy mJ', 'size KB', 'budget']
  const lines = rows.map((r) => [r.name, f(r.accuracy, 1), f(r.latencyMs, 3), f(r.tableLatencyMs, 3), f(r.energyMj, 3), (r.sizeBytes / 1000).toFixed(1), r.withinBudget === null ? '–' : r.withinBudget ? 'ok' : 'over'])
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)))
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ')
  const best = rows.find((r) => r.role === 'best')
  const out = [fmt(header), ...lines.map(fmt)]
  if (best) out.push('', `best policy, layer by layer: ${best.precisions.join(' ')}`)
  return out.join('\n')
}

export const quantizeCommands: Command[] = [
  {
    name: 'quantize',
    summary: 'HAQ mixed precision: pick fp32 / fp16 / int8 per layer for a phone under a latency, energy or size budget',
    usage:
      'proxyless-lab quantize --model CANDIDATE|small:ARCH --device SERIAL --budget latency:0.6 [--episodes N] [--warmup N] [--dataset fashion-mnist] [--cost table|device] [--space deploy|linear|kmeans] [--finetune-images N] [--eval-images N] [--seed N] [--adb HOST:PORT]... [--json]',
    options: {
      ...ADB_OPTION,
      model: { type: 'string' },
      device: { type: 'string' },
      budget: { type: 'string' },
      episodes: { type: 'string' },
      warmup: { type: 'string' },
      dataset: { type: 'string' },
      cost: { type: 'string' },
      space: { type: 'string' },
      'finetune-images': { type: 'string' },
      'eval-images': { type: 'string' },
      seed: { type: 'string' }
    },
    details: [
      'Budgets: latency:0.6 = 60% of the measured fp32 latency; latency:6ms, energy:0.5, energy:2mJ, size:200KB.',
      'The uniform fp32, fp16 and int8 models are always measured on the device and stored; so are the best policies found.',
      'Example: proxyless-lab quantize --model small:k3e3-k3e3-k5e3-zero-k3e6-k3e3-k3e3 --device 127.0.0.1:40001 --budget latency:0.8 --episodes 16'
    ].join('\n'),
    async run(ctx) {
      const model = ctx.values.model as string | undefined
      const serial = ctx.values.device as string | undefined
      const budget = ctx.values.budget as string | undefined
      if (!model) throw new UsageError('Choose the model with --model CANDIDATE_ID (from a search run) or --model small:ARCH (trained here briefly).')
      if (!serial) throw new UsageError('Choose the phone with --device SERIAL (see "proxyless-lab devices").')
      if (!budget) throw new UsageError('Give a budget with --budget, e.g. latency:0.6 (60% of the fp32 latency), energy:2mJ or size:200KB.')
      const cost = ctx.values.cost as string | undefined
      if (cost !== undefined && cost !== 'table' && cost !== 'device') throw new UsageError('--cost must be table or device.')
      const space = ctx.values.space as string | undefined
      if (space !== undefined && space !== 'deploy' && space !== 'linear' && space !== 'kmeans') throw new UsageError('--space must be deploy, linear or kmeans.')
      const episodes = intValue(ctx, 'episodes')
      const warmup = intValue(ctx, 'warmup')
      const finetuneImages = intValue(ctx, 'finetune-images')
      const request: QuantizeRequestInput = {
        serial,
        model: parseModelOption(model),
        budget,
        ...(episodes !== undefined ? { episodes } : {}),
        ...(warmup !== undefined ? { warmupEpisodes: warmup } : episodes !== undefined ? { warmupEpisodes: Math.min(6, Math.max(0, Math.floor(episodes / 3))) } : {}),
        ...(ctx.values.dataset ? { dataset: ctx.values.dataset as 'fashion-mnist' } : {}),
        ...(cost ? { costSource: cost as 'table' | 'device' } : {}),
        ...(space ? { space: space as 'deploy' } : {}),
        ...(finetuneImages !== undefined ? { finetune: { images: finetuneImages } } : {}),
        ...(intValue(ctx, 'eval-images') !== undefined ? { evalImages: intValue(ctx, 'eval-images') } : {}),
        ...(intValue(ctx, 'seed') !== undefined ? { seed: intValue(ctx, 'seed') } : {})
      }
      const job = await ctx.call('quantize.start', request)
      const { job: done, code } = await followJob(ctx, job)
      const report = await ctx.call('quantize.episodes', { runId: job.runId as string })
      if (done.state !== 'succeeded') {
        ctx.out.result({ error: { code: 'failed', message: done.error ?? done.state }, job: done, report }, () => `Quantization ${done.state}: ${done.error ?? ''}`)
        return code
      }
      if (report.results.length === 0) throw new LabError('internal', 'The quantize job succeeded but stored no results.')
      ctx.out.result(report, () =>
        [
          `Run ${report.runId}: ${report.episodes.length} episodes, fp32 accuracy ${f(report.accuracyFp, 1)}% (after the same short fine-tune), budget ${report.budget?.text ?? ''}`,
          '',
          describeResults(report.results),
          ...report.notes.map((n) => `note: ${n}`)
        ].join('\n')
      )
      return EXIT_OK
    }
  }
]
