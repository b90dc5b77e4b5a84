import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prepareWasmBackend } from '../../../src/main/model/backend'
import { DdpgAgent, HAQ_DDPG_DEFAULTS } from '../../../src/main/quant/ddpg'

// The wasm backend is what the lab trains with; it gives the same numbers as cpu here, about 15x faster.
beforeAll(async () => {
  prepareWasmBackend()
  await tf.setBackend('wasm')
})
afterAll(async () => {
  await tf.setBackend('cpu')
})

const state = [0.2, 0.5, 1]
const reward = (a: number): number => -((a - 0.7) ** 2)

function playEpisode(agent: DdpgAgent): void {
  const a = agent.act(state, true)
  agent.observe({ state, action: a, reward: reward(a[0]), nextState: state, done: true })
  agent.endEpisode()
  if (!agent.inWarmup) agent.update()
}

describe('DDPG', () => {
  it('uses the published HAQ settings by default', () => {
    expect(HAQ_DDPG_DEFAULTS).toMatchObject({ hidden: [300, 300], actorLr: 1e-4, criticLr: 1e-3, tau: 0.01, discount: 1, batchSize: 64, initSigma: 0.5, sigmaDecay: 0.99, warmupEpisodes: 20 })
  })

  it('learns a one-step continuous bandit (reward −(a − 0.7)²) without leaking tensors', () => {
    const agent = new DdpgAgent({ stateDim: 3, replayCapacity: 128, seed: 3 })
    const before = agent.act(state, false)[0]
    for (let ep = 0; ep < 21; ep++) playEpisode(agent) // 20 warm-up episodes, then the first update
    const tensorsAfterFirstUpdate = tf.memory().numTensors
    for (let ep = 0; ep < 60; ep++) playEpisode(agent)
    expect(tf.memory().numTensors).toBe(tensorsAfterFirstUpdate)
    const greedy = agent.act(state, false)[0]
    expect(Math.abs(greedy - 0.7)).toBeLessThan(0.1)
    expect(Math.abs(before - 0.7)).toBeGreaterThan(Math.abs(greedy - 0.7)) // it moved toward the optimum
    expect(agent.sigma).toBeCloseTo(0.5 * 0.99 ** 61, 10)
    agent.dispose()
  })

  it('explores with uniform actions during warm-up and truncated-normal actions in [0,1] after', () => {
    const agent = new DdpgAgent({ stateDim: 3, hidden: [8, 8], warmupEpisodes: 2, seed: 5 })
    const warm = Array.from({ length: 200 }, () => agent.act(state, true)[0])
    expect(Math.min(...warm)).toBeLessThan(0.05)
    expect(Math.max(...warm)).toBeGreaterThan(0.95)
    agent.endEpisode()
    agent.endEpisode()
    const mu = agent.act(state, false)[0]
    const explored = Array.from({ length: 400 }, () => agent.act(state, true)[0])
    expect(explored.every((a) => a >= 0 && a <= 1)).toBe(true)
    const mean = explored.reduce((s, a) => s + a, 0) / explored.length
    expect(Math.abs(mean - mu)).toBeLessThan(0.15) // centred near μ(s), pulled toward 0.5 by the truncation
    agent.dispose()
  })

  it('resumes exactly from a JSON checkpoint', async () => {
    const a = new DdpgAgent({ stateDim: 3, hidden: [16, 16], warmupEpisodes: 3, batchSize: 8, replayCapacity: 32, seed: 9 })
    for (let ep = 0; ep < 8; ep++) playEpisode(a)
    const cp = JSON.parse(JSON.stringify(await a.checkpoint()))
    const b = await DdpgAgent.restore(cp)
    for (let ep = 0; ep < 5; ep++) {
      playEpisode(a)
      playEpisode(b)
    }
    expect(b.episode).toBe(a.episode)
    expect(b.act(state, true)).toEqual(a.act(state, true))
    expect(b.act(state, false)).toEqual(a.act(state, false))
    a.dispose()
    b.dispose()
  })
})
