// Worker thread that hosts the TFLite WebAssembly runtime shipped in @tensorflow/tfjs-tflite (XNNPACK, SIMD build).
// One WASM instance per worker; models live in its heap until disposed.
import { readFileSync } from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import { LabError, toErrorPayload } from '../../../shared/errors'
import type { BenchmarkReply, HostTensorData, LoadReply, TensorSpec, WorkerInit, WorkerReply, WorkerRequest } from './protocol'

interface EmbindVector<T> { size(): number; get(i: number): T; delete(): void }
interface WasmTensorInfo { id: number; name: string; dataType: string; shape: string; data(): HostTensorData | number }
interface WasmRunner {
  GetInputs(): EmbindVector<WasmTensorInfo>
  GetOutputs(): EmbindVector<WasmTensorInfo>
  Infer(): boolean
  GetProfilingSummary(): string
  delete(): void
}
interface WasmStatus { ok(): boolean; errorMessage(): string; value(): WasmRunner; delete(): void }
interface TfliteWasmModule {
  HEAPU8: Uint8Array
  _malloc(n: number): number
  _free(p: number): void
  TFLiteWebModelRunner: {
    CreateFromBufferAndOptions(p: number, n: number, o: { numThreads: number; enableProfiling: boolean; maxProfilingBufferEntries: number }): WasmStatus
  }
}
type Factory = (opts: { wasmBinary: Uint8Array; printErr: (s: string) => void; print: (s: string) => void }) => Promise<TfliteWasmModule>

interface LoadedEntry { pointer: number; size: number; status: WasmStatus; runner: WasmRunner }

const init = workerData as WorkerInit
const errLines: string[] = []
const models = new Map<number, LoadedEntry>()
let nextModelId = 1

// eslint-disable-next-line @typescript-eslint/no-require-imports
const factory = require(init.wasmJsPath) as Factory
const modulePromise = factory({
  wasmBinary: readFileSync(init.wasmBinaryPath),
  printErr: (s) => { errLines.push(s); if (errLines.length > 200) errLines.shift() },
  print: () => undefined
}).catch((e: unknown) => {
  throw new LabError('tool_missing', `The TFLite WebAssembly runtime could not start (${e instanceof Error ? e.message : String(e)}); reinstall @tensorflow/tfjs-tflite.`)
})

function shapeOf(text: string): number[] {
  return text === '' ? [] : text.split(',').map(Number)
}

function specs(vec: EmbindVector<WasmTensorInfo>): TensorSpec[] {
  const out: TensorSpec[] = []
  for (let i = 0; i < vec.size(); i++) {
    const t = vec.get(i)
    out.push({ id: t.id, name: t.name, dataType: t.dataType, shape: shapeOf(t.shape) })
  }
  vec.delete()
  return out
}

/** What TFLite printed since `from`: distinct lines, without the routine banner, "ERROR: " and doc links. */
function runtimeErrors(from: number): string {
  const lines = errLines
    .slice(from)
    .filter((l) => !/^INFO: /.test(l) && !/^See instructions/.test(l.trim()))
    .map((l) => l.replace(/^ERROR: /, '').replace(/[.\s]+$/, '').trim())
    .filter((l) => l !== '')
  return [...new Set(lines)].join('; ')
}

function createRunner(M: TfliteWasmModule, pointer: number, size: number, threads: number, profiling: boolean, entries: number): { status: WasmStatus; runner: WasmRunner } {
  const mark = errLines.length
  const status = M.TFLiteWebModelRunner.CreateFromBufferAndOptions(pointer, size, {
    numThreads: threads, enableProfiling: profiling, maxProfilingBufferEntries: entries
  })
  if (!status.ok()) {
    const detail = runtimeErrors(mark) || status.errorMessage()
    status.delete()
    throw new LabError('invalid_file', `TFLite could not load this model: ${detail}.`)
  }
  return { status, runner: status.value() }
}

function entry(modelId: number): LoadedEntry {
  const e = models.get(modelId)
  if (!e) throw new LabError('not_found', `Model ${modelId} is not loaded in the host runtime (it was disposed); load it again.`)
  return e
}

function writeInputs(runner: WasmRunner, inputs: HostTensorData[] | null): void {
  const vec = runner.GetInputs()
  try {
    if (inputs && inputs.length !== vec.size()) {
      throw new LabError('bad_request', `The model has ${vec.size()} input(s) but ${inputs.length} were given.`)
    }
    for (let i = 0; i < vec.size(); i++) {
      const t = vec.get(i)
      const view = t.data()
      if (typeof view === 'number') throw new LabError('bad_request', `Input "${t.name}" has type ${t.dataType}, which the host runtime cannot fill.`)
      if (inputs) {
        const src = inputs[i]
        if (src.length !== view.length) {
          throw new LabError('bad_request', `Input "${t.name}" [${t.shape}] needs ${view.length} values but ${src.length} were given.`)
        }
        view.set(src as never)
      } else {
        // benchmark_model-style input: fixed pseudo-random values so runs are repeatable
        let s = 12345 + i
        for (let k = 0; k < view.length; k++) {
          s = (Math.imul(s, 1103515245) + 12345) >>> 0
          const r = (s >>> 8) / 16777216
          view[k] = view instanceof Float32Array || view instanceof Float64Array ? 2 * r - 1 : Math.floor(r * 256) - 128
        }
      }
    }
  } finally {
    vec.delete()
  }
}

function readOutputs(runner: WasmRunner): HostTensorData[] {
  const vec = runner.GetOutputs()
  const out: HostTensorData[] = []
  for (let i = 0; i < vec.size(); i++) {
    const view = vec.get(i).data()
    out.push(typeof view === 'number' ? new Float32Array(0) : view.slice())
  }
  vec.delete()
  return out
}

function infer(runner: WasmRunner): void {
  const mark = errLines.length
  if (!runner.Infer()) throw new LabError('internal', `TFLite inference failed: ${runtimeErrors(mark) || 'no message'}.`)
}

async function handle(req: WorkerRequest): Promise<unknown> {
  const M = await modulePromise
  switch (req.kind) {
    case 'load': {
      const size = req.bytes.length
      const pointer = M._malloc(Math.max(1, size))
      M.HEAPU8.set(req.bytes, pointer) // HEAPU8 re-read after malloc: the heap may have grown
      try {
        const { status, runner } = createRunner(M, pointer, size, 1, false, 0)
        const modelId = nextModelId++
        models.set(modelId, { pointer, size, status, runner })
        const reply: LoadReply = { modelId, inputs: specs(runner.GetInputs()), outputs: specs(runner.GetOutputs()), heapBytes: M.HEAPU8.length }
        return reply
      } catch (e) {
        M._free(pointer)
        throw e
      }
    }
    case 'run': {
      const e = entry(req.modelId)
      writeInputs(e.runner, req.inputs)
      infer(e.runner)
      return readOutputs(e.runner)
    }
    case 'benchmark': {
      const e = entry(req.modelId)
      const heapBytesBefore = M.HEAPU8.length
      // A fresh runner: threads and profiling are fixed when TFLite builds the interpreter.
      let t0 = performance.now()
      const { status, runner } = createRunner(M, e.pointer, e.size, req.threads, req.profileOps, req.profilingEntries)
      const initMs = performance.now() - t0
      const heapBytesAfterInit = M.HEAPU8.length
      try {
        writeInputs(runner, null)
        t0 = performance.now()
        infer(runner)
        const firstMs = performance.now() - t0
        const warmupMs: number[] = []
        for (let i = 1; i < req.warmupRuns; i++) {
          t0 = performance.now()
          infer(runner)
          warmupMs.push(performance.now() - t0)
        }
        const steadyMs: number[] = []
        for (let i = 0; i < req.runs; i++) {
          t0 = performance.now()
          infer(runner)
          steadyMs.push(performance.now() - t0)
        }
        const reply: BenchmarkReply = {
          initMs, firstMs, warmupMs, steadyMs,
          profilingSummary: req.profileOps ? runner.GetProfilingSummary() : null,
          heapBytesBefore, heapBytesAfterInit, heapBytesAfter: M.HEAPU8.length
        }
        return reply
      } finally {
        runner.delete()
        status.delete()
      }
    }
    case 'dispose': {
      const e = models.get(req.modelId)
      if (e) {
        e.runner.delete()
        e.status.delete()
        M._free(e.pointer)
        models.delete(req.modelId)
      }
      return null
    }
  }
}

// Requests are handled one at a time, in order: the WASM runtime is single-threaded.
let queue: Promise<void> = Promise.resolve()
parentPort!.on('message', (req: WorkerRequest) => {
  queue = queue.then(async () => {
    let reply: WorkerReply
    try {
      reply = { id: req.id, ok: true, result: await handle(req) }
    } catch (e) {
      reply = { id: req.id, ok: false, error: toErrorPayload(e) }
    }
    parentPort!.postMessage(reply)
  })
})
