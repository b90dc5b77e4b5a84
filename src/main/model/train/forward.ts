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
/** (dy, y) → [dy where 0 < y < 6, its sum over every axis but the last]: a fused conv's relu6 and bias gradients. */
export const LAB_RELU6_GRAD_BIAS = 'LabRelu6GradBias'
/** (x, gamma, beta; epsilon, relu6) → [y, batch mean, batch variance, 1/√(var + ε)]: batch norm in training mode. */
export const LAB_BATCH_NORM_TRAIN = 'LabBatchNormTrain'
/** (dy, x, y, mean, invstd, gamma; relu6) → [dx, dgamma, dbeta]. */
export const LAB_BATCH_NORM_TRAIN_GRAD = 'LabBatchNormTrainGrad'

export interface BatchNormTrainResult {
  y: tf.Tensor
  /** The batch statistics (biased variance, as tf.moments), for the running ones; the caller disposes them. */
  mean: tf.Tensor1D
  variance: tf.Tensor1D
}

/**
 * Batch norm with batch statistics over every axis but the last, then relu6 if asked, as one native kernel with a
 * native gradient (x, gamma and beta get gradients; the statistics are returned kept). Null where the lab's native
 * kernels are not registered on the current backend (the caller composes it from tfjs ops).
 */
export function batchNormTrain(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, epsilon: number, relu6: boolean): BatchNormTrainResult | null {
  if (!tf.getKernel(LAB_BATCH_NORM_TRAIN, tf.getBackend()) || x.dtype !== 'float32') return null
  let stats: [tf.Tensor1D, tf.Tensor1D] | null = null
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [xx, g, b, save] = args as [tf.Tensor, tf.Tensor, tf.Tensor, tf.GradSaveFunc]
    const [y, mean, variance, invstd] = tf.engine().runKernel(LAB_BATCH_NORM_TRAIN, { x: xx, gamma: g, beta: b }, { epsilon, relu6 }) as tf.Tensor[]
    stats = [tf.keep(mean) as tf.Tensor1D, tf.keep(variance) as tf.Tensor1D]
    save([xx, y, mean, invstd, g])
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sy, smean, sinvstd, sgamma] = saved
        return tf.engine().runKernel(LAB_BATCH_NORM_TRAIN_GRAD, { dy: dy as tf.Tensor, x: sx, y: sy, mean: smean, invstd: sinvstd, gamma: sgamma }, { relu6 }) as tf.Tensor[]
      }
    }
  })
  const y = (op as (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor)(x, gamma, beta)
  const [mean, variance] = stats as unknown as [tf.Tensor1D, tf.Tensor1D]
  return { y, mean, variance }
}

let gradientRegistered = false
const kernelsOn = new Set<string>()

/** Registers LabRelu6 (the backend's own Relu6 forward) for a backend, and its gradient once. */
export function registerLabRelu6(backendName: string): void {
  if (!gradientRegistered) {
    tf.registerGradient({
      kernelName: LAB_RELU6,
      inputsToSave: ['x'],
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        return { x: () => reluSixGrad(dy as tf.Tensor, saved[0]) }
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

type ConvLayer = Extract<Layer, { op: 'conv2d' | 'depthwise_conv2d' }>

/**
 * conv2d or depthwise conv2d + bias + (relu6 | none) as one forward kernel (XNNPACK clamps inside its GEMM, so
 * relu6 costs no extra pass), with its own gradient: dy is masked by the output (0 < y < 6 exactly where the
 * pre-activation is), the filter and bias gradients come from the backend's kernels (the lab's native ones on
 * wasm), and the input gradient is computed only when `inputNeedsGrad` — tfjs's fused ops always compute it,
 * which for a first layer fed by the images was ~7 % of a training step spent on a gradient nobody reads.
 */
function convWithGradient(layer: ConvLayer, x: tf.Tensor4D, filter: tf.Tensor4D, bias: tf.Tensor | undefined, inputNeedsGrad: boolean): tf.Tensor {
  const depthwise = layer.op === 'depthwise_conv2d'
  const relu6 = layer.activation === 'relu6'
  const strides = layer.strides
  const pad = layer.padding
  // The kernels directly: under a gradient tape tf.fused.* splits any activation but 'linear' into separate ops.
  const forward = (xx: tf.Tensor4D, f: tf.Tensor4D, b: tf.Tensor | undefined): tf.Tensor4D => {
    const attrs = { strides, pad, dataFormat: 'NHWC', dilations: [1, 1], activation: relu6 ? 'relu6' : 'linear', leakyreluAlpha: 0 }
    const inputs: tf.NamedTensorMap = { x: xx, filter: f }
    if (b) inputs.bias = b
    return tf.engine().runKernel(depthwise ? 'FusedDepthwiseConv2D' : 'FusedConv2D', inputs, attrs) as tf.Tensor4D
  }
  const inputs: tf.Tensor[] = [...(inputNeedsGrad ? [x] : []), filter, ...(bias ? [bias] : [])]
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args.pop() as tf.GradSaveFunc
    const ts = args as tf.Tensor[]
    const xx = inputNeedsGrad ? (ts[0] as tf.Tensor4D) : x
    const f = ts[inputNeedsGrad ? 1 : 0] as tf.Tensor4D
    const b = bias ? ts[ts.length - 1] : undefined
    const y = forward(xx, f, b)
    save([xx, f, y])
    return {
      value: y,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const [sx, sf, sy] = saved as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D]
        let g = dy as tf.Tensor4D
        let db: tf.Tensor | null = null
        if (relu6 && bias && tf.getKernel(LAB_RELU6_GRAD_BIAS, tf.getBackend())) {
          ;[g, db] = tf.engine().runKernel(LAB_RELU6_GRAD_BIAS, { dy: g, y: sy }) as [tf.Tensor4D, tf.Tensor]
        } else if (relu6) {
          g = reluSixGrad(g, sy) as tf.Tensor4D
        }
        const e = tf.engine()
        const common = { strides, pad }
        const grads: tf.Tensor[] = []
        if (inputNeedsGrad) {
          grads.push(depthwise
            ? (e.runKernel('DepthwiseConv2dNativeBackpropInput', { dy: g, filter: sf }, { ...common, dilations: [1, 1], inputShape: sx.shape }) as tf.Tensor)
            : (e.runKernel('Conv2DBackpropInput', { dy: g, filter: sf }, { ...common, dataFormat: 'NHWC', inputShape: sx.shape }) as tf.Tensor))
        }
        grads.push(depthwise
          ? (e.runKernel('DepthwiseConv2dNativeBackpropFilter', { x: sx, dy: g }, { ...common, dilations: [1, 1], filterShape: sf.shape }) as tf.Tensor)
          : (e.runKernel('Conv2DBackpropFilter', { x: sx, dy: g }, { ...common, dataFormat: 'NHWC', filterShape: sf.shape }) as tf.Tensor))
        if (bias) grads.push(tf.reshape(db ?? tf.sum(g, [0, 1, 2]), bias.shape))
        return grads
      }
    }
  })
  return (op as (...t: tf.Tensor[]) => tf.Tensor)(...inputs)
}

/** dy where 0 < x < 6: the native one-pass kernel where registered, else composed from tfjs ops. */
function reluSixGrad(dy: tf.Tensor, x: tf.Tensor): tf.Tensor {
  return tf.getKernel(LAB_RELU6_GRAD, tf.getBackend())
    ? (tf.engine().runKernel(LAB_RELU6_GRAD, { dy, x }) as tf.Tensor)
    : tf.mul(dy, tf.mul(tf.step(x), tf.step(tf.sub(6, x))))
}

/** Whether `convWithGradient` covers a layer: relu6 or no activation, and (depthwise) a kernel the fused
 * depthwise op takes — larger ones keep the plain op, which the lab's wasm kernels split into 5x5 frames. */
function fusable(layer: ConvLayer): boolean {
  if (layer.activation !== 'relu6' && layer.activation !== 'none') return false
  return layer.op === 'conv2d' || layer.kernel[0] * layer.kernel[1] <= 25
}

/**
 * One IR layer with fused bias and the lab's relu6; other layers go to tfjs.ts's applyLayer. `inputNeedsGrad`
 * false (a layer fed only by the network input) skips the input gradient of convolutions.
 */
export function applyTrainingLayer(layer: Layer, inputs: tf.Tensor[], kernel?: tf.Tensor, bias?: tf.Tensor, outShape?: number[], inputNeedsGrad = true): tf.Tensor {
  const x = inputs[0]
  switch (layer.op) {
    case 'conv2d':
    case 'depthwise_conv2d': {
      if (!kernel) break
      if (fusable(layer)) return convWithGradient(layer, x as tf.Tensor4D, kernel as tf.Tensor4D, bias, inputNeedsGrad)
      if (layer.op === 'conv2d') return activate(tf.fused.conv2d({ x: x as tf.Tensor4D, filter: kernel as tf.Tensor4D, strides: layer.strides, pad: layer.padding, bias }), layer.activation)
      return activate(applyLayer({ ...layer, activation: 'none' }, inputs, { kernel, bias }), layer.activation)
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
        const fromImages = l.inputs.every((i) => i === INPUT_NAME)
        const y = applyTrainingLayer(l, l.inputs.map((i) => values.get(i) as tf.Tensor), params.get(`${l.name}/kernel`), params.get(`${l.name}/bias`), shapes.get(l.name), !fromImages)
        values.set(l.name, y)
        if (l.name === logitsName) return y
      }
      return values.get(logitsName) as tf.Tensor
    })
}
