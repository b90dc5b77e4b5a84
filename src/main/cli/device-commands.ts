// Device commands: devices, run-model, virtual-phone start|list|stop.
import fs from 'node:fs'
import path from 'node:path'
import type { DeviceInfo, Measurement } from '../../shared/api'
import { BenchmarkSettingsSchema, LabError } from '../../shared/api'
import { listVirtualPhoneDaemons, startVirtualPhoneDaemon, stopVirtualPhoneDaemon } from '../devices/virtual/daemon'
import { EXIT_OK, UsageError, type Command, type CommandContext, type OptionSpec } from './command'
import { followJob } from './core-commands'

/** Every command that talks to phones takes --adb HOST:PORT (repeatable); the local server follows ADB_SERVER_SOCKET / ANDROID_ADB_SERVER_PORT. */
export const ADB_OPTION: OptionSpec = { adb: { type: 'string', multiple: true } }

function intValue(ctx: CommandContext, name: string): number | undefined {
  const raw = ctx.values[name]
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isInteger(n)) throw new UsageError(`--${name} must be a whole number (got "${raw}").`)
  return n
}

export function describeDevice(d: DeviceInfo): string {
  const lines = [`${d.serial}  ${d.label}  [${d.kind}${d.modelled ? ', modelled energy' : ''}]  ${d.state}`]
  if (d.stateHint) lines.push(`    ${d.stateHint}`)
  const facts: string[] = []
  if (d.manufacturer || d.model) facts.push([d.manufacturer, d.model].filter(Boolean).join(' '))
  if (d.soc) facts.push(`SoC ${d.soc}`)
  if (d.abis.length) facts.push(d.abis.join(','))
  if (d.androidVersion) facts.push(`Android ${d.androidVersion} (SDK ${d.sdk ?? '?'})`)
  if (d.cpuClusters.length) facts.push(d.cpuClusters.map((c) => `${c.cores.length}×${c.maxFreqKhz ? (c.maxFreqKhz / 1e6).toFixed(2) + ' GHz' : '?'}`).join(' + '))
  if (d.batteryLevelPct !== null) facts.push(`battery ${d.batteryLevelPct}%${d.batteryTempC !== null ? ` ${d.batteryTempC} °C` : ''}${d.chargingSource && d.chargingSource !== 'none' ? `, charging (${d.chargingSource})` : ''}`)
  if (d.wirelessAdb) facts.push('wireless adb')
  if (facts.length) lines.push('    ' + facts.join(' · '))
  return lines.join('\n')
}

export function describeMeasurement(m: Measurement): string {
  const s = m.steady
  const f = (x: number | null | undefined) => (x === null || x === undefined ? '–' : x.toFixed(3))
  const lines = [
    `${m.serial}: ${s.count} runs, mean ${f(s.meanMs)} ms, std ${f(s.stdMs)}, min ${f(s.minMs)}, max ${f(s.maxMs)}, median ${f(s.medianMs)} ms`,
    `  init ${f(m.initMs)} ms, first ${f(m.firstMs)} ms${m.warmup ? `, warm-up mean ${f(m.warmup.meanMs)} ms` : ''}; ${m.settings.threads} thread(s); tool: ${m.tool}`
  ]
  if (m.memory.overallMb !== null || m.memory.peakMb !== null) lines.push(`  memory: init ${f(m.memory.initMb)} MB, overall ${f(m.memory.overallMb)} MB, peak ${f(m.memory.peakMb)} MB`)
  if (m.energy) {
    lines.push(
      `  energy: ${m.energy.energyPerInferenceMj.toFixed(3)} ± ${m.energy.uncertaintyMj.toFixed(3)} mJ per inference${m.energy.modelled ? ' (modelled battery)' : ''}${m.energy.reliable ? '' : ` — UNRELIABLE: ${m.energy.unreliableReason}`}`
    )
  }
  const ops = [...m.ops].sort((a, b) => b.avgMs - a.avgMs).slice(0, 8)
  if (ops.length) lines.push('  slowest ops:', ...ops.map((o) => `    ${o.avgMs.toFixed(3).padStart(9)} ms  ${o.nodeType}  ${o.name}`))
  for (const w of m.warnings) lines.push(`  note: ${w}`)
  return lines.join('\n')
}

/**
 * Wait briefly until phones that are coming up (offline → device, just after `adb connect`) have settled and every
 * ready phone has its card read (cards are read right after a phone appears).
 */
async function waitForCards(ctx: CommandContext): Promise<DeviceInfo[]> {
  const deadline = Date.now() + 8000
  for (;;) {
    const list = await ctx.call('devices.list', {})
    const settling = list.some((d) => d.state === 'connecting' || d.state === 'offline' || (d.state === 'device' && d.model === null))
    if (!settling || Date.now() > deadline) return list
    await new Promise((r) => setTimeout(r, 100))
  }
}

export const deviceCommands: Command[] = [
  {
    name: 'devices',
    summary: 'List measurement targets: this computer, phones on every adb server, virtual phones',
    usage: 'proxyless-lab devices [--adb HOST:PORT]... [--json]',
    options: ADB_OPTION,
    async run(ctx) {
      const list = await waitForCards(ctx)
      const status = await ctx.call('devices.status', {})
      ctx.out.result({ devices: list, ...status }, () =>
        [...list.map(describeDevice), ...(status.adbProblem ? [`\nPhones unavailable: ${status.adbProblem}`] : []), ...status.servers.filter((s) => s.error).map((s) => `adb server ${s.label}: ${s.error}`)].join('\n')
      )
      return EXIT_OK
    }
  },
  {
    name: 'run-model',
    summary: 'Measure any .tflite on a device (latency statistics, per-op times, memory, energy)',
    usage: 'proxyless-lab run-model FILE --device SERIAL|host [--threads N] [--runs N] [--warmup N] [--cpu-mask HEX] [--delegate none|xnnpack|gpu|nnapi] [--profile-ops] [--energy] [--adb HOST:PORT]... [--json]',
    options: {
      ...ADB_OPTION,
      device: { type: 'string' },
      threads: { type: 'string' },
      runs: { type: 'string' },
      warmup: { type: 'string' },
      'cpu-mask': { type: 'string' },
      delegate: { type: 'string' },
      'profile-ops': { type: 'boolean', default: false },
      energy: { type: 'boolean', default: false }
    },
    async run(ctx) {
      if (ctx.positionals.length !== 1) throw new UsageError('Give exactly one .tflite file.')
      const file = path.resolve(ctx.positionals[0])
      if (!fs.existsSync(file)) throw new LabError('not_found', `There is no file at ${file}.`)
      const serial = ctx.values.device as string | undefined
      if (!serial) throw new UsageError('Choose a device with --device SERIAL (see "proxyless-lab devices"), or --device host for this computer.')
      const parsed = BenchmarkSettingsSchema.safeParse({
        threads: intValue(ctx, 'threads'),
        runs: intValue(ctx, 'runs'),
        warmupRuns: intValue(ctx, 'warmup'),
        cpuMaskHex: (ctx.values['cpu-mask'] as string | undefined) ?? null,
        delegate: ctx.values.delegate,
        profileOps: Boolean(ctx.values['profile-ops']),
        energy: Boolean(ctx.values.energy)
      })
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        throw new UsageError(`Setting ${issue.path.join('.')} ${issue.message}.`)
      }
      if (serial !== 'host') await waitForCards(ctx)
      const job = await ctx.call('measure.start', { serial, modelPath: file, settings: parsed.data })
      const { job: done, code } = await followJob(ctx, job)
      if (done.state !== 'succeeded') {
        ctx.out.result({ error: { code: 'failed', message: done.error ?? done.state }, job: done }, () => `Measurement ${done.state}: ${done.error ?? ''}`)
        return code
      }
      const record = done.result as { id: string; measurement: Measurement }
      ctx.out.result(record.measurement, () => describeMeasurement(record.measurement))
      return EXIT_OK
    }
  },
  {
    name: 'virtual-phone start',
    summary: 'Start a virtual phone in the background and connect it to an adb server',
    usage: 'proxyless-lab virtual-phone start [--name NAME] [--threads N] [--adb HOST:PORT] [--json]',
    options: { name: { type: 'string' }, threads: { type: 'string' }, adb: { type: 'string' } },
    details: 'The phone speaks adb on a loopback port; its benchmark_model runs the real TFLite runtime on this computer, and its battery readings come from a power model (labelled as modelled).',
    async run(ctx) {
      const threads = intValue(ctx, 'threads')
      if (threads !== undefined && (threads < 1 || threads > 64)) throw new UsageError('--threads must be from 1 to 64.')
      const name = ctx.values.name as string | undefined
      if (name !== undefined && !/^[A-Za-z0-9_-]{1,40}$/.test(name)) throw new UsageError('--name may use letters, digits, - and _ (up to 40).')
      const adb = ctx.values.adb as string | undefined
      const info = adb
        ? await startVirtualPhoneDaemon({ name, threads, adb })
        : await ctx.call('virtualPhones.start', { ...(name ? { name } : {}), ...(threads ? { threads } : {}) })
      ctx.out.result(info, () => `Started virtual phone ${info.name}: ${info.serial}${info.adbServer ? ` (on adb server ${info.adbServer})` : ''}`)
      return EXIT_OK
    }
  },
  {
    name: 'virtual-phone list',
    summary: 'List the virtual phones running in the background',
    usage: 'proxyless-lab virtual-phone list [--json]',
    async run(ctx) {
      const list = await listVirtualPhoneDaemons()
      ctx.out.result(list, () => (list.length ? list.map((p) => `${p.serial}  ${p.name}  ${p.threads} cores  pid ${p.pid}  adb ${p.adbServer ?? '–'}`).join('\n') : 'No virtual phones are running.'))
      return EXIT_OK
    }
  },
  {
    name: 'virtual-phone stop',
    summary: 'Stop a virtual phone (or all of them)',
    usage: 'proxyless-lab virtual-phone stop SERIAL|--all [--json]',
    options: { all: { type: 'boolean', default: false } },
    async run(ctx) {
      if (ctx.values.all === (ctx.positionals.length === 1)) throw new UsageError('Give one serial, or --all.')
      const stopped = await stopVirtualPhoneDaemon(ctx.values.all ? 'all' : ctx.positionals[0])
      ctx.out.result(stopped, () => (stopped.length ? stopped.map((p) => `Stopped ${p.serial} (${p.name}).`).join('\n') : 'No virtual phones were running.'))
      return EXIT_OK
    }
  }
]
