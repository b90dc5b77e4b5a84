// HAQ's quantizers (Wang et al., CVPR'19, §3.4 and lib/utils/quantize_utils.py), as pure functions on Float32Array,
// plus a straight-through-estimator version for tfjs training.
//
//   linear weights (symmetric):      s = c / (2^(b−1) − 1),  w_q = round(clamp(w, −c, c) / s) · s      (HAQ eq. 2)
//   linear activations (post-ReLU):  s = c / (2^b − 1),      a_q = round(clamp(a, 0, c) / s) · s
//   clip c: max |w| for b ≥ 5; KL-divergence calibration for b < 5, where clipping outliers pays (HAQ §3.4).
//   k-means: 2^b shared centroids per layer, k-means++ init, Lloyd iterations (Deep Compression style).
import * as tf from '@tensorflow/tfjs'
import { LabError } from '../../shared/errors'
import { SeededRandom } from './random'

function checkBits(bits: number, lowest = 2): void {
  if (!Number.isInteger(bits) || bits < lowest || bits > 16) throw new LabError('bad_request', `Bit width must be a whole number from ${lowest} to 16, got ${bits}.`, 'bits')
}

function checkClip(clip: number): void {
  if (!(clip > 0) || !Number.isFinite(clip)) throw new LabError('bad_request', `Clip value must be a positive finite number, got ${clip}.`, 'clip')
}

/** Step of the symmetric weight quantizer: s = c / (2^(b−1) − 1). */
export function weightStep(bits: number, clip: number): number {
  return clip / (2 ** (bits - 1) - 1)
}

/** Step of the unsigned activation quantizer: s = c / (2^b − 1). */
export function activationStep(bits: number, clip: number): number {
  return clip / (2 ** bits - 1)
}

/** max |x|, the clip value HAQ uses for b ≥ 5 (a tiny floor keeps all-zero tensors quantizable). */
export function maxClip(x: Float32Array): number {
  let m = 0
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]))
  return m > 0 ? m : 1e-8
}

/**
 * Linear symmetric quantization of weights (HAQ eq. 2). `clip` is one value per tensor, or per output channel when
 * it is an array: channel = index mod clip.length (the last axis of every ModelIR kernel layout).
 */
export function quantizeWeightsLinear(w: Float32Array, bits: number, clip: number | Float32Array | number[]): Float32Array {
  checkBits(bits)
  const clips = typeof clip === 'number' ? [clip] : Array.from(clip)
  clips.forEach(checkClip)
  const steps = clips.map((c) => weightStep(bits, c))
  const q = new Float32Array(w.length)
  const channels = clips.length
  for (let i = 0; i < w.length; i++) {
    const ch = channels === 1 ? 0 : i % channels
    const c = clips[ch]
    const s = steps[ch]
    q[i] = Math.round(Math.min(c, Math.max(-c, w[i])) / s) * s
  }
  return q
}

/** Linear quantization of non-negative (post-ReLU) activations: s = c / (2^b − 1). */
export function quantizeActivationsLinear(a: Float32Array, bits: number, clip: number): Float32Array {
  checkBits(bits)
  checkClip(clip)
  const s = activationStep(bits, clip)
  const q = new Float32Array(a.length)
  for (let i = 0; i < a.length; i++) q[i] = Math.round(Math.min(clip, Math.max(0, a[i])) / s) * s
  return q
}

/** Per-channel max |w| (channel = index mod channels). */
export function perChannelMaxClip(w: Float32Array, channels: number): Float32Array {
  const m = new Float32Array(channels)
  for (let i = 0; i < w.length; i++) m[i % channels] = Math.max(m[i % channels], Math.abs(w[i]))
  for (let c = 0; c < channels; c++) if (m[c] === 0) m[c] = 1e-8
  return m
}

// ---------------------------------------------------------------- KL calibration

export interface KlOptions {
  /** Histogram bins over [0, max |x|]; TensorRT uses 2048. */
  bins?: number
}

/** KL(P‖Q) over bins where P > 0; Q is smoothed where it is zero so the sum stays finite. */
function klDivergence(p: Float64Array, q: Float64Array): number {
  let ps = 0
  let qs = 0
  for (let i = 0; i < p.length; i++) {
    ps += p[i]
    qs += q[i]
  }
  let kl = 0
  for (let i = 0; i < p.length; i++) {
    if (p[i] === 0) continue
    const pi = p[i] / ps
    const qi = q[i] > 0 ? q[i] / qs : 1e-10
    kl += pi * Math.log(pi / qi)
  }
  return kl
}

/**
 * Clip value by KL-divergence calibration (TensorRT's entropy calibration, the method HAQ uses for b < 5).
 * A histogram of |x| with `bins` bins over [0, max]; for each candidate threshold i (in bins) from `levels` to bins:
 * P = the first i bins with everything beyond folded into bin i−1, Q = P merged into `levels` groups and spread back
 * uniformly over each group's non-empty bins; the threshold with least KL(P‖Q) wins, at the upper edge of bin i−1.
 * `levels` is the number of magnitude levels the quantizer has: 2^(b−1) for signed weights, 2^b for activations.
 * The result is never above max |x|.
 */
export function klClip(x: Float32Array, levels: number, opts: KlOptions = {}): number {
  const bins = opts.bins ?? 2048
  const max = maxClip(x)
  if (!Number.isInteger(levels) || levels < 2) throw new LabError('bad_request', `KL calibration needs at least 2 levels, got ${levels}.`, 'levels')
  if (levels >= bins) return max
  const hist = new Float64Array(bins)
  const width = max / bins
  for (let i = 0; i < x.length; i++) hist[Math.min(bins - 1, Math.floor(Math.abs(x[i]) / width))]++
  let best = bins
  let bestKl = Infinity
  for (let i = levels; i <= bins; i++) {
    const p = new Float64Array(i)
    for (let j = 0; j < i; j++) p[j] = hist[j]
    for (let j = i; j < bins; j++) p[i - 1] += hist[j] // outliers fold into the last kept bin
    const q = new Float64Array(i)
    const perGroup = i / levels
    for (let g = 0; g < levels; g++) {
      const start = Math.floor(g * perGroup)
      const end = g === levels - 1 ? i : Math.floor((g + 1) * perGroup)
      let sum = 0
      let nonEmpty = 0
      for (let j = start; j < end; j++) {
        sum += hist[j]
        if (hist[j] > 0) nonEmpty++
      }
      if (nonEmpty === 0) continue
      for (let j = start; j < end; j++) if (hist[j] > 0) q[j] = sum / nonEmpty
    }
    const kl = klDivergence(p, q)
    if (kl < bestKl) {
      bestKl = kl
      best = i
    }
  }
  return Math.min(max, best * width)
}

/** HAQ's rule for the weight clip: KL calibration below 5 bits, max |w| from 5 bits up. */
export function haqWeightClip(w: Float32Array, bits: number, opts: KlOptions = {}): number {
  checkBits(bits)
  return bits < 5 ? klClip(w, 2 ** (bits - 1), opts) : maxClip(w)
}

// ---------------------------------------------------------------- k-means

export interface KmeansOptions {
  seed?: number
  /** Lloyd iterations at most; stops early when no assignment changes. */
  maxIterations?: number
  /** k-means++ seeding runs on at most this many evenly strided values (it is O(n·k)). */
  initSample?: number
}

export interface KmeansResult {
  /** 2^b centroids, ascending. */
  centroids: Float32Array
  /** Index of each value's centroid. */
  assignments: Uint16Array
  /** Every value replaced by its centroid. */
  quantized: Float32Array
  /** Sum of squared errors after each Lloyd iteration (non-increasing). */
  sseHistory: number[]
}

/** k-means++ seeding: the first centroid uniform, each next one drawn with probability ∝ D(x)². */
function kmeansPlusPlus(values: Float64Array, k: number, rng: SeededRandom): number[] {
  const centroids = [values[rng.int(values.length)]]
  const d2 = new Float64Array(values.length)
  for (let i = 0; i < values.length; i++) d2[i] = (values[i] - centroids[0]) ** 2
  while (centroids.length < k) {
    let total = 0
    for (let i = 0; i < d2.length; i++) total += d2[i]
    if (total === 0) break // fewer distinct values than k
    let r = rng.next() * total
    let pick = d2.length - 1
    for (let i = 0; i < d2.length; i++) {
      r -= d2[i]
      if (r <= 0) {
        pick = i
        break
      }
    }
    const c = values[pick]
    centroids.push(c)
    for (let i = 0; i < d2.length; i++) d2[i] = Math.min(d2[i], (values[i] - c) ** 2)
  }
  return centroids
}

/** Index of the nearest centroid in an ascending list, by binary search on the midpoints. */
function nearest(sorted: Float64Array, v: number): number {
  let lo = 0
  let hi = sorted.length - 1
  while (lo < hi) {
    const mid = (lo + hi) >> 1
    if (v > (sorted[mid] + sorted[mid + 1]) / 2) lo = mid + 1
    else hi = mid
  }
  return lo
}

/** Weight sharing with 2^b centroids (k-means++ init, seeded; Lloyd iterations; empty clusters keep their centroid). */
export function quantizeKmeans(w: Float32Array, bits: number, opts: KmeansOptions = {}): KmeansResult {
  checkBits(bits, 1)
  if (bits > 16 || w.length === 0) throw new LabError('bad_request', `k-means needs a non-empty tensor and at most 16 bits, got ${w.length} values at ${bits} bits.`)
  const k = 2 ** bits
  const rng = new SeededRandom(opts.seed ?? 1)
  const maxIterations = opts.maxIterations ?? 30
  const values = Float64Array.from(w)
  const sampleSize = Math.min(values.length, opts.initSample ?? 65536)
  const stride = values.length / sampleSize
  const sample = new Float64Array(sampleSize)
  for (let i = 0; i < sampleSize; i++) sample[i] = values[Math.floor(i * stride)]
  let centroids = Float64Array.from(kmeansPlusPlus(sample, k, rng)).sort()
  const assignments = new Uint16Array(values.length)
  const sseHistory: number[] = []
  for (let it = 0; it < maxIterations; it++) {
    // assignment step: nearest centroid
    let changed = it === 0
    for (let i = 0; i < values.length; i++) {
      const a = nearest(centroids, values[i])
      if (a !== assignments[i]) changed = true
      assignments[i] = a
    }
    // update step: each centroid moves to the mean of its values
    const sum = new Float64Array(centroids.length)
    const count = new Float64Array(centroids.length)
    for (let i = 0; i < values.length; i++) {
      sum[assignments[i]] += values[i]
      count[assignments[i]]++
    }
    const next = Float64Array.from(centroids, (c, j) => (count[j] > 0 ? sum[j] / count[j] : c))
    let sse = 0
    for (let i = 0; i < values.length; i++) sse += (values[i] - next[assignments[i]]) ** 2
    sseHistory.push(sse)
    // An empty cluster keeps its centroid, which may then sit out of order: re-sort for the binary search.
    centroids = next.sort()
    if (!changed) break
  }
  // final assignment against the last centroids, so assignments are nearest-centroid
  for (let i = 0; i < values.length; i++) assignments[i] = nearest(centroids, values[i])
  const quantized = new Float32Array(values.length)
  for (let i = 0; i < values.length; i++) quantized[i] = centroids[assignments[i]]
  return { centroids: Float32Array.from(centroids), assignments, quantized, sseHistory }
}

// ---------------------------------------------------------------- straight-through estimator (tfjs)

/**
 * Fake quantization for training with the straight-through estimator: the forward pass quantizes
 * (symmetric weights: s = c/(2^(b−1)−1) on [−c, c]; 'unsigned' activations: s = c/(2^b−1) on [0, c]); the backward
 * pass is the identity inside the clip range and zero outside it. tf.round rounds halves to even, unlike
 * Math.round in the pure quantizers; only exact halves differ.
 */
export function fakeQuantTfjs(x: tf.Tensor, bits: number, clip: number, mode: 'symmetric' | 'unsigned' = 'symmetric'): tf.Tensor {
  checkBits(bits)
  checkClip(clip)
  const lo = mode === 'symmetric' ? -clip : 0
  const s = mode === 'symmetric' ? weightStep(bits, clip) : activationStep(bits, clip)
  const op = tf.customGrad((x0, save) => {
    const input = x0 as tf.Tensor
    ;(save as tf.GradSaveFunc)([input])
    const value = tf.tidy(() => tf.mul(tf.round(tf.div(tf.clipByValue(input, lo, clip), s)), s))
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const inside = tf.logicalAnd(tf.greaterEqual(saved[0], lo), tf.lessEqual(saved[0], clip))
        return tf.mul(dy, tf.cast(inside, 'float32'))
      }
    }
  }) as (t: tf.Tensor) => tf.Tensor
  return op(x)
}
