// The 'measure' job: measure one .tflite on one target (this computer, a phone, a virtual phone) on that device's
// queue, store the measurement, and put its figures on the job's run.
import type { JobRunner } from '../jobs/runner'
import type { BenchmarkSettings, MeasurementRecordInfo } from '../../shared/api'

export interface MeasureJobParams {
  serial: string
  /** The model's bytes (read by the lab when the job was started). */
  model: Uint8Array
  modelName: string
  settings: BenchmarkSettings
  runId: string | null
  /** The candidate this model is (Compare's re-measure): the stored measurement carries it. */
  candidateId?: string | null
}

export const runner: JobRunner<MeasureJobParams, null, MeasurementRecordInfo> = {
  async run(ctx) {
    const { serial, model, modelName, settings, runId, candidateId = null } = ctx.params
    ctx.reportProgress({ fraction: 0.05, stage: `Measuring ${modelName} on ${serial}: ${settings.warmupRuns} warm-up and ${settings.runs} timed runs` })
    ctx.signal.throwIfAborted()
    const record = await ctx.call<MeasurementRecordInfo>('measure', { serial, model, settings, runId, candidateId })
    const m = record.measurement
    const figures: Record<string, number> = { latencyMeanMs: m.steady.meanMs, modelBytes: m.modelBytes }
    if (m.steady.stdMs !== null) figures.latencyStdMs = m.steady.stdMs
    if (m.energy) figures.energyMj = m.energy.energyPerInferenceMj
    if (runId) await ctx.call('runs.setFigures', { runId, figures })
    ctx.reportProgress({ fraction: 1, stage: `${modelName}: ${m.steady.meanMs.toFixed(2)} ms mean` })
    return record
  }
}
