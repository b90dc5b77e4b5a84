// Shell commands on the phone: quoting, and running one command with its exit code.
// adbkit's shell is shell v1 (no exit status), so commands that need one end with `; echo __RC=$?`.
import type { DeviceClient } from '@devicefarmer/adbkit'
import { LabError } from '../../../shared/errors'

/** POSIX single-quote style: 'it'\''s' — safe for any string, including empty and newlines. */
export function quoteShellArg(arg: string): string {
  return `'${arg.replace(/'/g, `'\\''`)}'`
}

/** A command line where EVERY word is quoted. */
export function shellCommand(program: string, ...args: string[]): string {
  return [program, ...args].map(quoteShellArg).join(' ')
}

export const RC_MARKER = '__RC='

export interface ShellResult {
  /** Output before the exit-code marker (stdout and stderr are merged by shell v1). */
  output: string
  exitCode: number | null
}

/** Split `...output\n__RC=<n>\n...` into output and exit code; exitCode is null when the marker never came. */
export function splitExitCode(text: string): ShellResult & { after: string } {
  const normalized = text.replace(/\r\n/g, '\n')
  const re = /(^|\n)__RC=(\d+)[ \t]*(\n|$)/g
  let match: RegExpExecArray | null = null
  for (let m = re.exec(normalized); m; m = re.exec(normalized)) match = m
  if (!match) return { output: normalized, exitCode: null, after: '' }
  const start = match.index + match[1].length
  return {
    output: normalized.slice(0, start),
    exitCode: Number(match[2]),
    after: normalized.slice(match.index + match[0].length)
  }
}

export interface RunShellOptions {
  signal?: AbortSignal
  /** Give up after this long (the device may have hung); null = no limit. */
  timeoutMs?: number | null
  /** Called with every chunk of output as it arrives. */
  onData?: (chunk: string) => void
}

/** Run a command and collect all its output; resolves when the device closes the stream. */
export async function readShell(device: DeviceClient, command: string, opts: RunShellOptions = {}): Promise<string> {
  if (opts.signal?.aborted) throw cancelledError()
  let stream: Awaited<ReturnType<DeviceClient['shell']>>
  try {
    stream = await device.shell(command)
  } catch (e) {
    throw deviceError(device.serial, e)
  }
  return new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = []
    let settled = false
    let timer: NodeJS.Timeout | null = null
    const finish = (err: Error | null) => {
      if (settled) return
      settled = true
      if (timer) clearTimeout(timer)
      opts.signal?.removeEventListener('abort', onAbort)
      if (err) {
        stream.destroy()
        reject(err)
      } else resolve(Buffer.concat(chunks).toString('utf8'))
    }
    const onAbort = () => finish(cancelledError())
    opts.signal?.addEventListener('abort', onAbort, { once: true })
    if (opts.timeoutMs != null) {
      timer = setTimeout(
        () => finish(new LabError('device_unavailable', `The phone ${device.serial} stopped answering (no reply in ${Math.round(opts.timeoutMs! / 1000)} s). Check the cable or Wi-Fi and try again.`)),
        opts.timeoutMs
      )
    }
    stream.on('data', (chunk: Buffer) => {
      chunks.push(chunk)
      opts.onData?.(chunk.toString('utf8'))
    })
    stream.on('end', () => finish(null))
    stream.on('close', () => finish(null))
    stream.on('error', (e: Error) => finish(deviceError(device.serial, e)))
  })
}

/** Run a command that ends with `; echo __RC=$?` appended here, and return its output and exit code. */
export async function runShell(device: DeviceClient, command: string, opts: RunShellOptions = {}): Promise<ShellResult> {
  const text = await readShell(device, `${command}; echo ${RC_MARKER}$?`, opts)
  const { output, exitCode } = splitExitCode(text)
  return { output, exitCode }
}

/** Read several small files in one round trip; missing files give null. */
export async function readFiles(device: DeviceClient, paths: string[], opts: RunShellOptions = {}): Promise<(string | null)[]> {
  if (paths.length === 0) return []
  const command = paths.map((p) => `cat ${quoteShellArg(p)} 2>/dev/null; echo __SEP`).join('; ')
  const text = (await readShell(device, command, opts)).replace(/\r\n/g, '\n')
  const parts = text.split(/(?:^|\n)__SEP\n?/)
  return paths.map((_, i) => {
    const value = parts[i]?.trim()
    return value ? value : null
  })
}

export function cancelledError(): LabError {
  return new LabError('cancelled', 'The measurement was cancelled; nothing was stored.')
}

/** Turn adbkit / socket failures into a sentence a person can act on. */
export function deviceError(serial: string, e: unknown): LabError {
  if (e instanceof LabError) return e
  const message = e instanceof Error ? e.message : String(e)
  if (/not found|offline|unauthorized|closed|ECONNRESET|EPIPE|device '.*' not found/i.test(message)) {
    return new LabError('device_unavailable', `The phone ${serial} is not reachable (${message.trim()}). Check that it is plugged in (or connected over Wi-Fi) and unlocked, then try again.`)
  }
  return new LabError('device_unavailable', `Talking to the phone ${serial} failed: ${message.trim()}. Check the connection and try again.`)
}
