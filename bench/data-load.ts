// Dataset loading speed: time to load Fashion-MNIST (60,000 train + 10,000 test from gzipped IDX) and to iterate
// one epoch of batches of 64 (uint8 -> float32 per batch), plain and with crop+flip augmentation. No pass/fail.
// Run: npx tsx bench/data-load.ts [repetitions]
import { loadDataset } from '../src/main/data/registry'
import { iterateBatches, makeSplits, type BatchOptions, type SplitView } from '../src/main/data/splits'

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

function epochMs(view: SplitView, opts: BatchOptions): { ms: number; images: number } {
  const t0 = performance.now()
  let images = 0
  for (const b of iterateBatches(view, opts)) images += b.size
  return { ms: performance.now() - t0, images }
}

async function main(): Promise<void> {
  const reps = Number(process.argv[2] ?? 3)
  const loadMs: number[] = []
  let ds = await loadDataset('fashion-mnist', {})
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now()
    ds = await loadDataset('fashion-mnist', {})
    loadMs.push(performance.now() - t0)
  }
  const t1 = performance.now()
  const splits = makeSplits(ds, { seed: 1, validation: 5000 })
  const splitMs = performance.now() - t1
  const fullTrain: SplitView = { set: ds.train, indices: Int32Array.from({ length: ds.train.count }, (_, i) => i) }
  const plain: number[] = []
  const augmented: number[] = []
  for (let r = 0; r < reps; r++) {
    plain.push(epochMs(fullTrain, { batchSize: 64, seed: 1, epoch: r }).ms)
    augmented.push(epochMs(fullTrain, { batchSize: 64, seed: 1, epoch: r, augment: { padPx: 2, flip: true } }).ms)
  }
  const storedMb = (ds.train.pixels.byteLength + (ds.test?.pixels.byteLength ?? 0)) / 1e6
  console.log(`Fashion-MNIST from ${ds.sourcePath}: ${ds.train.count} train + ${ds.test?.count} test, ${ds.train.height}x${ds.train.width}x${ds.train.channels}, pixels held as uint8: ${storedMb.toFixed(1)} MB`)
  console.log(`load (gunzip + parse + validate, train and test): median ${median(loadMs).toFixed(0)} ms of ${reps} (${loadMs.map((x) => x.toFixed(0)).join(', ')})`)
  console.log(`splits (stratified, ${splits.train.indices.length} / ${splits.validation.indices.length} / ${splits.test.indices.length}): ${splitMs.toFixed(0)} ms`)
  const p = median(plain)
  const a = median(augmented)
  console.log(`one epoch of 60,000 in batches of 64, plain: median ${p.toFixed(0)} ms = ${((60000 / p) * 1000).toFixed(0)} img/s, ${((p / Math.ceil(60000 / 64)) * 1000).toFixed(0)} us/batch`)
  console.log(`same with crop (pad 2) + flip: median ${a.toFixed(0)} ms = ${((60000 / a) * 1000).toFixed(0)} img/s (augmented/plain time ratio ${(a / p).toFixed(2)})`)
  console.log(`for scale: training runs at ~140-180 img/s on tfjs wasm here (notes/training-speed.md), so batching adds ${(((p / 60000) / (1000 / 160)) * 100).toFixed(2)}% to a training epoch at 160 img/s`)
}

main().catch((e: unknown) => {
  console.error(e)
  process.exit(1)
})
