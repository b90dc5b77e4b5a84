// Running benchmark_model on a phone: push the model by content hash (once), run with the chosen settings, capture the
// exit code, and parse. A run that did not finish cleanly gives an error, never half a result.
import crypto from 'node:crypto'
import { Readable } from 'node:stream'
import type { DeviceClient } from '@devicefarmer/adbkit'
import type { BenchmarkSettings } from '../../../shared/contract/measure'
import { LabError } from '../../../shared/errors'
import { parseBenchmarkOutput, unconsumedFlags, type ParsedBenchmark } from './parser'
import { deviceError, quoteShellArg, readShell, splitExitCode } from './shell'

export const DEVICE_WORK_DIR = '/data/local/tmp/proxyless'

export function sha256Hex(bytes: Uint8Array): string {
  return crypto.createHash('sha256').update(bytes).digest('hex')
}

export function modelDevicePath(sha256: string): string {
  return `${DEVICE_WORK_DIR}/${sha256}.tflite`
}

/** adbd refuses sync DATA chunks over 64 KiB, and adbkit sends each stream chunk as one DATA packet. */
export const SYNC_DATA_MAX = 64 * 1024

export function* syncChunks(bytes: Uint8Array): Generator<Buffer> {
  for (let i = 0; i < bytes.byteLength; i += SYNC_DATA_MAX) yield Buffer.from(bytes.buffer, bytes.byteOffset + i, Math.min(SYNC_DATA_MAX, bytes.byteLength - i))
}

/** Push the model unless a file of the same content-hash name and size is already there. Returns its path. */
export async function pushModel(device: DeviceClient, modelBytes: Uint8Array, sha256 = sha256Hex(modelBytes)): Promise<{ path: string; pushed: boolean }> {
  const devicePath = modelDevicePath(sha256)
  try {
    const stat = await device.stat(devicePath).catch(() => null)
    if (stat && stat.size === modelBytes.byteLength && stat.isFile()) return { path: devicePath, pushed: false }
    const transfer = await device.push(Readable.from(syncChunks(modelBytes)), devicePath, 0o644)
    await new Promise<void>((resolve, reject) => {
      transfer.on('end', () => resolve())
      transfer.on('error', reject)
    })
    const after = await device.stat(devicePath)
    if (after.size !== modelBytes.byteLength) {
      throw new LabError('device_unavailable', `Copying the model to the phone ${device.serial} was cut short (${after.size} of ${modelBytes.byteLength} bytes). Check the connection and free space on the phone, then try again.`)
    }
    return { path: devicePath, pushed: true }
  } catch (e) {
    throw deviceError(device.serial, e)
  }
}

/** The shortest steady phase the tool is asked for: the setting, and with energy 12 sample periods and at least 1 s. */
export function minSecsFor(s: Pick<BenchmarkSettings, 'energy' | 'energySampleMs'> & Partial<Pick<BenchmarkSettings, 'minSecs'>>): number {
  const asked = s.minSecs ?? 0
  return s.energy ? Math.max(asked, 1, (12 * s.energySampleMs) / 1000) : asked
}

/** The tool's flags for these settings. Optional flags (newer tools only) are dropped on a retry if refused. */
export function benchmarkFlags(graphPath: string, s: BenchmarkSettings): { flags: string[]; optional: Set<string> } {
  const flags = [
    `--graph=${graphPath}`,
    `--num_threads=${s.threads}`,
    `--num_runs=${s.runs}`,
    `--warmup_runs=${s.warmupRuns}`,
    // The requested runs, for at least minSecs; with energy the timed runs last long enough for a dozen battery
    // samples (at least 1 s), so energy per inference comes from the steady runs alone.
    `--min_secs=${minSecsFor(s)}`,
    '--warmup_min_secs=0',
    `--use_xnnpack=${s.delegate === 'xnnpack' ? 'true' : 'false'}`
  ]
  if (s.delegate === 'gpu') flags.push('--use_gpu=true')
  if (s.delegate === 'nnapi') flags.push('--use_nnapi=true')
  if (s.profileOps) flags.push('--enable_op_profiling=true')
  flags.push('--report_peak_memory_footprint=true')
  return { flags, optional: new Set(['--warmup_min_secs', '--use_xnnpack', '--report_peak_memory_footprint']) }
}

export function benchmarkCommand(toolPath: string, flags: string[], cpuMaskHex: string | null): string {
  const pin = cpuMaskHex ? `taskset ${quoteShellArg(cpuMaskHex)} ` : ''
  const tool = [toolPath, ...flags].map(quoteShellArg).join(' ')
  // Device uptime before and after gives the run's window on the device clock (for the energy samples).
  return `cat ${quoteShellArg('/proc/uptime')}; ${pin}${tool} 2>&1; echo __RC=$?; cat ${quoteShellArg('/proc/uptime')}`
}

export interface BenchmarkRun {
  parsed: ParsedBenchmark
  exitCode: number
  rawOutput: string
  /** Device uptime (s) when the tool started and ended, when readable. */
  deviceStartS: number | null
  deviceEndS: number | null
  warnings: string[]
}

function uptimeOf(line: string | undefined): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s+\d+(?:\.\d+)?\s*$/.exec(line ?? '')
  return m ? Number(m[1]) : null
}

/** Split the command's text into (uptime before, tool output, exit code, uptime after). */
export function splitRunOutput(text: string): { output: string; exitCode: number | null; startS: number | null; endS: number | null } {
  const { output, exitCode, after } = splitExitCode(text)
  const lines = output.split('\n')
  const startS = uptimeOf(lines[0])
  const body = startS === null ? output : lines.slice(1).join('\n')
  return { output: body, exitCode, startS, endS: uptimeOf(after.split('\n')[0]) }
}

export interface RunOptions {
  signal?: AbortSignal
  timeoutMs?: number | null
  /** Called once the tool is running on the device (after the push). */
  onStarted?: () => void
}

/** Run once (retrying once without flags an older tool refuses) and parse; throws on any incomplete run. */
export async function runBenchmark(device: DeviceClient, toolPath: string, graphPath: string, settings: BenchmarkSettings, opts: RunOptions = {}): Promise<BenchmarkRun> {
  const { flags, optional } = benchmarkFlags(graphPath, settings)
  const warnings: string[] = []
  let current = flags
  for (let attempt = 0; attempt < 2; attempt++) {
    opts.onStarted?.()
    const text = await readShell(device, benchmarkCommand(toolPath, current, settings.cpuMaskHex), { signal: opts.signal, timeoutMs: opts.timeoutMs ?? null })
    const { output, exitCode, startS, endS } = splitRunOutput(text)
    if (exitCode === null) {
      throw new LabError('device_unavailable', `The phone ${device.serial} went away during the benchmark (the run never finished), so no result was stored. Reconnect it and run again.`)
    }
    const refused = unconsumedFlags(output)
    if (exitCode !== 0 && attempt === 0 && refused.length > 0 && refused.every((f) => optional.has(f))) {
      warnings.push(`This benchmark_model is older and does not know ${refused.join(', ')}; measured without ${refused.length > 1 ? 'them' : 'it'}.`)
      current = current.filter((f) => !refused.includes(f.split('=')[0]))
      continue
    }
    if (exitCode !== 0) {
      const tail = output.trim().split('\n').slice(-3).join(' / ')
      const hint = exitCode === 126 || exitCode === 127 ? ' The tool is missing or not executable for this phone; choose another build in Settings → Benchmark tool.' : ''
      throw new LabError(hint ? 'tool_missing' : 'invalid_file', `benchmark_model failed on ${device.serial} with exit code ${exitCode}: "${tail}".${hint || ' Check that the model is a valid TFLite file for this delegate, then run again.'}`)
    }
    const parsed = parseBenchmarkOutput(output)
    if (parsed.steady.count === 0) {
      throw new LabError('invalid_file', `benchmark_model on ${device.serial} printed an average but no per-run statistics, so the result would be incomplete. Run again, or use another benchmark_model build.`)
    }
    return { parsed, exitCode, rawOutput: output, deviceStartS: startS, deviceEndS: endS, warnings: [...warnings, ...parsed.warnings, ...parsed.errors] }
  }
  throw new LabError('internal', 'The benchmark retry loop ended without a result.')
}
