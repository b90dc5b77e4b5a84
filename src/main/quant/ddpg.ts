// DDPG (Lillicrap et al., 2016) as HAQ uses it (lib/rl/ddpg.py): an actor μ(s) ∈ [0,1] and a critic Q(s,a), both
// 2×300 MLPs, Adam, soft target updates, truncated-normal exploration and a replay buffer. Reward is episodic and
// HAQ subtracts a moving-average baseline from each batch's rewards. Deterministic for a seed on the cpu backend.
import * as tf from '@tensorflow/tfjs'
import { LabError } from '../../shared/errors'
import { SeededRandom } from './random'

export interface DdpgOptions {
  stateDim: number
  actionDim: number
  /** Hidden widths of actor and critic. HAQ: 300, 300. */
  hidden: [number, number]
  actorLr: number
  criticLr: number
  /** Soft target update rate τ: θ' ← τθ + (1−τ)θ'. */
  tau: number
  /** γ; HAQ uses 1 (undiscounted episodes). */
  discount: number
  batchSize: number
  /** HAQ: 128 × number of layers (actions per episode). */
  replayCapacity: number
  /** Exploration σ of the truncated normal around μ(s), at the first episode after warm-up. */
  initSigma: number
  /** σ ← σ·decay per episode after warm-up. */
  sigmaDecay: number
  /** Episodes with uniform random actions before the actor is used (and trained). */
  warmupEpisodes: number
  /** Rate of the moving-average reward baseline (HAQ: 0.5). */
  baselineAlpha: number
  seed: number
}

/** The published HAQ settings (stateDim and replayCapacity depend on the network). */
export const HAQ_DDPG_DEFAULTS: Omit<DdpgOptions, 'stateDim' | 'replayCapacity'> = {
  actionDim: 1,
  hidden: [300, 300],
  actorLr: 1e-4,
  criticLr: 1e-3,
  tau: 0.01,
  discount: 1,
  batchSize: 64,
  initSigma: 0.5,
  sigmaDecay: 0.99,
  warmupEpisodes: 20,
  baselineAlpha: 0.5,
  seed: 1
}

export interface Transition {
  state: number[]
  action: number[]
  reward: number
  nextState: number[]
  done: boolean
}

export interface UpdateResult {
  criticLoss: number
  actorLoss: number
}

// ---------------------------------------------------------------- replay buffer

export interface ReplayBufferJson {
  capacity: number
  size: number
  next: number
  states: string
  actions: string
  rewards: string
  nextStates: string
  dones: string
}

const toBase64 = (a: Float32Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64')
function fromBase64(s: string, length: number): Float32Array {
  const bytes = Buffer.from(s, 'base64')
  if (bytes.length !== length * 4) throw new LabError('invalid_file', `A DDPG checkpoint array holds ${bytes.length} bytes, expected ${length * 4}: the checkpoint is damaged.`)
  const out = new Float32Array(length)
  new Uint8Array(out.buffer).set(bytes)
  return out
}

/** Fixed-capacity ring buffer of transitions, sampled uniformly with replacement. */
export class ReplayBuffer {
  size = 0
  private next = 0
  private readonly states: Float32Array
  private readonly actions: Float32Array
  private readonly rewards: Float32Array
  private readonly nextStates: Float32Array
  private readonly dones: Float32Array

  constructor(readonly capacity: number, readonly stateDim: number, readonly actionDim: number) {
    this.states = new Float32Array(capacity * stateDim)
    this.actions = new Float32Array(capacity * actionDim)
    this.rewards = new Float32Array(capacity)
    this.nextStates = new Float32Array(capacity * stateDim)
    this.dones = new Float32Array(capacity)
  }

  push(t: Transition): void {
    const i = this.next
    this.states.set(t.state, i * this.stateDim)
    this.actions.set(t.action, i * this.actionDim)
    this.rewards[i] = t.reward
    this.nextStates.set(t.nextState, i * this.stateDim)
    this.dones[i] = t.done ? 1 : 0
    this.next = (i + 1) % this.capacity
    this.size = Math.min(this.size + 1, this.capacity)
  }

  sample(n: number, rng: SeededRandom): { states: Float32Array; actions: Float32Array; rewards: Float32Array; nextStates: Float32Array; dones: Float32Array } {
    const sd = this.stateDim
    const ad = this.actionDim
    const out = { states: new Float32Array(n * sd), actions: new Float32Array(n * ad), rewards: new Float32Array(n), nextStates: new Float32Array(n * sd), dones: new Float32Array(n) }
    for (let k = 0; k < n; k++) {
      const i = rng.int(this.size)
      out.states.set(this.states.subarray(i * sd, (i + 1) * sd), k * sd)
      out.actions.set(this.actions.subarray(i * ad, (i + 1) * ad), k * ad)
      out.rewards[k] = this.rewards[i]
      out.nextStates.set(this.nextStates.subarray(i * sd, (i + 1) * sd), k * sd)
      out.dones[k] = this.dones[i]
    }
    return out
  }

  toJSON(): ReplayBufferJson {
    return { capacity: this.capacity, size: this.size, next: this.next, states: toBase64(this.states), actions: toBase64(this.actions), rewards: toBase64(this.rewards), nextStates: toBase64(this.nextStates), dones: toBase64(this.dones) }
  }

  static fromJSON(j: ReplayBufferJson, stateDim: number, actionDim: number): ReplayBuffer {
    const b = new ReplayBuffer(j.capacity, stateDim, actionDim)
    b.states.set(fromBase64(j.states, j.capacity * stateDim))
    b.actions.set(fromBase64(j.actions, j.capacity * actionDim))
    b.rewards.set(fromBase64(j.rewards, j.capacity))
    b.nextStates.set(fromBase64(j.nextStates, j.capacity * stateDim))
    b.dones.set(fromBase64(j.dones, j.capacity))
    b.size = j.size
    b.next = j.next
    return b
  }
}

// ---------------------------------------------------------------- networks

interface Mlp {
  /** Variables in a fixed order (the order optimizer state and checkpoints use). */
  vars: tf.Variable[]
}

let agentCounter = 0

/** PyTorch's default Linear init, U(−1/√fanIn, 1/√fanIn), drawn from the seeded generator. */
function linearParams(rng: SeededRandom, name: string, fanIn: number, shape: number[], trainable: boolean): tf.Variable {
  const n = shape.reduce((a, b) => a * b, 1)
  const bound = 1 / Math.sqrt(fanIn)
  const values = new Float32Array(n)
  for (let i = 0; i < n; i++) values[i] = (2 * rng.next() - 1) * bound
  return tf.variable(tf.tensor(values, shape), trainable, name)
}

/** Actor: s → relu(fc1) → relu(fc2) → sigmoid(fc3), actions in [0, 1]. */
function makeActor(rng: SeededRandom, prefix: string, o: DdpgOptions, trainable: boolean): Mlp {
  const [h1, h2] = o.hidden
  return {
    vars: [
      linearParams(rng, `${prefix}/w1`, o.stateDim, [o.stateDim, h1], trainable), linearParams(rng, `${prefix}/b1`, o.stateDim, [h1], trainable),
      linearParams(rng, `${prefix}/w2`, h1, [h1, h2], trainable), linearParams(rng, `${prefix}/b2`, h1, [h2], trainable),
      linearParams(rng, `${prefix}/w3`, h2, [h2, o.actionDim], trainable), linearParams(rng, `${prefix}/b3`, h2, [o.actionDim], trainable)
    ]
  }
}

/** Critic: relu(fc11(s) + fc12(a)) → relu(fc2) → fc3, one Q value. */
function makeCritic(rng: SeededRandom, prefix: string, o: DdpgOptions, trainable: boolean): Mlp {
  const [h1, h2] = o.hidden
  return {
    vars: [
      linearParams(rng, `${prefix}/w11`, o.stateDim, [o.stateDim, h1], trainable), linearParams(rng, `${prefix}/w12`, o.actionDim, [o.actionDim, h1], trainable),
      linearParams(rng, `${prefix}/b1`, o.stateDim, [h1], trainable),
      linearParams(rng, `${prefix}/w2`, h1, [h1, h2], trainable), linearParams(rng, `${prefix}/b2`, h1, [h2], trainable),
      linearParams(rng, `${prefix}/w3`, h2, [h2, 1], trainable), linearParams(rng, `${prefix}/b3`, h2, [1], trainable)
    ]
  }
}

function actorForward(net: Mlp, s: tf.Tensor2D): tf.Tensor2D {
  const [w1, b1, w2, b2, w3, b3] = net.vars as tf.Variable[]
  const h1 = tf.relu(tf.add(tf.matMul(s, w1 as tf.Tensor2D), b1)) as tf.Tensor2D
  const h2 = tf.relu(tf.add(tf.matMul(h1, w2 as tf.Tensor2D), b2)) as tf.Tensor2D
  return tf.sigmoid(tf.add(tf.matMul(h2, w3 as tf.Tensor2D), b3)) as tf.Tensor2D
}

function criticForward(net: Mlp, s: tf.Tensor2D, a: tf.Tensor2D): tf.Tensor2D {
  const [w11, w12, b1, w2, b2, w3, b3] = net.vars as tf.Variable[]
  const h1 = tf.relu(tf.add(tf.add(tf.matMul(s, w11 as tf.Tensor2D), tf.matMul(a, w12 as tf.Tensor2D)), b1)) as tf.Tensor2D
  const h2 = tf.relu(tf.add(tf.matMul(h1, w2 as tf.Tensor2D), b2)) as tf.Tensor2D
  return tf.add(tf.matMul(h2, w3 as tf.Tensor2D), b3) as tf.Tensor2D
}

/** θ' ← τθ + (1−τ)θ' (τ = 1 copies). */
function softUpdate(target: Mlp, source: Mlp, tau: number): void {
  tf.tidy(() => target.vars.forEach((t, i) => t.assign(tf.add(tf.mul(source.vars[i], tau), tf.mul(t, 1 - tau)))))
}

// ---------------------------------------------------------------- agent

export interface DdpgCheckpoint {
  version: 1
  options: DdpgOptions
  /** Finished episodes. */
  episode: number
  movingAverage: number | null
  rngState: number
  /** Variables of actor, critic, actor target, critic target, in order, as base64 float32. */
  networks: Record<'actor' | 'critic' | 'actorTarget' | 'criticTarget', string[]>
  /** Adam state (iteration count and moments), in the optimizer's own order. */
  optimizers: Record<'actor' | 'critic', { shape: number[]; base64: string }[]>
  replay: ReplayBufferJson
}

export class DdpgAgent {
  readonly options: DdpgOptions
  /** Finished episodes (drives warm-up and the σ decay). */
  episode = 0
  private movingAverage: number | null = null
  private readonly rng: SeededRandom
  private readonly actor: Mlp
  private readonly critic: Mlp
  private readonly actorTarget: Mlp
  private readonly criticTarget: Mlp
  private readonly actorOptimizer: tf.AdamOptimizer
  private readonly criticOptimizer: tf.AdamOptimizer
  private replay: ReplayBuffer

  constructor(options: Partial<DdpgOptions> & Pick<DdpgOptions, 'stateDim'>) {
    const o: DdpgOptions = { ...HAQ_DDPG_DEFAULTS, replayCapacity: 128 * 20, ...options }
    if (!Number.isInteger(o.stateDim) || o.stateDim < 1) throw new LabError('bad_request', `DDPG needs a state of at least one number, got ${o.stateDim}.`)
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new LabError('bad_request', `DDPG batch size must be a positive whole number, got ${o.batchSize}.`)
    if (!Number.isInteger(o.replayCapacity) || o.replayCapacity < 1) throw new LabError('bad_request', `Replay capacity must be a positive whole number, got ${o.replayCapacity}.`)
    if (!(o.tau > 0 && o.tau <= 1)) throw new LabError('bad_request', `tau must be in (0, 1], got ${o.tau}.`)
    this.options = o
    this.rng = new SeededRandom(o.seed)
    const id = `ddpg${++agentCounter}`
    this.actor = makeActor(this.rng, `${id}/actor`, o, true)
    this.critic = makeCritic(this.rng, `${id}/critic`, o, true)
    this.actorTarget = makeActor(this.rng, `${id}/actor_target`, o, false)
    this.criticTarget = makeCritic(this.rng, `${id}/critic_target`, o, false)
    softUpdate(this.actorTarget, this.actor, 1) // targets start as copies
    softUpdate(this.criticTarget, this.critic, 1)
    this.actorOptimizer = tf.train.adam(o.actorLr)
    this.criticOptimizer = tf.train.adam(o.criticLr)
    this.replay = new ReplayBuffer(o.replayCapacity, o.stateDim, o.actionDim)
  }

  get inWarmup(): boolean {
    return this.episode < this.options.warmupEpisodes
  }

  /** Exploration σ now: σ0 · decay^(episode − warm-up). */
  get sigma(): number {
    return this.options.initSigma * this.options.sigmaDecay ** Math.max(0, this.episode - this.options.warmupEpisodes)
  }

  get replaySize(): number {
    return this.replay.size
  }

  /** μ(s) when not exploring; uniform random during warm-up; else truncated normal on [0,1] around μ(s) with σ. */
  act(state: number[], explore: boolean): number[] {
    if (state.length !== this.options.stateDim) throw new LabError('internal', `DDPG state has ${state.length} numbers, expected ${this.options.stateDim}.`)
    if (explore && this.inWarmup) return Array.from({ length: this.options.actionDim }, () => this.rng.next())
    const mu = tf.tidy(() => Array.from(actorForward(this.actor, tf.tensor2d(state, [1, state.length])).dataSync()))
    if (!explore) return mu
    const sigma = this.sigma
    return mu.map((m) => this.rng.truncatedNormal(m, sigma, 0, 1))
  }

  observe(t: Transition): void {
    this.replay.push(t)
  }

  /** Marks an episode finished: advances warm-up and decays σ. */
  endEpisode(): void {
    this.episode++
  }

  /**
   * One gradient step on a batch from the replay buffer (null while it is empty):
   *   y = (r − b) + γ·(1 − done)·Q'(s', μ'(s'))        (b = moving-average reward baseline, as HAQ)
   *   critic: minimise mean (Q(s,a) − y)²;  actor: maximise mean Q(s, μ(s));  then soft target updates.
   */
  update(): UpdateResult | null {
    if (this.replay.size === 0) return null
    const o = this.options
    const b = this.replay.sample(o.batchSize, this.rng)
    const batchMeanReward = b.rewards.reduce((a, r) => a + r, 0) / o.batchSize
    this.movingAverage = this.movingAverage === null ? batchMeanReward : this.movingAverage + o.baselineAlpha * (batchMeanReward - this.movingAverage)
    const baseline = this.movingAverage
    const losses = tf.tidy(() => {
      const s = tf.tensor2d(b.states, [o.batchSize, o.stateDim])
      const a = tf.tensor2d(b.actions, [o.batchSize, o.actionDim])
      const r = tf.tensor2d(b.rewards, [o.batchSize, 1])
      const s1 = tf.tensor2d(b.nextStates, [o.batchSize, o.stateDim])
      const notDone = tf.sub(1, tf.tensor2d(b.dones, [o.batchSize, 1]))
      const nextQ = criticForward(this.criticTarget, s1, actorForward(this.actorTarget, s1))
      const y = tf.add(tf.sub(r, baseline), tf.mul(o.discount, tf.mul(notDone, nextQ)))
      const criticLoss = this.criticOptimizer.minimize(() => tf.mean(tf.square(tf.sub(criticForward(this.critic, s, a), y))) as tf.Scalar, true, this.critic.vars)
      const actorLoss = this.actorOptimizer.minimize(() => tf.neg(tf.mean(criticForward(this.critic, s, actorForward(this.actor, s)))) as tf.Scalar, true, this.actor.vars)
      return [(criticLoss as tf.Scalar).dataSync()[0], (actorLoss as tf.Scalar).dataSync()[0]]
    })
    softUpdate(this.actorTarget, this.actor, o.tau)
    softUpdate(this.criticTarget, this.critic, o.tau)
    return { criticLoss: losses[0], actorLoss: losses[1] }
  }

  /** Everything needed to continue exactly where the agent stopped, as JSON-able values. */
  async checkpoint(): Promise<DdpgCheckpoint> {
    const vars = (m: Mlp): string[] => m.vars.map((v) => toBase64(v.dataSync() as Float32Array))
    const opt = async (op: tf.AdamOptimizer): Promise<{ shape: number[]; base64: string }[]> =>
      (await op.getWeights()).map((w) => ({ shape: w.tensor.shape, base64: toBase64(Float32Array.from(w.tensor.dataSync())) }))
    return {
      version: 1,
      options: { ...this.options },
      episode: this.episode,
      movingAverage: this.movingAverage,
      rngState: this.rng.getState(),
      networks: { actor: vars(this.actor), critic: vars(this.critic), actorTarget: vars(this.actorTarget), criticTarget: vars(this.criticTarget) },
      optimizers: { actor: await opt(this.actorOptimizer), critic: await opt(this.criticOptimizer) },
      replay: this.replay.toJSON()
    }
  }

  static async restore(cp: DdpgCheckpoint): Promise<DdpgAgent> {
    if (cp.version !== 1) throw new LabError('invalid_file', `DDPG checkpoint version ${String(cp.version)} is not supported by this lab version.`)
    const agent = new DdpgAgent(cp.options)
    const load = (m: Mlp, data: string[]): void => {
      if (data.length !== m.vars.length) throw new LabError('invalid_file', 'The DDPG checkpoint does not match the agent: its networks have a different number of layers.')
      m.vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(fromBase64(data[i], v.size), v.shape))))
    }
    load(agent.actor, cp.networks.actor)
    load(agent.critic, cp.networks.critic)
    load(agent.actorTarget, cp.networks.actorTarget)
    load(agent.criticTarget, cp.networks.criticTarget)
    const setOpt = async (op: tf.AdamOptimizer, ws: { shape: number[]; base64: string }[]): Promise<void> => {
      if (ws.length === 0) return
      const tensors = ws.map((w, i) => ({ name: `w${i}`, tensor: tf.tensor(fromBase64(w.base64, w.shape.reduce((a, b) => a * b, 1)), w.shape) }))
      await op.setWeights(tensors)
      tensors.forEach((t) => t.tensor.dispose())
    }
    await setOpt(agent.actorOptimizer, cp.optimizers.actor)
    await setOpt(agent.criticOptimizer, cp.optimizers.critic)
    agent.episode = cp.episode
    agent.movingAverage = cp.movingAverage
    agent.rng.setState(cp.rngState)
    agent.replay = ReplayBuffer.fromJSON(cp.replay, cp.options.stateDim, cp.options.actionDim)
    return agent
  }

  /** Frees the agent's tensors (networks and optimizer state). */
  dispose(): void {
    for (const m of [this.actor, this.critic, this.actorTarget, this.criticTarget]) m.vars.forEach((v) => v.dispose())
    this.actorOptimizer.dispose()
    this.criticOptimizer.dispose()
  }
}
