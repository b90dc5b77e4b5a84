// Plain-JS float64 reference implementations (loops, no tfjs), independent of the code under test.
import { samePadding, type Layer, type Network, type Weights } from '../../../src/main/model/ir'

export interface T4 { data: Float64Array; shape: [number, number, number, number] }

function pads(size: number, k: number, s: number, padding: 'same' | 'valid'): { out: number; before: number } {
  if (padding === 'valid') return { out: Math.floor((size - k) / s) + 1, before: 0 }
  return { out: Math.ceil(size / s), before: samePadding(size, k, s)[0] }
}

/** NHWC conv with HWIO filter; depthwise when `depthwise` (filter [kh,kw,C,M], output channel c*M+m). */
export function refConv(x: T4, f: Float64Array | Float32Array, fShape: number[], stride: number, padding: 'same' | 'valid', depthwise: boolean): T4 {
  const [b, h, w, c] = x.shape
  const [kh, kw, fc, fo] = fShape
  const ph = pads(h, kh, stride, padding)
  const pw = pads(w, kw, stride, padding)
  const co = depthwise ? c * fo : fo
  const out = new Float64Array(b * ph.out * pw.out * co)
  for (let n = 0; n < b; n++)
    for (let i = 0; i < ph.out; i++)
      for (let j = 0; j < pw.out; j++)
        for (let p = 0; p < kh; p++) {
          const y = i * stride + p - ph.before
          if (y < 0 || y >= h) continue
          for (let q = 0; q < kw; q++) {
            const xx = j * stride + q - pw.before
            if (xx < 0 || xx >= w) continue
            const xBase = ((n * h + y) * w + xx) * c
            const oBase = ((n * ph.out + i) * pw.out + j) * co
            if (depthwise) {
              for (let ch = 0; ch < c; ch++)
                for (let m = 0; m < fo; m++) out[oBase + ch * fo + m] += x.data[xBase + ch] * f[((p * kw + q) * fc + ch) * fo + m]
            } else {
              for (let ch = 0; ch < c; ch++) {
                const xv = x.data[xBase + ch]
                const fBase = ((p * kw + q) * fc + ch) * fo
                for (let o = 0; o < fo; o++) out[oBase + o] += xv * f[fBase + o]
              }
            }
          }
        }
  return { data: out, shape: [b, ph.out, pw.out, co] }
}

function pool(x: T4, k: [number, number], s: [number, number], padding: 'same' | 'valid', kind: 'avg' | 'max'): T4 {
  const [b, h, w, c] = x.shape
  const ph = pads(h, k[0], s[0], padding)
  const pw = pads(w, k[1], s[1], padding)
  const out = new Float64Array(b * ph.out * pw.out * c)
  for (let n = 0; n < b; n++)
    for (let i = 0; i < ph.out; i++)
      for (let j = 0; j < pw.out; j++)
        for (let ch = 0; ch < c; ch++) {
          let acc = kind === 'max' ? -Infinity : 0
          let count = 0
          for (let p = 0; p < k[0]; p++)
            for (let q = 0; q < k[1]; q++) {
              const y = i * s[0] + p - ph.before
              const xx = j * s[1] + q - pw.before
              if (y < 0 || y >= h || xx < 0 || xx >= w) continue
              const v = x.data[((n * h + y) * w + xx) * c + ch]
              acc = kind === 'max' ? Math.max(acc, v) : acc + v
              count++
            }
          out[((n * ph.out + i) * pw.out + j) * c + ch] = kind === 'max' ? acc : acc / count
        }
  return { data: out, shape: [b, ph.out, pw.out, c] }
}

const act = (v: number, a: string): number =>
  a === 'relu' ? Math.max(0, v) : a === 'relu6' ? Math.min(6, Math.max(0, v)) : a === 'hard_swish' ? (v * Math.min(6, Math.max(0, v + 3))) / 6 : v

/** Runs a network on a batch given as flat NHWC (or [B,N]) float64 values; returns the first output. */
export function refForward(net: Network, weights: Weights, input: Float64Array, batch: number): { data: Float64Array; shape: number[] } {
  type V = { data: Float64Array; shape: number[] }
  const vals = new Map<string, V>([['input', { data: input, shape: [batch, ...net.input.shape] }]])
  const as4 = (v: V): T4 => v as unknown as T4
  for (const l of net.layers as Layer[]) {
    const x = vals.get(l.inputs[0]) as V
    let y: V
    const bias = (v: V, key: string, a: string): V => {
      const bb = weights.get(key)
      const c = v.shape[v.shape.length - 1]
      const d = v.data.map((val, i) => act(val + (bb ? bb[i % c] : 0), a))
      return { data: d, shape: v.shape }
    }
    switch (l.op) {
      case 'conv2d':
      case 'depthwise_conv2d': {
        const f = weights.get(`${l.name}/kernel`) as Float32Array
        const c = x.shape[3]
        const fShape = l.op === 'conv2d' ? [l.kernel[0], l.kernel[1], c, l.filters] : [l.kernel[0], l.kernel[1], c, l.depthMultiplier]
        y = bias(refConv(as4(x), f, fShape, l.strides[0], l.padding, l.op !== 'conv2d'), `${l.name}/bias`, l.activation)
        break
      }
      case 'dense': {
        const f = weights.get(`${l.name}/kernel`) as Float32Array
        const n = x.shape[1]
        const d = new Float64Array(batch * l.units)
        for (let b = 0; b < batch; b++) for (let o = 0; o < l.units; o++) for (let i = 0; i < n; i++) d[b * l.units + o] += x.data[b * n + i] * f[i * l.units + o]
        y = bias({ data: d, shape: [batch, l.units] }, `${l.name}/bias`, l.activation)
        break
      }
      case 'add': {
        const z = vals.get(l.inputs[1]) as V
        y = { data: x.data.map((v, i) => act(v + z.data[i], l.activation)), shape: x.shape }
        break
      }
      case 'relu6':
      case 'hard_swish':
        y = { data: x.data.map((v) => act(v, l.op)), shape: x.shape }
        break
      case 'softmax': {
        const c = x.shape[x.shape.length - 1]
        const d = new Float64Array(x.data.length)
        for (let r = 0; r < x.data.length / c; r++) {
          const row = x.data.subarray(r * c, r * c + c)
          const m = Math.max(...row)
          const e = Array.from(row, (v) => Math.exp(v - m))
          const s = e.reduce((a, b) => a + b, 0)
          e.forEach((v, i) => (d[r * c + i] = v / s))
        }
        y = { data: d, shape: x.shape }
        break
      }
      case 'mean': {
        // Only the global spatial mean [1,2] is used in tests.
        const [b, h, w, c] = x.shape
        const d = new Float64Array(b * c)
        for (let n = 0; n < b; n++) for (let i = 0; i < h * w; i++) for (let ch = 0; ch < c; ch++) d[n * c + ch] += x.data[(n * h * w + i) * c + ch] / (h * w)
        y = { data: d, shape: l.keepDims ? [b, 1, 1, c] : [b, c] }
        break
      }
      case 'avg_pool':
      case 'max_pool':
        y = pool(as4(x), l.pool, l.strides, l.padding, l.op === 'avg_pool' ? 'avg' : 'max')
        break
      case 'pad': {
        const [b, h, w, c] = x.shape
        const [[t, bo], [le, r]] = l.paddings
        const H = h + t + bo, W = w + le + r
        const d = new Float64Array(b * H * W * c)
        for (let n = 0; n < b; n++) for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) for (let ch = 0; ch < c; ch++) d[((n * H + i + t) * W + j + le) * c + ch] = x.data[((n * h + i) * w + j) * c + ch]
        y = { data: d, shape: [b, H, W, c] }
        break
      }
      case 'reshape':
        y = { data: x.data, shape: [batch, ...l.shape.map((d) => (d === -1 ? x.data.length / batch / l.shape.filter((e) => e !== -1).reduce((a, e) => a * e, 1) : d))] }
        break
      case 'concat': {
        // Channel concat of feature maps only.
        const parts = l.inputs.map((n) => vals.get(n) as V)
        const [b, h, w] = x.shape
        const cs = parts.map((p) => p.shape[3])
        const C = cs.reduce((a, c) => a + c, 0)
        const d = new Float64Array(b * h * w * C)
        for (let pix = 0; pix < b * h * w; pix++) {
          let off = 0
          parts.forEach((p, k) => {
            for (let ch = 0; ch < cs[k]; ch++) d[pix * C + off + ch] = p.data[pix * cs[k] + ch]
            off += cs[k]
          })
        }
        y = { data: d, shape: [b, h, w, C] }
        break
      }
    }
    vals.set(l.name, y)
  }
  return vals.get(net.outputs[0]) as V
}
