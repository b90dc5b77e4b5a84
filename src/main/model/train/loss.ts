// The extension point of the parallel trainer: a "training loss" owns a forward pass over the trainer's
// parameters. Each worker builds one from a factory; the default builds the IR network's forward pass and
// softmax cross-entropy. The NAS supernet plugs in its own module (see TrainingLossFactory).
import * as tf from '@tensorflow/tfjs'
import type { Network } from '../ir'
import { buildForward } from './forward'

export interface StepContext {
  /** 0-based index of the optimizer step (evaluation passes -1). */
  step: number
  /** Seed for anything random in this step (e.g. NAS path sampling), identical in every worker. */
  seed: number
  /** What the caller passed as the step's `context` (structured-cloned), e.g. the NAS path of this step. */
  extra?: unknown
}

/** What a loss reports about the chunk it just computed, besides the loss and the gradients. */
export interface ChunkAux {
  /**
   * Values for parameters that get no gradient (e.g. batch-norm batch statistics): written where their gradient
   * would go and averaged over chunks like gradients, so the caller reads them with lastGradientOf().
   */
  values?: Map<string, Float32Array>
  /** Correct top-1 predictions in the chunk. */
  correct?: number
}

export interface TrainingLoss {
  /** Mean loss over the given images: a scalar built from the params' variables so that gradients flow. */
  loss(xs: tf.Tensor, labels: tf.Tensor1D, ctx: StepContext): tf.Scalar
  /** Class scores [B, classes] for evaluation. */
  logits(xs: tf.Tensor, ctx: StepContext): tf.Tensor
  /** Called once after each loss() whose gradient was taken, before the next one. */
  aux?(): ChunkAux
  dispose?(): void
}

export interface LossFactoryContext {
  /** The IR network, or null when the trainer was created from a parameter layout (then the module knows its model). */
  net: Network | null
  /** One variable per trainable parameter, keyed as the IR weights (`<layer>/kernel`, `<layer>/bias`). */
  params: Map<string, tf.Variable>
  /** Whatever the creator passed as `loss.options` (structured-cloned into the worker). */
  options: unknown
}

/**
 * A module given to ParallelTrainer as `loss: { module, options }` must export
 * `createTrainingLoss: TrainingLossFactory`. It runs inside every worker thread and must be deterministic given
 * the StepContext, so that replicas agree. Its parameter keys must match the weights given to the trainer.
 */
export type TrainingLossFactory = (ctx: LossFactoryContext) => TrainingLoss

/** Mean softmax cross-entropy of logits against integer class labels. */
export function softmaxCrossEntropy(logits: tf.Tensor, labels: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const classes = logits.shape[logits.shape.length - 1]
    const onehot = tf.oneHot(tf.cast(labels, 'int32'), classes)
    return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar
  })
}

/** The default: the IR network's forward pass and softmax cross-entropy. */
export const createTrainingLoss: TrainingLossFactory = ({ net, params }) => {
  if (!net) throw new Error('The default training loss needs an IR network; a trainer created from a parameter layout needs a loss module.')
  const forward = buildForward(net, params)
  return {
    loss: (xs, labels) => softmaxCrossEntropy(forward(xs), labels),
    logits: (xs) => forward(xs)
  }
}
