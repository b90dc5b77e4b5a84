// Worker entry for worker.test.ts: load a dataset the way a training job will (in a worker thread, CommonJS via tsx),
// run one epoch of batches, and post back what it saw.
import { parentPort, workerData } from 'node:worker_threads'
import { describeDataset, loadDataset } from '../../../src/main/data/registry'
import { iterateBatches, makeSplits } from '../../../src/main/data/splits'

async function run(): Promise<void> {
  const { name, path, dataDir } = workerData as { name: string; path?: string; dataDir?: string }
  const ds = await loadDataset(name, { path, dataDir, folder: { height: 8, width: 8, channels: 3 } })
  const splits = makeSplits(ds, { seed: 5, validation: 0.25 })
  let seen = 0
  let labelSum = 0
  for (const b of iterateBatches(splits.train, { batchSize: 3, seed: 5 })) {
    seen += b.size
    labelSum += b.y.reduce((a, v) => a + v, 0)
  }
  parentPort!.postMessage({ ok: true, info: describeDataset(ds), trainSeen: seen, trainSize: splits.train.indices.length, labelSum })
}

run().catch((e: unknown) => parentPort!.postMessage({ ok: false, code: (e as { code?: string }).code, message: (e as Error).message }))
