import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { ImageSet, LoadedDataset } from '../../../src/main/data/dataset'
import { channelMeanStd, createRng, iterateBatches, makeSplits, stratifiedOrder, type SplitView } from '../../../src/main/data/splits'
import { LabError } from '../../../src/shared/errors'

/** count images of h×w×c; pixel value encodes the image index so batches can be traced back. */
function synthetic(count: number, classes: number, h = 4, w = 4, c = 1): ImageSet {
  const per = h * w * c
  const pixels = new Uint8Array(count * per)
  for (let i = 0; i < count; i++) for (let p = 0; p < per; p++) pixels[i * per + p] = (i + p) % 256
  return { pixels, labels: Int32Array.from({ length: count }, (_, i) => i % classes), count, height: h, width: w, channels: c }
}
function dataset(train: ImageSet, test: ImageSet | null): LoadedDataset {
  return { name: 'synthetic', sourcePath: '/', train, test, classNames: Array.from({ length: 10 }, (_, i) => String(i)), warnings: [] }
}
const ids = (v: SplitView) => Array.from(v.indices)

describe('splits', () => {
  const ds = dataset(synthetic(1000, 10), synthetic(200, 10))

  it('are the same for the same seed and differ for another seed', () => {
    const a = makeSplits(ds, { seed: 7, validation: 100 })
    const b = makeSplits(ds, { seed: 7, validation: 100 })
    const c = makeSplits(ds, { seed: 8, validation: 100 })
    expect(ids(a.validation)).toEqual(ids(b.validation))
    expect(ids(a.train)).toEqual(ids(b.train))
    expect(ids(a.validation)).not.toEqual(ids(c.validation))
  })

  it('carve validation from train, disjoint, covering the training set, balanced by class', () => {
    const s = makeSplits(ds, { seed: 1, validation: 0.1 })
    expect(s.validation.indices.length).toBe(100)
    expect(s.train.indices.length).toBe(900)
    const all = new Set([...ids(s.train), ...ids(s.validation)])
    expect(all.size).toBe(1000)
    expect(s.validation.set).toBe(ds.train)
    expect(s.test.set).toBe(ds.test)
    expect(s.test.indices.length).toBe(200)
    const perClass = new Array(10).fill(0)
    for (const i of s.validation.indices) perClass[ds.train.labels[i]]++
    expect(perClass).toEqual(new Array(10).fill(10))
  })

  it('carve a test set too when the dataset has none', () => {
    const s = makeSplits(dataset(synthetic(500, 5), null), { seed: 3, validation: 50, testWhenMissing: 0.2 })
    expect([s.train.indices.length, s.validation.indices.length, s.test.indices.length]).toEqual([350, 50, 100])
    const seen = [...ids(s.train), ...ids(s.validation), ...ids(s.test)]
    expect(new Set(seen).size).toBe(500)
  })

  it('take stratified subsets for fast searches', () => {
    const s = makeSplits(ds, { seed: 2, validation: 100, trainSubset: 50, validationSubset: 20, testSubset: 30 })
    expect([s.train.indices.length, s.validation.indices.length, s.test.indices.length]).toEqual([50, 20, 30])
    const perClass = new Array(10).fill(0)
    for (const i of s.train.indices) perClass[ds.train.labels[i]]++
    expect(perClass).toEqual(new Array(10).fill(5))
    const full = makeSplits(ds, { seed: 2, validation: 100 })
    expect(ids(s.train).every((i) => full.train.indices.includes(i))).toBe(true)
  })

  it('refuse a validation share that leaves nothing to train on', () => {
    expect(() => makeSplits(ds, { seed: 1, validation: 1000 })).toThrow(LabError)
    expect(() => makeSplits(ds, { seed: 1, validation: 1000 })).toThrow('The validation share asks for 1,000 images but the training set has only 1,000; choose fewer so some are left to train on.')
  })

  it('stratified order: every prefix takes classes in proportion (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 10, max: 300 }), fc.integer(), (classes, n, seed) => {
        const labels = Int32Array.from({ length: n }, (_, i) => (i * 7) % classes)
        const order = stratifiedOrder(Int32Array.from({ length: n }, (_, i) => i), labels, createRng(seed))
        expect(new Set(order).size).toBe(n)
        const k = Math.floor(n / 2)
        const got = new Array(classes).fill(0)
        for (const i of order.subarray(0, k)) got[labels[i]]++
        const total = new Array(classes).fill(0)
        for (const l of labels) total[l]++
        got.forEach((g, c) => expect(Math.abs(g - (k * total[c]) / n)).toBeLessThanOrEqual(1))
      }),
      { numRuns: 50 }
    )
  })
})

describe('batches', () => {
  const set = synthetic(130, 10, 4, 4, 1)
  const view: SplitView = { set, indices: Int32Array.from({ length: 130 }, (_, i) => i) }

  it('cover each sample exactly once per epoch, with the tail batch smaller', () => {
    const batches = [...iterateBatches(view, { batchSize: 32, seed: 1 })]
    expect(batches.map((b) => b.size)).toEqual([32, 32, 32, 32, 2])
    const seen = batches.flatMap((b) => Array.from(b.indices))
    expect(seen.sort((a, b) => a - b)).toEqual(ids(view))
    expect(batches[0].shape).toEqual([32, 4, 4, 1])
    expect(batches[0].x.length).toBe(32 * 16)
    expect([...iterateBatches(view, { batchSize: 32, seed: 1, dropLast: true })].length).toBe(4)
  })

  it('carry each image with its own label, normalised to [0, 1]', () => {
    for (const b of iterateBatches(view, { batchSize: 50, seed: 4 })) {
      for (let k = 0; k < b.size; k++) {
        const i = b.indices[k]
        expect(b.y[k]).toBe(set.labels[i])
        expect(b.x[k * 16 + 5]).toBeCloseTo(set.pixels[i * 16 + 5] / 255, 6)
      }
    }
  })

  it('shuffle deterministically per (seed, epoch), differently across epochs', () => {
    const order = (seed: number, epoch: number) => [...iterateBatches(view, { batchSize: 64, seed, epoch })].flatMap((b) => Array.from(b.indices))
    expect(order(1, 0)).toEqual(order(1, 0))
    expect(order(1, 0)).not.toEqual(order(1, 1))
    expect(order(1, 0)).not.toEqual(order(2, 0))
    const unshuffled = [...iterateBatches(view, { batchSize: 64, shuffle: false })].flatMap((b) => Array.from(b.indices))
    expect(unshuffled).toEqual(ids(view))
  })

  it('standardise with mean and std', () => {
    const { mean, std } = channelMeanStd(view)
    const [b] = [...iterateBatches(view, { batchSize: 130, shuffle: false, normalize: { mean, std } })]
    const m = b.x.reduce((a, v) => a + v, 0) / b.x.length
    const v = b.x.reduce((a, x) => a + (x - m) ** 2, 0) / b.x.length
    expect(m).toBeCloseTo(0, 4)
    expect(v).toBeCloseTo(1, 3)
    expect(() => [...iterateBatches(view, { batchSize: 8, normalize: { mean: [0.5, 0.5], std: [1, 1] } })]).toThrow('one mean and one std per channel (1)')
  })

  it('augment deterministically per seed and epoch: crops are shifted copies with zero fill, flips mirror rows', () => {
    // One RGB image with distinct pixels, repeated, so every augmented copy can be checked against the original.
    const h = 6
    const w = 6
    const img = synthetic(1, 1, h, w, 3)
    const many: ImageSet = { ...img, count: 40, pixels: new Uint8Array(40 * h * w * 3), labels: new Int32Array(40) }
    for (let i = 0; i < 40; i++) many.pixels.set(img.pixels, i * h * w * 3)
    for (let i = 0; i < many.pixels.length; i++) if (many.pixels[i] === 0) many.pixels[i] = 1 // zero means "padding" below
    const v: SplitView = { set: many, indices: Int32Array.from({ length: 40 }, (_, i) => i) }
    const opts = { batchSize: 40, seed: 9, epoch: 3, shuffle: false, augment: { padPx: 2, flip: true } }
    const [a] = [...iterateBatches(v, opts)]
    const [b] = [...iterateBatches(v, opts)]
    const [c] = [...iterateBatches(v, { ...opts, epoch: 4 })]
    expect(Array.from(a.x)).toEqual(Array.from(b.x))
    expect(Array.from(a.x)).not.toEqual(Array.from(c.x))
    const original = Array.from(many.pixels.subarray(0, h * w * 3), (p) => p / 255)
    let flipped = 0
    let shifted = 0
    for (let k = 0; k < 40; k++) {
      const got = Array.from(a.x.subarray(k * h * w * 3, (k + 1) * h * w * 3))
      let match = false
      for (let dy = -2; dy <= 2 && !match; dy++)
        for (let dx = -2; dx <= 2 && !match; dx++)
          for (const mirror of [false, true]) {
            const want: number[] = []
            for (let r = 0; r < h; r++)
              for (let col = 0; col < w; col++) {
                const sr = r + dy
                const sc = (mirror ? w - 1 - col : col) + dx
                for (let ch = 0; ch < 3; ch++) want.push(sr >= 0 && sr < h && sc >= 0 && sc < w ? original[(sr * w + sc) * 3 + ch] : 0)
              }
            if (want.every((x, i) => Math.abs(x - got[i]) < 1e-6)) {
              match = true
              if (mirror) flipped++
              if (dy !== 0 || dx !== 0) shifted++
              break
            }
          }
      expect(match).toBe(true)
    }
    expect(flipped).toBeGreaterThan(5)
    expect(shifted).toBeGreaterThan(20)
    // Flip is off unless asked for (digits must not be mirrored).
    const [noFlip] = [...iterateBatches(v, { ...opts, augment: { padPx: 0 } })]
    Array.from(noFlip.x.subarray(0, h * w * 3)).forEach((x, i) => expect(x).toBeCloseTo(original[i], 6))
  })

  it('reject a bad batch size', () => {
    expect(() => [...iterateBatches(view, { batchSize: 0 })]).toThrow('The batch size must be a whole number of at least 1, not 0.')
  })
})
