import { existsSync } from 'node:fs'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeIdx, isGzip, parseIdx, parseIdxImages, parseIdxLabels, readIdxImageSet } from '../../../src/main/data/idx'
import { LabError } from '../../../src/shared/errors'

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'lab-idx-'))
})
afterAll(async () => {
  await rm(dir, { recursive: true, force: true })
})

function images(count: number, rows: number, cols: number): Uint8Array {
  return encodeIdx([count, rows, cols], Uint8Array.from({ length: count * rows * cols }, (_, i) => (i * 7) % 256))
}
function labels(values: number[]): Uint8Array {
  return encodeIdx([values.length], Uint8Array.from(values))
}
function errorOf(fn: () => unknown): LabError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(LabError)
    return e as LabError
  }
  throw new Error('expected a LabError')
}
async function rejectionOf(p: Promise<unknown>): Promise<LabError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err
  )
  expect(e).toBeInstanceOf(LabError)
  return e as LabError
}

describe('IDX parsing', () => {
  it('reads images and labels from raw and gzipped files, detecting gzip by content not name', async () => {
    const img = images(3, 4, 5)
    const lab = labels([2, 0, 1])
    await writeFile(path.join(dir, 'raw-images'), img)
    await writeFile(path.join(dir, 'raw-labels'), lab)
    // Names lie on purpose: a gzipped file without .gz and a raw file called .gz.
    await writeFile(path.join(dir, 'gz-images'), zlib.gzipSync(img))
    await writeFile(path.join(dir, 'gz-labels.gz'), lab)
    for (const [i, l] of [
      ['raw-images', 'raw-labels'],
      ['gz-images', 'gz-labels.gz']
    ]) {
      const set = await readIdxImageSet(path.join(dir, i), path.join(dir, l))
      expect([set.count, set.height, set.width, set.channels]).toEqual([3, 4, 5, 1])
      expect(Array.from(set.labels)).toEqual([2, 0, 1])
      expect(set.pixels.length).toBe(60)
      expect(set.pixels[59]).toBe((59 * 7) % 256)
    }
    expect(isGzip(zlib.gzipSync(img))).toBe(true)
    expect(isGzip(img)).toBe(false)
  })

  it('reads 4-dimensional images as channels last', () => {
    const set = parseIdxImages(encodeIdx([2, 3, 3, 3], new Uint8Array(54)), 'rgb')
    expect([set.count, set.height, set.width, set.channels]).toEqual([2, 3, 3, 3])
  })

  it('rejects a bad magic number with the bytes it found', () => {
    const bytes = images(1, 2, 2)
    bytes[0] = 0x50
    expect(errorOf(() => parseIdx(bytes, 'x.idx')).message).toBe('x.idx: is not an IDX file (it starts with 0x50000803, expected 0x00000801 for labels or 0x00000803 for images).')
    const floats = images(1, 2, 2)
    floats[2] = 0x0d
    expect(errorOf(() => parseIdx(floats, 'f.idx')).message).toMatch(/^f\.idx: holds 32-bit floats .*only unsigned-byte IDX files/)
  })

  it('rejects a truncated file with how far it got and what to do', () => {
    const full = images(60, 28, 28)
    const cut = full.subarray(0, 1234)
    const e = errorOf(() => parseIdxImages(cut, 'train-images-idx3-ubyte.gz'))
    expect(e.code).toBe('invalid_file')
    expect(e.message).toBe('train-images-idx3-ubyte.gz: ends after 1,234 of 47,056 bytes: the download was probably cut short; delete it and download again.')
    expect(errorOf(() => parseIdx(full.subarray(0, 9), 'h')).message).toMatch(/^h: ends after 9 bytes, inside its 16-byte header/)
    expect(errorOf(() => parseIdx(full.subarray(0, 2), 'h')).message).toMatch(/^h: is only 2 bytes long/)
  })

  it('rejects a gzip stream that ends early', async () => {
    const gz = zlib.gzipSync(images(50, 28, 28))
    const file = path.join(dir, 'cut.gz')
    await writeFile(file, gz.subarray(0, Math.floor(gz.length / 2)))
    await writeFile(path.join(dir, 'ok-labels'), labels([0]))
    const e = await rejectionOf(readIdxImageSet(file, path.join(dir, 'ok-labels')))
    expect(e.code).toBe('invalid_file')
    expect(e.message).toMatch(/^cut\.gz: the gzip data ends early after [\d,]+ bytes: the download was probably cut short; delete it and download again\.$/)
  })

  it('rejects trailing bytes beyond what the header announces', () => {
    const bytes = new Uint8Array([...labels([1, 2]), 9, 9, 9])
    expect(errorOf(() => parseIdxLabels(bytes, 'l')).message).toBe('l: has 3 bytes more than its header (2) announces (13 instead of 10): it is not a clean IDX file; download it again.')
  })

  it('rejects wrong dimensions: labels given as images, images as labels, and zero sizes', () => {
    expect(errorOf(() => parseIdxImages(labels([1, 2]), 'train-labels')).message).toBe(
      'train-labels: has 1 dimension (2) but images need 3 (count×rows×cols) or 4 (count×rows×cols×channels) (this looks like a labels file).'
    )
    expect(errorOf(() => parseIdxLabels(images(2, 2, 2), 'train-images')).message).toBe('train-images: has 3 dimensions (2×2×2) but labels need 1 (count) (this looks like an images file).')
    expect(errorOf(() => parseIdx(encodeIdx([3, 0, 28], new Uint8Array(0)), 'z')).message).toBe('z: dimension 2 of 3 is 0 (dimensions 3×0×28); the header is damaged.')
  })

  it('rejects labels outside the class range', () => {
    expect(errorOf(() => parseIdxLabels(labels([0, 3, 12]), 'l', 10)).message).toBe('l: label 2 is 12, but this dataset has only 10 classes (0-9).')
  })

  it('rejects images and labels whose counts differ', async () => {
    await writeFile(path.join(dir, 'i3'), images(3, 2, 2))
    await writeFile(path.join(dir, 'l2'), labels([1, 1]))
    const e = await rejectionOf(readIdxImageSet(path.join(dir, 'i3'), path.join(dir, 'l2')))
    expect(e.message).toBe('i3 holds 3 images but l2 holds 2 labels: the two files do not belong together; use the images and labels of the same split.')
  })

  it('says a file is missing', async () => {
    const e = await rejectionOf(readIdxImageSet(path.join(dir, 'nope'), path.join(dir, 'l2')))
    expect(e.code).toBe('not_found')
    expect(e.message).toBe(`nope: no such file at ${path.join(dir, 'nope')}.`)
  })
})

const DEBIAN = '/usr/share/datasets/fashion-mnist'
const hasDebian = existsSync(path.join(DEBIAN, 't10k-images-idx3-ubyte.gz'))

describe.skipIf(!hasDebian)('real Fashion-MNIST from the Debian package dataset-fashion-mnist', () => {
  it('loads the test set: 10,000 images of 28×28, labels 0-9, 1,000 of each', async () => {
    const set = await readIdxImageSet(path.join(DEBIAN, 't10k-images-idx3-ubyte.gz'), path.join(DEBIAN, 't10k-labels-idx1-ubyte.gz'), 10)
    expect([set.count, set.height, set.width, set.channels]).toEqual([10_000, 28, 28, 1])
    const perClass = new Array(10).fill(0)
    for (const l of set.labels) perClass[l]++
    expect(perClass).toEqual(new Array(10).fill(1000))
    // Real images, not blank: the mean pixel of Fashion-MNIST is about 0.29 of full scale.
    const mean = set.pixels.reduce((a, b) => a + b, 0) / set.pixels.length / 255
    expect(mean).toBeGreaterThan(0.2)
    expect(mean).toBeLessThan(0.4)
  })
})
if (!hasDebian) console.warn(`Skipping the real Fashion-MNIST test: ${DEBIAN} is absent (install the Debian package dataset-fashion-mnist).`)
