// Train / validation / test splits with a fixed seed, and batches for one epoch.
// Validation is carved from train (as ProxylessNAS holds out part of the training set to train its
// architecture parameters); splits and subsets are class-stratified so small subsets stay balanced.
// Pixels stay uint8 in the dataset; each batch converts only its own images to float32.
import { LabError } from '../../shared/errors'
import { formatCount, imageBytes, type ImageSet, type LoadedDataset } from './dataset'

// ---- seeded randomness ----

/** Mix integers into one 32-bit seed (so seed 1 epoch 2 and seed 2 epoch 1 differ). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9
  for (const p of parts) {
    h = Math.imul(h ^ (p | 0), 0x85ebca6b)
    h ^= h >>> 13
    h = Math.imul(h, 0xc2b2ae35)
    h ^= h >>> 16
  }
  return h >>> 0
}

/** mulberry32: a small, fast, seedable PRNG giving floats in [0, 1). */
export function createRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Fisher-Yates shuffle in place. */
export function shuffleInPlace(a: Int32Array, rng: () => number): Int32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const t = a[i]
    a[i] = a[j]
    a[j] = t
  }
  return a
}

// Streams of randomness; each gets its own seed so changing one use does not shift another.
const STREAM = { split: 1, trainSubset: 2, validationSubset: 3, testSubset: 4, shuffle: 5, augment: 6 } as const

// ---- splits ----

/** Some images of one set, by index. */
export interface SplitView {
  set: ImageSet
  indices: Int32Array
}

export interface Splits {
  train: SplitView
  validation: SplitView
  test: SplitView
}

export interface SplitOptions {
  seed: number
  /** Validation images carved from train: a count (≥ 1) or a fraction of train (< 1). Default 0.1. */
  validation?: number
  /** For datasets without a test set: test images carved from train first, count or fraction. Default 0.2. */
  testWhenMissing?: number
  /** Keep at most this many images per split (fast searches); stratified by class. */
  trainSubset?: number
  validationSubset?: number
  testSubset?: number
}

/**
 * Order `indices` so that every prefix is class-stratified: shuffle, then sort by (rank within class + 0.5) / class size.
 * Taking the first k then takes each class in proportion to its size.
 */
export function stratifiedOrder(indices: Int32Array, labels: Int32Array, rng: () => number): Int32Array {
  const shuffled = shuffleInPlace(Int32Array.from(indices), rng)
  const size = new Map<number, number>()
  for (const i of shuffled) size.set(labels[i], (size.get(labels[i]) ?? 0) + 1)
  const seen = new Map<number, number>()
  const key = new Float64Array(shuffled.length)
  shuffled.forEach((i, k) => {
    const c = labels[i]
    const r = seen.get(c) ?? 0
    seen.set(c, r + 1)
    key[k] = (r + 0.5) / size.get(c)!
  })
  const order = Array.from(shuffled.keys()).sort((a, b) => key[a] - key[b] || a - b)
  return Int32Array.from(order, (k) => shuffled[k])
}

function resolveCount(amount: number, total: number, what: string): number {
  if (!(amount >= 0) || !Number.isFinite(amount)) throw new LabError('bad_request', `${what} must be a count or a fraction of at least 0, not ${amount}.`)
  const n = amount < 1 ? Math.round(amount * total) : Math.floor(amount)
  if (n >= total) throw new LabError('bad_request', `${what} asks for ${formatCount(n)} images but the training set has only ${formatCount(total)}; choose fewer so some are left to train on.`)
  return n
}

function subset(view: SplitView, limit: number | undefined, seed: number, stream: number): SplitView {
  if (limit === undefined || limit >= view.indices.length) return view
  if (!(limit >= 1)) throw new LabError('bad_request', `A subset size must be at least 1, not ${limit}.`)
  const order = stratifiedOrder(view.indices, view.set.labels, createRng(mixSeed(seed, stream)))
  return { set: view.set, indices: order.slice(0, Math.floor(limit)) }
}

/** Deterministic, disjoint splits for a seed. */
export function makeSplits(ds: LoadedDataset, opts: SplitOptions): Splits {
  const all = Int32Array.from({ length: ds.train.count }, (_, i) => i)
  let order = stratifiedOrder(all, ds.train.labels, createRng(mixSeed(opts.seed, STREAM.split)))
  let test: SplitView
  if (ds.test) test = { set: ds.test, indices: Int32Array.from({ length: ds.test.count }, (_, i) => i) }
  else {
    const nTest = resolveCount(opts.testWhenMissing ?? 0.2, order.length, 'The test share')
    test = { set: ds.train, indices: order.slice(0, nTest) }
    // Re-stratify the rest so the validation share is balanced too.
    order = stratifiedOrder(order.slice(nTest), ds.train.labels, createRng(mixSeed(opts.seed, STREAM.split, 1)))
  }
  const nVal = resolveCount(opts.validation ?? 0.1, order.length, 'The validation share')
  const validation = { set: ds.train, indices: order.slice(0, nVal) }
  const train = { set: ds.train, indices: order.slice(nVal) }
  return {
    train: subset(train, opts.trainSubset, opts.seed, STREAM.trainSubset),
    validation: subset(validation, opts.validationSubset, opts.seed, STREAM.validationSubset),
    test: subset(test, opts.testSubset, opts.seed, STREAM.testSubset)
  }
}

// ---- batches ----

export type Normalize = 'unit' | { mean: number[]; std: number[] }

export interface Augment {
  /** Random crop after zero padding by this many pixels on each side (2-4 is typical); 0 = none. */
  padPx?: number
  /** Random horizontal flip (leave off for digits and text). */
  flip?: boolean
}

export interface BatchOptions {
  batchSize: number
  /** Shuffling and augmentation are seeded by (seed, epoch): the same epoch gives the same batches. */
  seed?: number
  epoch?: number
  shuffle?: boolean
  dropLast?: boolean
  /** 'unit' maps 0..255 to [0, 1]; mean/std (per channel, in [0, 1] units) standardise after that. */
  normalize?: Normalize
  augment?: Augment
}

export interface Batch {
  /** size × height × width × channels, float32. */
  x: Float32Array
  y: Int32Array
  size: number
  shape: [number, number, number, number]
  /** Indices into the underlying ImageSet. */
  indices: Int32Array
}

export function batchCount(view: SplitView, opts: Pick<BatchOptions, 'batchSize' | 'dropLast'>): number {
  const n = view.indices.length
  return opts.dropLast ? Math.floor(n / opts.batchSize) : Math.ceil(n / opts.batchSize)
}

/** One epoch of batches; each image appears exactly once (except the tail with dropLast). */
export function* iterateBatches(view: SplitView, opts: BatchOptions): Generator<Batch> {
  if (!Number.isInteger(opts.batchSize) || opts.batchSize < 1) throw new LabError('bad_request', `The batch size must be a whole number of at least 1, not ${opts.batchSize}.`)
  const { set } = view
  const seed = opts.seed ?? 0
  const epoch = opts.epoch ?? 0
  const order = Int32Array.from(view.indices)
  if (opts.shuffle ?? true) shuffleInPlace(order, createRng(mixSeed(seed, epoch, STREAM.shuffle)))
  const augRng = createRng(mixSeed(seed, epoch, STREAM.augment))
  const { scale, shift } = normalisation(opts.normalize ?? 'unit', set.channels)
  const padPx = Math.max(0, Math.floor(opts.augment?.padPx ?? 0))
  const flip = opts.augment?.flip ?? false
  const per = imageBytes(set)
  const batches = batchCount(view, opts)
  for (let b = 0; b < batches; b++) {
    const indices = order.subarray(b * opts.batchSize, Math.min(order.length, (b + 1) * opts.batchSize))
    const size = indices.length
    const x = new Float32Array(size * per)
    const y = new Int32Array(size)
    for (let k = 0; k < size; k++) {
      const src = indices[k] * per
      y[k] = set.labels[indices[k]]
      const dy = padPx ? Math.floor(augRng() * (2 * padPx + 1)) - padPx : 0
      const dx = padPx ? Math.floor(augRng() * (2 * padPx + 1)) - padPx : 0
      const mirror = flip && augRng() < 0.5
      writeImage(set, src, x, k * per, dy, dx, mirror, scale, shift)
    }
    yield { x, y, size, shape: [size, set.height, set.width, set.channels], indices: Int32Array.from(indices) }
  }
}

/** value = pixel * scale[c] + shift[c]. */
function normalisation(n: Normalize, channels: number): { scale: Float32Array; shift: Float32Array } {
  const scale = new Float32Array(channels).fill(1 / 255)
  const shift = new Float32Array(channels)
  if (n !== 'unit') {
    if (n.mean.length !== channels || n.std.length !== channels) {
      throw new LabError('bad_request', `Normalisation needs one mean and one std per channel (${channels}), got ${n.mean.length} and ${n.std.length}.`)
    }
    for (let c = 0; c < channels; c++) {
      if (!(n.std[c] > 0)) throw new LabError('bad_request', `The std of channel ${c} must be above 0, not ${n.std[c]}.`)
      scale[c] = 1 / (255 * n.std[c])
      shift[c] = -n.mean[c] / n.std[c]
    }
  }
  return { scale, shift }
}

/** Copy one image, shifted by (dy, dx) with zero fill (a crop of the zero-padded image), optionally mirrored. */
function writeImage(set: ImageSet, src: number, x: Float32Array, dst: number, dy: number, dx: number, mirror: boolean, scale: Float32Array, shift: Float32Array): void {
  const { height: H, width: W, channels: C, pixels } = set
  if (dy === 0 && dx === 0 && !mirror) {
    const n = H * W * C
    if (C === 1) for (let p = 0; p < n; p++) x[dst + p] = pixels[src + p] * scale[0] + shift[0]
    else for (let p = 0; p < n; p++) x[dst + p] = pixels[src + p] * scale[p % C] + shift[p % C]
    return
  }
  for (let r = 0; r < H; r++) {
    const sr = r + dy
    for (let c = 0; c < W; c++) {
      const sc = (mirror ? W - 1 - c : c) + dx
      const inside = sr >= 0 && sr < H && sc >= 0 && sc < W
      const o = dst + (r * W + c) * C
      const s = src + (sr * W + sc) * C
      for (let ch = 0; ch < C; ch++) x[o + ch] = (inside ? pixels[s + ch] : 0) * scale[ch] + shift[ch]
    }
  }
}

/** Per-channel mean and std (in [0, 1] units) over the images of a split, for mean/std normalisation. */
export function channelMeanStd(view: SplitView): { mean: number[]; std: number[] } {
  const { set } = view
  const C = set.channels
  const per = imageBytes(set)
  const sum = new Float64Array(C)
  const sumSq = new Float64Array(C)
  for (const i of view.indices) {
    const base = i * per
    for (let p = 0; p < per; p++) {
      const v = set.pixels[base + p] / 255
      sum[p % C] += v
      sumSq[p % C] += v * v
    }
  }
  const n = (view.indices.length * per) / C
  const mean = Array.from(sum, (s) => s / n)
  const std = Array.from(sumSq, (s, c) => Math.sqrt(Math.max(0, s / n - mean[c] * mean[c])))
  return { mean, std }
}
