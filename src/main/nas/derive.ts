// Derive → train → export → measure: a trained single-path network (batch norm folded into its convs) becomes IR
// weights, then fp32 and int8 TFLite files (int8 calibrated on real training images), each measured on the device
// and stored as a candidate with its test accuracy, measured and predicted latency/energy, size and MACs.
import type { LutEntry } from '../../shared/contract/profile'
import { typicalLatencyMs, type BenchmarkSettings, type Measurement } from '../../shared/contract/measure'
import type { CandidateArchitecture, CandidateInfo } from '../../shared/contract/search'
import { iterateBatches, type SplitView } from '../data/splits'
import { networkCost } from '../model/cost'
import type { Network, Weights } from '../model/ir'
import { architectureToString, buildNetwork, type Architecture, type SearchSpace } from '../model/space'
import { HostRuntime } from '../devices/host/runtime'
import { calibrateInt8 } from '../model/tflite/quantize'
import { writeTflite } from '../model/tflite/writer'
import type { Supernet } from './supernet'
import { predictFromRows } from './table'

/** The lab services derive needs (JobContext.call in the job; direct functions in tests and benches). */
export interface CandidateSink {
  insertCandidate(c: { name: string; architecture: CandidateArchitecture; precision: 'fp32' | 'int8'; accuracy: number | null; sizeBytes: number; macs: number; predictedLatencyMs: number | null; predictedEnergyMj: number | null; tflite: Uint8Array }): Promise<{ id: string; createdAt: number; runId: string }>
  measure(model: Uint8Array, candidateId: string): Promise<Measurement>
}

export interface ExportSettings {
  precisions: ('fp32' | 'int8')[]
  /** Training images used to calibrate int8 ranges. */
  calibrationImages: number
  /** Test images the int8 model's accuracy is measured on (host TFLite runtime). */
  int8EvalImages: number
}

/** The inference network of an architecture and its BN-folded weights. */
export function exportNetwork(net: Supernet, arch: Architecture): { ir: Network; weights: Weights } {
  const ir = buildNetwork(net.space, arch)
  return { ir, weights: net.foldedWeights(arch.map(() => 0)) }
}

/** The first `count` images of a split as batch-1 inputs (for calibration and the int8 accuracy). */
export function sampleImages(view: SplitView, count: number): { x: Float32Array[]; y: number[] } {
  const x: Float32Array[] = []
  const y: number[] = []
  for (const b of iterateBatches(view, { batchSize: 1, shuffle: false })) {
    if (x.length >= count) break
    x.push(b.x)
    y.push(b.y[0])
  }
  return { x, y }
}

/**
 * Accuracy of the exported int8 model: the very file written, run image by image in the host's TFLite runtime (the
 * same int8 kernels a phone's XNNPACK runs). A JavaScript integer simulation did this before at ~11 ms an image, which
 * was most of each candidate's export time.
 */
async function int8Accuracy(bytes: Uint8Array, test: { x: Float32Array[]; y: number[] }, signal?: AbortSignal): Promise<number | null> {
  if (test.x.length === 0) return null
  const runtime = await HostRuntime.start()
  try {
    const model = await runtime.load(bytes)
    let correct = 0
    for (let i = 0; i < test.x.length; i++) {
      if (i % 64 === 0) signal?.throwIfAborted()
      const out = (await model.run([test.x[i]]))[0]
      let best = 0
      for (let k = 1; k < out.length; k++) if (out[k] > out[best]) best = k
      if (best === test.y[i]) correct++
    }
    return correct / test.x.length
  } finally {
    await runtime.close()
  }
}

/**
 * Exports the trained network at each precision, stores each as a candidate, measures it on the device and returns
 * the candidates with their measured figures. `accuracyFp32` is the test accuracy of the BN network (inference mode).
 */
export async function exportAndMeasure(
  net: Supernet,
  arch: Architecture,
  meta: { name: string; architecture: CandidateArchitecture; accuracyFp32: number; rows: readonly LutEntry[] | null },
  data: { train: SplitView; test: SplitView },
  settings: ExportSettings,
  sink: CandidateSink,
  signal?: AbortSignal
): Promise<CandidateInfo[]> {
  const { ir, weights } = exportNetwork(net, arch)
  const cost = networkCost(ir)
  const predicted = meta.rows ? predictFromRows(net.space, arch, meta.rows) : { latencyMs: null, energyMj: null }
  const out: CandidateInfo[] = []
  for (const precision of settings.precisions) {
    signal?.throwIfAborted()
    let bytes: Uint8Array
    let accuracy: number | null = meta.accuracyFp32
    if (precision === 'int8') {
      const calibration = sampleImages(data.train, settings.calibrationImages).x
      const int8Params = calibrateInt8(ir, weights, calibration)
      bytes = writeTflite(ir, weights, { precision: 'int8', int8Params })
      accuracy = await int8Accuracy(bytes, sampleImages(data.test, settings.int8EvalImages), signal)
    } else {
      bytes = writeTflite(ir, weights, { precision: 'fp32' })
    }
    const stored = await sink.insertCandidate({
      name: `${meta.name} · ${precision}`,
      architecture: meta.architecture,
      precision,
      accuracy,
      sizeBytes: bytes.length,
      macs: cost.totalMacs,
      predictedLatencyMs: predicted.latencyMs,
      predictedEnergyMj: predicted.energyMj,
      tflite: bytes
    })
    signal?.throwIfAborted()
    const m = await sink.measure(bytes, stored.id)
    out.push({
      id: stored.id,
      runId: stored.runId,
      name: `${meta.name} · ${precision}`,
      architecture: meta.architecture,
      precision,
      accuracy,
      sizeBytes: bytes.length,
      macs: cost.totalMacs,
      predictedLatencyMs: predicted.latencyMs,
      predictedEnergyMj: predicted.energyMj,
      measuredLatencyMs: typicalLatencyMs(m.steady),
      measuredEnergyMj: m.energy ? m.energy.energyPerInferenceMj : null,
      createdAt: stored.createdAt
    })
  }
  return out
}

export function describeArchitecture(space: SearchSpace, arch: Architecture, origin: CandidateArchitecture['origin']): CandidateArchitecture {
  return {
    space: space.name,
    input: space.options.input,
    widthMult: space.widthMult,
    stemStride: space.options.stemStride,
    architecture: architectureToString(arch),
    origin
  }
}

/** Benchmark settings for candidates: energy on when the objective is energy. */
export function candidateBenchmark(settings: BenchmarkSettings, objective: 'latency' | 'energy'): BenchmarkSettings {
  return objective === 'energy' ? { ...settings, energy: true } : settings
}
