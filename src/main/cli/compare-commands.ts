// Runs and Compare on the command line: runs, compare RUN RUN…, export RUN.
import fs from 'node:fs'
import path from 'node:path'
import type { CompareFronts, RunSummary } from '../../shared/api'
import { formatAccuracy, formatNumber } from '../compare/report'
import { EXIT_OK, UsageError, type Command, type CommandContext } from './command'
import { formatDuration } from './output'

function objectiveOf(ctx: CommandContext): 'latency' | 'energy' {
  const raw = (ctx.values.objective as string | undefined) ?? 'latency'
  if (raw !== 'latency' && raw !== 'energy') throw new UsageError(`--objective must be latency or energy (got "${raw}").`)
  return raw
}

export function describeRun(r: RunSummary): string {
  const duration = r.finishedAt !== null ? formatDuration(r.finishedAt - r.createdAt) : r.status
  const figures = Object.entries(r.figures)
    .slice(0, 4)
    .map(([k, v]) => `${k} ${formatNumber(v)}`)
    .join(', ')
  const when = new Date(r.createdAt).toISOString().slice(0, 16).replace('T', ' ')
  return `${r.id}  ${r.kind.padEnd(8)} ${r.status.padEnd(11)} ${when}  ${duration.padEnd(10)} ${r.deviceSerial ?? 'host'}  ${r.name}${r.tags.length ? `  [${r.tags.join(', ')}]` : ''}${figures ? `\n    ${figures}` : ''}`
}

export function describeFronts(f: CompareFronts): string {
  const names = new Map(f.runs.map((r) => [r.runId, r.name]))
  const lines: string[] = [
    `Accuracy against ${f.xAxis} ${f.objective} (${f.xUnit}); reference point ${f.reference ? `${formatNumber(f.reference[0])} ${f.xUnit}, accuracy ${formatAccuracy(f.reference[1])}` : 'none (no points)'}`,
    ''
  ]
  for (const r of f.runs) {
    lines.push(`${r.name} (${r.runId}) on ${r.deviceLabel}: ${r.points.length} points, ${r.front.length} on the front, hypervolume ${formatNumber(r.hypervolume, 4)}${r.missing ? `, ${r.missing} left out (no accuracy or no figure)` : ''}`)
    const onFront = new Set(r.front)
    for (const p of r.points.filter((q) => onFront.has(q.candidateId)).sort((a, b) => a.x - b.x)) {
      lines.push(`    ${formatNumber(p.x).padStart(8)} ${f.xUnit}  ${formatAccuracy(p.accuracy).padStart(7)}  ${p.name}`)
    }
  }
  if (f.attainment.length) {
    lines.push('', 'Attainment (area one front reaches that the other does not; C = share of the other run covered):')
    for (const a of f.attainment) {
      lines.push(`  ${names.get(a.runA)} vs ${names.get(a.runB)}: only A ${formatNumber(a.addedByA, 4)}, only B ${formatNumber(a.addedByB, 4)}, C(A,B) ${(a.coverageAB * 100).toFixed(0)} %, C(B,A) ${(a.coverageBA * 100).toFixed(0)} %`)
    }
  }
  return lines.join('\n')
}

export const compareCommands: Command[] = [
  {
    name: 'runs',
    summary: 'List runs (profiles, searches, quantizations, measurements) with device, status, duration and figures',
    usage: 'proxyless-lab runs [--kind profile|search|quantize|measure] [--json]',
    options: { kind: { type: 'string' } },
    async run(ctx) {
      const kind = ctx.values.kind as string | undefined
      if (kind !== undefined && !['profile', 'search', 'quantize', 'measure', 'demo'].includes(kind)) throw new UsageError(`--kind must be profile, search, quantize or measure (got "${kind}").`)
      const runs = await ctx.call('runs.list', { kind: kind as RunSummary['kind'] | undefined })
      ctx.out.result(runs, () => (runs.length ? runs.map(describeRun).join('\n') : 'No runs yet.'))
      return EXIT_OK
    }
  },
  {
    name: 'compare',
    summary: 'Pareto fronts of runs (accuracy vs measured latency or energy), hypervolumes and attainment',
    usage: 'proxyless-lab compare RUN [RUN...] [--objective latency|energy] [--predicted] [--device SERIAL] [--json]',
    options: { objective: { type: 'string' }, predicted: { type: 'boolean', default: false }, device: { type: 'string' } },
    details: 'Every run is judged against one shared reference point, so their hypervolumes can be compared.\nExample: proxyless-lab compare run-abc run-def --objective energy',
    async run(ctx) {
      if (ctx.positionals.length === 0) throw new UsageError('Name at least one run id (see "proxyless-lab runs").')
      const fronts = await ctx.call('compare.fronts', {
        runIds: ctx.positionals,
        objective: objectiveOf(ctx),
        xAxis: ctx.values.predicted ? 'predicted' : 'measured',
        serial: ctx.values.device as string | undefined
      })
      ctx.out.result(fronts, () => describeFronts(fronts))
      return EXIT_OK
    }
  },
  {
    name: 'export',
    summary: 'Export a run: JSON bundle (importable elsewhere), candidates as CSV, or a self-contained HTML report',
    usage: 'proxyless-lab export RUN --format csv|json|html [--objective latency|energy] [--out FILE] [--json]',
    options: { format: { type: 'string' }, out: { type: 'string' }, objective: { type: 'string' } },
    async run(ctx) {
      if (ctx.positionals.length !== 1) throw new UsageError('Name exactly one run id (see "proxyless-lab runs").')
      const format = (ctx.values.format as string | undefined) ?? 'json'
      if (format !== 'csv' && format !== 'json' && format !== 'html') throw new UsageError(`--format must be csv, json or html (got "${format}").`)
      const file = await ctx.call('runs.export', { id: ctx.positionals[0], format, objective: objectiveOf(ctx) })
      const out = ctx.values.out as string | undefined
      if (out === undefined || out === '-') {
        process.stdout.write(file.content)
        return EXIT_OK
      }
      const target = path.resolve(out)
      fs.writeFileSync(target, file.content)
      ctx.out.result({ file: target, bytes: Buffer.byteLength(file.content) }, () => `Wrote ${target} (${formatNumber(Buffer.byteLength(file.content) / 1024)} KiB).`)
      return EXIT_OK
    }
  }
]
