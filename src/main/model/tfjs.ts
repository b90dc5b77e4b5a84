// ModelIR → a trainable TensorFlow.js model: one tf.Variable per IR weight and a forward function built from
// tfjs ops layer by layer. Variables keep the IR weight keys, so weights move both ways without renaming.
import * as tf from '@tensorflow/tfjs'
import { LabError } from '../../shared/errors'
import { INPUT_NAME, validateNetwork, weightSpecs, type Activation, type Layer, type Network, type Shape, type Weights } from './ir'
import { hardSwish, relu6 } from './kernels/activations'
import { createRng } from './rng'

export interface LayerParams {
  kernel?: tf.Tensor
  bias?: tf.Tensor
}

export function applyActivation(x: tf.Tensor, activation: Activation): tf.Tensor {
  switch (activation) {
    case 'none':
      return x
    case 'relu':
      return tf.relu(x)
    case 'relu6':
      return relu6(x)
    case 'hard_swish':
      return hardSwish(x)
  }
}

const batchedAxis = (axis: number, rankWithBatch: number): number => (axis < 0 ? axis + rankWithBatch : axis)

/**
 * One IR layer on batched tensors ([B, ...shape]). `outShape` (without batch) is needed only by reshape.
 * Exported so the NAS supernet can run candidate blocks with its own variables.
 */
export function applyLayer(layer: Layer, inputs: tf.Tensor[], params: LayerParams = {}, outShape?: Shape): tf.Tensor {
  const x = inputs[0]
  const withBias = (y: tf.Tensor): tf.Tensor => (params.bias ? tf.add(y, params.bias) : y)
  const need = (t: tf.Tensor | undefined, what: string): tf.Tensor => {
    if (!t) throw new LabError('internal', `Layer "${layer.name}": no ${what} tensor was given.`)
    return t
  }
  switch (layer.op) {
    case 'conv2d':
      return applyActivation(withBias(tf.conv2d(x as tf.Tensor4D, need(params.kernel, 'kernel') as tf.Tensor4D, layer.strides, layer.padding)), layer.activation)
    case 'depthwise_conv2d':
      return applyActivation(withBias(tf.depthwiseConv2d(x as tf.Tensor4D, need(params.kernel, 'kernel') as tf.Tensor4D, layer.strides, layer.padding)), layer.activation)
    case 'dense':
      return applyActivation(withBias(tf.matMul(x as tf.Tensor2D, need(params.kernel, 'kernel') as tf.Tensor2D)), layer.activation)
    case 'add':
      return applyActivation(tf.add(x, inputs[1]), layer.activation)
    case 'avg_pool':
      return tf.avgPool(x as tf.Tensor4D, layer.pool, layer.strides, layer.padding)
    case 'max_pool':
      return tf.maxPool(x as tf.Tensor4D, layer.pool, layer.strides, layer.padding)
    case 'mean':
      return tf.mean(x, layer.axes.map((a) => batchedAxis(a, x.rank)), layer.keepDims)
    case 'softmax':
      return tf.softmax(x)
    case 'pad':
      return tf.pad(x, [[0, 0], layer.paddings[0], layer.paddings[1], [0, 0]])
    case 'relu6':
      return relu6(x)
    case 'hard_swish':
      return hardSwish(x)
    case 'reshape': {
      const shape = outShape ?? layer.shape
      return tf.reshape(x, [x.shape[0], ...shape])
    }
    case 'concat':
      return tf.concat(inputs, batchedAxis(layer.axis, x.rank))
  }
}

export interface TfjsModel {
  net: Network
  /** Inferred shapes (without batch) of the input and every layer. */
  shapes: Map<string, Shape>
  /** One variable per IR weight, keyed `<layer>/kernel` and `<layer>/bias`. */
  variables: Map<string, tf.Variable>
  /** Outputs in `net.outputs` order for a batch x [B, ...input shape]. */
  predict(x: tf.Tensor): tf.Tensor[]
  /** The tensor to train on: the first output, or the input of that output when it is a softmax. */
  logits(x: tf.Tensor): tf.Tensor
  dispose(): void
}

/** A trainable tfjs model with exactly the given weights (validated against the network). */
export function toTfjsModel(net: Network, weights: Weights, opts: { trainable?: boolean } = {}): TfjsModel {
  const shapes = validateNetwork(net, weights)
  const variables = new Map<string, tf.Variable>()
  for (const s of weightSpecs(net, shapes)) {
    const w = weights.get(s.key) as Float32Array
    variables.set(s.key, tf.tidy(() => tf.variable(tf.tensor(w, s.shape, 'float32'), opts.trainable ?? true)))
  }
  const first = net.layers.find((l) => l.name === net.outputs[0]) as Layer
  const logitsName = first.op === 'softmax' ? first.inputs[0] : first.name
  const consumers = new Map<string, number>()
  for (const l of net.layers) for (const i of l.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1)

  const run = (x: tf.Tensor, wanted: string[]): tf.Tensor[] => {
    const expected = net.input.shape
    if (x.rank !== expected.length + 1 || x.shape.slice(1).some((d, i) => d !== expected[i])) {
      throw new LabError('bad_request', `Network "${net.name}" takes [batch,${expected.join(',')}], got [${x.shape.join(',')}].`)
    }
    return tf.tidy(() => {
      const values = new Map<string, tf.Tensor>([[INPUT_NAME, x]])
      for (const l of net.layers) {
        const params: LayerParams = { kernel: variables.get(`${l.name}/kernel`), bias: variables.get(`${l.name}/bias`) }
        values.set(l.name, applyLayer(l, l.inputs.map((i) => values.get(i) as tf.Tensor), params, shapes.get(l.name)))
        if (wanted.length === 1 && l.name === wanted[0]) break
      }
      return wanted.map((n) => values.get(n) as tf.Tensor)
    })
  }
  return {
    net,
    shapes,
    variables,
    predict: (x) => run(x, net.outputs),
    logits: (x) => run(x, [logitsName])[0],
    dispose: () => {
      for (const v of variables.values()) v.dispose()
      variables.clear()
    }
  }
}

/** The model's current variable values as IR weights (fresh copies). */
export function weightsFromTfjs(model: TfjsModel): Weights {
  const out: Weights = new Map()
  for (const [k, v] of model.variables) out.set(k, Float32Array.from(v.dataSync() as Float32Array))
  return out
}

/** SGD with momentum (PyTorch form): v ← μ·v + g; w ← w − lr·v. One velocity per variable, created lazily. */
export class SgdMomentum {
  private readonly velocity = new Map<string, tf.Variable>()
  constructor(
    public lr: number,
    public momentum: number
  ) {}

  /** Applies one update from gradients keyed by variable name (as tf.variableGrads returns them). */
  apply(vars: tf.Variable[], grads: tf.NamedTensorMap): void {
    tf.tidy(() => {
      for (const v of vars) {
        const g = grads[v.name]
        if (!g) continue
        let vel = this.velocity.get(v.name)
        if (!vel) {
          vel = tf.variable(tf.zerosLike(v), false)
          this.velocity.set(v.name, vel)
        }
        const next = tf.add(tf.mul(vel, this.momentum), g)
        vel.assign(next)
        v.assign(tf.sub(v, tf.mul(next, this.lr)))
      }
    })
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose()
    this.velocity.clear()
  }
}

/** Mean softmax cross-entropy of logits [B, classes] against one-hot labels. */
export function crossEntropy(onehot: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar
}

export interface TrainOptions {
  lr: number
  momentum: number
  steps: number
  batchSize: number
  /** Seed of the batch order (≥ 1). */
  seed: number
}

/**
 * Plain SGD with momentum on softmax cross-entropy. xs [N, ...input], ys class indices [N] (int32) or one-hot
 * [N, classes]. Batches are drawn from a seeded shuffle. Returns the loss of every step.
 */
export function trainSteps(model: TfjsModel, xs: tf.Tensor, ys: tf.Tensor, opts: TrainOptions): { losses: number[] } {
  const n = xs.shape[0]
  if (ys.shape[0] !== n) throw new LabError('bad_request', `Training needs as many labels as images, got ${ys.shape[0]} labels for ${n} images.`)
  if (!(opts.batchSize >= 1 && opts.steps >= 0)) throw new LabError('bad_request', 'Training needs a batch size of at least 1 and a non-negative number of steps.')
  const classes = model.shapes.get(model.net.outputs[0]) as Shape
  const onehot = ys.rank === 1 ? tf.tidy(() => tf.oneHot(tf.cast(ys, 'int32'), classes[0])) : ys
  const sgd = new SgdMomentum(opts.lr, opts.momentum)
  const vars = [...model.variables.values()].filter((v) => v.trainable)
  const rng = createRng(opts.seed)
  let order: number[] = []
  const nextBatch = (): Int32Array => {
    const idx = new Int32Array(Math.min(opts.batchSize, n))
    for (let i = 0; i < idx.length; i++) {
      if (order.length === 0) {
        order = Array.from({ length: n }, (_, j) => j)
        for (let j = n - 1; j > 0; j--) {
          const k = Math.floor(rng() * (j + 1))
          ;[order[j], order[k]] = [order[k], order[j]]
        }
      }
      idx[i] = order.pop() as number
    }
    return idx
  }
  const losses: number[] = []
  try {
    for (let step = 0; step < opts.steps; step++) {
      const idx = nextBatch()
      const loss = tf.tidy(() => {
        const indices = tf.tensor1d(idx, 'int32')
        const bx = tf.gather(xs, indices)
        const by = tf.gather(onehot, indices)
        const { value, grads } = tf.variableGrads(() => crossEntropy(by, model.logits(bx)), vars)
        sgd.apply(vars, grads)
        return value
      })
      losses.push(loss.dataSync()[0])
      loss.dispose()
    }
  } finally {
    sgd.dispose()
    if (onehot !== ys) onehot.dispose()
  }
  return { losses }
}
