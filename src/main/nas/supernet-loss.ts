// The supernet's training loss for the data-parallel trainer (src/main/model/train/parallel.ts): loaded inside every
// training worker, it builds a replica of the supernet over the worker's variables and trains the path the step's
// context names. Batch norm uses the chunk's own statistics (as data-parallel PyTorch does without SyncBatchNorm);
// they go back through ChunkAux so the main thread can move the running statistics.
import * as tf from '@tensorflow/tfjs'
import type { BlockOp, SearchSpace } from '../model/space'
import type { StepContext, TrainingLossFactory } from '../model/train/loss'
import { Supernet, type BatchStat } from './supernet'

export interface SupernetLossOptions {
  space: SearchSpace
  /** The ops of each block of the supernet being trained (all candidates, or one for a fixed network). */
  opsPerBlock: BlockOp[][]
}

/** What ProxylessSearch passes with each step. */
export interface SupernetStepContext {
  /** Index of the op per block: the path this step trains. */
  choice: number[]
}

/** Batch-statistic keys of a unit, as the supernet names its running statistics. */
export const statKeys = (unitKey: string): [string, string] => [`${unitKey}/mean`, `${unitKey}/var`]

export const createTrainingLoss: TrainingLossFactory = ({ params, options }) => {
  const o = options as SupernetLossOptions
  const net = new Supernet(o.space, { seed: 1, opsPerBlock: o.opsPerBlock, variables: params })
  let stats: BatchStat[] = []
  let correct = 0
  const choiceOf = (ctx: StepContext): number[] => {
    const choice = (ctx.extra as SupernetStepContext | undefined)?.choice
    if (!Array.isArray(choice) || choice.length !== net.blocks.length || choice.some((j, b) => !Number.isInteger(j) || j < 0 || j >= net.blocks[b].ops.length)) {
      throw new Error(`A supernet step needs a path of ${net.blocks.length} op indices; got ${JSON.stringify(choice)}.`)
    }
    return choice
  }
  const release = (): void => {
    for (const s of stats) tf.dispose([s.mean, s.variance])
    stats = []
  }
  return {
    loss(xs, labels, ctx) {
      release()
      const logits = net.forward(xs as tf.Tensor4D, choiceOf(ctx), 'train', stats)
      const ys = tf.cast(labels, 'int32')
      correct = tf.tidy(() => tf.sum(tf.cast(tf.equal(tf.argMax(logits, 1), ys), 'float32')).dataSync()[0])
      return tf.losses.softmaxCrossEntropy(tf.oneHot(ys as tf.Tensor1D, o.space.classes), logits) as tf.Scalar
    },
    logits: (xs, ctx) => net.forward(xs as tf.Tensor4D, choiceOf(ctx), 'infer'),
    aux() {
      const values = new Map<string, Float32Array>()
      for (const s of stats) {
        const [meanKey, varKey] = statKeys(s.unit.key)
        values.set(meanKey, Float32Array.from(s.mean.dataSync() as Float32Array))
        values.set(varKey, Float32Array.from(s.variance.dataSync() as Float32Array))
      }
      release()
      return { values, correct }
    },
    dispose() {
      release()
      net.dispose()
    }
  }
}
