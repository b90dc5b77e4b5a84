// Small networks shared by the quant tests.
import type { Network } from '../../../src/main/model/ir'

export const tinyNet: Network = {
  name: 'tiny',
  input: { shape: [8, 8, 3], dtype: 'float32' },
  layers: [
    { name: 'conv', op: 'conv2d', inputs: ['input'], filters: 4, kernel: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu', useBias: true },
    { name: 'dw', op: 'depthwise_conv2d', inputs: ['conv'], kernel: [3, 3], strides: [1, 1], padding: 'same', depthMultiplier: 1, activation: 'relu', useBias: false },
    { name: 'gap', op: 'mean', inputs: ['dw'], axes: [1, 2], keepDims: false },
    { name: 'fc', op: 'dense', inputs: ['gap'], units: 5, activation: 'none', useBias: true }
  ],
  outputs: ['fc']
}
