// Messages between HostRuntime (main thread) and the TFLite worker. Plain data only (structured clone).
import type { LabErrorPayload } from '../../../shared/errors'

export type HostTensorData = Float32Array | Int8Array | Uint8Array | Int16Array | Int32Array | Uint32Array | Float64Array

export interface TensorSpec {
  /** Tensor index in subgraph 0. */
  id: number
  name: string
  /** TFLite's type name: 'float32', 'int8', 'uint8', 'int32', ... ('unknown' for types the runtime does not expose). */
  dataType: string
  shape: number[]
}

export interface WorkerInit {
  wasmJsPath: string
  wasmBinaryPath: string
}

export type WorkerRequest =
  | { id: number; kind: 'load'; bytes: Uint8Array }
  | { id: number; kind: 'run'; modelId: number; inputs: HostTensorData[] }
  | { id: number; kind: 'benchmark'; modelId: number; threads: number; runs: number; warmupRuns: number; profileOps: boolean; profilingEntries: number }
  | { id: number; kind: 'dispose'; modelId: number }

export interface LoadReply { modelId: number; inputs: TensorSpec[]; outputs: TensorSpec[]; heapBytes: number }

export interface BenchmarkReply {
  initMs: number
  firstMs: number
  /** Latencies of the warmup runs after the first inference. */
  warmupMs: number[]
  steadyMs: number[]
  profilingSummary: string | null
  heapBytesBefore: number
  heapBytesAfterInit: number
  heapBytesAfter: number
}

export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: LabErrorPayload }
