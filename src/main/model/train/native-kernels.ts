// Native training kernels for the tfjs wasm backend, compiled from native/train_kernels.c (WebAssembly SIMD).
// The module imports the backend's own WebAssembly.Memory, so kernels read inputs and write outputs in place
// (no copies). They replace the composed gradient kernels where a profile of an MBConv training step showed
// the time going: depthwise filter/input gradients, conv filter gradients (1x1 and general) and the bias
// gradient Sum (a column sum that wasm's Sum runs through a transpose). Anything they do not cover (dilation,
// depth multiplier > 1, NCHW, other Sum axes) falls through to the kernel registered before them.
import * as fs from 'fs'
import * as path from 'path'
import * as tf from '@tensorflow/tfjs'
import { LAB_BATCH_NORM_TRAIN, LAB_BATCH_NORM_TRAIN_GRAD, LAB_RELU6_GRAD, LAB_RELU6_GRAD_BIAS, registerLabRelu6 } from './forward'

const WASM_FILE = 'train_kernels.wasm'

// Node has WebAssembly, but the project's type libs (no DOM) do not declare it: the little used here, typed.
interface WasmApi {
  Module: new (bytes: Uint8Array) => object
  Instance: new (module: object, imports: Record<string, Record<string, unknown>>) => { exports: unknown }
}
const wasmApi = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly

interface WasmModuleLike {
  /** The emscripten module's exports; `memory` is its WebAssembly.Memory. */
  asm: { memory: object }
}
interface WasmBackendLike {
  wasm: WasmModuleLike
  dataIdMap: { get(dataId: object): { memoryOffset: number } | undefined }
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo
}

export interface NativeKernels {
  dw_backprop_filter(x: number, dy: number, dw: number, B: number, H: number, W: number, C: number, Ho: number, Wo: number, KH: number, KW: number, sh: number, sw: number, pt: number, pl: number): void
  dw_backprop_input(dy: number, f: number, dx: number, B: number, H: number, W: number, C: number, Ho: number, Wo: number, KH: number, KW: number, sh: number, sw: number, pt: number, pl: number): void
  column_sum(x: number, out: number, N: number, C: number): void
  column_mean(x: number, out: number, N: number, C: number): void
  matmul_tn(x: number, dy: number, dw: number, N: number, Cin: number, Cout: number): void
  conv_backprop_filter(x: number, dy: number, dw: number, B: number, H: number, W: number, Cin: number, Ho: number, Wo: number, Cout: number, KH: number, KW: number, sh: number, sw: number, pt: number, pl: number): void
  relu6_grad(dy: number, x: number, dx: number, n: number): void
  relu6_grad_column_sum(dy: number, y: number, dx: number, sum: number, N: number, C: number): void
  bn_train_forward(x: number, gamma: number, beta: number, y: number, mean: number, variance: number, invstd: number, N: number, C: number, eps: number, relu6: number): void
  bn_train_backward(dy: number, x: number, y: number, mean: number, invstd: number, gamma: number, dx: number, dgamma: number, dbeta: number, N: number, C: number, relu6: number): void
}

/** Where the committed .wasm lives: native/ at the repository root (dev, tests), or beside the bundle. */
export function nativeWasmPath(): string {
  const candidates = [
    path.join(__dirname, '..', '..', '..', '..', 'native', WASM_FILE),
    path.join(__dirname, WASM_FILE),
    path.join(__dirname, '..', WASM_FILE), // the bundle's shared chunks sit one folder below the entry files (see besideBundle)
    path.join(__dirname, 'native', WASM_FILE),
    path.join(process.cwd(), 'native', WASM_FILE)
  ]
  const found = candidates.find((p) => fs.existsSync(p))
  if (!found) throw new Error(`${WASM_FILE} was not found (looked in ${candidates.join(', ')}); run native/build.sh.`)
  return found
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; attrs?: tf.NamedAttrMap; backend: unknown }
type Pair = [number, number]
interface ConvAttrs {
  strides: number | Pair
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dilations?: number | Pair
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
  dataFormat?: string
}

const isOne = (d: number | Pair | undefined): boolean => d === undefined || d === 1 || (Array.isArray(d) && d[0] === 1 && d[1] === 1)
const shape4 = (s: number[]): [number, number, number, number] => s as [number, number, number, number]

let installedOn: WasmModuleLike | null = null
let instanceExports: NativeKernels | null = null

/** Instantiates the native module on the active wasm backend's memory. */
export function instantiateNativeKernels(backend: WasmBackendLike): NativeKernels {
  const memory = backend.wasm.asm.memory
  const module = new wasmApi.Module(fs.readFileSync(nativeWasmPath()))
  const instance = new wasmApi.Instance(module, { env: { memory } })
  return instance.exports as unknown as NativeKernels
}

/**
 * Registers the native kernels on the wasm backend (call after the backend is active and the lab's composed
 * kernels are registered: those become the fallbacks). Returns false when the backend is not wasm. Idempotent.
 */
export function registerNativeTrainingKernels(backendName = 'wasm'): boolean {
  const backend = tf.findBackend(backendName) as unknown as WasmBackendLike | null
  if (!backend || !backend.wasm?.asm?.memory) return false
  if (installedOn === backend.wasm) return true
  const k = instantiateNativeKernels(backend)
  instanceExports = k
  const ptr = (t: tf.TensorInfo): number => {
    const d = backend.dataIdMap.get(t.dataId)
    if (!d) throw new Error('Native kernel: a tensor has no data on the wasm backend.')
    return d.memoryOffset
  }
  const replace = (kernelName: string, run: (args: KernelArgs) => tf.TensorInfo | null): void => {
    const previous = tf.getKernel(kernelName, backendName)
    if (previous) tf.unregisterKernel(kernelName, backendName)
    tf.registerKernel({
      kernelName,
      backendName,
      setupFunc: previous?.setupFunc,
      disposeFunc: previous?.disposeFunc,
      kernelFunc: ((args: KernelArgs) => {
        let out: tf.TensorInfo | null
        try {
          out = run(args)
        } catch (e) {
          const shapes = Object.entries(args.inputs).map(([k, t]) => `${k} [${(t as tf.TensorInfo).shape.join(',')}]`).join(', ')
          throw new Error(`Native kernel ${kernelName} failed on ${shapes} ${JSON.stringify(args.attrs ?? {})}: ${e instanceof Error ? e.message : String(e)}`)
        }
        if (out) return out
        if (!previous) throw new Error(`Kernel ${kernelName}: this case is not supported on ${backendName}.`)
        return previous.kernelFunc(args as Parameters<tf.KernelFunc>[0])
      }) as unknown as tf.KernelFunc
    })
  }

  replace('DepthwiseConv2dNativeBackpropFilter', ({ inputs, attrs }) => {
    const a = attrs as unknown as ConvAttrs & { filterShape: number[] }
    const x = inputs.x as tf.TensorInfo, dy = inputs.dy as tf.TensorInfo
    if (a.filterShape[3] !== 1 || !isOne(a.dilations) || x.dtype !== 'float32') return null
    const info = tf.backend_util.computeConv2DInfo(shape4(x.shape), shape4(a.filterShape), a.strides, 1, a.pad, a.dimRoundingMode, true)
    const out = backend.makeOutput(a.filterShape, 'float32')
    const [B, H, W, C] = x.shape
    k.dw_backprop_filter(ptr(x), ptr(dy), ptr(out), B, H, W, C, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth,
      info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left)
    return out
  })

  replace('DepthwiseConv2dNativeBackpropInput', ({ inputs, attrs }) => {
    const a = attrs as unknown as ConvAttrs & { inputShape: number[] }
    const dy = inputs.dy as tf.TensorInfo, filter = inputs.filter as tf.TensorInfo
    if (filter.shape[3] !== 1 || !isOne(a.dilations) || dy.dtype !== 'float32') return null
    const info = tf.backend_util.computeConv2DInfo(shape4(a.inputShape), shape4(filter.shape), a.strides, 1, a.pad, a.dimRoundingMode, true)
    const out = backend.makeOutput(a.inputShape, 'float32')
    const [B, H, W, C] = a.inputShape
    k.dw_backprop_input(ptr(dy), ptr(filter), ptr(out), B, H, W, C, info.outHeight, info.outWidth, info.filterHeight, info.filterWidth,
      info.strideHeight, info.strideWidth, info.padInfo.top, info.padInfo.left)
    return out
  })

  replace('Conv2DBackpropFilter', ({ inputs, attrs }) => {
    const a = attrs as unknown as ConvAttrs & { filterShape: number[] }
    const x = inputs.x as tf.TensorInfo, dy = inputs.dy as tf.TensorInfo
    if (a.dataFormat === 'NCHW' || !isOne(a.dilations) || x.dtype !== 'float32') return null
    const info = tf.backend_util.computeConv2DInfo(shape4(x.shape), shape4(a.filterShape), a.strides, 1, a.pad, a.dimRoundingMode, false)
    const out = backend.makeOutput(a.filterShape, 'float32')
    const [B, H, W, Cin] = x.shape
    const [KH, KW, , Cout] = a.filterShape
    const p = info.padInfo
    if (KH === 1 && KW === 1 && info.strideHeight === 1 && info.strideWidth === 1 && p.top === 0 && p.left === 0 && info.outHeight === H && info.outWidth === W) {
      k.matmul_tn(ptr(x), ptr(dy), ptr(out), B * H * W, Cin, Cout)
    } else {
      k.conv_backprop_filter(ptr(x), ptr(dy), ptr(out), B, H, W, Cin, info.outHeight, info.outWidth, Cout, KH, KW,
        info.strideHeight, info.strideWidth, p.top, p.left)
    }
    return out
  })

  // Sum and Mean over every axis but the last (bias gradients, batch-norm statistics) as one pass over rows.
  const columnReduce = (kernelName: 'Sum' | 'Mean', run: (x: number, out: number, N: number, C: number) => void): void =>
    replace(kernelName, ({ inputs, attrs }) => {
      const x = inputs.x as tf.TensorInfo
      const a = attrs as unknown as { axis: number | number[]; keepDims: boolean }
      const r = x.shape.length
      if (x.dtype !== 'float32' || r < 2) return null
      const axes = (Array.isArray(a.axis) ? a.axis : [a.axis]).map((v) => (v < 0 ? v + r : v)).sort((p, q) => p - q)
      if (axes.length !== r - 1 || axes.some((v, i) => v !== i)) return null
      const C = x.shape[r - 1]
      const N = x.shape.slice(0, r - 1).reduce((p, q) => p * q, 1)
      if (N === 0) return null
      const out = backend.makeOutput(a.keepDims ? [...Array(r - 1).fill(1), C] : [C], 'float32')
      run(ptr(x), ptr(out), N, C)
      return out
    })
  columnReduce('Sum', (x, out, N, C) => k.column_sum(x, out, N, C))
  columnReduce('Mean', (x, out, N, C) => k.column_mean(x, out, N, C))

  // Identity (used to save tensors for gradients) copies on wasm; share the data by reference count instead,
  // as the cpu backend and wasm's own Reshape do (tensors are immutable; variables swap data, never write it).
  replace('Identity', ({ inputs }) => {
    const x = inputs.x as tf.TensorInfo
    if (x.dtype === 'string') return null
    ;(backend as unknown as { incRef(id: object): void }).incRef(x.dataId)
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
  })

  // The lab's own kernels (no backend kernel to fall back to).
  const own = (kernelName: string, run: (inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => tf.TensorInfo | tf.TensorInfo[]): void => {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName)
    tf.registerKernel({ kernelName, backendName, kernelFunc: (({ inputs, attrs }: KernelArgs) => run(inputs, attrs ?? {})) as unknown as tf.KernelFunc })
  }
  // The gradient of forward.ts's LabRelu6: dy where 0 < x < 6 (one pass instead of four element-wise ops).
  own(LAB_RELU6_GRAD, (inputs) => {
    const dy = inputs.dy as tf.TensorInfo, x = inputs.x as tf.TensorInfo
    const out = backend.makeOutput(x.shape, 'float32')
    k.relu6_grad(ptr(dy), ptr(x), ptr(out), x.shape.reduce((p, q) => p * q, 1))
    return out
  })
  // forward.ts's fused conv + relu6 gradient: the masked dy and its bias gradient (sum over all axes but the
  // last) in one pass, instead of a mask pass and a Sum that reads the masked copy again.
  own(LAB_RELU6_GRAD_BIAS, (inputs) => {
    const dy = inputs.dy as tf.TensorInfo, y = inputs.y as tf.TensorInfo
    const C = y.shape[y.shape.length - 1]
    const dx = backend.makeOutput(y.shape, 'float32')
    const sum = backend.makeOutput([C], 'float32')
    k.relu6_grad_column_sum(ptr(dy), ptr(y), ptr(dx), ptr(sum), y.shape.reduce((p, q) => p * q, 1) / C, C)
    return [dx, sum]
  })
  // Batch norm in training mode (+ relu6) and its gradient, for the NAS supernet (supernet.ts): three passes forward
  // and two backward, where tf.moments and autodiff took a dozen element-wise passes and a transpose per Mean.
  const channels = (t: tf.TensorInfo): [number, number] => {
    const C = t.shape[t.shape.length - 1]
    return [t.shape.reduce((p, q) => p * q, 1) / C, C]
  }
  own(LAB_BATCH_NORM_TRAIN, (inputs, attrs) => {
    const x = inputs.x as tf.TensorInfo, gamma = inputs.gamma as tf.TensorInfo, beta = inputs.beta as tf.TensorInfo
    const [N, C] = channels(x)
    const y = backend.makeOutput(x.shape, 'float32')
    const mean = backend.makeOutput([C], 'float32'), variance = backend.makeOutput([C], 'float32'), invstd = backend.makeOutput([C], 'float32')
    k.bn_train_forward(ptr(x), ptr(gamma), ptr(beta), ptr(y), ptr(mean), ptr(variance), ptr(invstd), N, C, Number(attrs.epsilon), attrs.relu6 ? 1 : 0)
    return [y, mean, variance, invstd]
  })
  own(LAB_BATCH_NORM_TRAIN_GRAD, (inputs, attrs) => {
    const dy = inputs.dy as tf.TensorInfo, x = inputs.x as tf.TensorInfo
    const [N, C] = channels(x)
    const dx = backend.makeOutput(x.shape, 'float32'), dgamma = backend.makeOutput([C], 'float32'), dbeta = backend.makeOutput([C], 'float32')
    const t = (name: string): number => ptr(inputs[name] as tf.TensorInfo)
    k.bn_train_backward(ptr(dy), ptr(x), t('y'), t('mean'), t('invstd'), t('gamma'), ptr(dx), ptr(dgamma), ptr(dbeta), N, C, attrs.relu6 ? 1 : 0)
    return [dx, dgamma, dbeta]
  })
  registerLabRelu6(backendName)

  installedOn = backend.wasm
  return true
}

/** The instantiated kernels (after registerNativeTrainingKernels), for tests and benches. */
export function nativeKernels(): NativeKernels | null {
  return instanceExports
}
