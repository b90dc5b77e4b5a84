// Registers the lab's training kernels on the tfjs wasm backend (see conv-grads.ts for why and how).
import * as tf from '@tensorflow/tfjs'
import {
  asTensor, conv2dBackpropFilter, conv2dBackpropInput1x1, depthwiseBackpropFilter, depthwiseBackpropInput, isPlain1x1,
  type ConvAttrs
} from './conv-grads'
import { splitDepthwise } from './depthwise-split'

export { relu6, hardSwish } from './activations'
export { conv2dBackpropFilter, conv2dBackpropInput1x1, depthwiseBackpropFilter, depthwiseBackpropInput } from './conv-grads'

type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }

function replaceKernel(config: tf.KernelConfig): void {
  if (tf.getKernel(config.kernelName, config.backendName)) tf.unregisterKernel(config.kernelName, config.backendName)
  tf.registerKernel(config)
}

let registered = false

/**
 * Adds Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter and DepthwiseConv2dNativeBackpropInput to the
 * wasm backend and speeds up its 1x1 Conv2DBackpropInput. Call after '@tensorflow/tfjs-backend-wasm' is
 * imported (it registers the backend's own kernels). Idempotent.
 */
export function registerWasmTrainingKernels(backendName = 'wasm'): void {
  if (registered) return
  const original = tf.getKernel('Conv2DBackpropInput', backendName)
  if (!original) throw new Error(`The ${backendName} backend has no Conv2DBackpropInput kernel; import '@tensorflow/tfjs-backend-wasm' first.`)
  replaceKernel({
    kernelName: 'Conv2DBackpropFilter',
    backendName,
    kernelFunc: (({ inputs, attrs }: KernelArgs) => {
      const a = attrs as unknown as ConvAttrs & { filterShape: number[]; dataFormat?: string }
      if (a.dataFormat === 'NCHW') throw new Error('Conv2DBackpropFilter: only NHWC is supported.')
      return conv2dBackpropFilter(asTensor(inputs.x, 'x'), asTensor(inputs.dy, 'dy'), a.filterShape, a)
    }) as unknown as tf.KernelFunc
  })
  replaceKernel({
    kernelName: 'DepthwiseConv2dNativeBackpropFilter',
    backendName,
    kernelFunc: (({ inputs, attrs }: KernelArgs) => {
      const a = attrs as unknown as ConvAttrs & { filterShape: number[] }
      return depthwiseBackpropFilter(asTensor(inputs.x, 'x'), asTensor(inputs.dy, 'dy'), a.filterShape, a)
    }) as unknown as tf.KernelFunc
  })
  replaceKernel({
    kernelName: 'DepthwiseConv2dNativeBackpropInput',
    backendName,
    kernelFunc: (({ inputs, attrs }: KernelArgs) => {
      const a = attrs as unknown as ConvAttrs & { inputShape: number[] }
      return depthwiseBackpropInput(asTensor(inputs.dy, 'dy'), asTensor(inputs.filter, 'filter'), a.inputShape, a)
    }) as unknown as tf.KernelFunc
  })
  replaceKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName,
    setupFunc: original.setupFunc,
    disposeFunc: original.disposeFunc,
    kernelFunc: ((args: KernelArgs) => {
      const a = args.attrs as unknown as ConvAttrs & { inputShape: number[]; dataFormat?: string }
      const filter = args.inputs.filter as tf.TensorInfo
      if (a.dataFormat !== 'NCHW' && isPlain1x1(filter.shape, a.inputShape, a)) {
        return conv2dBackpropInput1x1(asTensor(args.inputs.dy, 'dy'), asTensor(filter, 'filter'), a.inputShape)
      }
      return original.kernelFunc(args as Parameters<tf.KernelFunc>[0])
    }) as unknown as tf.KernelFunc
  })
  const dwForward = tf.getKernel('DepthwiseConv2dNative', backendName)
  if (!dwForward) throw new Error(`The ${backendName} backend has no DepthwiseConv2dNative kernel.`)
  replaceKernel({
    kernelName: 'DepthwiseConv2dNative',
    backendName,
    setupFunc: dwForward.setupFunc,
    disposeFunc: dwForward.disposeFunc,
    kernelFunc: ((args: KernelArgs) => {
      const a = args.attrs as unknown as ConvAttrs
      const x = args.inputs.x as tf.TensorInfo
      const filter = args.inputs.filter as tf.TensorInfo
      const d = a.dilations ?? 1
      if ((d === 1 || (Array.isArray(d) && d[0] === 1 && d[1] === 1)) && filter.shape[0] * filter.shape[1] > 25) {
        const info = tf.backend_util.computeConv2DInfo(
          x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, 1, a.pad, a.dimRoundingMode, true
        )
        const p = info.padInfo
        const out = splitDepthwise(asTensor(x, 'x'), asTensor(filter, 'filter'), [info.strideHeight, info.strideWidth], p, info.outHeight, info.outWidth)
        if (out) return out
      }
      return dwForward.kernelFunc(args as Parameters<tf.KernelFunc>[0])
    }) as unknown as tf.KernelFunc
  })
  registered = true
}
