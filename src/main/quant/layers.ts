// The quantizable layers of a ModelIR network (conv2d, depthwise_conv2d, dense), with the figures HAQ's state
// and the size accounting need.
import { inferShapes, type Network, type Shape } from '../model/ir'

export interface QuantLayer {
  name: string
  op: 'conv2d' | 'depthwise_conv2d' | 'dense'
  /** Position among the quantizable layers (0 = first). */
  index: number
  cIn: number
  cOut: number
  /** Stride along H (HAQ convention: 0 for dense). */
  stride: number
  /** Kernel height (HAQ convention: 1 for dense). */
  kernel: number
  isDepthwise: boolean
  kernelParams: number
  biasParams: number
  /** H·W of the input feature map (1 for dense). */
  inputHw: number
  /** Multiply-accumulates for one image. */
  macs: number
  /** Output channels, the unit a per-channel scale covers: Cout, C·mult, or units. */
  channels: number
}

const product = (s: Shape): number => s.reduce((a, b) => a * b, 1)

/** Quantizable layers in network order. */
export function quantLayersOf(net: Network): QuantLayer[] {
  const shapes = inferShapes(net)
  const out: QuantLayer[] = []
  for (const l of net.layers) {
    const x = shapes.get(l.inputs[0]) as Shape
    const y = shapes.get(l.name) as Shape
    if (l.op === 'conv2d') {
      const kernelParams = l.kernel[0] * l.kernel[1] * x[2] * l.filters
      out.push({ name: l.name, op: l.op, index: out.length, cIn: x[2], cOut: l.filters, stride: l.strides[0], kernel: l.kernel[0], isDepthwise: false, kernelParams, biasParams: l.useBias ? l.filters : 0, inputHw: x[0] * x[1], macs: y[0] * y[1] * kernelParams, channels: l.filters })
    } else if (l.op === 'depthwise_conv2d') {
      const channels = x[2] * l.depthMultiplier
      const kernelParams = l.kernel[0] * l.kernel[1] * channels
      out.push({ name: l.name, op: l.op, index: out.length, cIn: x[2], cOut: channels, stride: l.strides[0], kernel: l.kernel[0], isDepthwise: true, kernelParams, biasParams: l.useBias ? channels : 0, inputHw: x[0] * x[1], macs: y[0] * y[1] * kernelParams, channels })
    } else if (l.op === 'dense') {
      const kernelParams = product(x) * l.units
      out.push({ name: l.name, op: l.op, index: out.length, cIn: product(x), cOut: l.units, stride: 0, kernel: 1, isDepthwise: false, kernelParams, biasParams: l.useBias ? l.units : 0, inputHw: 1, macs: kernelParams, channels: l.units })
    }
  }
  return out
}
