// Models: inspect any .tflite, and export an architecture of a search space as a real TFLite file.
import { z } from 'zod'

export const PrecisionSpecSchema = z
  .string()
  .trim()
  .regex(/^(fp32|fp16|int8|mixed:[A-Za-z0-9_*]+=(fp32|fp16|int8)(,[A-Za-z0-9_*]+=(fp32|fp16|int8))*)$/, "must be fp32, fp16, int8 or mixed:LAYER=PRECISION,… (e.g. mixed:b1_*=int8,head=fp16)")

export const ModelSourceSchema = z
  .object({
    /** A path on the lab host, or the bytes as base64. */
    path: z.string().min(1).optional(),
    base64: z.string().min(8).optional()
  })
  .strict()
  .refine((r) => (r.path === undefined) !== (r.base64 === undefined), { message: 'needs exactly one of path or base64' })

export interface TfliteSummary {
  fileBytes: number
  sha256: string
  version: number
  description: string
  subgraphs: number
  tensors: number
  operators: number
  ops: { name: string; version: number; count: number }[]
  inputs: { name: string; shape: number[]; type: string }[]
  outputs: { name: string; shape: number[]; type: string }[]
  constantBytesByType: Record<string, number>
  customOps: string[]
}

export interface ExportedModel {
  name: string
  space: string
  architecture: string
  precision: string
  fileBytes: number
  sha256: string
  macs: number
  params: number
  /** Where the file was written on the lab host, when asked. */
  path: string | null
  /** The file, as base64, when no path was given. */
  base64: string | null
  /** Things to know (e.g. random weights: the file is for latency, not accuracy). */
  notes: string[]
}

export const modelsRequests = {
  'tflite.inspect': ModelSourceSchema,
  'tflite.export': z
    .object({
      space: z.enum(['mobile', 'small']),
      /** Ops per searchable block joined by '-', e.g. k3e6-k5e3-zero-…; 'random' samples one with the seed. */
      arch: z.string().trim().min(1).max(2000),
      precision: PrecisionSpecSchema.default('fp32'),
      input: z.enum(['fashion-mnist', 'cifar10']).optional(),
      widthMult: z.number().min(0.25).max(2).optional(),
      classes: z.number().int().min(2).max(10_000).optional(),
      seed: z.number().int().min(1).max(2 ** 31 - 1).default(1),
      softmax: z.boolean().default(true),
      outPath: z.string().min(1).optional()
    })
    .strict()
} as const

export interface ModelsResponses {
  'tflite.inspect': TfliteSummary
  'tflite.export': ExportedModel
}
