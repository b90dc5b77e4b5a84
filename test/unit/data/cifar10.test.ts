import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CIFAR10_CLASS_NAMES, CIFAR10_TEST_FILE, CIFAR10_TRAIN_FILES, parseCifarBatch } from '../../../src/main/data/cifar10'
import { loadDataset, listDatasets } from '../../../src/main/data/registry'
import { LabError } from '../../../src/shared/errors'

/** A batch file in the CIFAR-10 binary format: records of label + R plane + G plane + B plane. */
function batchFile(labels: number[], pixel: (n: number, ch: number, p: number) => number): Uint8Array {
  const out = new Uint8Array(labels.length * 3073)
  labels.forEach((label, n) => {
    out[n * 3073] = label
    for (let ch = 0; ch < 3; ch++) for (let p = 0; p < 1024; p++) out[n * 3073 + 1 + ch * 1024 + p] = pixel(n, ch, p)
  })
  return out
}
const pixelOf = (n: number, ch: number, p: number) => (n * 31 + ch * 80 + p) % 256

let root: string
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lab-cifar-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('CIFAR-10 binary batches', () => {
  it('turn planar RGB records into NHWC pixels with their labels', () => {
    const set = parseCifarBatch(batchFile([3, 9], pixelOf), 'b.bin')
    expect([set.count, set.height, set.width, set.channels]).toEqual([2, 32, 32, 3])
    expect(Array.from(set.labels)).toEqual([3, 9])
    // Image 1, row 5, column 7, every channel.
    const p = 5 * 32 + 7
    for (let ch = 0; ch < 3; ch++) expect(set.pixels[(1 * 1024 + p) * 3 + ch]).toBe(pixelOf(1, ch, p))
  })

  it('reject a file that is not a whole number of records, or has labels above 9', () => {
    const cut = batchFile([1, 2], pixelOf).subarray(0, 5000)
    expect(() => parseCifarBatch(cut, 'data_batch_1.bin')).toThrow(
      'data_batch_1.bin: is 5,000 bytes, not a whole number of 3,073-byte CIFAR-10 records (1 records and 1,927 bytes left over): the file is cut short or is not a CIFAR-10 binary batch; download it again.'
    )
    expect(() => parseCifarBatch(batchFile([1, 42], pixelOf), 'x.bin')).toThrow(LabError)
    expect(() => parseCifarBatch(batchFile([1, 42], pixelOf), 'x.bin')).toThrow('x.bin: record 1 has label 42, but CIFAR-10 labels are 0-9')
  })

  it('load from the lab cache (in the folder the archive unpacks to), train from five batches', async () => {
    const dir = path.join(root, 'data', 'datasets', 'cifar10', 'cifar-10-batches-bin')
    await mkdir(dir, { recursive: true })
    for (const [i, f] of CIFAR10_TRAIN_FILES.entries()) await writeFile(path.join(dir, f), batchFile([i, i + 1, (i + 2) % 10], pixelOf))
    await writeFile(path.join(dir, CIFAR10_TEST_FILE), batchFile([7, 8], pixelOf))
    const ds = await loadDataset('cifar10', { dataDir: path.join(root, 'data') })
    expect(ds.sourcePath).toBe(dir)
    expect(ds.train.count).toBe(15)
    expect(ds.test?.count).toBe(2)
    expect(Array.from(ds.train.labels.subarray(0, 6))).toEqual([0, 1, 2, 1, 2, 3])
    expect(ds.classNames).toEqual(CIFAR10_CLASS_NAMES)
    const listed = (await listDatasets({ dataDir: path.join(root, 'data') })).find((d) => d.name === 'cifar10')
    expect(listed).toMatchObject({ available: true, source: 'cache', foundAt: dir })
  })

  it('say which batch files a picked folder lacks', async () => {
    const dir = path.join(root, 'partial')
    await mkdir(dir)
    await writeFile(path.join(dir, 'data_batch_1.bin'), batchFile([0], pixelOf))
    await expect(loadDataset('cifar10', { path: dir })).rejects.toThrow(`${dir} does not hold CIFAR-10's binary batches: missing data_batch_2.bin, data_batch_3.bin, data_batch_4.bin, data_batch_5.bin, test_batch.bin.`)
  })
})
