// The host TFLite runtime: runs .tflite files on this computer's CPU with the real TFLite runtime that
// @tensorflow/tfjs-tflite ships as WebAssembly (XNNPACK, SIMD, single-threaded build), inside a worker thread.
//
// Stable API (also used by the virtual phone's benchmark_model):
//   const rt = await HostRuntime.start()
//   const model = await rt.load(bytes)         // LabError('invalid_file') with TFLite's own message if it won't load
//   const outputs = await model.run([input])   // typed arrays in the order of model.inputs / model.outputs
//   const result = await model.benchmark({ threads: 1, runs: 50, warmupRuns: 5, profileOps: true })
//   await model.dispose(); await rt.close()
// or the one-shot helpers benchmarkTfliteOnHost(bytes, opts) and runTfliteOnHost(bytes, inputs).
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { besideBundle } from '../../paths'
import { Worker } from 'node:worker_threads'
import type { LatencyStats, MemoryFootprint, OpTiming } from '../../../shared/contract/measure'
import { LabError } from '../../../shared/errors'
import { readTflite } from '../../model/tflite/reader'
import { parseProfilingSummary } from './profile'
import type { BenchmarkReply, HostTensorData, LoadReply, TensorSpec, WorkerInit, WorkerReply, WorkerRequest } from './protocol'
import { latencyStats } from './stats'

export type { HostTensorData, TensorSpec } from './protocol'

export interface HostRunOptions {
  /** Passed to TFLite as numThreads; this WASM build has no threads, so XNNPACK still runs on one core. */
  threads: number
  runs: number
  /** Runs before the measured ones, the first inference included (at least the first inference always runs). */
  warmupRuns: number
  /** Enable TFLite's op profiler: fills `ops` and `opsSummaryText` (adds a little overhead per op). */
  profileOps: boolean
}

export interface HostBenchmarkResult {
  /** The runtime, as Measurement.tool. */
  tool: string
  /** Building the interpreter (XNNPACK delegation, weight packing happens on the first run). */
  initMs: number
  firstMs: number
  /** The first inference and the further warmup runs. */
  warmup: LatencyStats
  steady: LatencyStats
  /** Per-op times parsed from the profiler ('tflite' nodes, then 'delegate' XNNPACK ops); empty without profileOps. */
  ops: OpTiming[]
  /**
   * Rough footprint from the WASM heap size (it only grows, in coarse steps): initMb = heap growth while building
   * the interpreter, overallMb = heap growth over the whole benchmark, peakMb = heap size at the end. See memoryNote.
   */
  memory: MemoryFootprint
  memoryNote: string
  /** TFLite's profiling summary as printed by the benchmark tool, or null without profileOps. */
  opsSummaryText: string | null
  inputs: TensorSpec[]
  outputs: TensorSpec[]
  /** Things a person should know about this measurement. */
  warnings: string[]
}

export const HOST_RUNTIME_TOOL = 'host tflite-wasm (tfjs-tflite 0.0.1-alpha.10, XNNPACK, SIMD)'

const MB = 1024 * 1024

export interface LoadedModel {
  readonly inputs: TensorSpec[]
  readonly outputs: TensorSpec[]
  /** One inference; inputs are typed arrays of the inputs' element counts, in model.inputs order. */
  run(inputs: HostTensorData[]): Promise<HostTensorData[]>
  benchmark(opts: HostRunOptions): Promise<HostBenchmarkResult>
  /** Frees the model in the worker; further calls fail with LabError('not_found'). */
  dispose(): Promise<void>
}

function resolveWasmFiles(): WorkerInit {
  const req = createRequire(__filename)
  let dir: string
  try {
    dir = join(dirname(req.resolve('@tensorflow/tfjs-tflite/package.json')), 'wasm')
  } catch {
    throw new LabError('tool_missing', 'The package @tensorflow/tfjs-tflite is not installed, so the host runtime cannot run; run npm install.')
  }
  const init = { wasmJsPath: join(dir, 'tflite_web_api_cc_simd.js'), wasmBinaryPath: join(dir, 'tflite_web_api_cc_simd.wasm') }
  for (const f of [init.wasmJsPath, init.wasmBinaryPath]) {
    if (!existsSync(f)) throw new LabError('tool_missing', `The TFLite WebAssembly file ${f} is missing; reinstall @tensorflow/tfjs-tflite.`)
  }
  return init
}

/** The worker entry: the compiled .js next to this file (bundled app) first, else the .ts source through tsx. */
function workerEntry(): { file: string; execArgv: string[] } {
  const js = besideBundle(__dirname, 'tflite-worker.js')
  if (js) return { file: js, execArgv: [] }
  const ts = join(__dirname, 'tflite-worker.ts')
  if (existsSync(ts)) return { file: ts, execArgv: ['--require', 'tsx/cjs'] } // '--import tsx' does not reach a worker's .ts entry on Node 20
  throw new LabError('internal', `The host runtime worker (tflite-worker.js) was not found next to ${__dirname}.`)
}

export class HostRuntime {
  private readonly pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>()
  private nextId = 1
  private exited = false
  private readonly exitPromise: Promise<void>

  private constructor(private readonly worker: Worker) {
    this.exitPromise = new Promise((resolve) => {
      worker.once('exit', (code) => {
        this.exited = true
        this.failAll(new LabError('internal', `The host TFLite worker stopped (exit code ${code}) while work was pending.`))
        resolve()
      })
    })
    worker.on('message', (reply: WorkerReply) => {
      const p = this.pending.get(reply.id)
      if (!p) return
      this.pending.delete(reply.id)
      if (reply.ok) p.resolve(reply.result)
      else p.reject(LabError.fromPayload(reply.error))
    })
    worker.on('error', (e) => {
      this.failAll(new LabError('internal', `The host TFLite worker crashed: ${e.message}`))
    })
  }

  /** Starts one worker with its own WASM instance. */
  static async start(): Promise<HostRuntime> {
    const init = resolveWasmFiles()
    const entry = workerEntry()
    const rt = new HostRuntime(new Worker(entry.file, { workerData: init, execArgv: entry.execArgv }))
    // An empty request round trip: fails here (not on first use) if the worker or the WASM cannot start.
    await rt.request({ kind: 'dispose', modelId: 0 })
    return rt
  }

  /** True until close() finished or the worker died. */
  get running(): boolean {
    return !this.exited
  }

  get threadId(): number {
    return this.worker.threadId
  }

  async load(bytes: Uint8Array): Promise<LoadedModel> {
    // Our reader gives the profiler a size hint and, for broken files, a better reason than TFLite's verifier.
    let operatorCount = 256
    let readerError: LabError | null = null
    try {
      operatorCount = readTflite(bytes).subgraphs.reduce((n, g) => n + g.operators.length, 0)
    } catch (e) {
      readerError = e instanceof LabError ? e : null
    }
    let reply: LoadReply
    try {
      const copy = bytes.slice() // moved to the worker, not cloned
      reply = (await this.request({ kind: 'load', bytes: copy }, [copy.buffer])) as LoadReply
    } catch (e) {
      if (readerError && e instanceof LabError && e.code === 'invalid_file') throw readerError
      throw e
    }
    return this.loadedModel(reply, operatorCount)
  }

  private loadedModel(reply: LoadReply, operatorCount: number): LoadedModel {
    const modelId = reply.modelId
    return {
      inputs: reply.inputs,
      outputs: reply.outputs,
      run: async (inputs) => (await this.request({ kind: 'run', modelId, inputs })) as HostTensorData[],
      benchmark: async (opts) => {
        checkOptions(opts)
        // one entry per TFLite node and per delegate op per run; XNNPACK may split an op in two
        const perRun = 3 * operatorCount + 4
        const profilingEntries = Math.min(1_000_000, perRun * (opts.runs + Math.max(1, opts.warmupRuns) + 1))
        const r = (await this.request({
          kind: 'benchmark', modelId, threads: opts.threads, runs: opts.runs, warmupRuns: opts.warmupRuns,
          profileOps: opts.profileOps, profilingEntries
        })) as BenchmarkReply
        return benchmarkResult(r, reply, opts)
      },
      dispose: async () => {
        await this.request({ kind: 'dispose', modelId })
      }
    }
  }

  /** Stops the worker and frees everything it held. */
  async close(): Promise<void> {
    if (!this.exited) await this.worker.terminate()
    await this.exitPromise
  }

  private request(body: DistributiveOmit<WorkerRequest, 'id'>, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (this.exited) return Promise.reject(new LabError('conflict', 'The host runtime is closed; start a new one.'))
    const id = this.nextId++
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker.postMessage({ ...body, id } as WorkerRequest, transfer)
    })
  }

  private failAll(e: Error): void {
    for (const p of this.pending.values()) p.reject(e)
    this.pending.clear()
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never

function checkOptions(o: HostRunOptions): void {
  const ok = (v: number, min: number, max: number): boolean => Number.isInteger(v) && v >= min && v <= max
  if (!ok(o.threads, 1, 64)) throw new LabError('bad_request', 'threads must be a whole number from 1 to 64.', 'threads')
  if (!ok(o.runs, 1, 100_000)) throw new LabError('bad_request', 'runs must be a whole number from 1 to 100000.', 'runs')
  if (!ok(o.warmupRuns, 0, 10_000)) throw new LabError('bad_request', 'warmupRuns must be a whole number from 0 to 10000.', 'warmupRuns')
}

function benchmarkResult(r: BenchmarkReply, model: LoadReply, opts: HostRunOptions): HostBenchmarkResult {
  const warnings: string[] = []
  if (opts.threads > 1) warnings.push(`threads=${opts.threads} was passed to TFLite, but this WebAssembly build has no threads: XNNPACK ran on one core.`)
  return {
    tool: HOST_RUNTIME_TOOL,
    initMs: r.initMs,
    firstMs: r.firstMs,
    warmup: latencyStats([r.firstMs, ...r.warmupMs]),
    steady: latencyStats(r.steadyMs),
    ops: r.profilingSummary ? parseProfilingSummary(r.profilingSummary) : [],
    memory: {
      initMb: (r.heapBytesAfterInit - r.heapBytesBefore) / MB,
      overallMb: (r.heapBytesAfter - r.heapBytesBefore) / MB,
      peakMb: r.heapBytesAfter / MB
    },
    memoryNote: 'WASM heap size of the host runtime (grows in coarse steps, never shrinks): growth during init, growth over the benchmark, and heap size at the end; not a process RSS.',
    opsSummaryText: r.profilingSummary,
    inputs: model.inputs,
    outputs: model.outputs,
    warnings
  }
}

/** Start a runtime, load, benchmark, close. */
export async function benchmarkTfliteOnHost(bytes: Uint8Array, opts: HostRunOptions): Promise<HostBenchmarkResult> {
  const rt = await HostRuntime.start()
  try {
    const model = await rt.load(bytes)
    return await model.benchmark(opts)
  } finally {
    await rt.close()
  }
}

/** Start a runtime, load, run once, close. */
export async function runTfliteOnHost(bytes: Uint8Array, inputs: HostTensorData[]): Promise<HostTensorData[]> {
  const rt = await HostRuntime.start()
  try {
    const model = await rt.load(bytes)
    return await model.run(inputs)
  } finally {
    await rt.close()
  }
}
