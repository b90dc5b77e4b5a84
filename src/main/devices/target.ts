// Target: anything that runs a TFLite file and reports a Measurement (a phone over adb, the virtual phone, this computer).
import type { DeviceInfo, JobProgress } from '../../shared/contract/core'
import type { BenchmarkSettings, Measurement } from '../../shared/contract/measure'

export interface MeasureOptions {
  /** Aborting stops the benchmark on the device; the promise then rejects with LabError('cancelled'). */
  signal?: AbortSignal
  onProgress?: (progress: JobProgress) => void
}

export interface Target {
  readonly serial: string
  info(): DeviceInfo
  measure(modelBytes: Uint8Array, settings: BenchmarkSettings, opts?: MeasureOptions): Promise<Measurement>
}
