// Profile commands: profile (build a lookup table on a device), table list|export|import.
import fs from 'node:fs'
import path from 'node:path'
import type { LookupTableSummary } from '../../shared/api'
import { LabError } from '../../shared/api'
import { ProfileRequestSchema, describeCalibration } from '../../shared/contract/profile'
import type { ProfileJobResult } from '../profile/job'
import { EXIT_OK, UsageError, type Command, type CommandContext } from './command'
import { followJob } from './core-commands'
import { ADB_OPTION } from './device-commands'

function intValue(ctx: CommandContext, name: string): number | undefined {
  const raw = ctx.values[name]
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number (got "${String(raw)}").`)
  return n
}

function describeTable(t: LookupTableSummary): string {
  const check = t.check ? `, check ${(100 * t.check.within10Pct).toFixed(0)}% within ±10% of ${t.check.networks} (RMSE ${t.check.rmseMs.toFixed(3)} ms, τ ${t.check.kendallTau.toFixed(2)})` : ''
  return `${t.id}  ${t.space} on ${t.deviceLabel} (${t.deviceSerial})  ${t.entries} keys  ${t.method} ${t.precision} ${t.source}${check}  ${new Date(t.createdAt).toISOString()}`
}

export const profileCommands: Command[] = [
  {
    name: 'profile',
    summary: 'Measure every block of a search space on a device and store the latency lookup table',
    usage: 'proxyless-lab profile --device SERIAL|host --space mobile|small [--stem-stride 1|2] [--packed|--per-block|--both] [--runs N] [--warmup N] [--threads N] [--cool-down MS] [--check N] [--precision fp32|fp16|int8] [--energy] [--adb HOST:PORT]... [--json]',
    details: 'Packed (default) times many blocks per model from op profiling; --per-block runs one model per block; --both compares them. --check N measures N random networks end to end to check the predictor (default 30). --rounds N passes over every model, interleaved, and keeps the median per key and network (default 3; 1 is fastest, more resists a device that changes speed). The small space is measured with stem stride 2 (as the search by default) unless --stem-stride 1. Ctrl-C cancels; "proxyless-lab jobs resume ID" continues without re-measuring.',
    options: {
      ...ADB_OPTION,
      device: { type: 'string' },
      space: { type: 'string' },
      'stem-stride': { type: 'string' },
      packed: { type: 'boolean', default: false },
      'per-block': { type: 'boolean', default: false },
      both: { type: 'boolean', default: false },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      threads: { type: 'string' },
      'cool-down': { type: 'string' },
      check: { type: 'string' },
      rounds: { type: 'string' },
      precision: { type: 'string' },
      energy: { type: 'boolean', default: false }
    },
    async run(ctx) {
      const serial = ctx.values.device as string | undefined
      if (!serial) throw new UsageError('Choose a device with --device SERIAL (see "proxyless-lab devices"), or --device host for this computer.')
      const chosen = (['packed', 'per-block', 'both'] as const).filter((m) => ctx.values[m])
      if (chosen.length > 1) throw new UsageError('Choose one of --packed, --per-block, --both.')
      const parsed = ProfileRequestSchema.safeParse({
        serial,
        space: ctx.values.space ?? 'small',
        stemStride: intValue(ctx, 'stem-stride'),
        method: chosen[0] ?? 'packed',
        precision: ctx.values.precision,
        coolDownMs: intValue(ctx, 'cool-down'),
        checkNetworks: intValue(ctx, 'check'),
        rounds: intValue(ctx, 'rounds'),
        settings: { runs: intValue(ctx, 'runs') ?? 30, warmupRuns: intValue(ctx, 'warmup') ?? 5, threads: intValue(ctx, 'threads'), energy: Boolean(ctx.values.energy) }
      })
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        throw new UsageError(`Setting ${issue.path.join('.')} ${issue.message}.`)
      }
      const job = await ctx.call('profile.start', parsed.data)
      const { job: done, code } = await followJob(ctx, job)
      if (done.state !== 'succeeded') {
        ctx.out.result({ error: { code: 'failed', message: done.error ?? done.state }, job: done }, () => `Profile ${done.state}: ${done.error ?? ''}${done.state === 'cancelled' ? `\nResume it with: proxyless-lab jobs resume ${done.id}` : ''}`)
        return code
      }
      const result = done.result as ProfileJobResult
      const table = await ctx.call('tables.get', { id: result.tableId })
      ctx.out.result({ table: { ...table, rows: undefined }, result }, () => {
        const lines = [describeTable(table)]
        const d = result.durationMs
        lines.push(`  time: ${d.packed !== null ? `packed ${(d.packed / 1000).toFixed(1)} s` : ''}${d.packed !== null && d.perBlock !== null ? ', ' : ''}${d.perBlock !== null ? `per-block ${(d.perBlock / 1000).toFixed(1)} s` : ''}, check ${(d.check / 1000).toFixed(1)} s`)
        if (result.packedFallbackKeys.length) lines.push(`  ${result.packedFallbackKeys.length} keys were measured one model per block: their probe's op profile did not line up (see the job log)`)
        if (result.agreement) lines.push(`  packed vs per-block: median |diff| ${result.agreement.medianAbsDiffPct.toFixed(1)}%, ${(100 * result.agreement.within10Pct).toFixed(0)}% of keys within ±10%`)
        if (table.check) lines.push(`  predictor: latency = ${describeCalibration(table.check)}`)
        return lines.join('\n')
      })
      return EXIT_OK
    }
  },
  {
    name: 'table list',
    summary: 'List stored lookup tables',
    usage: 'proxyless-lab table list [--device SERIAL] [--space NAME] [--json]',
    options: { device: { type: 'string' }, space: { type: 'string' } },
    async run(ctx) {
      const list = await ctx.call('tables.list', { serial: ctx.values.device as string | undefined, space: ctx.values.space as string | undefined })
      ctx.out.result(list, () => (list.length ? list.map(describeTable).join('\n') : 'No lookup tables yet; build one with "proxyless-lab profile".'))
      return EXIT_OK
    }
  },
  {
    name: 'table export',
    summary: 'Write a lookup table as YAML (ProxylessNAS / Once-for-All key scheme)',
    usage: 'proxyless-lab table export ID [--out FILE] [--json]',
    options: { out: { type: 'string' } },
    async run(ctx) {
      if (ctx.positionals.length !== 1) throw new UsageError('Give exactly one table id (see "proxyless-lab table list").')
      const { yaml, fileName } = await ctx.call('tables.export', { id: ctx.positionals[0] })
      const out = ctx.values.out as string | undefined
      if (!out) {
        if (ctx.out.json) ctx.out.result({ yaml, fileName }, () => yaml)
        else process.stdout.write(yaml)
        return EXIT_OK
      }
      const file = path.resolve(out)
      fs.mkdirSync(path.dirname(file), { recursive: true })
      fs.writeFileSync(file, yaml)
      ctx.out.result({ path: file, fileName }, () => `Wrote ${file}`)
      return EXIT_OK
    }
  },
  {
    name: 'table import',
    summary: 'Import a lookup table from YAML (e.g. a published ProxylessNAS / OFA table)',
    usage: 'proxyless-lab table import FILE --device SERIAL --space mobile|small [--name NAME] [--json]',
    options: { device: { type: 'string' }, space: { type: 'string' }, name: { type: 'string' } },
    async run(ctx) {
      if (ctx.positionals.length !== 1) throw new UsageError('Give exactly one YAML file.')
      const file = path.resolve(ctx.positionals[0])
      if (!fs.existsSync(file)) throw new LabError('not_found', `There is no file at ${file}.`)
      const serial = ctx.values.device as string | undefined
      const space = ctx.values.space as string | undefined
      if (!serial || (space !== 'mobile' && space !== 'small')) throw new UsageError('Say which device and space the table is for: --device SERIAL --space mobile|small.')
      const name = ctx.values.name as string | undefined
      const t = await ctx.call('tables.import', { yaml: fs.readFileSync(file, 'utf8'), serial, space, ...(name ? { name } : {}) })
      ctx.out.result(t, () => `Imported ${describeTable(t)}`)
      return EXIT_OK
    }
  }
]
