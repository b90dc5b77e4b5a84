// IDX files (the MNIST / Fashion-MNIST format), gzipped or raw. Big-endian header:
// two zero bytes, a type byte (0x08 = unsigned byte), the number of dimensions, then one uint32 per dimension;
// the values follow. Images: 0x00000803 (count, rows, cols); labels: 0x00000801 (count).
import { readFile } from 'node:fs/promises'
import path from 'node:path'
import { promisify } from 'node:util'
import zlib from 'node:zlib'
import { LabError } from '../../shared/errors'
import { formatCount, type ImageSet } from './dataset'

const gunzip = promisify(zlib.gunzip)

const TYPE_UBYTE = 0x08
const TYPE_NAMES: Record<number, string> = { 0x09: 'signed bytes', 0x0b: '16-bit integers', 0x0c: '32-bit integers', 0x0d: '32-bit floats', 0x0e: '64-bit floats' }
const CUT_SHORT = 'the download was probably cut short; delete it and download again'

export interface IdxArray {
  dims: number[]
  /** The values, uint8, row-major. */
  data: Uint8Array
}

/** True when the bytes start with the gzip magic (1f 8b), whatever the file is called. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

/** The file's bytes, decompressed when they are gzip. `label` names the file in error sentences. */
export async function readMaybeGzip(file: string, label = path.basename(file)): Promise<Uint8Array> {
  let raw: Buffer
  try {
    raw = await readFile(file)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw new LabError('not_found', `${label}: no such file at ${file}.`)
    throw new LabError('invalid_file', `${label}: cannot be read (${(e as Error).message}).`)
  }
  if (!isGzip(raw)) return raw
  try {
    return await gunzip(raw)
  } catch (e) {
    const msg = (e as Error).message
    if (/unexpected end/i.test(msg)) throw new LabError('invalid_file', `${label}: the gzip data ends early after ${formatCount(raw.length)} bytes: ${CUT_SHORT}.`)
    throw new LabError('invalid_file', `${label}: is not valid gzip data (${msg}): the file is damaged; delete it and download again.`)
  }
}

/** Parse an IDX array of unsigned bytes, checking the header and that the length matches the dimensions exactly. */
export function parseIdx(bytes: Uint8Array, label: string): IdxArray {
  if (bytes.length < 4) throw new LabError('invalid_file', `${label}: is only ${bytes.length} bytes long, too short for an IDX header: ${CUT_SHORT}.`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const magic = view.getUint32(0)
  const type = bytes[2]
  const ndims = bytes[3]
  if (bytes[0] !== 0 || bytes[1] !== 0 || ndims === 0) {
    throw new LabError('invalid_file', `${label}: is not an IDX file (it starts with 0x${hex8(magic)}, expected 0x00000801 for labels or 0x00000803 for images).`)
  }
  if (type !== TYPE_UBYTE) {
    const what = TYPE_NAMES[type] ?? `unknown type 0x${type.toString(16).padStart(2, '0')}`
    throw new LabError('invalid_file', `${label}: holds ${what} (magic 0x${hex8(magic)}); only unsigned-byte IDX files (0x0000080N) are supported.`)
  }
  const headerBytes = 4 + 4 * ndims
  if (bytes.length < headerBytes) {
    throw new LabError('invalid_file', `${label}: ends after ${formatCount(bytes.length)} bytes, inside its ${formatCount(headerBytes)}-byte header: ${CUT_SHORT}.`)
  }
  const dims: number[] = []
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i))
  const zero = dims.findIndex((d, i) => d === 0 && i > 0)
  if (zero >= 0) throw new LabError('invalid_file', `${label}: dimension ${zero + 1} of ${ndims} is 0 (dimensions ${dims.join('×')}); the header is damaged.`)
  const values = dims.reduce((a, b) => a * b, 1)
  const expected = headerBytes + values
  if (bytes.length < expected) {
    throw new LabError('invalid_file', `${label}: ends after ${formatCount(bytes.length)} of ${formatCount(expected)} bytes: ${CUT_SHORT}.`)
  }
  if (bytes.length > expected) {
    throw new LabError(
      'invalid_file',
      `${label}: has ${formatCount(bytes.length - expected)} bytes more than its header (${dims.join('×')}) announces (${formatCount(bytes.length)} instead of ${formatCount(expected)}): it is not a clean IDX file; download it again.`
    )
  }
  return { dims, data: bytes.subarray(headerBytes, expected) }
}

/** Images: dims count×rows×cols (one channel) or count×rows×cols×channels. */
export function parseIdxImages(bytes: Uint8Array, label: string): Omit<ImageSet, 'labels'> {
  const { dims, data } = parseIdx(bytes, label)
  if (dims.length !== 3 && dims.length !== 4) {
    const hint = dims.length === 1 ? ' (this looks like a labels file)' : ''
    throw new LabError('invalid_file', `${label}: has ${dims.length} dimension${dims.length === 1 ? '' : 's'} (${dims.join('×')}) but images need 3 (count×rows×cols) or 4 (count×rows×cols×channels)${hint}.`)
  }
  const [count, height, width, channels = 1] = dims
  return { pixels: data, count, height, width, channels }
}

/** Labels: dims count; every label must be below `classes` when given. */
export function parseIdxLabels(bytes: Uint8Array, label: string, classes?: number): Int32Array {
  const { dims, data } = parseIdx(bytes, label)
  if (dims.length !== 1) {
    throw new LabError('invalid_file', `${label}: has ${dims.length} dimensions (${dims.join('×')}) but labels need 1 (count)${dims.length >= 3 ? ' (this looks like an images file)' : ''}.`)
  }
  const labels = Int32Array.from(data)
  if (classes !== undefined) {
    const bad = labels.findIndex((l) => l >= classes)
    if (bad >= 0) throw new LabError('invalid_file', `${label}: label ${formatCount(bad)} is ${labels[bad]}, but this dataset has only ${classes} classes (0-${classes - 1}).`)
  }
  return labels
}

/** Read an images file and a labels file (each gzipped or raw) into one ImageSet; the counts must match. */
export async function readIdxImageSet(imagesFile: string, labelsFile: string, classes?: number): Promise<ImageSet> {
  const imagesLabel = path.basename(imagesFile)
  const labelsLabel = path.basename(labelsFile)
  const [imageBytes, labelBytes] = await Promise.all([readMaybeGzip(imagesFile, imagesLabel), readMaybeGzip(labelsFile, labelsLabel)])
  const images = parseIdxImages(imageBytes, imagesLabel)
  const labels = parseIdxLabels(labelBytes, labelsLabel, classes)
  if (labels.length !== images.count) {
    throw new LabError(
      'invalid_file',
      `${imagesLabel} holds ${formatCount(images.count)} images but ${labelsLabel} holds ${formatCount(labels.length)} labels: the two files do not belong together; use the images and labels of the same split.`
    )
  }
  return { ...images, labels }
}

/** Encode an IDX file of unsigned bytes (used by tests and tools that write small datasets). */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + data.length)
  const view = new DataView(out.buffer)
  out[2] = TYPE_UBYTE
  out[3] = dims.length
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d))
  out.set(data, 4 + 4 * dims.length)
  return out
}

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0')
}
