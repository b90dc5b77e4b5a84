// relu6 and hard_swish with gradients that stay on wasm's fast element-wise path. tfjs-layers' relu6 is
// minimum(6, relu(x)) and the stock Relu6 gradient uses a comparison; both hit wasm's slow generic path.
import * as tf from '@tensorflow/tfjs'

/** relu6(x) = min(max(x, 0), 6); gradient dy * step(x) * step(6 - x). */
export const relu6 = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  save([x])
  return {
    value: tf.relu6(x),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.mul(dy, tf.mul(tf.step(saved[0]), tf.step(tf.sub(6, saved[0]))))
  }
}) as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (x: tf.Tensor) => tf.Tensor

/** hard_swish(x) = x * relu6(x + 3) / 6 (MobileNetV3). */
export function hardSwish(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(x, tf.mul(relu6(tf.add(x, 3)), 1 / 6)))
}
