// SGD with momentum and weight decay for the supernet's weights (PyTorch form, as the paper's code uses):
//   g ← ∇w + wd·w (kernels only);  v ← μ·v + g;  w ← w − lr·v.
// Variables a step does not touch keep their velocity, as PyTorch skips parameters without a gradient.
import * as tf from '@tensorflow/tfjs'
import type { Weights } from '../model/ir'

export class WeightSgd {
  private readonly velocity = new Map<string, tf.Variable>()
  constructor(
    public lr: number,
    public momentum = 0.9,
    public weightDecay = 4e-5
  ) {}

  /** `vars` keyed as the supernet keys them; `grads` keyed by tf variable name (as tf.variableGrads returns). */
  apply(vars: Map<string, tf.Variable>, grads: tf.NamedTensorMap): void {
    tf.tidy(() => {
      for (const [key, v] of vars) {
        let g = grads[v.name]
        if (!g) continue
        if (this.weightDecay > 0 && key.endsWith('/kernel')) g = tf.add(g, tf.mul(v, this.weightDecay))
        let vel = this.velocity.get(key)
        if (!vel) {
          vel = tf.variable(tf.zerosLike(v), false)
          this.velocity.set(key, vel)
        }
        const next = tf.add(tf.mul(vel, this.momentum), g)
        vel.assign(next)
        v.assign(tf.sub(v, tf.mul(next, this.lr)))
      }
    })
  }

  state(): Weights {
    const out: Weights = new Map()
    for (const [k, v] of this.velocity) out.set(k, Float32Array.from(v.dataSync() as Float32Array))
    return out
  }

  load(state: Weights, shapes: Map<string, tf.Variable>): void {
    this.dispose()
    for (const [k, w] of state) {
      const like = shapes.get(k)
      if (like) this.velocity.set(k, tf.variable(tf.tensor(w, like.shape, 'float32'), false))
    }
  }

  dispose(): void {
    for (const v of this.velocity.values()) v.dispose()
    this.velocity.clear()
  }
}
