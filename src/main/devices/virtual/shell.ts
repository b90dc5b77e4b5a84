// The virtual phone's shell: runs a parsed command line through the handler table (commands.ts) and serves it as
// `shell:` (v1: raw merged output, close = done), `shell,v2,...:` (packets with an exit code) and `exec:`.
import path from 'node:path'
import type { DeviceStream } from './protocol'
import { DevicePathError, normalizeDevicePath, type DeviceFs } from './sandbox'
import { parseShell, ShellSyntaxError, type Command, type CommandList, type Pipeline, type Redirect, type Word } from './shell-syntax'

/** Where a command writes: resolves when the bytes are accepted (the stream applies backpressure). */
export type Sink = (chunk: Buffer | string) => Promise<void>

export const discardSink: Sink = async () => {}

export function collectingSink(): { sink: Sink; bytes: () => Buffer } {
  const parts: Buffer[] = []
  return {
    sink: async (chunk) => {
      parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
    },
    bytes: () => Buffer.concat(parts)
  }
}

export interface CommandContext {
  /** argv[0] as typed, then the arguments. */
  argv: string[]
  stdin: Buffer
  out: Sink
  err: Sink
  /** Cores the command may run on (taskset), null = all. */
  cpuMask: number[] | null
  signal: AbortSignal
  session: ShellSession
}

export type CommandHandler = (ctx: CommandContext) => Promise<number>

export interface ShellHost {
  fs: DeviceFs
  handlers: ReadonlyMap<string, CommandHandler>
  env: Record<string, string>
}

export class ExitRequest {
  constructor(readonly status: number) {}
}

export function notAvailableMessage(name: string): string {
  return `${name}: not available on the virtual phone (it runs only the commands the lab needs)\n`
}

const MAX_LOOP_ITERATIONS = 1_000_000

/** One shell invocation: its variables and last exit status. */
export class ShellSession {
  lastStatus = 0
  private readonly vars = new Map<string, string>()

  constructor(
    readonly host: ShellHost,
    readonly signal: AbortSignal
  ) {}

  /** Parses and runs a command line; returns the exit status (2 for a syntax error, like sh). */
  async run(source: string, stdout: Sink, stderr: Sink): Promise<number> {
    let list: CommandList
    try {
      list = parseShell(source)
    } catch (e) {
      if (e instanceof ShellSyntaxError) {
        await stderr(`sh: ${e.message}\n`)
        return 2
      }
      throw e
    }
    try {
      return await this.runList(list, Buffer.alloc(0), stdout, stderr, null)
    } catch (e) {
      if (e instanceof ExitRequest) return e.status
      throw e
    }
  }

  /** Runs a command with its own argv (used by taskset): same lookup as a typed command. */
  runArgv(argv: string[], stdin: Buffer, out: Sink, err: Sink, cpuMask: number[] | null): Promise<number> {
    return this.dispatch(argv, stdin, out, err, cpuMask)
  }

  private async runList(list: CommandList, stdin: Buffer, out: Sink, err: Sink, cpuMask: number[] | null): Promise<number> {
    for (const item of list) {
      if (item.op === '&&' && this.lastStatus !== 0) continue
      if (item.op === '||' && this.lastStatus === 0) continue
      this.lastStatus = await this.runPipeline(item.pipeline, stdin, out, err, cpuMask)
    }
    return this.lastStatus
  }

  private async runPipeline(p: Pipeline, stdin: Buffer, out: Sink, err: Sink, cpuMask: number[] | null): Promise<number> {
    let input = stdin
    let status = 0
    for (let i = 0; i < p.commands.length; i++) {
      const last = i === p.commands.length - 1
      // Earlier stages are buffered: the lab's pipes carry little data.
      const collected = last ? null : collectingSink()
      status = await this.runCommand(p.commands[i], input, collected ? collected.sink : out, err, cpuMask)
      if (collected) input = collected.bytes()
    }
    return p.negated ? (status === 0 ? 1 : 0) : status
  }

  private async runCommand(cmd: Command, stdin: Buffer, out: Sink, err: Sink, cpuMask: number[] | null): Promise<number> {
    if (this.signal.aborted) throw new ExitRequest(130)
    const io = await this.applyRedirects(cmd.redirects, stdin, out, err)
    if (typeof io === 'number') return io
    try {
      switch (cmd.type) {
        case 'simple': {
          const argv: string[] = []
          for (const w of cmd.words) argv.push(...(await this.expandWord(w)))
          if (argv.length === 0) return 0
          return await this.dispatch(argv, io.stdin, io.out, io.err, cpuMask)
        }
        case 'while': {
          let status = 0
          for (let n = 0; ; n++) {
            if (n >= MAX_LOOP_ITERATIONS) {
              await io.err('sh: loop stopped after too many iterations on the virtual phone\n')
              return 1
            }
            const cond = await this.runList(cmd.condition, io.stdin, io.out, io.err, cpuMask)
            if ((cond === 0) === cmd.until) break
            status = await this.runList(cmd.body, io.stdin, io.out, io.err, cpuMask)
            await new Promise<void>((resolve) => setImmediate(resolve)) // let the connection breathe
          }
          return status
        }
        case 'for': {
          const items: string[] = []
          for (const w of cmd.items) items.push(...(await this.expandWord(w)))
          let status = 0
          for (const item of items) {
            this.vars.set(cmd.variable, item)
            status = await this.runList(cmd.body, io.stdin, io.out, io.err, cpuMask)
          }
          return status
        }
        case 'if': {
          for (const branch of cmd.branches) {
            if ((await this.runList(branch.condition, io.stdin, io.out, io.err, cpuMask)) === 0) return await this.runList(branch.body, io.stdin, io.out, io.err, cpuMask)
          }
          return cmd.otherwise ? await this.runList(cmd.otherwise, io.stdin, io.out, io.err, cpuMask) : 0
        }
      }
    } finally {
      await io.close()
    }
  }

  private async dispatch(argv: string[], stdin: Buffer, out: Sink, err: Sink, cpuMask: number[] | null): Promise<number> {
    if (this.signal.aborted) throw new ExitRequest(130)
    const name = argv[0]
    const handler = this.host.handlers.get(name.includes('/') ? path.posix.basename(name) : name)
    if (!handler) {
      await err(notAvailableMessage(name))
      return 127
    }
    try {
      return await handler({ argv, stdin, out, err, cpuMask, signal: this.signal, session: this })
    } catch (e) {
      if (e instanceof ExitRequest) throw e
      if (e instanceof DevicePathError) {
        await err(`${path.posix.basename(name)}: ${e.message}\n`)
        return 1
      }
      await err(`${path.posix.basename(name)}: ${e instanceof Error ? e.message : String(e)}\n`)
      return 1
    }
  }

  private async applyRedirects(
    redirects: Redirect[],
    stdin: Buffer,
    out: Sink,
    err: Sink
  ): Promise<{ stdin: Buffer; out: Sink; err: Sink; close: () => Promise<void> } | number> {
    const fds: Record<number, Sink> = { 1: out, 2: err }
    let input = stdin
    const closers: Array<() => Promise<void>> = []
    const close = async (): Promise<void> => {
      for (const c of closers.splice(0)) await c()
    }
    try {
      for (const r of redirects) {
        const target = (await this.expandWord(r.target)).join(' ')
        if (r.mode === '>&') {
          const fd = Number(target)
          if (!(fd in fds)) throw new DevicePathError(`${target}: bad file descriptor`)
          fds[r.fd] = fds[fd]
        } else if (r.mode === '<') {
          input = target === '/dev/null' ? Buffer.alloc(0) : await this.host.fs.readFile(target)
        } else if (target === '/dev/null') {
          fds[r.fd] = discardSink
        } else {
          const handle = await this.host.fs.openWrite(normalizeDevicePath(target), { append: r.mode === '>>' })
          closers.push(() => handle.close())
          fds[r.fd] = async (chunk) => {
            await handle.write(typeof chunk === 'string' ? Buffer.from(chunk) : chunk)
          }
        }
      }
    } catch (e) {
      await close()
      await err(`sh: ${e instanceof Error ? e.message : String(e)}\n`)
      return 1
    }
    return { stdin: input, out: fds[1], err: fds[2], close }
  }

  /** Variable expansion, then globbing of unquoted * ? (no match keeps the word as typed, like sh). */
  async expandWord(word: Word): Promise<string[]> {
    let text = ''
    let pattern = ''
    let hasGlob = false
    for (const part of word) {
      const value = part.kind === 'text' ? part.text : this.variable(part.name)
      text += value
      if (part.kind === 'text' && !part.quoted && /[*?]/.test(value)) {
        hasGlob = true
        pattern += value.split('').map((ch) => (ch === '*' ? '[^/]*' : ch === '?' ? '[^/]' : escapeRegex(ch))).join('')
      } else pattern += escapeRegex(value)
    }
    if (!hasGlob) return [text]
    const matches = await this.glob(text, pattern)
    return matches.length > 0 ? matches : [text]
  }

  private variable(name: string): string {
    if (name === '?') return String(this.lastStatus)
    if (name === '$') return '4242'
    if (name === '#') return '0'
    return this.vars.get(name) ?? this.host.env[name] ?? ''
  }

  /** Matches an absolute glob pattern segment by segment against the device file system. */
  private async glob(text: string, regexSource: string): Promise<string[]> {
    if (!text.startsWith('/')) return []
    const full = new RegExp(`^${regexSource}$`)
    const segments = text.split('/').filter(Boolean)
    let candidates = ['/']
    for (let i = 0; i < segments.length; i++) {
      const next: string[] = []
      for (const dir of candidates) {
        if (!/[*?]/.test(segments[i])) {
          next.push(path.posix.join(dir, segments[i]))
          continue
        }
        const segRe = new RegExp(`^${segments[i].split('').map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : escapeRegex(ch))).join('')}$`)
        const names = (await this.host.fs.list(dir)) ?? []
        for (const n of names) if (segRe.test(n) && !n.startsWith('.')) next.push(path.posix.join(dir, n))
      }
      candidates = next
    }
    const existing: string[] = []
    for (const c of candidates) if (full.test(c) && (await this.host.fs.stat(c).catch(() => null))) existing.push(c)
    return existing.sort()
  }
}

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}

// ---- services ----

const SHELL_V2_STDIN = 0
const SHELL_V2_STDOUT = 1
const SHELL_V2_STDERR = 2
const SHELL_V2_EXIT = 3

export function shellV2Packet(id: number, data: Buffer): Buffer {
  const head = Buffer.alloc(5)
  head.writeUInt8(id, 0)
  head.writeUInt32LE(data.length, 1)
  return Buffer.concat([head, data])
}

/** Splits a service name into protocol and command: 'shell:ls', 'shell,v2,raw:ls', 'exec:ls'. */
export function parseShellService(service: string): { v2: boolean; command: string } | null {
  const colon = service.indexOf(':')
  if (colon < 0) return null
  const head = service.slice(0, colon)
  const command = service.slice(colon + 1)
  if (head === 'exec') return { v2: false, command }
  if (head === 'shell') return { v2: false, command }
  if (head.startsWith('shell,')) return { v2: head.split(',').includes('v2'), command }
  return null
}

export function startShellService(stream: DeviceStream, host: ShellHost, v2: boolean, command: string): void {
  const abort = new AbortController()
  stream.onClose(() => abort.abort())
  // Interactive shells (empty command) and stdin are not supported; incoming bytes are accepted and dropped.
  stream.onData = () => {}
  void SHELL_V2_STDIN
  const toBuf = (c: Buffer | string): Buffer => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)
  const out: Sink = v2 ? (c) => stream.write(shellV2Packet(SHELL_V2_STDOUT, toBuf(c))) : (c) => stream.write(toBuf(c))
  const err: Sink = v2 ? (c) => stream.write(shellV2Packet(SHELL_V2_STDERR, toBuf(c))) : (c) => stream.write(toBuf(c))
  const session = new ShellSession(host, abort.signal)
  const run = async (): Promise<number> => {
    if (command.trim() === '') {
      await err('sh: the virtual phone has no interactive shell; pass a command (adb shell <command>)\n')
      return 1
    }
    return session.run(command, out, err)
  }
  void run()
    .catch(async (e) => {
      await err(`sh: internal error: ${e instanceof Error ? e.message : String(e)}\n`)
      return 1
    })
    .then(async (status) => {
      if (stream.isClosed) return
      if (v2) await stream.write(shellV2Packet(SHELL_V2_EXIT, Buffer.from([status & 0xff])))
      await stream.end()
    })
}
