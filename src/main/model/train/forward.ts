// A training forward pass over an IR network, tuned for the wasm backend. It differs from tfjs.ts's model in
// two ways that the profile of an MBConv step asked for: convolutions and dense layers add their bias inside
// the fused kernel (one pass instead of two), and relu6 is the 'LabRelu6' kernel whose gradient is a single
// native pass (dy where 0 < x < 6), instead of a customGrad with four element-wise ops and copies.
// Every other layer is tfjs.ts's applyLayer, so the numbers match that model.
import * as tf from '@tensorflow/tfjs'
import { INPUT_NAME, inferShapes, type Activation, type Layer, type Network } from '../ir'
import { applyActivation, applyLayer } from '../tfjs'

export const LAB_RELU6 = 'LabRelu6'
export const LAB_RELU6_GRAD = 'LabRelu6Grad'

let gradientRegistered = false
const kernelsOn = new Set<string>()

/** Registers LabRelu6 (the backend's own Relu6 forward) for a backend, and its gradient once. */
export function registerLabRelu6(backendName: string): void {
  if (!gradientRegistered) {
    tf.registerGradient({
      kernelName: LAB_RELU6,
      inputsToSave: ['x'],
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const g = dy as tf.Tensor
        const x = saved[0]
        return {
          x: () => tf.getKernel(LAB_RELU6_GRAD, tf.getBackend())
            ? (tf.engine().runKernel(LAB_RELU6_GRAD, { dy: g, x }) as tf.Tensor)
            : tf.mul(g, tf.mul(tf.step(x), tf.step(tf.sub(6, x))))
        }
      }
    })
    gradientRegistered = true
  }
  if (kernelsOn.has(backendName)) return
  const relu6 = tf.getKernel('Relu6', backendName)
  if (!relu6) return
  if (tf.getKernel(LAB_RELU6, backendName)) tf.unregisterKernel(LAB_RELU6, backendName)
  tf.registerKernel({ ...relu6, kernelName: LAB_RELU6 })
  kernelsOn.add(backendName)
}

/** relu6 with the lab's gradient (falls back to tfjs.ts's relu6 where LabRelu6 is not registered). */
export function labRelu6(x: tf.Tensor): tf.Tensor {
  const backend = tf.getBackend()
  if (!kernelsOn.has(backend)) registerLabRelu6(backend)
  if (!kernelsOn.has(backend)) return applyActivation(x, 'relu6')
  return tf.engine().runKernel(LAB_RELU6, { x }) as tf.Tensor
}

function activate(y: tf.Tensor, activation: Activation): tf.Tensor {
  return activation === 'relu6' ? labRelu6(y) : applyActivation(y, activation)
}

/** One IR layer with fused bias and the lab's relu6; other layers go to tfjs.ts's applyLayer. */
export function applyTrainingLayer(layer: Layer, inputs: tf.Tensor[], kernel?: tf.Tensor, bias?: tf.Tensor, outShape?: number[]): tf.Tensor {
  const x = inputs[0]
  switch (layer.op) {
    case 'conv2d':
      if (!kernel) break
      return activate(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: kernel as tf.Tensor4D, strides: layer.strides, pad: layer.padding, bias }), layer.activation)
    case 'depthwise_conv2d': {
      if (!kernel) break
      // Large kernels keep the plain op: the lab's wasm kernels split them into 5x5 frames (fused ops are not split).
      const big = layer.kernel[0] * layer.kernel[1] > 25
      const y = big
        ? applyLayer({ ...layer, activation: 'none' }, inputs, { kernel, bias })
        : tf.fused.depthwiseConv2d({ x: x as tf.Tensor4D, filter: kernel as tf.Tensor4D, strides: layer.strides, pad: layer.padding, bias })
      return activate(y, layer.activation)
    }
    case 'dense':
      if (!kernel) break
      return activate(tf.fused.matMul({ a: x as tf.Tensor2D, b: kernel as tf.Tensor2D, bias }), layer.activation)
    case 'relu6':
      return labRelu6(x)
    default:
      break
  }
  return applyLayer(layer, inputs, { kernel, bias }, outShape)
}

/** The logits function of `net` over the given variables (keyed `<layer>/kernel`, `<layer>/bias`). */
export function buildForward(net: Network, params: Map<string, tf.Variable | tf.Tensor>): (x: tf.Tensor) => tf.Tensor {
  const shapes = inferShapes(net)
  const first = net.layers.find((l) => l.name === net.outputs[0]) as Layer
  const logitsName = first.op === 'softmax' ? first.inputs[0] : first.name
  return (x: tf.Tensor) =>
    tf.tidy(() => {
      const values = new Map<string, tf.Tensor>([[INPUT_NAME, x]])
      for (const l of net.layers) {
        const y = applyTrainingLayer(l, l.inputs.map((i) => values.get(i) as tf.Tensor), params.get(`${l.name}/kernel`), params.get(`${l.name}/bias`), shapes.get(l.name))
        values.set(l.name, y)
        if (l.name === logitsName) return y
      }
      return values.get(logitsName) as tf.Tensor
    })
}
