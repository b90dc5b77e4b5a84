// The handler table of the virtual phone's shell: every command it knows, implemented here on the sandbox file
// system and the power model. Anything else exits 127 with a sentence saying so.
import crypto from 'node:crypto'
import path from 'node:path'
import { runBenchmarkModel } from './benchmark'
import type { PowerModel } from './power'
import { coresInMask } from './power'
import { DevicePathError, normalizeDevicePath, S_IFDIR, S_IFMT, type DeviceFs } from './sandbox'
import { ExitRequest, notAvailableMessage, type CommandContext, type CommandHandler } from './shell'
import type { WarmRuntime } from '../host/warm-runtime'

export interface VirtualDeviceState {
  fs: DeviceFs
  power: PowerModel
  /** getprop values. */
  props: Map<string, string>
  /** `settings` values, keyed 'namespace/key'. */
  settings: Map<string, string>
  /** Started-at time, for /proc/uptime-like answers. */
  bootMs: number
  /** The phone's TFLite runtime, kept warm between benchmark_model runs (as native code would be). */
  runtime: WarmRuntime
}

function sleepMs(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve()
    const timer = setTimeout(done, ms)
    function done(): void {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    signal.addEventListener('abort', done, { once: true })
  })
}

function flagsAndOperands(args: string[], known: string): { flags: Set<string>; operands: string[] } {
  const flags = new Set<string>()
  const operands: string[] = []
  let endOfFlags = false
  for (const a of args) {
    if (!endOfFlags && a === '--') endOfFlags = true
    else if (!endOfFlags && /^-[A-Za-z]+$/.test(a) && [...a.slice(1)].every((c) => known.includes(c))) for (const c of a.slice(1)) flags.add(c)
    else operands.push(a)
  }
  return { flags, operands }
}

function modeString(mode: number): string {
  const type = (mode & S_IFMT) === S_IFDIR ? 'd' : '-'
  const bits = 'rwxrwxrwx'
  let s = ''
  for (let i = 0; i < 9; i++) s += mode & (1 << (8 - i)) ? bits[i] : '-'
  return type + s
}

function formatDate(sec: number): string {
  const d = new Date(sec * 1000)
  const two = (n: number): string => String(n).padStart(2, '0')
  return `${d.getUTCFullYear()}-${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}`
}

async function readInputs(ctx: CommandContext, fs: DeviceFs, files: string[], each: (name: string, data: Buffer) => Promise<void>): Promise<number> {
  if (files.length === 0) {
    await each('-', ctx.stdin)
    return 0
  }
  let status = 0
  for (const f of files) {
    try {
      await each(f, f === '-' ? ctx.stdin : await fs.readFile(f))
    } catch (e) {
      await ctx.err(`${path.posix.basename(ctx.argv[0])}: ${e instanceof Error ? e.message : String(e)}\n`)
      status = 1
    }
  }
  return status
}

/** `test` / `[` expressions: unary file and string tests, binary string and integer comparisons, !, -a, -o. */
async function evaluateTest(args: string[], fs: DeviceFs): Promise<boolean> {
  const orParts = splitOn(args, '-o')
  if (orParts.length > 1) {
    for (const part of orParts) if (await evaluateTest(part, fs)) return true
    return false
  }
  const andParts = splitOn(args, '-a')
  if (andParts.length > 1) {
    for (const part of andParts) if (!(await evaluateTest(part, fs))) return false
    return true
  }
  if (args[0] === '!') return !(await evaluateTest(args.slice(1), fs))
  if (args.length === 0) return false
  if (args.length === 1) return args[0] !== ''
  if (args.length === 2) {
    const [op, operand] = args
    if (op === '-z') return operand === ''
    if (op === '-n') return operand !== ''
    let st = null
    try {
      st = await fs.stat(operand)
    } catch {
      st = null
    }
    switch (op) {
      case '-e':
        return st !== null
      case '-f':
        return st !== null && !st.isDirectory
      case '-d':
        return st !== null && st.isDirectory
      case '-s':
        return st !== null && st.size > 0
      case '-r':
        return st !== null
      case '-w':
        return st !== null && !fs.isSynthetic(operand)
      case '-x':
        return st !== null && (st.mode & 0o111) !== 0
      case '-L':
      case '-h':
        return false
      default:
        throw new Error(`${op}: unknown operand`)
    }
  }
  if (args.length === 3) {
    const [a, op, b] = args
    const ints = (): [number, number] => {
      const x = Number(a)
      const y = Number(b)
      if (!Number.isInteger(x) || !Number.isInteger(y)) throw new Error('integer expression expected')
      return [x, y]
    }
    switch (op) {
      case '=':
      case '==':
        return a === b
      case '!=':
        return a !== b
      case '-eq':
        return ints()[0] === ints()[1]
      case '-ne':
        return ints()[0] !== ints()[1]
      case '-gt':
        return ints()[0] > ints()[1]
      case '-ge':
        return ints()[0] >= ints()[1]
      case '-lt':
        return ints()[0] < ints()[1]
      case '-le':
        return ints()[0] <= ints()[1]
    }
  }
  throw new Error('syntax error')
}

function splitOn(args: string[], sep: string): string[][] {
  const parts: string[][] = [[]]
  for (const a of args) {
    if (a === sep) parts.push([])
    else parts[parts.length - 1].push(a)
  }
  return parts
}

/** Android's `dumpsys battery` text, filled from the power model. */
export function dumpsysBattery(power: PowerModel): string {
  const b = power.battery()
  const statusCode = b.status === 'Charging' ? 2 : b.status === 'Full' ? 5 : 3
  return [
    'Current Battery Service state:',
    '  AC powered: false',
    `  USB powered: ${b.usbOnline}`,
    '  Wireless powered: false',
    '  Dock powered: false',
    `  Max charging current: ${b.usbOnline ? 500000 : 0}`,
    `  Max charging voltage: ${b.usbOnline ? 5000000 : 0}`,
    `  Charge counter: ${Math.round(b.capacityPct * 45000)}`,
    `  status: ${statusCode}`,
    '  health: 2',
    '  present: true',
    `  level: ${b.capacityPct}`,
    '  scale: 100',
    `  voltage: ${Math.round(b.voltageUv / 1000)}`,
    `  temperature: ${b.tempDeciC}`,
    '  technology: Li-ion',
    ''
  ].join('\n')
}

const KNOWN_FEATURES = ['android.hardware.cpu.arm64', 'android.software.adb', 'android.hardware.wifi']

export function buildCommandTable(dev: VirtualDeviceState): Map<string, CommandHandler> {
  const { fs, power } = dev
  const table = new Map<string, CommandHandler>()
  const name = (ctx: CommandContext): string => path.posix.basename(ctx.argv[0])

  table.set('true', async () => 0)
  table.set('false', async () => 1)
  table.set(':', async () => 0)
  table.set('exit', async (ctx) => {
    const n = ctx.argv[1] === undefined ? ctx.session.lastStatus : Number(ctx.argv[1])
    throw new ExitRequest(Number.isInteger(n) ? n & 0xff : 2)
  })
  table.set('echo', async (ctx) => {
    let args = ctx.argv.slice(1)
    let newline = true
    while (args[0] === '-n' || args[0] === '-e' || args[0] === '-E') {
      if (args[0] === '-n') newline = false
      args = args.slice(1)
    }
    await ctx.out(args.join(' ') + (newline ? '\n' : ''))
    return 0
  })
  table.set('sleep', async (ctx) => {
    const seconds = Number(ctx.argv[1])
    if (!Number.isFinite(seconds) || seconds < 0) {
      await ctx.err(`sleep: invalid number '${ctx.argv[1] ?? ''}'\n`)
      return 1
    }
    await sleepMs(seconds * 1000, ctx.signal)
    return 0
  })
  table.set('getprop', async (ctx) => {
    const key = ctx.argv[1]
    if (key === undefined) {
      const lines = [...dev.props.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `[${k}]: [${v}]\n`)
      await ctx.out(lines.join(''))
    } else await ctx.out(`${dev.props.get(key) ?? ctx.argv[2] ?? ''}\n`)
    return 0
  })
  table.set('setprop', async (ctx) => {
    const [key, value] = ctx.argv.slice(1)
    if (!key || value === undefined || key.startsWith('ro.')) {
      await ctx.err(`setprop: failed to set property '${key ?? ''}'\n`)
      return 1
    }
    dev.props.set(key, value)
    return 0
  })
  table.set('ls', async (ctx) => {
    const { flags, operands } = flagsAndOperands(ctx.argv.slice(1), 'laAd1RhnF')
    const targets = operands.length > 0 ? operands : ['/']
    let status = 0
    const lines: string[] = []
    const entry = async (devicePath: string, label: string): Promise<string> => {
      if (!flags.has('l')) return label
      const st = await fs.stat(devicePath)
      return st ? `${modeString(st.mode)} 1 shell shell ${String(st.size).padStart(8)} ${formatDate(st.mtimeS)} ${label}` : label
    }
    for (const t of targets) {
      const st = await fs.stat(t)
      if (!st) {
        await ctx.err(`ls: ${t}: No such file or directory\n`)
        status = 1
        continue
      }
      if (!st.isDirectory || flags.has('d')) {
        lines.push(await entry(t, t))
        continue
      }
      const names = (await fs.list(t)) ?? []
      const shown = flags.has('a') ? ['.', '..', ...names] : flags.has('A') ? names : names.filter((n) => !n.startsWith('.'))
      if (targets.length > 1) lines.push(`${t}:`)
      for (const n of shown) lines.push(await entry(path.posix.join(normalizeDevicePath(t), n), n))
    }
    if (lines.length > 0) await ctx.out(lines.join('\n') + '\n')
    return status
  })
  table.set('rm', async (ctx) => {
    const { flags, operands } = flagsAndOperands(ctx.argv.slice(1), 'rRfdv')
    let status = 0
    for (const target of operands) {
      try {
        if (!(await fs.stat(target))) {
          if (!flags.has('f')) throw new DevicePathError(`${target}: No such file or directory`)
          continue
        }
        await fs.remove(target, flags.has('r') || flags.has('R'))
      } catch (e) {
        await ctx.err(`rm: ${e instanceof Error ? e.message : String(e)}\n`)
        status = 1
      }
    }
    if (operands.length === 0 && !flags.has('f')) {
      await ctx.err('rm: needs 1 argument\n')
      return 1
    }
    return status
  })
  table.set('mkdir', async (ctx) => {
    const { flags, operands } = flagsAndOperands(ctx.argv.slice(1), 'pv')
    let status = 0
    for (const target of operands) {
      try {
        if (!flags.has('p') && (await fs.stat(target))) throw new DevicePathError(`${target}: File exists`)
        await fs.mkdir(target, flags.has('p'))
      } catch (e) {
        await ctx.err(`mkdir: ${e instanceof Error ? e.message : String(e)}\n`)
        status = 1
      }
    }
    return status
  })
  table.set('touch', async (ctx) => {
    let status = 0
    for (const target of ctx.argv.slice(1).filter((a) => !a.startsWith('-'))) {
      try {
        if (!(await fs.stat(target))) await fs.writeFile(target, '')
      } catch (e) {
        await ctx.err(`touch: ${e instanceof Error ? e.message : String(e)}\n`)
        status = 1
      }
    }
    return status
  })
  table.set('chmod', async (ctx) => {
    const { operands } = flagsAndOperands(ctx.argv.slice(1), 'R')
    const [modeText, ...targets] = operands
    if (!modeText || targets.length === 0) {
      await ctx.err('chmod: needs 2 arguments\n')
      return 1
    }
    let status = 0
    for (const target of targets) {
      try {
        const st = await fs.stat(target)
        if (!st) throw new DevicePathError(`${target}: No such file or directory`)
        let mode: number
        if (/^[0-7]{1,4}$/.test(modeText)) mode = Number.parseInt(modeText, 8)
        else if (/^[ugoa]*[+-][rwx]+$/.test(modeText)) {
          const [who, perms] = modeText.split(/[+-]/)
          const add = modeText.includes('+')
          let bits = 0
          const whoSet = who === '' || who.includes('a') ? 'ugo' : who
          const permBit: Record<string, number> = { r: 4, w: 2, x: 1 }
          const whoShift: Record<string, number> = { u: 6, g: 3, o: 0 }
          for (const w of whoSet) for (const pch of perms) bits |= permBit[pch] << whoShift[w]
          mode = add ? (st.mode & 0o7777) | bits : st.mode & 0o7777 & ~bits
        } else throw new Error(`${modeText}: bad mode`)
        await fs.chmod(target, mode)
      } catch (e) {
        await ctx.err(`chmod: ${e instanceof Error ? e.message : String(e)}\n`)
        status = 1
      }
    }
    return status
  })
  table.set('cat', async (ctx) => readInputs(ctx, fs, ctx.argv.slice(1), async (_n, data) => ctx.out(data)))
  for (const algo of ['sha256', 'md5', 'sha1'] as const) {
    table.set(`${algo}sum`, async (ctx) =>
      readInputs(ctx, fs, ctx.argv.slice(1).filter((a) => !a.startsWith('-') || a === '-'), async (n, data) =>
        ctx.out(`${crypto.createHash(algo).update(data).digest('hex')}  ${n}\n`)
      )
    )
  }
  table.set('stat', async (ctx) => {
    const args = ctx.argv.slice(1)
    let format: string | null = null
    const files: string[] = []
    for (let i = 0; i < args.length; i++) {
      if (args[i] === '-c' || args[i] === '--format') format = args[++i] ?? ''
      else if (args[i].startsWith('-c')) format = args[i].slice(2)
      else if (!args[i].startsWith('-')) files.push(args[i])
    }
    let status = 0
    for (const f of files) {
      const st = await fs.stat(f)
      if (!st) {
        await ctx.err(`stat: '${f}': No such file or directory\n`)
        status = 1
        continue
      }
      const kind = st.isDirectory ? 'directory' : st.size === 0 ? 'regular empty file' : 'regular file'
      if (format !== null) {
        const text = format.replace(/%([snaAYFUGuxyz%])/g, (_m, c: string) => {
          switch (c) {
            case 's':
              return String(st.size)
            case 'n':
              return f
            case 'a':
              return (st.mode & 0o7777).toString(8)
            case 'A':
              return modeString(st.mode)
            case 'Y':
              return String(st.mtimeS)
            case 'F':
              return kind
            case 'U':
            case 'G':
              return 'shell'
            case 'u':
              return '2000'
            case '%':
              return '%'
            default:
              return formatDate(st.mtimeS)
          }
        })
        await ctx.out(text + '\n')
      } else {
        await ctx.out(
          `  File: ${f}\n  Size: ${st.size}\t Blocks: ${Math.ceil(st.size / 512)}\t IO Blocks: 4096\t${kind}\n` +
            `Access: (${(st.mode & 0o7777).toString(8).padStart(4, '0')}/${modeString(st.mode)})\tUid: ( 2000/   shell)\tGid: ( 2000/   shell)\n` +
            `Modify: ${formatDate(st.mtimeS)}\n`
        )
      }
    }
    return status
  })
  const testHandler: CommandHandler = async (ctx) => {
    let args = ctx.argv.slice(1)
    if (name(ctx) === '[') {
      if (args[args.length - 1] !== ']') {
        await ctx.err('[: missing ]\n')
        return 2
      }
      args = args.slice(0, -1)
    }
    try {
      return (await evaluateTest(args, fs)) ? 0 : 1
    } catch (e) {
      await ctx.err(`test: ${e instanceof Error ? e.message : String(e)}\n`)
      return 2
    }
  }
  table.set('test', testHandler)
  table.set('[', testHandler)
  table.set('uname', async (ctx) => {
    const flags = new Set(ctx.argv.slice(1).join('').replace(/-/g, ''))
    const parts: Record<string, string> = { s: 'Linux', n: 'localhost', r: '5.15.0-virtual', v: '#1 SMP PREEMPT', m: 'aarch64' }
    const order = flags.has('a') ? ['s', 'n', 'r', 'v', 'm'] : ['s', 'n', 'r', 'v', 'm'].filter((k) => flags.has(k))
    await ctx.out((order.length > 0 ? order.map((k) => parts[k]) : [parts.s]).join(' ') + '\n')
    return 0
  })
  table.set('id', async (ctx) => {
    await ctx.out('uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),3003(inet) context=u:r:shell:s0\n')
    return 0
  })
  table.set('whoami', async (ctx) => {
    await ctx.out('shell\n')
    return 0
  })
  table.set('nproc', async (ctx) => {
    await ctx.out(`${ctx.cpuMask ? ctx.cpuMask.length : power.cores.length}\n`)
    return 0
  })
  table.set('taskset', async (ctx) => {
    const args = ctx.argv.slice(1).filter((a) => a !== '-a')
    if (args[0] === '-p') {
      const all = (2n ** BigInt(power.cores.length) - 1n).toString(16)
      await ctx.out(`pid ${args[1] ?? '0'}'s affinity mask: ${all}\n`)
      return 0
    }
    const [maskHex, ...command] = args
    const cores = maskHex === undefined ? null : coresInMask(maskHex, power.cores.length)
    if (!cores || command.length === 0) {
      await ctx.err('taskset: usage: taskset [-a] MASK COMMAND [ARGS...]\n')
      return 1
    }
    if (cores.length === 0) {
      await ctx.err(`taskset: failed to set pid 0's affinity: Invalid argument\n`)
      return 1
    }
    return ctx.session.runArgv(command, ctx.stdin, ctx.out, ctx.err, cores)
  })
  table.set('command', async (ctx) => {
    const args = ctx.argv.slice(1)
    if (args[0] !== '-v') return ctx.session.runArgv(args, ctx.stdin, ctx.out, ctx.err, ctx.cpuMask)
    let status = 0
    for (const n of args.slice(1)) {
      if (table.has(n)) await ctx.out(n === 'benchmark_model' ? `${BENCHMARK_TOOL_PATH}\n` : `/system/bin/${n}\n`)
      else status = 1
    }
    return status
  })
  table.set('pm', async (ctx) => {
    const [sub, what] = ctx.argv.slice(1)
    if (sub === 'list' && what === 'features') {
      await ctx.out(KNOWN_FEATURES.map((f) => `feature:${f}\n`).join(''))
      return 0
    }
    if (sub === 'list' && what === 'packages') return 0
    if (sub === 'path') return 1
    await ctx.err(notAvailableMessage(`pm ${sub ?? ''}`.trim()))
    return 127
  })
  table.set('cmd', async (ctx) => {
    const [service, ...rest] = ctx.argv.slice(1)
    if (service === 'package') return table.get('pm')!({ ...ctx, argv: ['pm', ...rest] })
    if (service === 'settings') return table.get('settings')!({ ...ctx, argv: ['settings', ...rest] })
    await ctx.err(notAvailableMessage(`cmd ${service ?? ''}`.trim()))
    return 127
  })
  table.set('dumpsys', async (ctx) => {
    const service = ctx.argv[1]
    if (service === 'battery' && ctx.argv.length === 2) {
      await ctx.out(dumpsysBattery(power))
      return 0
    }
    if (service === 'battery' && ctx.argv[2] === 'set' && ctx.argv[3] === 'usb') {
      power.setUsbCharging(ctx.argv[4] === '1')
      return 0
    }
    if (service === 'battery' && ctx.argv[2] === 'unplug') {
      power.setUsbCharging(false)
      return 0
    }
    if (service === 'battery' && ctx.argv[2] === 'reset') return 0
    await ctx.err(notAvailableMessage(`dumpsys ${service ?? ''}`.trim()))
    return 127
  })
  table.set('settings', async (ctx) => {
    const [verb, namespace, key, value] = ctx.argv.slice(1)
    if (verb === 'get' && namespace && key) {
      await ctx.out(`${dev.settings.get(`${namespace}/${key}`) ?? 'null'}\n`)
      return 0
    }
    if (verb === 'put' && namespace && key && value !== undefined) {
      dev.settings.set(`${namespace}/${key}`, value)
      return 0
    }
    await ctx.err('settings: usage: settings get|put NAMESPACE KEY [VALUE]\n')
    return 1
  })
  table.set('benchmark_model', (ctx) => runBenchmarkModel(ctx, dev))
  return table
}

/** Where the virtual phone keeps its (placeholder) benchmark tool; any path ending in benchmark_model runs it. */
export const BENCHMARK_TOOL_PATH = '/data/local/tmp/benchmark_model'
