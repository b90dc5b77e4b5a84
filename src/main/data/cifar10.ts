// CIFAR-10, binary version: data_batch_1..5.bin (train) and test_batch.bin, each a run of 3,073-byte records:
// 1 label byte, then 1024 red, 1024 green, 1024 blue bytes (32×32 row-major). Stored here as NHWC uint8.
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import { LabError } from '../../shared/errors'
import { formatCount, type ImageSet, type LoadedDataset } from './dataset'
import type { LocationSource } from './idx-dataset'

export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']
export const CIFAR10_URL = 'https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz'
export const CIFAR10_TRAIN_FILES = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`)
export const CIFAR10_TEST_FILE = 'test_batch.bin'
const SIDE = 32
const PLANE = SIDE * SIDE
const RECORD = 1 + 3 * PLANE

/** Parse one batch file; `label` names it in error sentences. */
export function parseCifarBatch(bytes: Uint8Array, label: string): ImageSet {
  if (bytes.length === 0 || bytes.length % RECORD !== 0) {
    const whole = Math.floor(bytes.length / RECORD)
    throw new LabError(
      'invalid_file',
      `${label}: is ${formatCount(bytes.length)} bytes, not a whole number of 3,073-byte CIFAR-10 records (${formatCount(whole)} records and ${formatCount(bytes.length - whole * RECORD)} bytes left over): the file is cut short or is not a CIFAR-10 binary batch; download it again.`
    )
  }
  const count = bytes.length / RECORD
  const pixels = new Uint8Array(count * 3 * PLANE)
  const labels = new Int32Array(count)
  for (let n = 0; n < count; n++) {
    const rec = n * RECORD
    const lab = bytes[rec]
    if (lab >= CIFAR10_CLASS_NAMES.length) {
      throw new LabError('invalid_file', `${label}: record ${formatCount(n)} has label ${lab}, but CIFAR-10 labels are 0-9: this is not a CIFAR-10 binary batch (CIFAR-100 uses 2 label bytes).`)
    }
    labels[n] = lab
    const out = n * 3 * PLANE
    for (let p = 0; p < PLANE; p++) {
      const o = out + p * 3
      pixels[o] = bytes[rec + 1 + p]
      pixels[o + 1] = bytes[rec + 1 + PLANE + p]
      pixels[o + 2] = bytes[rec + 1 + 2 * PLANE + p]
    }
  }
  return { pixels, labels, count, height: SIDE, width: SIDE, channels: 3 }
}

/** Concatenate image sets of the same shape. */
export function concatImageSets(sets: ImageSet[]): ImageSet {
  const first = sets[0]
  const count = sets.reduce((a, s) => a + s.count, 0)
  const pixels = new Uint8Array(sets.reduce((a, s) => a + s.pixels.length, 0))
  const labels = new Int32Array(count)
  let p = 0
  let l = 0
  for (const s of sets) {
    pixels.set(s.pixels, p)
    labels.set(s.labels, l)
    p += s.pixels.length
    l += s.count
  }
  return { pixels, labels, count, height: first.height, width: first.width, channels: first.channels }
}

/** The folder holding the batches: `dir` itself or its 'cifar-10-batches-bin' sub-folder (as the archive unpacks). */
export async function findCifarDir(dir: string): Promise<{ dir: string } | { missing: string[] }> {
  let bestMissing: string[] | null = null
  for (const sub of ['', 'cifar-10-batches-bin']) {
    const folder = path.join(dir, sub)
    let names: Set<string>
    try {
      names = new Set(await readdir(folder))
    } catch {
      continue
    }
    const missing = [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE].filter((f) => !names.has(f))
    if (missing.length === 0) return { dir: folder }
    if (bestMissing === null || missing.length < bestMissing.length) bestMissing = missing
  }
  return { missing: bestMissing ?? [...CIFAR10_TRAIN_FILES, CIFAR10_TEST_FILE] }
}

export async function locateCifar10(opts: { dataDir?: string; folder?: string }): Promise<{ dir: string; source: LocationSource } | null> {
  if (opts.folder) {
    const found = await findCifarDir(opts.folder)
    if ('missing' in found) throw new LabError('not_found', `${opts.folder} does not hold CIFAR-10's binary batches: missing ${found.missing.join(', ')}. ${cifarHowToGet()}`)
    return { dir: found.dir, source: 'folder' }
  }
  if (opts.dataDir) {
    const found = await findCifarDir(path.join(opts.dataDir, 'datasets', 'cifar10'))
    if (!('missing' in found)) return { dir: found.dir, source: 'cache' }
  }
  return null
}

export function cifarHowToGet(dataDir?: string): string {
  const into = dataDir ? path.join(dataDir, 'datasets', 'cifar10') : 'a folder'
  return `Download the binary version (${CIFAR10_URL}), unpack it into ${into} (or pick the unpacked cifar-10-batches-bin folder).`
}

export async function loadCifar10(dir: string): Promise<LoadedDataset> {
  const read = async (f: string) => parseCifarBatch(await readFile(path.join(dir, f)), f)
  const train = concatImageSets(await Promise.all(CIFAR10_TRAIN_FILES.map(read)))
  const test = await read(CIFAR10_TEST_FILE)
  return { name: 'cifar10', sourcePath: dir, train, test, classNames: await readClassNames(dir), warnings: [] }
}

/** batches.meta.txt names the classes one per line; the standard names when it is absent. */
async function readClassNames(dir: string): Promise<string[]> {
  try {
    const lines = (await readFile(path.join(dir, 'batches.meta.txt'), 'utf8')).split(/\r?\n/).map((s) => s.trim()).filter(Boolean)
    if (lines.length === CIFAR10_CLASS_NAMES.length) return lines
  } catch {
    // absent: use the standard names
  }
  return [...CIFAR10_CLASS_NAMES]
}
