// Devices: adb servers, virtual phones, card refresh, and measuring any .tflite on a target.
import { z } from 'zod'
import { Id } from './core'
import { BenchmarkSettingsSchema, type Measurement } from './measure'

const AdbAddress = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9.\-_:[\]]+:\d{1,5}$/, "must be 'host:port', e.g. 192.168.1.20:5037")

export interface AdbServerStatus {
  label: string
  local: boolean
  /** Why the server cannot be reached right now, or null. */
  error: string | null
}

export interface DevicesStatus {
  servers: AdbServerStatus[]
  /** Why phones cannot be used at all (e.g. adb is not installed), with what to do; null when adb works. */
  adbProblem: string | null
}

export interface VirtualPhoneInfo {
  serial: string
  name: string
  threads: number
  port: number
  pid: number
  adbServer: string | null
  adbConnected: boolean
  startedAt: number
}

export interface MeasurementRecordInfo {
  id: string
  candidateId: string | null
  runId: string | null
  measurement: Measurement
}

export const devicesRequests = {
  'devices.status': z.object({}).strict(),
  'devices.refresh': z.object({ serial: Id }).strict(),
  'devices.addServer': z.object({ address: AdbAddress }).strict(),
  'devices.removeServer': z.object({ address: AdbAddress }).strict(),
  'virtualPhones.list': z.object({}).strict(),
  'virtualPhones.start': z
    .object({
      name: z.string().trim().regex(/^[A-Za-z0-9_-]{1,40}$/, 'may use letters, digits, - and _ (up to 40)').optional(),
      threads: z.number().int().min(1).max(64).optional()
    })
    .strict(),
  'virtualPhones.stop': z.object({ serial: Id }).strict(),
  /** Measure a .tflite on a target as a job on that device's queue (the person's own model, or any file). */
  'measure.start': z
    .object({
      serial: Id,
      /** A path on the lab host, or the file's bytes as base64 (from a file chosen in the window). */
      modelPath: z.string().min(1).optional(),
      modelBase64: z.string().min(8).max(700_000_000).optional(),
      modelName: z.string().max(200).optional(),
      settings: BenchmarkSettingsSchema.default(BenchmarkSettingsSchema.parse({}))
    })
    .strict()
    .refine((r) => (r.modelPath === undefined) !== (r.modelBase64 === undefined), { message: 'needs exactly one of modelPath or modelBase64' }),
  'measurements.list': z.object({ serial: Id.optional(), candidateId: Id.optional(), runId: Id.optional() }).strict()
} as const

export interface DevicesResponses {
  'devices.status': DevicesStatus
  'devices.refresh': import('./core').DeviceInfo
  'devices.addServer': DevicesStatus
  'devices.removeServer': DevicesStatus
  'virtualPhones.list': VirtualPhoneInfo[]
  'virtualPhones.start': VirtualPhoneInfo
  'virtualPhones.stop': VirtualPhoneInfo[]
  'measure.start': import('./core').JobInfo
  'measurements.list': MeasurementRecordInfo[]
}
