// Datasets: which ones the lab knows, where it found them, and what they hold.
import { z } from 'zod'

/** 'fashion-mnist', 'mnist', 'cifar10', or 'folder:<path>' (one sub-folder of images per class). */
export const DatasetNameSchema = z
  .string()
  .max(4096, 'is too long')
  .regex(/^(fashion-mnist|mnist|cifar10|folder:.+)$/, "must be 'fashion-mnist', 'mnist', 'cifar10' or 'folder:<path>'")
export type DatasetName = z.infer<typeof DatasetNameSchema>

export type DatasetSource = 'folder' | 'cache' | 'system'

export interface DatasetAvailability {
  name: string
  title: string
  available: boolean
  /** Folder where it was found, or null. */
  foundAt: string | null
  /** Where that folder is: picked by the person, the lab's cache (<dataDir>/datasets/<name>), or a system package. */
  source: DatasetSource | null
  /** "Found in ..." or "Not found: how to get it". */
  hint: string
  /** True when the lab can download it itself (with consent). */
  downloadable: boolean
}

export interface DatasetSplitCounts {
  train: number
  /** Null when the dataset ships no test set (the splits carve one from train). */
  test: number | null
}

export interface DatasetInfo {
  name: string
  title: string
  sourcePath: string
  counts: DatasetSplitCounts
  /** [height, width, channels] */
  inputShape: [number, number, number]
  classes: number
  classNames: string[]
  /** Images per class in the training set. */
  trainCountsPerClass: number[]
  warnings: string[]
}

export const dataRequests = {
  'data.list': z.object({}).strict(),
  'data.inspect': z
    .object({
      name: DatasetNameSchema,
      /** A folder to read the dataset from instead of the usual places. */
      path: z.string().min(1).max(4096).optional()
    })
    .strict()
} as const

export interface DataResponses {
  'data.list': DatasetAvailability[]
  'data.inspect': DatasetInfo
}
