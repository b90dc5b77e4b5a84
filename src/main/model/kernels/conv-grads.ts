// Convolution gradient kernels for the tfjs wasm backend, which ships without Conv2DBackpropFilter and the two
// depthwise backprops (so it cannot train a convnet as shipped). Each is rewritten as ops wasm runs fast:
// forward (depthwise) convolutions with batch and channels swapped, dilated by the stride, and transpose+matMul
// for 1x1 convolutions. Strides, 'same'/'valid'/explicit padding and depth multipliers are supported; dilated
// forward convolutions are not (the lab never builds them).
import * as tf from '@tensorflow/tfjs'

type Pads = { top: number; bottom: number; left: number; right: number }
type Pair = [number, number]
type Attrs = {
  strides: number | Pair
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dilations?: number | Pair
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
}

const pair = (v: number | Pair | undefined): Pair => (v === undefined ? [1, 1] : typeof v === 'number' ? [v, v] : v)

function asTensor(info: unknown, what: string): tf.Tensor4D {
  if (!(info instanceof tf.Tensor)) throw new Error(`Kernel input ${what} is not a tensor; these kernels run only through tfjs ops.`)
  return info as tf.Tensor4D
}

function forwardInfo(xShape: number[], filterShape: number[], attrs: Attrs, depthwise: boolean): { pads: Pads; outH: number; outW: number; s: Pair } {
  const d = pair(attrs.dilations)
  if (d[0] !== 1 || d[1] !== 1) throw new Error('Gradients of dilated convolutions are not supported by the lab kernels.')
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number], attrs.strides, 1, attrs.pad, attrs.dimRoundingMode, depthwise
  )
  const p = info.padInfo
  return { pads: { top: p.top, bottom: p.bottom, left: p.left, right: p.right }, outH: info.outHeight, outW: info.outWidth, s: [info.strideHeight, info.strideWidth] }
}

const explicit = (t: number, b: number, l: number, r: number): tf.backend_util.ExplicitPadding => [[0, 0], [t, b], [l, r], [0, 0]]

/**
 * dW[p,q,c,o] = sum over b,i,j of x[b, i*s+p-top, j*s+q-left, c] * dy[b,i,j,o]:
 * a stride-1 convolution of x (channels as batch) with dy (batch as input channels) dilated by the stride.
 */
export function conv2dBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], attrs: Attrs): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, cin, cout] = filterShape
    const [, h, w] = x.shape
    const { pads, outH, outW, s } = forwardInfo(x.shape, filterShape, attrs, false)
    if (kh === 1 && kw === 1 && s[0] === 1 && s[1] === 1 && pads.top === 0 && pads.left === 0 && outH === h && outW === w) {
      const x2 = tf.transpose(tf.reshape(x, [-1, cin]))
      return tf.reshape(tf.matMul(x2, tf.reshape(dy, [-1, cout])), [1, 1, cin, cout])
    }
    const xT = tf.transpose(x, [3, 1, 2, 0]) // [C, H, W, B]
    const dyT = tf.transpose(dy, [1, 2, 0, 3]) // [Ho, Wo, B, O]
    const bottom = Math.max(0, kh + s[0] * (outH - 1) - h - pads.top)
    const right = Math.max(0, kw + s[1] * (outW - 1) - w - pads.left)
    let out = tf.conv2d(xT, dyT, 1, explicit(pads.top, bottom, pads.left, right), 'NHWC', s) // [C, >=kh, >=kw, O]
    if (out.shape[1] !== kh || out.shape[2] !== kw) out = tf.slice(out, [0, 0, 0, 0], [cin, kh, kw, cout])
    return tf.transpose(out, [1, 2, 0, 3])
  })
}

/**
 * dW[p,q,c,m] = sum over b,i,j of x[b, i*s+p-top, j*s+q-left, c] * dy[b,i,j,c*M+m]:
 * one depthwise convolution over batch*channels (batch 1), dilated by the stride, then a sum over the batch.
 */
export function depthwiseBackpropFilter(x: tf.Tensor4D, dy: tf.Tensor4D, filterShape: number[], attrs: Attrs): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, m] = filterShape
    const [b, h, w] = x.shape
    const { pads, outH, outW, s } = forwardInfo(x.shape, filterShape, attrs, true)
    const xT = tf.reshape(tf.transpose(x, [1, 2, 0, 3]), [1, h, w, b * c]) as tf.Tensor4D
    const dyT = tf.reshape(tf.transpose(dy, [1, 2, 0, 3]), [outH, outW, b * c, m]) as tf.Tensor4D
    const bottom = Math.max(0, kh + s[0] * (outH - 1) - h - pads.top)
    const right = Math.max(0, kw + s[1] * (outW - 1) - w - pads.left)
    let out = tf.depthwiseConv2d(xT, dyT, 1, explicit(pads.top, bottom, pads.left, right), 'NHWC', s) // [1, >=kh, >=kw, B*C*M]
    if (out.shape[1] !== kh || out.shape[2] !== kw) out = tf.slice(out, [0, 0, 0, 0], [1, kh, kw, b * c * m])
    return tf.reshape(tf.sum(tf.reshape(out, [kh, kw, b, c * m]), 2), [kh, kw, c, m])
  })
}

/**
 * Spreads dy [B,Ho,Wo,C] onto the stride grid: D[i*s + a] = dy[i], zeros elsewhere, length Ho*s per axis.
 * `a` (the offset inside each stride cell) lets the caller avoid cropping.
 */
function spreadOnStrideGrid(dy: tf.Tensor4D, s: Pair, a: Pair): tf.Tensor4D {
  if (s[0] === 1 && s[1] === 1) return dy
  const [b, ho, wo, c] = dy.shape
  const r = tf.reshape(dy, [b, ho, 1, wo, 1, c])
  const p = tf.pad(r, [[0, 0], [0, 0], [a[0], s[0] - 1 - a[0]], [0, 0], [a[1], s[1] - 1 - a[1]], [0, 0]])
  return tf.reshape(p, [b, ho * s[0], wo * s[1], c])
}

/**
 * The transposed convolution of dy with a filter, as a stride-1 correlation with the flipped filter over dy
 * spread on the stride grid. `correlate` runs the forward (depthwise) convolution with explicit pads.
 */
function transposedConv(
  dy: tf.Tensor4D, inputShape: number[], kh: number, kw: number, pads: Pads, s: Pair,
  correlate: (d: tf.Tensor4D, pad: tf.backend_util.ExplicitPadding) => tf.Tensor4D
): tf.Tensor4D {
  const [, h, w] = inputShape
  const [, ho, wo] = dy.shape
  // Offset a inside the stride cell, top/bottom pads T/B per axis (see depthwiseBackpropInput's comment).
  const axis = (size: number, k: number, top: number, stride: number, out: number): { a: number; t: number; b: number } => {
    const a = Math.max(0, out * stride - size - top)
    return { a, t: k - 1 - top - a, b: size + top + a - out * stride }
  }
  const ah = axis(h, kh, pads.top, s[0], ho)
  const aw = axis(w, kw, pads.left, s[1], wo)
  if (ah.a <= s[0] - 1 && aw.a <= s[1] - 1 && ah.t >= 0 && aw.t >= 0) {
    return correlate(spreadOnStrideGrid(dy, s, [ah.a, aw.a]), explicit(ah.t, ah.b, aw.t, aw.b))
  }
  // Unusual geometry (kernel smaller than stride, or pads beyond the kernel): pad generously, then crop.
  const d = spreadOnStrideGrid(dy, s, [0, 0])
  const t0 = kh - 1, l0 = kw - 1
  const full = correlate(d, explicit(t0, kh - 1 + h, l0, kw - 1 + w))
  const offH = pads.top, offW = pads.left
  return tf.slice(full, [0, offH, offW, 0], [inputShape[0], h, w, full.shape[3]])
}

/**
 * dx[b,h,w,c] = sum over p,q,m of dy[b, (h+top-p)/s, (w+left-q)/s, c*M+m] * W[p,q,c,m] (integer positions only).
 * With D = dy spread on the stride grid at offset a, dx is a stride-1 depthwise correlation of D, padded
 * T = k-1-top-a before and H+top+a-Ho*s after, with the spatially flipped filter.
 */
export function depthwiseBackpropInput(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[], attrs: Attrs): tf.Tensor4D {
  return tf.tidy(() => {
    const [kh, kw, c, m] = filter.shape
    const { pads, s } = forwardInfo(inputShape, filter.shape, attrs, true)
    const flipped = tf.reverse(filter, [0, 1])
    const one = (d: tf.Tensor4D, f: tf.Tensor4D): tf.Tensor4D =>
      transposedConv(d, inputShape, kh, kw, pads, s, (spread, pad) => tf.depthwiseConv2d(spread, f, 1, pad, 'NHWC'))
    if (m === 1) return one(dy, flipped)
    // Depth multiplier > 1: sum the contributions of each multiplier channel (rare; uses slices).
    const [b, ho, wo] = dy.shape
    const dys = tf.unstack(tf.reshape(dy, [b, ho, wo, c, m]), 4) as tf.Tensor4D[]
    const fs = tf.unstack(flipped, 3).map((f) => tf.reshape(f, [kh, kw, c, 1]) as tf.Tensor4D)
    return tf.addN(dys.map((d, i) => one(d, fs[i])))
  })
}

/**
 * dx for a regular convolution: transpose+matMul for 1x1 stride 1 (wasm's own kernel is slow there),
 * else the backend's original kernel.
 */
export function conv2dBackpropInput1x1(dy: tf.Tensor4D, filter: tf.Tensor4D, inputShape: number[]): tf.Tensor4D {
  return tf.tidy(() => {
    const [, , cin, cout] = filter.shape
    const wT = tf.transpose(tf.reshape(filter, [cin, cout]))
    return tf.reshape(tf.matMul(tf.reshape(dy, [-1, cout]) as tf.Tensor2D, wT), inputShape as [number, number, number, number])
  })
}

/** True when conv2dBackpropInput1x1 applies: 1x1 kernel, stride 1, no padding. */
export function isPlain1x1(filterShape: number[], inputShape: number[], attrs: Attrs): boolean {
  if (filterShape[0] !== 1 || filterShape[1] !== 1) return false
  const { pads, s, outH, outW } = forwardInfo(inputShape, filterShape, attrs, false)
  return s[0] === 1 && s[1] === 1 && pads.top === 0 && pads.left === 0 && outH === inputShape[1] && outW === inputShape[2]
}

export { asTensor }
export type { Attrs as ConvAttrs }
