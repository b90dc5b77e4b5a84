// Datasets by name: 'fashion-mnist', 'mnist', 'cifar10', 'folder:<path>'. Finds, loads, inspects and downloads them.
import path from 'node:path'
import type { DatasetAvailability, DatasetInfo } from '../../shared/contract/data'
import { LabError } from '../../shared/errors'
import { cifarHowToGet, locateCifar10, loadCifar10 } from './cifar10'
import type { LoadedDataset } from './dataset'
import { FASHION_MNIST } from './fashion-mnist'
import { downloadIdxDataset, idxHowToGet, loadIdxDataset, locateIdxDataset, type DatasetDownloadProgress, type IdxDatasetSpec, type LocationSource } from './idx-dataset'
import { loadImageFolder, scanImageFolder, type ImageFolderOptions } from './image-folder'
import { MNIST } from './mnist'

export const IDX_DATASETS: Record<string, IdxDatasetSpec> = { 'fashion-mnist': FASHION_MNIST, mnist: MNIST }
export const KNOWN_DATASETS = ['fashion-mnist', 'mnist', 'cifar10'] as const

export interface DatasetPlaces {
  /** The lab's data folder; its datasets/<name>/ sub-folder is the download cache. */
  dataDir?: string
  /** A folder the person picked; it must hold the dataset. */
  path?: string
}

export interface DatasetLocation {
  name: string
  dir: string
  source: LocationSource
}

export function titleOf(name: string): string {
  if (IDX_DATASETS[name]) return IDX_DATASETS[name].title
  if (name === 'cifar10') return 'CIFAR-10'
  if (name.startsWith('folder:')) return `Image folder ${path.basename(name.slice('folder:'.length))}`
  return name
}

function unknown(name: string): LabError {
  return new LabError('bad_request', `Unknown dataset '${name}': choose fashion-mnist, mnist, cifar10 or folder:<path to a folder with one sub-folder per class>.`, 'name')
}

/** Where the dataset is, or null. A picked folder that lacks it throws a sentence naming what is missing. */
export async function locateDataset(name: string, places: DatasetPlaces): Promise<DatasetLocation | null> {
  const spec = IDX_DATASETS[name]
  if (spec) {
    const loc = await locateIdxDataset(spec, { dataDir: places.dataDir, folder: places.path })
    return loc && { name, dir: loc.dir, source: loc.source }
  }
  if (name === 'cifar10') {
    const loc = await locateCifar10({ dataDir: places.dataDir, folder: places.path })
    return loc && { name, dir: loc.dir, source: loc.source }
  }
  if (name.startsWith('folder:')) {
    const dir = path.resolve(places.path ?? name.slice('folder:'.length))
    await scanImageFolder(dir)
    return { name: `folder:${dir}`, dir, source: 'folder' }
  }
  throw unknown(name)
}

export function howToGet(name: string, dataDir?: string): string {
  const spec = IDX_DATASETS[name]
  if (spec) return idxHowToGet(spec, dataDir)
  if (name === 'cifar10') return cifarHowToGet(dataDir)
  return 'Pick a folder with one sub-folder of PNG or JPEG images per class.'
}

/** The known datasets and whether (and where) each is available. */
export async function listDatasets(places: Pick<DatasetPlaces, 'dataDir'>): Promise<DatasetAvailability[]> {
  const out: DatasetAvailability[] = []
  for (const name of KNOWN_DATASETS) {
    const loc = await locateDataset(name, { dataDir: places.dataDir })
    out.push({
      name,
      title: titleOf(name),
      available: loc !== null,
      foundAt: loc?.dir ?? null,
      source: loc?.source ?? null,
      hint: loc ? `Found in ${loc.dir}.` : `Not found. ${howToGet(name, places.dataDir)}`,
      downloadable: IDX_DATASETS[name] !== undefined
    })
  }
  return out
}

export interface LoadOptions extends DatasetPlaces {
  /** For folder datasets: target size, channels, resampling, skipping unreadable images. */
  folder?: ImageFolderOptions
}

export async function loadDataset(name: string, opts: LoadOptions): Promise<LoadedDataset> {
  const spec = IDX_DATASETS[name]
  const notHere = () => new LabError('not_found', `${titleOf(name)} is not on this computer. ${howToGet(name, opts.dataDir)}`)
  if (spec) {
    const loc = await locateIdxDataset(spec, { dataDir: opts.dataDir, folder: opts.path })
    if (!loc) throw notHere()
    return loadIdxDataset(spec, loc)
  }
  const loc = await locateDataset(name, opts)
  if (!loc) throw notHere()
  if (name === 'cifar10') return loadCifar10(loc.dir)
  return loadImageFolder(loc.dir, opts.folder)
}

/** What a dataset holds (loads it once to count and check it). */
export async function inspectDataset(name: string, opts: LoadOptions): Promise<DatasetInfo> {
  const ds = await loadDataset(name, opts)
  return describeDataset(ds)
}

export function describeDataset(ds: LoadedDataset): DatasetInfo {
  const perClass = new Array<number>(ds.classNames.length).fill(0)
  for (const l of ds.train.labels) perClass[l]++
  return {
    name: ds.name,
    title: titleOf(ds.name),
    sourcePath: ds.sourcePath,
    counts: { train: ds.train.count, test: ds.test?.count ?? null },
    inputShape: [ds.train.height, ds.train.width, ds.train.channels],
    classes: ds.classNames.length,
    classNames: ds.classNames,
    trainCountsPerClass: perClass,
    warnings: ds.warnings
  }
}

export interface DownloadDatasetOptions {
  dataDir: string
  /** A mirror to use instead of the official address. */
  baseUrl?: string
  onProgress?: (p: DatasetDownloadProgress) => void
  signal?: AbortSignal
}

/** Download a dataset into <dataDir>/datasets/<name>/, verified by checksum. Returns the folder. */
export async function downloadDataset(name: string, opts: DownloadDatasetOptions): Promise<string> {
  const spec = IDX_DATASETS[name]
  if (spec) return downloadIdxDataset(spec, opts)
  if (name === 'cifar10') throw new LabError('bad_request', `The lab does not download CIFAR-10 itself yet. ${cifarHowToGet(opts.dataDir)}`)
  if (KNOWN_DATASETS.includes(name as never) || name.startsWith('folder:')) throw new LabError('bad_request', `${titleOf(name)} cannot be downloaded.`)
  throw unknown(name)
}
