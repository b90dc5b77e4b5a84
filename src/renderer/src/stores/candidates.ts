// The candidate page: one candidate with its measurements on every device, its .tflite, and re-measuring.
import { defineStore } from 'pinia'
import { computed, ref } from 'vue'
import type { CandidateDetail, CandidateMeasurement, JobInfo } from '../../../shared/api'
import { errorSentence, useLabStore } from './lab'

/** Architecture blocks as the page draws them: kernel, expansion, or a skip. */
export interface ArchitectureBlock {
  index: number
  op: string
  kernel: number | null
  expand: number | null
  skip: boolean
}

/** The op list of an architecture: a list, { ops: [...] }, the compact 'k3e6-zero-…', or a search's { architecture: 'k3e6-…' }. */
function architectureOps(architecture: unknown): unknown[] | null {
  if (Array.isArray(architecture)) return architecture
  if (typeof architecture === 'string') return architecture.trim() === '' ? null : architecture.trim().split('-')
  if (!architecture || typeof architecture !== 'object') return null
  const a = architecture as { ops?: unknown; architecture?: unknown }
  if (Array.isArray(a.ops)) return a.ops
  return typeof a.architecture === 'string' ? architectureOps(a.architecture) : null
}

/** 'k5e6' → kernel 5, expansion 6; 'zero' / 'skip' → a skipped block; anything else is shown as written. */
export function architectureBlocks(architecture: unknown): ArchitectureBlock[] | null {
  const ops = architectureOps(architecture)
  if (!ops || ops.length === 0 || !ops.every((o) => typeof o === 'string')) return null
  return (ops as string[]).map((op, index) => {
    const m = /^k(\d+)e(\d+)$/.exec(op)
    return { index, op, kernel: m ? Number(m[1]) : null, expand: m ? Number(m[2]) : null, skip: op === 'zero' || op === 'skip' }
  })
}

/** Per-layer bits from a list of numbers, or from { layer: bits } / [{ name, bits }] records. */
/**
 * The sentence under the architecture when there is no per-layer map: a search exports its network whole at one
 * precision ('fp32' or 'int8'), which is not a float model when it is int8.
 */
export function wholeModelPrecisionText(precision: unknown): string {
  if (precision === 'int8') return 'Whole model in int8: every layer quantized to 8 bits (no per-layer choice).'
  if (precision === 'fp16') return 'Whole model in fp16: every layer in 16-bit floats (no per-layer choice).'
  return 'Float model: no per-layer precision was chosen for this candidate.'
}

export function precisionLayers(precision: unknown): { name: string; bits: number }[] | null {
  if (precision === null || precision === undefined) return null
  if (Array.isArray(precision)) {
    if (precision.every((b) => typeof b === 'number')) return (precision as number[]).map((bits, i) => ({ name: `Layer ${i + 1}`, bits }))
    const rows = precision
      .map((p, i) => {
        const r = p as { name?: unknown; layer?: unknown; bits?: unknown; weightBits?: unknown; wbits?: unknown }
        const bits = typeof r.bits === 'number' ? r.bits : typeof r.weightBits === 'number' ? r.weightBits : typeof r.wbits === 'number' ? r.wbits : null
        const name = typeof r.name === 'string' ? r.name : typeof r.layer === 'string' ? r.layer : `Layer ${i + 1}`
        return bits === null ? null : { name, bits }
      })
      .filter((x): x is { name: string; bits: number } => x !== null)
    return rows.length ? rows : null
  }
  if (typeof precision === 'object') {
    const rows = Object.entries(precision as Record<string, unknown>).filter(([, v]) => typeof v === 'number') as [string, number][]
    return rows.length ? rows.map(([name, bits]) => ({ name, bits })) : null
  }
  return null
}

/** Measured against predicted, as a signed share of the prediction (0.12 = measured 12 % slower). */
export function predictionError(measured: number | null, predicted: number | null): number | null {
  if (measured === null || predicted === null || predicted === 0) return null
  return (measured - predicted) / predicted
}

/** The newest measurement that has per-op times, preferring the candidate's own device. */
export function measurementWithOps(measurements: readonly CandidateMeasurement[], serial: string | null): CandidateMeasurement | null {
  const withOps = measurements.filter((m) => m.measurement.ops.length > 0)
  return withOps.find((m) => m.deviceSerial === serial) ?? withOps[0] ?? null
}

export const useCandidatesStore = defineStore('candidates', () => {
  const lab = useLabStore()
  const detail = ref<CandidateDetail | null>(null)
  const loading = ref(false)
  const error = ref<string | null>(null)
  const actionError = ref<string | null>(null)
  const startedJobs = ref<JobInfo[]>([])
  const starting = ref(false)

  const id = computed(() => detail.value?.candidate.id ?? null)

  async function load(candidateId: string): Promise<void> {
    if (detail.value?.candidate.id !== candidateId) detail.value = null
    loading.value = true
    try {
      detail.value = await lab.call('candidates.get', { id: candidateId })
      error.value = null
    } catch (e) {
      error.value = errorSentence(e)
    } finally {
      loading.value = false
    }
  }

  async function download(): Promise<{ fileName: string; base64: string } | null> {
    if (!id.value) return null
    try {
      actionError.value = null
      return await lab.call('candidates.tflite', { id: id.value })
    } catch (e) {
      actionError.value = errorSentence(e)
      return null
    }
  }

  async function measure(serial: string | 'all'): Promise<void> {
    if (!id.value) return
    starting.value = true
    try {
      const jobs = serial === 'all' ? await lab.call('candidates.measureAll', { id: id.value }) : [await lab.call('candidates.measure', { id: id.value, serial })]
      startedJobs.value = [...jobs, ...startedJobs.value]
      actionError.value = null
    } catch (e) {
      actionError.value = errorSentence(e)
    } finally {
      starting.value = false
    }
  }

  return { detail, loading, error, actionError, startedJobs, starting, id, load, download, measure }
})
