// The wasm backend's XNNPACK build has fast depthwise microkernels only up to 25 taps; a 7x7 depthwise
// (49 taps) falls to a generic path that is 5-10x slower than 5x5. This splits such a kernel into frames of
// at most 25 taps, each a depthwise convolution with its own explicit padding, and sums them.
import * as tf from '@tensorflow/tfjs'

const MAX_FAST_TAPS = 25
/** XNNPACK picks its fast depthwise microkernel only when the tap count equals a tile size; 5x5 is one. */
const FRAME = 5

interface Frame {
  r0: number
  c0: number
  /** Per-tap 0/1 mask of the FRAME x FRAME window: taps outside the kernel or covered by earlier frames are 0. */
  mask: Float32Array
}

function bands(k: number, pad: number): number[] | null {
  const starts: number[] = []
  let covered = 0
  while (covered < k) {
    const start = Math.min(covered, pad)
    if (start + FRAME <= covered) return null
    starts.push(start)
    covered = start + FRAME
  }
  return starts
}

/**
 * 5x5 frames covering a kh x kw kernel exactly once. A frame at offset r0 reads the input with top pad
 * `top - r0`, so offsets never pass the top/left padding. Null if no such cover exists.
 */
export function planFrames(kh: number, kw: number, top: number, left: number): Frame[] | null {
  const rows = bands(kh, top)
  const cols = bands(kw, left)
  if (!rows || !cols) return null
  const owner = new Int32Array(kh * kw).fill(-1)
  const frames: Frame[] = []
  for (const r0 of rows) {
    for (const c0 of cols) {
      const mask = new Float32Array(FRAME * FRAME)
      for (let r = 0; r < FRAME; r++) {
        for (let q = 0; q < FRAME; q++) {
          const kr = r0 + r, kq = c0 + q
          if (kr < kh && kq < kw && owner[kr * kw + kq] < 0) {
            owner[kr * kw + kq] = frames.length
            mask[r * FRAME + q] = 1
          }
        }
      }
      frames.push({ r0, c0, mask })
    }
  }
  return frames
}

type Pads = { top: number; bottom: number; left: number; right: number }

/**
 * Depthwise convolution (dilation 1) as a sum of ≤25-tap depthwise convolutions, or null when the geometry
 * does not allow it (then the caller uses the backend's own kernel).
 */
export function splitDepthwise(x: tf.Tensor4D, filter: tf.Tensor4D, strides: [number, number], pads: Pads, outH: number, outW: number): tf.Tensor4D | null {
  const [kh, kw, c, m] = filter.shape
  if (kh * kw <= MAX_FAST_TAPS) return null
  const frames = planFrames(kh, kw, pads.top, pads.left)
  if (!frames) return null
  const [, h, w] = x.shape
  const geometry = frames.map((f) => {
    const top = pads.top - f.r0
    const left = pads.left - f.c0
    return { f, top, left, bottom: (outH - 1) * strides[0] + FRAME - h - top, right: (outW - 1) * strides[1] + FRAME - w - left }
  })
  if (geometry.some((g) => g.bottom < 0 || g.right < 0 || g.top < 0 || g.left < 0)) return null
  return tf.tidy(() => {
    // The kernel padded with zeros so that every frame can be sliced from it.
    const padded = tf.pad(filter, [[0, FRAME], [0, FRAME], [0, 0], [0, 0]])
    const parts = geometry.map(({ f, top, left, bottom, right }) => {
      const sub = tf.mul(tf.slice(padded, [f.r0, f.c0, 0, 0], [FRAME, FRAME, c, m]), tf.tensor4d(f.mask, [FRAME, FRAME, 1, 1]))
      return tf.depthwiseConv2d(x, sub as tf.Tensor4D, strides, [[0, 0], [top, bottom], [left, right], [0, 0]])
    })
    return tf.addN(parts) as tf.Tensor4D
  })
}
