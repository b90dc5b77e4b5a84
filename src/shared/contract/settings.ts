// Lab settings a person can change (kept in <dataDir>/settings.json).
import { z } from 'zod'

export const LabSettingsSchema = z
  .object({
    /** Start a virtual phone when no phone is connected (first run without a phone). */
    autoVirtualPhone: z.boolean().default(true),
    /** A benchmark_model binary on this computer to push to phones that lack one (Settings → Benchmark tool). */
    benchmarkToolPath: z.string().min(1).nullable().default(null),
    /** Consent to download TensorFlow's official nightly benchmark_model for a phone's ABI. */
    allowBenchmarkToolDownload: z.boolean().default(false)
  })
  .strict()
export type LabSettings = z.output<typeof LabSettingsSchema>

export const settingsRequests = {
  'settings.get': z.object({}).strict(),
  'settings.set': LabSettingsSchema.partial().strict()
} as const

export interface SettingsResponses {
  'settings.get': LabSettings
  'settings.set': LabSettings
}
