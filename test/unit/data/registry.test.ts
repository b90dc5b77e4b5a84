import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeIdx } from '../../../src/main/data/idx'
import { downloadDataset, inspectDataset, listDatasets, loadDataset, locateDataset } from '../../../src/main/data/registry'
import { dataRequests } from '../../../src/shared/contract/data'
import { LabError } from '../../../src/shared/errors'

/** Write a tiny MNIST-style dataset (n train, m test) with the given file names. */
async function writeIdxSet(dir: string, names: { trainImages: string; trainLabels: string; testImages: string; testLabels: string }, n: number, m: number, gz: boolean): Promise<void> {
  await mkdir(dir, { recursive: true })
  const w = (f: string, bytes: Uint8Array) => writeFile(path.join(dir, f), gz ? zlib.gzipSync(bytes) : bytes)
  await w(names.trainImages, encodeIdx([n, 28, 28], new Uint8Array(n * 784).fill(3)))
  await w(names.trainLabels, encodeIdx([n], Uint8Array.from({ length: n }, (_, i) => i % 10)))
  await w(names.testImages, encodeIdx([m, 28, 28], new Uint8Array(m * 784)))
  await w(names.testLabels, encodeIdx([m], Uint8Array.from({ length: m }, (_, i) => i % 10)))
}
const STANDARD_GZ = { trainImages: 'train-images-idx3-ubyte.gz', trainLabels: 'train-labels-idx1-ubyte.gz', testImages: 't10k-images-idx3-ubyte.gz', testLabels: 't10k-labels-idx1-ubyte.gz' }
const DOTTED_RAW = { trainImages: 'train-images.idx3-ubyte', trainLabels: 'train-labels.idx1-ubyte', testImages: 't10k-images.idx3-ubyte', testLabels: 't10k-labels.idx1-ubyte' }

let root: string
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lab-registry-'))
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('dataset registry', () => {
  it('loads MNIST from a picked folder with the dotted, uncompressed file names', async () => {
    const dir = path.join(root, 'picked')
    await writeIdxSet(dir, DOTTED_RAW, 20, 10, false)
    const ds = await loadDataset('mnist', { path: dir })
    expect([ds.name, ds.sourcePath, ds.train.count, ds.test?.count]).toEqual(['mnist', dir, 20, 10])
    expect(ds.classNames).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'])
  })

  it('finds the files in the layout torchvision leaves (MNIST/raw) inside a picked folder', async () => {
    const dir = path.join(root, 'torchvision')
    await writeIdxSet(path.join(dir, 'MNIST', 'raw'), STANDARD_GZ, 10, 10, true)
    expect(await locateDataset('mnist', { path: dir })).toEqual({ name: 'mnist', dir: path.join(dir, 'MNIST', 'raw'), source: 'folder' })
  })

  it('names the missing files when a picked folder lacks some', async () => {
    const dir = path.join(root, 'half')
    await writeIdxSet(dir, STANDARD_GZ, 10, 10, true)
    await rm(path.join(dir, 't10k-labels-idx1-ubyte.gz'))
    const e = (await loadDataset('fashion-mnist', { path: dir }).catch((err: unknown) => err)) as LabError
    expect(e).toBeInstanceOf(LabError)
    expect(e.code).toBe('not_found')
    expect(e.message).toBe(`${dir} does not hold Fashion-MNIST: missing t10k-labels-idx1-ubyte.gz (gzipped or not). Pick the folder that holds the four files.`)
  })

  it('prefers the lab cache to the system copy, and says how to get what is absent', async () => {
    const dataDir = path.join(root, 'lab')
    await writeIdxSet(path.join(dataDir, 'datasets', 'fashion-mnist'), STANDARD_GZ, 30, 10, true)
    const list = await listDatasets({ dataDir })
    expect(list.map((d) => d.name)).toEqual(['fashion-mnist', 'mnist', 'cifar10'])
    expect(list[0]).toMatchObject({ available: true, source: 'cache', foundAt: path.join(dataDir, 'datasets', 'fashion-mnist'), downloadable: true })
    expect((await loadDataset('fashion-mnist', { dataDir })).train.count).toBe(30)
    const mnist = list[1]
    expect(mnist.available).toBe(false)
    expect(mnist.hint).toBe(
      `Not found. Download it (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz from https://ossci-datasets.s3.amazonaws.com/mnist/) into ${path.join(dataDir, 'datasets', 'mnist')}, pick a folder that holds those files or install it where the lab looks (/usr/share/datasets/mnist).`
    )
    await expect(loadDataset('mnist', { dataDir })).rejects.toThrow('MNIST is not on this computer. Download it (')
    expect(list[2]).toMatchObject({ available: false, downloadable: false })
    expect(list[2].hint).toContain('https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz')
  })

  it('refuses unknown names and downloads it cannot do, with what to do instead', async () => {
    await expect(loadDataset('imagenet', {})).rejects.toThrow("Unknown dataset 'imagenet': choose fashion-mnist, mnist, cifar10 or folder:<path")
    await expect(downloadDataset('cifar10', { dataDir: root })).rejects.toThrow('The lab does not download CIFAR-10 itself yet. Download the binary version')
  })

  it('validates data.inspect requests at the door', () => {
    expect(dataRequests['data.inspect'].parse({ name: 'folder:/tmp/x' })).toEqual({ name: 'folder:/tmp/x' })
    expect(dataRequests['data.inspect'].safeParse({ name: 'imagenet' }).success).toBe(false)
    expect(dataRequests['data.inspect'].safeParse({ name: 'mnist', extra: 1 }).success).toBe(false)
  })
})

const DEBIAN = '/usr/share/datasets/fashion-mnist'
describe.skipIf(!existsSync(path.join(DEBIAN, 'train-images-idx3-ubyte.gz')))('Fashion-MNIST from the Debian package', () => {
  it('is found automatically and inspected: 60,000 + 10,000 images of 28×28×1, 6,000 per class', async () => {
    const info = await inspectDataset('fashion-mnist', { dataDir: path.join(root, 'empty-lab') })
    expect(info).toMatchObject({ name: 'fashion-mnist', sourcePath: DEBIAN, counts: { train: 60_000, test: 10_000 }, inputShape: [28, 28, 1], classes: 10 })
    expect(info.classNames[9]).toBe('Ankle boot')
    expect(info.trainCountsPerClass).toEqual(new Array(10).fill(6000))
  })
})
