// The virtual phone's `benchmark_model`: the official tool's flags and output format, running the model with the
// REAL TFLite runtime on this computer (src/main/devices/host/runtime.ts, tfjs-tflite WebAssembly + XNNPACK).
//
// Choices (documented so the lab's parser and a person reading the output are not surprised):
// - --warmup_runs, then at least --num_runs timed inferences and at least --min_secs of them (capped by --max_secs),
//   as the real tool does; --warmup_min_secs is accepted and echoed but not honoured.
// - --use_gpu=true FAILS like the official tool on a phone without a GPU driver (exit 1, "Failed to apply GPU
//   delegate."): the lab must not report a CPU time as a GPU time. --use_nnapi=true falls back to the CPU with the
//   official "will not be executed by the delegate" line, as the real tool does when no accelerator takes the graph.
// - --use_xnnpack=false is accepted but XNNPACK is always used (the WebAssembly runtime has no other CPU path); a
//   WARNING line says so.
// - --num_threads and the taskset mask set how many modelled cores are busy (power model); the WebAssembly runtime
//   itself runs on one host core.
// - first= / curr= of each phase are not reported by the host runtime; the first inference and the median stand in.
import { benchmarkForAtLeast } from '../host/min-duration'
import type { HostBenchmarkResult, LoadedModel } from '../host/runtime'
import type { LatencyStats } from '../../../shared/contract/measure'
import type { VirtualDeviceState } from './commands'
import { busyCoresFor } from './power'
import type { CommandContext } from './shell'

interface BenchmarkFlags {
  graph: string
  numThreads: number
  numRuns: number
  warmupRuns: number
  minSecs: number
  warmupMinSecs: number
  maxSecs: number
  opProfiling: boolean
  useXnnpack: boolean | null
  useGpu: boolean
  useNnapi: boolean
  reportPeakMemory: boolean
  verbose: boolean
}

const DEFAULTS: BenchmarkFlags = {
  graph: '',
  numThreads: -1,
  numRuns: 50,
  warmupRuns: 1,
  minSecs: 1,
  warmupMinSecs: 0.5,
  maxSecs: 150,
  opProfiling: false,
  useXnnpack: null,
  useGpu: false,
  useNnapi: false,
  reportPeakMemory: false,
  verbose: false
}

type FlagKind = 'string' | 'int' | 'float' | 'bool'
const FLAG_TABLE: Record<string, { key: keyof BenchmarkFlags | null; kind: FlagKind }> = {
  graph: { key: 'graph', kind: 'string' },
  num_threads: { key: 'numThreads', kind: 'int' },
  num_runs: { key: 'numRuns', kind: 'int' },
  warmup_runs: { key: 'warmupRuns', kind: 'int' },
  min_secs: { key: 'minSecs', kind: 'float' },
  warmup_min_secs: { key: 'warmupMinSecs', kind: 'float' },
  max_secs: { key: 'maxSecs', kind: 'float' },
  enable_op_profiling: { key: 'opProfiling', kind: 'bool' },
  use_xnnpack: { key: 'useXnnpack', kind: 'bool' },
  use_gpu: { key: 'useGpu', kind: 'bool' },
  use_nnapi: { key: 'useNnapi', kind: 'bool' },
  report_peak_memory_footprint: { key: 'reportPeakMemory', kind: 'bool' },
  verbose: { key: 'verbose', kind: 'bool' },
  // Accepted and ignored: they change nothing the virtual phone models.
  run_delay: { key: null, kind: 'float' },
  benchmark_name: { key: null, kind: 'string' },
  output_prefix: { key: null, kind: 'string' },
  max_profiling_buffer_entries: { key: null, kind: 'int' },
  allow_dynamic_profiling_buffer_increase: { key: null, kind: 'bool' },
  use_caching: { key: null, kind: 'bool' },
  input_layer: { key: null, kind: 'string' },
  input_layer_shape: { key: null, kind: 'string' },
  memory_footprint_check_interval_ms: { key: null, kind: 'int' }
}

export interface ParsedFlags {
  flags: BenchmarkFlags
  unconsumed: string[]
  invalid: string[]
}

export function parseBenchmarkFlags(args: string[]): ParsedFlags {
  const flags: BenchmarkFlags = { ...DEFAULTS }
  const unconsumed: string[] = []
  const invalid: string[] = []
  for (const arg of args) {
    const m = /^--?([A-Za-z0-9_]+)=(.*)$/s.exec(arg)
    const spec = m ? FLAG_TABLE[m[1]] : undefined
    if (!m || !spec) {
      unconsumed.push(arg)
      continue
    }
    const raw = m[2]
    let value: string | number | boolean
    if (spec.kind === 'int') {
      if (!/^-?\d+$/.test(raw)) {
        invalid.push(arg)
        continue
      }
      value = Number(raw)
    } else if (spec.kind === 'float') {
      value = Number(raw)
      if (!Number.isFinite(value) || raw.trim() === '') {
        invalid.push(arg)
        continue
      }
    } else if (spec.kind === 'bool') {
      if (!/^(true|false|1|0)$/i.test(raw)) {
        invalid.push(arg)
        continue
      }
      value = /^(true|1)$/i.test(raw)
    } else value = raw
    if (spec.key) (flags as unknown as Record<string, unknown>)[spec.key] = value
  }
  return { flags, unconsumed, invalid }
}

/** C++ ostream default formatting (like printf %g with 6 significant digits), as the official tool prints numbers. */
export function formatG(x: number): string {
  if (!Number.isFinite(x)) return String(x)
  if (x === 0) return '0'
  const exp = Math.floor(Math.log10(Math.abs(x)))
  let text: string
  if (exp < -4 || exp >= 6) {
    const [mant, e] = x.toExponential(5).split('e')
    const mantissa = mant.includes('.') ? mant.replace(/0+$/, '').replace(/\.$/, '') : mant
    const n = Number(e)
    text = `${mantissa}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`
  } else {
    text = x.toPrecision(6)
    if (text.includes('.')) text = text.replace(/0+$/, '').replace(/\.$/, '')
  }
  return text
}

function statLine(s: LatencyStats, firstUs: number): string {
  const us = (ms: number | null): number => Math.round((ms ?? 0) * 1000)
  const parts = [
    `count=${s.count}`,
    `first=${formatG(firstUs)}`,
    `curr=${formatG(us(s.medianMs))}`,
    `min=${formatG(us(s.minMs))}`,
    `max=${formatG(us(s.maxMs))}`,
    `avg=${formatG(s.meanMs * 1000)}`,
    `std=${formatG(us(s.stdMs))}`
  ]
  const pct = s.percentilesMs
  if (pct['5'] !== undefined && pct['95'] !== undefined) {
    parts.push(`p5=${formatG(us(pct['5']))}`, `median=${formatG(us(s.medianMs))}`, `p95=${formatG(us(pct['95']))}`)
  }
  return `INFO: ${parts.join(' ')}\n`
}

const bool01 = (b: boolean): string => (b ? '1' : '0')

export async function runBenchmarkModel(ctx: CommandContext, dev: VirtualDeviceState): Promise<number> {
  const { flags: f, unconsumed, invalid } = parseBenchmarkFlags(ctx.argv.slice(1))
  const out = ctx.out
  const fail = async (...lines: string[]): Promise<number> => {
    await out(lines.map((l) => `ERROR: ${l}\n`).join('') + 'ERROR: Benchmarking failed.\n')
    return 1
  }
  await out('INFO: STARTING!\n')
  if (invalid.length > 0) return fail(...invalid.map((a) => `Failed to parse the value of ${a.split('=')[0]}: ${a}`))
  if (unconsumed.length > 0) return fail(`Unconsumed cmdline flags: ${unconsumed.join(' ')}`)
  const threads = f.numThreads > 0 ? f.numThreads : Number(dev.props.get('ro.proxyless.default_threads') ?? '1')

  const header: string[] = [`Log parameter values verbosely: [${bool01(f.verbose)}]`, `Min num runs: [${f.numRuns}]`, `Min warmup runs: [${f.warmupRuns}]`]
  if (f.verbose) header.push(`Min runs duration (seconds): [${f.minSecs}]`, `Max runs duration (seconds): [${f.maxSecs}]`, `Min warmup runs duration (seconds): [${f.warmupMinSecs}]`)
  header.push(`Num threads: [${f.numThreads}]`, `Graph: [${f.graph}]`)
  if (f.opProfiling || f.verbose) header.push(`Enable op profiling: [${bool01(f.opProfiling)}]`)
  if (f.reportPeakMemory || f.verbose) header.push(`Report the peak memory footprint: [${bool01(f.reportPeakMemory)}]`)
  header.push(`#threads used for CPU inference: [${threads}]`)
  if (f.useGpu || f.verbose) header.push(`Use gpu: [${bool01(f.useGpu)}]`)
  if (f.useNnapi || f.verbose) header.push(`Use NNAPI: [${bool01(f.useNnapi)}]`)
  if (f.useXnnpack !== null || f.verbose) header.push(`Use xnnpack: [${bool01(f.useXnnpack !== false)}]`)
  await out(header.map((l) => `INFO: ${l}\n`).join(''))
  await out("INFO: Virtual phone: this model runs on the computer's CPU with TFLite (WebAssembly); battery and thermal readings are modelled.\n")

  if (f.graph === '') return fail('Please specify the name of your TF Lite input file with --graph')
  let bytes: Buffer
  try {
    bytes = await dev.fs.readFile(f.graph)
  } catch {
    return fail(`Could not open '${f.graph}'.`, `Failed to mmap model ${f.graph}`)
  }
  if (f.numRuns < 1 || f.numRuns > 100_000 || f.warmupRuns < 0 || f.warmupRuns > 10_000) {
    return fail('--num_runs must be 1..100000 and --warmup_runs 0..10000 on the virtual phone.')
  }
  await out(`INFO: Loaded model ${f.graph}\nINFO: Initialized TensorFlow Lite runtime.\n`)
  if (f.useGpu) {
    await out('INFO: Created TensorFlow Lite delegate for GPU.\n')
    return fail('The virtual phone has no OpenCL or OpenGL ES driver, so the GPU delegate cannot be created.', 'Failed to apply GPU delegate.')
  }
  if (f.useNnapi) await out('INFO: Created TensorFlow Lite delegate for NNAPI.\nINFO: NNAPI delegate created.\n')
  await out('INFO: Created TensorFlow Lite XNNPACK delegate for CPU.\n')
  if (f.useXnnpack === false) await out('WARNING: The virtual phone always runs XNNPACK (its WebAssembly runtime has no other CPU kernels); --use_xnnpack=false has no effect.\n')

  const busy = busyCoresFor(threads, ctx.cpuMask ?? dev.power.cores.map((c) => c.index), dev.power.cores)
  const endLoad = dev.power.startLoad(busy)
  let result: HostBenchmarkResult
  // The phone's runtime stays warm between runs; an abort stops it (the next run starts and warms a new one).
  const onAbort = (): void => dev.runtime.discard()
  ctx.signal.addEventListener('abort', onAbort, { once: true })
  let model: LoadedModel | null = null
  try {
    const runtime = await dev.runtime.get()
    if (ctx.signal.aborted) return 130
    model = await runtime.load(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    // Like the real tool: at least --num_runs and at least --min_secs (capped by --max_secs) of timed runs.
    const timed = await benchmarkForAtLeast(model, { threads: Math.min(64, threads), runs: f.numRuns, warmupRuns: f.warmupRuns, profileOps: f.opProfiling }, Math.min(f.minSecs, f.maxSecs) * 1000, () => ctx.signal.aborted)
    if (timed === null) return 130
    result = timed
  } catch (e) {
    if (ctx.signal.aborted) return 130
    const message = e instanceof Error ? e.message : String(e)
    return fail(message, `Failed to construct interpreter`)
  } finally {
    endLoad()
    ctx.signal.removeEventListener('abort', onAbort)
    await model?.dispose().catch(() => undefined)
  }

  if (f.useNnapi) await out('INFO: Though NNAPI delegate is explicitly applied, the model graph will not be executed by the delegate.\n')
  await out('INFO: Explicitly applied XNNPACK delegate, and the model graph will be completely executed by the delegate.\n')
  const lines: string[] = []
  lines.push(`INFO: The input model file size (MB): ${formatG(bytes.length / 1e6)}`)
  lines.push(`INFO: Initialized session in ${formatG(result.initMs)}ms.`)
  lines.push(`INFO: Running benchmark for at least ${f.warmupRuns} iterations and at least ${formatG(f.warmupMinSecs)} seconds but terminate if exceeding ${formatG(f.maxSecs)} seconds.`)
  lines.push(statLine(result.warmup, Math.round(result.firstMs * 1000)))
  lines.push(`INFO: Running benchmark for at least ${f.numRuns} iterations and at least ${formatG(f.minSecs)} seconds but terminate if exceeding ${formatG(f.maxSecs)} seconds.`)
  lines.push(statLine(result.steady, Math.round((result.steady.medianMs ?? result.steady.meanMs) * 1000)))
  lines.push(
    `INFO: Inference timings in us: Init: ${formatG(Math.round(result.initMs * 1000))}, First inference: ${formatG(Math.round(result.firstMs * 1000))}, ` +
      `Warmup (avg): ${formatG(result.warmup.meanMs * 1000)}, Inference (avg): ${formatG(result.steady.meanMs * 1000)}`
  )
  lines.push(
    'INFO: Note: as the benchmark tool itself affects memory footprint, the following is only APPROXIMATE to the actual memory footprint of the model at runtime. Take the information at your discretion.'
  )
  lines.push(`INFO: Memory footprint delta from the start of the tool (MB): init=${formatG(result.memory.initMb ?? 0)} overall=${formatG(result.memory.overallMb ?? 0)}`)
  if (f.reportPeakMemory && result.memory.peakMb !== null) lines.push(`INFO: Overall peak memory footprint (MB) via periodic monitoring: ${formatG(result.memory.peakMb)}`)
  await out(lines.join('\n') + '\n')
  if (f.opProfiling && result.opsSummaryText) {
    await out(`Operator-wise Profiling Info for Regular Benchmark Runs:\n${result.opsSummaryText.replace(/\n*$/, '\n')}\n`)
  }
  return 0
}
