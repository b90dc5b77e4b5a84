// A small float reference executor over the IR (batch 1, NHWC), used to calibrate int8 activation ranges and to
// check exported files. Plain loops, deterministic: the same inputs always give the same bits.
import { INPUT_NAME, inferShapes, samePadding, type Activation, type Layer, type Network, type Shape, type Weights } from '../ir'

/** Name of the tensor before a separate (non-fusable) activation, e.g. hard_swish after a conv. */
export function preActivationName(layer: string): string {
  return `${layer}/pre_activation`
}

/** Whether TFLite can fuse this activation into the op (NONE, RELU, RELU6). */
export function isFusable(act: Activation): boolean {
  return act !== 'hard_swish'
}

export function activate(x: number, act: Activation): number {
  switch (act) {
    case 'none': return x
    case 'relu': return x > 0 ? x : 0
    case 'relu6': return x < 0 ? 0 : x > 6 ? 6 : x
    case 'hard_swish': return (x * (x + 3 < 0 ? 0 : x + 3 > 6 ? 6 : x + 3)) / 6
  }
}

const size = (s: Shape): number => s.reduce((a, b) => a * b, 1)

/** Geometry of a sliding window over [H,W] for one layer. */
export interface WindowGeometry {
  inH: number; inW: number; outH: number; outW: number; kh: number; kw: number; sh: number; sw: number; padTop: number; padLeft: number
}

export function windowGeometry(inShape: Shape, outShape: Shape, kernel: [number, number], strides: [number, number], padding: 'same' | 'valid'): WindowGeometry {
  const [inH, inW] = inShape
  const [outH, outW] = outShape
  const padTop = padding === 'same' ? samePadding(inH, kernel[0], strides[0])[0] : 0
  const padLeft = padding === 'same' ? samePadding(inW, kernel[1], strides[1])[0] : 0
  return { inH, inW, outH, outW, kh: kernel[0], kw: kernel[1], sh: strides[0], sw: strides[1], padTop, padLeft }
}

/** Outer/axis/inner sizes for an op along `axis` (batch counted as 0) of a shape without batch. */
export function axisSplit(shape: Shape, axisWithBatch: number): { outer: number; dim: number; inner: number; axis: number } {
  const rank = shape.length + 1
  const a = (axisWithBatch < 0 ? axisWithBatch + rank : axisWithBatch) - 1
  return { outer: size(shape.slice(0, a)), dim: shape[a], inner: size(shape.slice(a + 1)), axis: a }
}

/**
 * Runs the network in float; returns every tensor by name ('input', each layer, and the pre-activation tensor of
 * layers whose activation is not fusable). Values are rounded to float32 after each op.
 */
export function runFloatReference(net: Network, weights: Weights, input: Float32Array): Map<string, Float32Array> {
  const shapes = inferShapes(net)
  const values = new Map<string, Float32Array>([[INPUT_NAME, input]])
  for (const layer of net.layers) {
    const ins = layer.inputs.map((n) => values.get(n) as Float32Array)
    const inShapes = layer.inputs.map((n) => shapes.get(n) as Shape)
    const outShape = shapes.get(layer.name) as Shape
    const act: Activation = 'activation' in layer ? layer.activation : 'none'
    const raw = floatOp(layer, ins, inShapes, outShape, weights)
    if (act === 'none') {
      values.set(layer.name, raw)
    } else {
      if (!isFusable(act)) values.set(preActivationName(layer.name), raw)
      values.set(layer.name, raw.map((v) => activate(v, act)))
    }
  }
  return values
}

function floatOp(layer: Layer, ins: Float32Array[], inShapes: Shape[], outShape: Shape, weights: Weights): Float32Array {
  const out = new Float32Array(size(outShape))
  const x = ins[0]
  const xs = inShapes[0]
  switch (layer.op) {
    case 'conv2d': {
      const g = windowGeometry(xs, outShape, layer.kernel, layer.strides, layer.padding)
      const cin = xs[2]
      const cout = layer.filters
      const w = weights.get(`${layer.name}/kernel`) as Float32Array
      const bias = weights.get(`${layer.name}/bias`)
      const acc = new Float64Array(cout)
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          for (let co = 0; co < cout; co++) acc[co] = bias ? bias[co] : 0
          for (let ky = 0; ky < g.kh; ky++) {
            const iy = oy * g.sh - g.padTop + ky
            if (iy < 0 || iy >= g.inH) continue
            for (let kx = 0; kx < g.kw; kx++) {
              const ix = ox * g.sw - g.padLeft + kx
              if (ix < 0 || ix >= g.inW) continue
              const xBase = (iy * g.inW + ix) * cin
              const wBase = (ky * g.kw + kx) * cin * cout
              for (let ci = 0; ci < cin; ci++) {
                const xv = x[xBase + ci]
                if (xv === 0) continue
                const wRow = wBase + ci * cout
                for (let co = 0; co < cout; co++) acc[co] += xv * w[wRow + co]
              }
            }
          }
          out.set(acc, (oy * g.outW + ox) * cout)
        }
      }
      return out
    }
    case 'depthwise_conv2d': {
      const g = windowGeometry(xs, outShape, layer.kernel, layer.strides, layer.padding)
      const c = xs[2]
      const mult = layer.depthMultiplier
      const cout = c * mult
      const w = weights.get(`${layer.name}/kernel`) as Float32Array
      const bias = weights.get(`${layer.name}/bias`)
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          for (let oc = 0; oc < cout; oc++) {
            const ci = Math.floor(oc / mult)
            let acc = bias ? bias[oc] : 0
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.sh - g.padTop + ky
              if (iy < 0 || iy >= g.inH) continue
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.sw - g.padLeft + kx
                if (ix < 0 || ix >= g.inW) continue
                acc += x[(iy * g.inW + ix) * c + ci] * w[(ky * g.kw + kx) * cout + oc]
              }
            }
            out[(oy * g.outW + ox) * cout + oc] = acc
          }
        }
      }
      return out
    }
    case 'dense': {
      const n = xs[0]
      const w = weights.get(`${layer.name}/kernel`) as Float32Array
      const bias = weights.get(`${layer.name}/bias`)
      for (let o = 0; o < layer.units; o++) {
        let acc = bias ? bias[o] : 0
        for (let i = 0; i < n; i++) acc += x[i] * w[i * layer.units + o]
        out[o] = acc
      }
      return out
    }
    case 'add': {
      for (let i = 0; i < out.length; i++) out[i] = x[i] + ins[1][i]
      return out
    }
    case 'avg_pool':
    case 'max_pool': {
      const g = windowGeometry(xs, outShape, layer.pool, layer.strides, layer.padding)
      const c = xs[2]
      for (let oy = 0; oy < g.outH; oy++) {
        for (let ox = 0; ox < g.outW; ox++) {
          for (let ch = 0; ch < c; ch++) {
            let acc = layer.op === 'max_pool' ? -Infinity : 0
            let count = 0
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = oy * g.sh - g.padTop + ky
              if (iy < 0 || iy >= g.inH) continue
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ox * g.sw - g.padLeft + kx
                if (ix < 0 || ix >= g.inW) continue
                const v = x[(iy * g.inW + ix) * c + ch]
                acc = layer.op === 'max_pool' ? Math.max(acc, v) : acc + v
                count++
              }
            }
            out[(oy * g.outW + ox) * c + ch] = layer.op === 'max_pool' ? acc : acc / count
          }
        }
      }
      return out
    }
    case 'mean': {
      const { map, count } = reductionMap(xs, layer.axes)
      const acc = new Float64Array(out.length)
      for (let i = 0; i < x.length; i++) acc[map[i]] += x[i]
      for (let i = 0; i < out.length; i++) out[i] = acc[i] / count
      return out
    }
    case 'softmax': {
      const inner = xs[xs.length - 1]
      for (let base = 0; base < x.length; base += inner) {
        let max = -Infinity
        for (let i = 0; i < inner; i++) max = Math.max(max, x[base + i])
        let sum = 0
        for (let i = 0; i < inner; i++) sum += Math.exp(x[base + i] - max)
        for (let i = 0; i < inner; i++) out[base + i] = Math.exp(x[base + i] - max) / sum
      }
      return out
    }
    case 'pad': {
      const [h, w, c] = xs
      const [[top], [left]] = layer.paddings
      const ow = outShape[1]
      for (let y = 0; y < h; y++) out.set(x.subarray(y * w * c, (y + 1) * w * c), ((y + top) * ow + left) * c)
      return out
    }
    case 'relu6':
      return x.map((v) => activate(v, 'relu6'))
    case 'hard_swish':
      return x.map((v) => activate(v, 'hard_swish'))
    case 'reshape':
      return x.slice()
    case 'concat': {
      concatInto(out, ins, inShapes, layer.axis)
      return out
    }
  }
}

/** For a reduction over `axes` (batch counted): output index of every input element, and elements per output. */
export function reductionMap(shape: Shape, axes: number[]): { map: Int32Array; count: number } {
  const rank = shape.length + 1
  const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a) - 1))
  const n = size(shape)
  const map = new Int32Array(n)
  const idx = new Array<number>(shape.length).fill(0)
  let count = 1
  shape.forEach((d, i) => { if (reduced.has(i)) count *= d })
  for (let flat = 0; flat < n; flat++) {
    let o = 0
    for (let i = 0; i < shape.length; i++) if (!reduced.has(i)) o = o * shape[i] + idx[i]
    map[flat] = o
    for (let i = shape.length - 1; i >= 0; i--) {
      if (++idx[i] < shape[i]) break
      idx[i] = 0
    }
  }
  return { map, count }
}

export function concatInto<T extends Float32Array | Int8Array>(out: T, ins: T[], inShapes: Shape[], axisWithBatch: number): void {
  const { outer, inner } = axisSplit(inShapes[0], axisWithBatch)
  const total = inShapes.reduce((a, s) => a + axisSplit(s, axisWithBatch).dim, 0)
  let offset = 0
  ins.forEach((x, k) => {
    const dim = axisSplit(inShapes[k], axisWithBatch).dim
    for (let o = 0; o < outer; o++) {
      out.set(x.subarray(o * dim * inner, (o + 1) * dim * inner) as never, (o * total + offset) * inner)
    }
    offset += dim
  })
}
