// Datasets load inside a worker thread running TypeScript through tsx's CommonJS hook, as training jobs do.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import jpeg from 'jpeg-js'
import { PNG } from 'pngjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

const ENTRY = path.join(__dirname, 'load-in-worker.ts')

function runWorker(data: Record<string, unknown>): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    // On Node 20 a worker running a .ts file needs tsx's CommonJS hook.
    const worker = new Worker(ENTRY, { workerData: data, execArgv: ['--require', 'tsx/cjs'] })
    worker.once('message', (m: Record<string, unknown>) => {
      void worker.terminate()
      resolve(m)
    })
    worker.once('error', reject)
    worker.once('exit', (code) => code !== 0 && code !== 1 && reject(new Error(`worker exited with ${code}`)))
  })
}

let root: string
beforeAll(async () => {
  root = await mkdtemp(path.join(os.tmpdir(), 'lab-data-worker-'))
  for (const [cls, n] of [
    ['circle', 4],
    ['square', 4]
  ] as const) {
    await mkdir(path.join(root, 'shapes', cls), { recursive: true })
    for (let i = 0; i < n; i++) {
      const img = new PNG({ width: 6, height: 6 })
      img.data.fill(i * 40)
      await writeFile(path.join(root, 'shapes', cls, `${i}.png`), PNG.sync.write(img))
      const data = Buffer.alloc(10 * 10 * 4, 100 + i)
      await writeFile(path.join(root, 'shapes', cls, `${i}.jpg`), jpeg.encode({ width: 10, height: 10, data }, 90).data)
    }
  }
})
afterAll(async () => {
  await rm(root, { recursive: true, force: true })
})

describe('datasets in a worker thread', () => {
  it('load an image folder (pngjs and jpeg-js under CommonJS) and iterate one epoch', async () => {
    const m = await runWorker({ name: `folder:${path.join(root, 'shapes')}` })
    expect(m.ok).toBe(true)
    expect(m.info).toMatchObject({ counts: { train: 16, test: null }, classNames: ['circle', 'square'], inputShape: [8, 8, 3] })
    expect(m.trainSeen).toBe(m.trainSize)
    expect(m.trainSize).toBe(10) // 16 minus 20% test (3) minus 25% validation (3)
  })

  it('report a missing dataset as a typed error sentence', async () => {
    const m = await runWorker({ name: 'mnist', dataDir: path.join(root, 'empty') })
    expect(m).toMatchObject({ ok: false, code: 'not_found' })
    expect(m.message).toMatch(/^MNIST is not on this computer\. Download it/)
  })
})
