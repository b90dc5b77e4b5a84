// A folder of images with one sub-folder per class (or train/ and test/ folders, each with one sub-folder per class).
// PNG and JPEG are decoded with pure-JS decoders, converted to grey or RGB and resized to one target size.
// Unreadable images stop the load with one error that lists them, unless skipUnreadable is set: then they are
// left out and listed in the dataset's warnings. Class names are the sub-folder names, sorted.
import { readFile, readdir } from 'node:fs/promises'
import path from 'node:path'
import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'
import { LabError } from '../../shared/errors'
import { formatCount, type ImageSet, type LoadedDataset } from './dataset'

export type Resample = 'auto' | 'bilinear' | 'area'

export interface ImageFolderOptions {
  height?: number
  width?: number
  /** 1 = grey (ITU-R BT.601 luma), 3 = RGB. */
  channels?: 1 | 3
  /** 'auto' averages areas when shrinking and interpolates bilinearly when enlarging. */
  resample?: Resample
  skipUnreadable?: boolean
}

const IMAGE_EXT = /\.(png|jpe?g)$/i
const MAX_LISTED = 10

interface FolderLayout {
  classNames: string[]
  /** Files per split: [absolute path, class index]. */
  train: Array<[string, number]>
  test: Array<[string, number]> | null
}

/** Find classes and image files without decoding anything. */
export async function scanImageFolder(root: string): Promise<FolderLayout> {
  const top = await subfolders(root)
  if (top === null) throw new LabError('not_found', `${root}: no such folder. Pick a folder with one sub-folder of images per class.`)
  const hasSplits = top.includes('train') && top.includes('test')
  const trainRoot = hasSplits ? path.join(root, 'train') : root
  const classNames = ((await subfolders(trainRoot)) ?? []).sort()
  if (classNames.length < 2) {
    throw new LabError('invalid_file', `${trainRoot}: has ${classNames.length === 0 ? 'no sub-folders' : `only one sub-folder (${classNames[0]})`}; an image-folder dataset needs one sub-folder of images per class, at least two classes.`)
  }
  const train = await listImages(trainRoot, classNames)
  let test: Array<[string, number]> | null = null
  if (hasSplits) {
    const testRoot = path.join(root, 'test')
    const extra = ((await subfolders(testRoot)) ?? []).filter((c) => !classNames.includes(c))
    if (extra.length) throw new LabError('invalid_file', `${testRoot}: has classes that train/ lacks (${extra.join(', ')}); every test class needs training images.`)
    test = await listImages(testRoot, classNames)
  }
  if (train.length === 0) throw new LabError('invalid_file', `${trainRoot}: the class sub-folders hold no .png, .jpg or .jpeg files.`)
  return { classNames, train, test }
}

export async function loadImageFolder(root: string, opts: ImageFolderOptions = {}): Promise<LoadedDataset> {
  const height = opts.height ?? 32
  const width = opts.width ?? 32
  const channels = opts.channels ?? 3
  const layout = await scanImageFolder(root)
  const unreadable: string[] = []
  const decodeSplit = async (files: Array<[string, number]>): Promise<ImageSet> => {
    const per = height * width * channels
    const pixels = new Uint8Array(files.length * per)
    const labels = new Int32Array(files.length)
    let count = 0
    for (const [file, cls] of files) {
      let img: DecodedImage
      try {
        img = decodeImage(await readFile(file))
      } catch (e) {
        unreadable.push(`${path.relative(root, file)} (${(e as Error).message})`)
        continue
      }
      const converted = toChannels(img, channels)
      pixels.set(resizeImage(converted, img.height, img.width, channels, height, width, opts.resample ?? 'auto'), count * per)
      labels[count++] = cls
    }
    return { pixels: pixels.subarray(0, count * per), labels: labels.subarray(0, count), count, height, width, channels }
  }
  const train = await decodeSplit(layout.train)
  const test = layout.test ? await decodeSplit(layout.test) : null
  const warnings: string[] = []
  if (unreadable.length) {
    const listed = unreadable.slice(0, MAX_LISTED).join('; ') + (unreadable.length > MAX_LISTED ? `; and ${formatCount(unreadable.length - MAX_LISTED)} more` : '')
    if (!opts.skipUnreadable) {
      throw new LabError('invalid_file', `${root}: ${formatCount(unreadable.length)} image${unreadable.length === 1 ? '' : 's'} could not be read: ${listed}. Fix or remove them, or load with skipUnreadable to leave them out.`)
    }
    warnings.push(`Left out ${formatCount(unreadable.length)} unreadable image${unreadable.length === 1 ? '' : 's'}: ${listed}.`)
  }
  if (train.count === 0) throw new LabError('invalid_file', `${root}: none of the training images could be read.`)
  return { name: `folder:${root}`, sourcePath: root, train, test, classNames: layout.classNames, warnings }
}

export interface DecodedImage {
  width: number
  height: number
  /** RGBA, 4 bytes per pixel. */
  rgba: Uint8Array
}

/** Decode PNG or JPEG bytes (recognised by their signature, not the file name). */
export function decodeImage(bytes: Uint8Array): DecodedImage {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) {
    const png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    return { width: png.width, height: png.height, rgba: png.data }
  }
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: 100, maxMemoryUsageInMB: 1024 })
    return { width: img.width, height: img.height, rgba: img.data }
  }
  throw new Error('not a PNG or JPEG file')
}

/** RGBA to grey (luma) or RGB; alpha is dropped. */
export function toChannels(img: DecodedImage, channels: 1 | 3): Uint8Array {
  const n = img.width * img.height
  const out = new Uint8Array(n * channels)
  const src = img.rgba
  for (let i = 0; i < n; i++) {
    const r = src[i * 4]
    const g = src[i * 4 + 1]
    const b = src[i * 4 + 2]
    if (channels === 1) out[i] = Math.round(0.299 * r + 0.587 * g + 0.114 * b)
    else {
      out[i * 3] = r
      out[i * 3 + 1] = g
      out[i * 3 + 2] = b
    }
  }
  return out
}

interface Taps {
  index: number[]
  weight: number[]
}

/** Source pixels and weights for each output pixel along one axis. */
function axisTaps(srcSize: number, dstSize: number, method: Resample): Taps[] {
  const scale = srcSize / dstSize
  const useArea = method === 'area' || (method === 'auto' && scale > 1)
  const taps: Taps[] = []
  for (let o = 0; o < dstSize; o++) {
    if (useArea) {
      // Output pixel o covers source interval [o*scale, (o+1)*scale); each source pixel weighs by its overlap.
      const lo = o * scale
      const hi = lo + scale
      const t: Taps = { index: [], weight: [] }
      for (let i = Math.floor(lo); i < Math.min(srcSize, Math.ceil(hi)); i++) {
        const overlap = Math.min(hi, i + 1) - Math.max(lo, i)
        if (overlap > 0) {
          t.index.push(i)
          t.weight.push(overlap / scale)
        }
      }
      taps.push(t)
    } else {
      // Pixel centres aligned (half-pixel offsets), edges clamped.
      const x = Math.min(Math.max((o + 0.5) * scale - 0.5, 0), srcSize - 1)
      const i0 = Math.floor(x)
      const i1 = Math.min(i0 + 1, srcSize - 1)
      const f = x - i0
      taps.push(f === 0 || i1 === i0 ? { index: [i0], weight: [1] } : { index: [i0, i1], weight: [1 - f, f] })
    }
  }
  return taps
}

/** Resize an HWC uint8 image (separable: rows, then columns). */
export function resizeImage(src: Uint8Array, srcH: number, srcW: number, channels: number, dstH: number, dstW: number, method: Resample = 'auto'): Uint8Array {
  if (srcH === dstH && srcW === dstW) return src
  const tx = axisTaps(srcW, dstW, method)
  const ty = axisTaps(srcH, dstH, method)
  const mid = new Float32Array(srcH * dstW * channels)
  for (let y = 0; y < srcH; y++) {
    for (let x = 0; x < dstW; x++) {
      const t = tx[x]
      for (let c = 0; c < channels; c++) {
        let s = 0
        for (let k = 0; k < t.index.length; k++) s += t.weight[k] * src[(y * srcW + t.index[k]) * channels + c]
        mid[(y * dstW + x) * channels + c] = s
      }
    }
  }
  const out = new Uint8Array(dstH * dstW * channels)
  for (let y = 0; y < dstH; y++) {
    const t = ty[y]
    for (let x = 0; x < dstW; x++) {
      for (let c = 0; c < channels; c++) {
        let s = 0
        for (let k = 0; k < t.index.length; k++) s += t.weight[k] * mid[(t.index[k] * dstW + x) * channels + c]
        out[(y * dstW + x) * channels + c] = Math.min(255, Math.max(0, Math.round(s)))
      }
    }
  }
  return out
}

async function subfolders(dir: string): Promise<string[] | null> {
  try {
    return (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory() && !d.name.startsWith('.')).map((d) => d.name)
  } catch {
    return null
  }
}

async function listImages(root: string, classNames: string[]): Promise<Array<[string, number]>> {
  const out: Array<[string, number]> = []
  for (const [cls, name] of classNames.entries()) {
    const dir = path.join(root, name)
    let entries: string[]
    try {
      entries = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isFile() && IMAGE_EXT.test(d.name)).map((d) => d.name)
    } catch {
      entries = []
    }
    for (const f of entries.sort()) out.push([path.join(dir, f), cls])
  }
  return out
}
