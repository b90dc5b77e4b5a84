// Download + verify against a local HTTP server (the real servers are out of reach in tests).
import { createHash } from 'node:crypto'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { downloadVerified, type DownloadProgress } from '../../../src/main/data/download'
import { FASHION_MNIST } from '../../../src/main/data/fashion-mnist'
import { encodeIdx } from '../../../src/main/data/idx'
import { downloadIdxDataset, type IdxDatasetSpec } from '../../../src/main/data/idx-dataset'
import { loadDataset } from '../../../src/main/data/registry'
import { LabError } from '../../../src/shared/errors'

const DEBIAN = '/usr/share/datasets/fashion-mnist'
// MD5s of the Debian package's files (Debian recompressed them, so they differ from the upstream README's).
const DEBIAN_MD5 = {
  'train-images-idx3-ubyte.gz': 'cf8536b0aa1a6ac5fa3f23001093305c',
  'train-labels-idx1-ubyte.gz': '10bea18fdb374794d4bb42e356e600c9',
  't10k-images-idx3-ubyte.gz': 'f78720b4224f21cce2f2ccf2d7a94c9a',
  't10k-labels-idx1-ubyte.gz': '0d30e22e447f3c33dab9ed536400ac01'
}
const hasDebian = Object.keys(DEBIAN_MD5).every((f) => existsSync(path.join(DEBIAN, f)))

// A small gzipped IDX file made here, so most tests need no system package.
const SMALL = Buffer.from(zlib.gzipSync(encodeIdx([300, 28, 28], Uint8Array.from({ length: 300 * 784 }, (_, i) => (i * 13) % 256)), { level: 0 }))
const SMALL_MD5 = createHash('md5').update(SMALL).digest('hex')

let server: http.Server
let base: string
let work: string
const requests: string[] = []

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'lab-download-'))
  server = http.createServer(async (req, res) => {
    const url = req.url ?? '/'
    requests.push(url)
    const [, route, name] = url.split('/')
    if (route === 'real' && name in DEBIAN_MD5) {
      const bytes = await readFile(path.join(DEBIAN, name))
      res.writeHead(200, { 'content-length': bytes.length })
      res.end(bytes)
    } else if (route === 'small') {
      res.writeHead(200, { 'content-length': SMALL.length })
      res.end(SMALL)
    } else if (route === 'corrupt') {
      const bad = Buffer.from(SMALL)
      bad[bad.length >> 1] ^= 0xff
      res.writeHead(200, { 'content-length': bad.length })
      res.end(bad)
    } else if (route === 'stall') {
      // Sends the first part and then nothing, like a stalled connection; only the client's abort ends it.
      res.writeHead(200, { 'content-length': SMALL.length })
      res.write(SMALL.subarray(0, 65536))
    } else if (route === 'cut') {
      res.writeHead(200, { 'content-length': SMALL.length })
      res.write(SMALL.subarray(0, 65536), () => res.socket?.destroy())
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' })
      res.end('not here')
    }
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
  await rm(work, { recursive: true, force: true })
})

async function freshDir(name: string): Promise<string> {
  return path.join(await mkdtemp(path.join(work, `${name}-`)), 'cache')
}
async function failure(p: Promise<unknown>): Promise<LabError> {
  const e = await p.then(
    () => null,
    (err: unknown) => err
  )
  expect(e).toBeInstanceOf(LabError)
  return e as LabError
}

describe('verified download', () => {
  it('saves the file once its checksum matches, reporting progress up to the full size', async () => {
    const dir = await freshDir('ok')
    const progress: DownloadProgress[] = []
    const dest = path.join(dir, 'small.gz')
    await downloadVerified({ url: `${base}/small/x`, dest, checksum: { algorithm: 'md5', hex: SMALL_MD5 }, onProgress: (p) => progress.push(p) })
    expect(Buffer.compare(await readFile(dest), SMALL)).toBe(0)
    expect(await readdir(dir)).toEqual(['small.gz'])
    expect(progress.length).toBeGreaterThan(0)
    expect(progress.every((p, i) => p.bytesTotal === SMALL.length && (i === 0 || p.bytesDone > progress[i - 1].bytesDone))).toBe(true)
    expect(progress.at(-1)!.bytesDone).toBe(SMALL.length)
    const sha = createHash('sha256').update(SMALL).digest('hex')
    await downloadVerified({ url: `${base}/small/x`, dest: path.join(dir, 'sha.gz'), checksum: { algorithm: 'sha256', hex: sha } })
    expect(existsSync(path.join(dir, 'sha.gz'))).toBe(true)
  })

  it('rejects a corrupted file with both checksums in the sentence and leaves nothing in the cache', async () => {
    const dir = await freshDir('corrupt')
    const e = await failure(downloadVerified({ url: `${base}/corrupt/x`, dest: path.join(dir, 'x.gz'), checksum: { algorithm: 'md5', hex: SMALL_MD5 }, manualHint: 'Or copy it by hand.' }))
    expect(e.code).toBe('invalid_file')
    expect(e.message).toMatch(
      new RegExp(`^x\\.gz from ${base}/corrupt/x has MD5 [0-9a-f]{32} but the published checksum is ${SMALL_MD5}: the download was damaged or the server sent another file; nothing was saved\\. Try again later\\. Or copy it by hand\\.$`)
    )
    expect(await readdir(dir)).toEqual([])
  })

  it('stops when aborted, says so, and leaves nothing behind', async () => {
    const dir = await freshDir('abort')
    const controller = new AbortController()
    let calls = 0
    const e = await failure(
      downloadVerified({
        url: `${base}/stall/x`,
        dest: path.join(dir, 'x.gz'),
        checksum: { algorithm: 'md5', hex: SMALL_MD5 },
        signal: controller.signal,
        onProgress: () => {
          if (++calls === 1) controller.abort()
        }
      })
    )
    expect(e.code).toBe('cancelled')
    expect(e.message).toBe('The download of x.gz was cancelled; nothing was saved.')
    expect(await readdir(dir)).toEqual([])
  })

  it('reports a connection cut short, an HTTP error and an unreachable server, leaving nothing behind', async () => {
    const dir = await freshDir('errors')
    const cut = await failure(downloadVerified({ url: `${base}/cut/x`, dest: path.join(dir, 'x.gz'), checksum: { algorithm: 'md5', hex: SMALL_MD5 } }))
    expect(cut.message).toMatch(/^The download of x\.gz from .* (broke off|stopped) after [\d,]+ (of [\d,]+ )?bytes.*nothing was saved: try again\.$/)
    const missing = await failure(downloadVerified({ url: `${base}/nothing/x`, dest: path.join(dir, 'x.gz'), checksum: { algorithm: 'md5', hex: SMALL_MD5 } }))
    expect(missing.message).toBe(`${base}/nothing/x answered HTTP 404 Not Found: the file is not available there now; try again later.`)
    // A port that was free a moment ago: nothing listens there.
    const probe = http.createServer()
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve))
    const port = (probe.address() as AddressInfo).port
    await new Promise<void>((resolve) => probe.close(() => resolve()))
    const closed = await failure(downloadVerified({ url: `http://127.0.0.1:${port}/x`, dest: path.join(dir, 'x.gz'), checksum: { algorithm: 'md5', hex: SMALL_MD5 } }))
    expect(closed.code).toBe('not_found')
    expect(closed.message).toBe(`Could not reach http://127.0.0.1:${port}/x (ECONNREFUSED): check the internet connection and try again.`)
    expect(await readdir(dir)).toEqual([])
  })
})

describe.skipIf(!hasDebian)('downloading Fashion-MNIST into the lab cache (real bytes from the Debian package, served locally)', () => {
  it('downloads all four files with progress, then the registry finds and loads them from the cache', async () => {
    const dataDir = await mkdtemp(path.join(work, 'lab-'))
    const spec: IdxDatasetSpec = {
      ...FASHION_MNIST,
      files: {
        trainImages: { downloadName: 'train-images-idx3-ubyte.gz', md5: DEBIAN_MD5['train-images-idx3-ubyte.gz'] },
        trainLabels: { downloadName: 'train-labels-idx1-ubyte.gz', md5: DEBIAN_MD5['train-labels-idx1-ubyte.gz'] },
        testImages: { downloadName: 't10k-images-idx3-ubyte.gz', md5: DEBIAN_MD5['t10k-images-idx3-ubyte.gz'] },
        testLabels: { downloadName: 't10k-labels-idx1-ubyte.gz', md5: DEBIAN_MD5['t10k-labels-idx1-ubyte.gz'] }
      },
      systemDirs: []
    }
    const files = new Set<number>()
    const dir = await downloadIdxDataset(spec, { dataDir, baseUrl: `${base}/real`, onProgress: (p) => files.add(p.fileIndex) })
    expect(dir).toBe(path.join(dataDir, 'datasets', 'fashion-mnist'))
    expect((await readdir(dir)).sort()).toEqual(Object.keys(DEBIAN_MD5).sort())
    expect([...files]).toEqual([0, 1, 2, 3])
    // Already there with the right checksums: nothing is fetched again.
    const before = requests.length
    await downloadIdxDataset(spec, { dataDir, baseUrl: `${base}/real` })
    expect(requests.length).toBe(before)
    const ds = await loadDataset('fashion-mnist', { dataDir })
    expect(ds.sourcePath).toBe(dir)
    expect([ds.train.count, ds.test?.count, ds.train.height, ds.train.width]).toEqual([60_000, 10_000, 28, 28])
  })

  it('with the published checksums, the recompressed Debian files are refused and the cache stays empty', async () => {
    const dataDir = await mkdtemp(path.join(work, 'lab-'))
    const e = await failure(downloadIdxDataset({ ...FASHION_MNIST, systemDirs: [] }, { dataDir, baseUrl: `${base}/real` }))
    expect(e.message).toContain(`but the published checksum is ${FASHION_MNIST.files.trainImages.md5}`)
    expect(e.message).toContain(`You can also download train-images-idx3-ubyte.gz by hand and put it in ${path.join(dataDir, 'datasets', 'fashion-mnist')}.`)
    expect(await readdir(path.join(dataDir, 'datasets', 'fashion-mnist'))).toEqual([])
  })
})
