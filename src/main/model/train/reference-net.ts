// The small MobileNetV2-style network of issue 5, used by the training engine's tests and benchmarks:
// 28x28x1 input, 3x3 stem conv 16 (relu6), MBConv e6k3→24 s2, e6k3→24, e6k5→40 s2, e3k3→40, global mean,
// dense 10. 38,114 parameters, about 5.2 M MACs per image forward; the same net is built in bench/pytorch_reference.py.
import { mbconvLayers, type Layer, type Network, type Shape } from '../ir'

export interface ReferenceNetOptions {
  inputShape?: Shape
  classes?: number
}

export function referenceTrainingNet(opts: ReferenceNetOptions = {}): Network {
  const input = opts.inputShape ?? [28, 28, 1]
  const layers: Layer[] = [
    { name: 'stem', op: 'conv2d', inputs: ['input'], filters: 16, kernel: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu6', useBias: true }
  ]
  let x = 'stem'
  let shape: Shape = [input[0], input[1], 16]
  const blocks: [number, number, number, number][] = [
    // expand, kernel, stride, out
    [6, 3, 2, 24],
    [6, 3, 1, 24],
    [6, 5, 2, 40],
    [3, 3, 1, 40]
  ]
  blocks.forEach(([expand, kernel, stride, out], i) => {
    const chain = mbconvLayers(`b${i + 1}`, x, shape, { expand, kernel, stride, outChannels: out, idskip: stride === 1 && shape[2] === out })
    layers.push(...chain.layers)
    x = chain.output
    shape = chain.outShape
  })
  layers.push({ name: 'pool', op: 'mean', inputs: [x], axes: [1, 2], keepDims: false })
  layers.push({ name: 'logits', op: 'dense', inputs: ['pool'], units: opts.classes ?? 10, activation: 'none', useBias: true })
  return { name: 'issue5-mbv2-small', input: { shape: input, dtype: 'float32' }, layers, outputs: ['logits'] }
}
