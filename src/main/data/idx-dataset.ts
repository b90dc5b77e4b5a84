// Datasets stored as four IDX files (MNIST and Fashion-MNIST): where to find them, how to load and download them.
import { createHash } from 'node:crypto'
import { createReadStream } from 'node:fs'
import { readdir, stat } from 'node:fs/promises'
import path from 'node:path'
import { LabError } from '../../shared/errors'
import type { LoadedDataset } from './dataset'
import { downloadVerified, type DownloadProgress } from './download'
import { readIdxImageSet } from './idx'

export type IdxPart = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels'
export const IDX_PARTS: readonly IdxPart[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels']

export interface IdxFileSpec {
  /** Name on the download server, e.g. 'train-images-idx3-ubyte.gz'. */
  downloadName: string
  /** Published MD5 of the downloaded (gzipped) file. */
  md5: string
}

export interface IdxDatasetSpec {
  name: string
  title: string
  classNames: string[]
  /** Base URL the file names are appended to. */
  baseUrl: string
  files: Record<IdxPart, IdxFileSpec>
  /** Folders where system packages install the dataset (e.g. Debian's dataset-fashion-mnist). */
  systemDirs: string[]
  /** Sub-folders other tools use inside a dataset folder (torchvision 'FashionMNIST/raw', the repository's 'data/fashion'). */
  layouts: string[]
}

export type LocationSource = 'folder' | 'cache' | 'system'

export interface IdxLocation {
  dir: string
  source: LocationSource
  files: Record<IdxPart, string>
}

/** The names a file may carry: 'train-images-idx3-ubyte', the 'train-images.idx3-ubyte' variant, each with or without .gz. */
export function candidateNames(spec: IdxFileSpec): string[] {
  const base = spec.downloadName.replace(/\.gz$/, '')
  const dotted = base.replace(/-(idx\d-ubyte)$/, '.$1')
  return [base, `${base}.gz`, dotted, `${dotted}.gz`]
}

/** The four files in `dir` (or in one of its known sub-folders), or the list of parts that are missing. */
export async function findIdxFiles(dir: string, spec: IdxDatasetSpec): Promise<{ dir: string; files: Record<IdxPart, string> } | { missing: string[] }> {
  let bestMissing: string[] | null = null
  for (const sub of ['', ...spec.layouts]) {
    const folder = path.join(dir, sub)
    const names = await listNames(folder)
    if (names === null) continue
    const files: Partial<Record<IdxPart, string>> = {}
    const missing: string[] = []
    for (const part of IDX_PARTS) {
      const found = candidateNames(spec.files[part]).find((n) => names.has(n))
      if (found) files[part] = path.join(folder, found)
      else missing.push(spec.files[part].downloadName)
    }
    if (missing.length === 0) return { dir: folder, files: files as Record<IdxPart, string> }
    if (bestMissing === null || missing.length < bestMissing.length) bestMissing = missing
  }
  return { missing: bestMissing ?? IDX_PARTS.map((p) => spec.files[p].downloadName) }
}

export function idxCacheDir(dataDir: string, spec: Pick<IdxDatasetSpec, 'name'>): string {
  return path.join(dataDir, 'datasets', spec.name)
}

/**
 * Where the dataset is: a folder the person picked (it must hold all four files, else a sentence naming the missing
 * ones), else the lab's cache, else a system location. Null when it is nowhere.
 */
export async function locateIdxDataset(spec: IdxDatasetSpec, opts: { dataDir?: string; folder?: string }): Promise<IdxLocation | null> {
  if (opts.folder) {
    const found = await findIdxFiles(opts.folder, spec)
    if ('missing' in found) {
      throw new LabError('not_found', `${opts.folder} does not hold ${spec.title}: missing ${found.missing.join(', ')} (gzipped or not). Pick the folder that holds the four files.`)
    }
    return { ...found, source: 'folder' }
  }
  const places: Array<[string, LocationSource]> = []
  if (opts.dataDir) places.push([idxCacheDir(opts.dataDir, spec), 'cache'])
  for (const d of spec.systemDirs) places.push([d, 'system'])
  for (const [dir, source] of places) {
    const found = await findIdxFiles(dir, spec)
    if (!('missing' in found)) return { ...found, source }
  }
  return null
}

export function idxHowToGet(spec: IdxDatasetSpec, dataDir?: string): string {
  const files = IDX_PARTS.map((p) => spec.files[p].downloadName).join(', ')
  const system = spec.systemDirs.length ? ` or install it where the lab looks (${spec.systemDirs.join(', ')})` : ''
  const cache = dataDir ? ` into ${idxCacheDir(dataDir, spec)}` : ''
  return `Download it (${files} from ${spec.baseUrl})${cache}, pick a folder that holds those files${system}.`
}

export async function loadIdxDataset(spec: IdxDatasetSpec, location: IdxLocation): Promise<LoadedDataset> {
  const classes = spec.classNames.length
  const train = await readIdxImageSet(location.files.trainImages, location.files.trainLabels, classes)
  const test = await readIdxImageSet(location.files.testImages, location.files.testLabels, classes)
  if (train.height !== test.height || train.width !== test.width || train.channels !== test.channels) {
    throw new LabError(
      'invalid_file',
      `${location.dir}: training images are ${train.height}×${train.width}×${train.channels} but test images are ${test.height}×${test.width}×${test.channels}: the files come from different datasets.`
    )
  }
  return { name: spec.name, sourcePath: location.dir, train, test, classNames: [...spec.classNames], warnings: [] }
}

export interface DatasetDownloadProgress extends DownloadProgress {
  /** 0-based index of the file being downloaded, of fileCount. */
  fileIndex: number
  fileCount: number
}

export interface IdxDownloadOptions {
  dataDir: string
  /** Override of spec.baseUrl (a mirror). */
  baseUrl?: string
  onProgress?: (p: DatasetDownloadProgress) => void
  signal?: AbortSignal
}

/** Download the four files into the cache (files already there with the right checksum are kept). Returns the folder. */
export async function downloadIdxDataset(spec: IdxDatasetSpec, opts: IdxDownloadOptions): Promise<string> {
  const dir = idxCacheDir(opts.dataDir, spec)
  const base = (opts.baseUrl ?? spec.baseUrl).replace(/\/?$/, '/')
  for (const [fileIndex, part] of IDX_PARTS.entries()) {
    const f = spec.files[part]
    const dest = path.join(dir, f.downloadName)
    if ((await md5OfFile(dest)) === f.md5) continue
    await downloadVerified({
      url: base + f.downloadName,
      dest,
      checksum: { algorithm: 'md5', hex: f.md5 },
      signal: opts.signal,
      onProgress: opts.onProgress ? (p) => opts.onProgress!({ ...p, fileIndex, fileCount: IDX_PARTS.length }) : undefined,
      manualHint: `You can also download ${f.downloadName} by hand and put it in ${dir}.`
    })
  }
  return dir
}

/** MD5 of a file, or null when it does not exist. */
export async function md5OfFile(file: string): Promise<string | null> {
  try {
    if (!(await stat(file)).isFile()) return null
  } catch {
    return null
  }
  const hash = createHash('md5')
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer)
  return hash.digest('hex')
}

async function listNames(dir: string): Promise<Set<string> | null> {
  try {
    return new Set(await readdir(dir))
  } catch {
    return null
  }
}
