import * as tf from '@tensorflow/tfjs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { prepareWasmBackend } from '../../../src/main/model/backend'
import { QuantEnv } from '../../../src/main/quant/env'
import { DEPLOY_SPACE, policyKey, type QuantPolicy } from '../../../src/main/quant/precision'
import { runQuantSearch, type QuantSearchCheckpoint } from '../../../src/main/quant/search'
import { syntheticProblem } from './fixtures'

beforeAll(async () => {
  prepareWasmBackend()
  await tf.setBackend('wasm')
})
afterAll(async () => {
  await tf.setBackend('cpu')
})

const problem = syntheticProblem(8)
const cost = async (p: QuantPolicy): Promise<{ latencyMs: number; sizeBytes: number }> => ({ latencyMs: problem.latencyMs(p), sizeBytes: 0 })
// accuracies in percent, as HAQ's λ = 0.1 assumes
const evaluate = async (p: QuantPolicy): Promise<number> => 100 * problem.accuracy(p)

describe('HAQ search', () => {
  it('learns a policy more accurate than uniform int8 at the cost of uniform int8', async () => {
    const env = new QuantEnv(problem.layers, { space: DEPLOY_SPACE })
    const int8 = env.policyOf(env.uniformLevels('int8'))
    const seen: number[] = []
    const result = await runQuantSearch({
      env, budget: { metric: 'latency', kind: 'absolute', value: problem.latencyMs(int8) }, episodes: 170, cost, evaluate,
      ddpg: { hidden: [64, 64], seed: 4 }, onEpisode: (r) => seen.push(r.episode)
    })
    expect(seen).toEqual(Array.from({ length: 170 }, (_, i) => i))
    expect(result.accuracyFp).toBeCloseTo(90, 10)
    expect(result.limit).toBe(8)
    for (const r of result.episodes) expect(r.cost.latencyMs).toBeLessThanOrEqual(8) // the walk kept every policy in budget
    const best = result.best!
    expect(best.accuracy).toBeGreaterThan(100 * problem.accuracy(int8) + 5)
    expect(best.cost.latencyMs).toBeLessThanOrEqual(problem.latencyMs(int8))
    expect(best.reward).toBeCloseTo(0.1 * (best.accuracy - 90), 10)
    // the actor itself learned it (not just a lucky warm-up episode): the last episodes keep depthwise layers in fp16
    const last = result.episodes.slice(-10)
    expect(last.reduce((s, r) => s + r.accuracy, 0) / last.length).toBeGreaterThan(100 * problem.accuracy(int8) + 5)
    expect(policyKey(last[last.length - 1].policy)).toBe('deploy:int8,fp16,int8,fp16,int8,fp16,int8,fp16')
  })

  it('resumes from a JSON checkpoint to the same episodes as an uninterrupted run', async () => {
    const options = (env: QuantEnv): Parameters<typeof runQuantSearch>[0] => ({
      env, budget: 'latency:0.5', episodes: 12, cost, evaluate, ddpg: { hidden: [16, 16], warmupEpisodes: 4, batchSize: 16, seed: 7 }, checkpointEvery: 6
    })
    const straight = await runQuantSearch(options(new QuantEnv(problem.layers, { space: DEPLOY_SPACE })))
    let saved: QuantSearchCheckpoint | null = null
    const controller = new AbortController()
    await expect(runQuantSearch({
      ...options(new QuantEnv(problem.layers, { space: DEPLOY_SPACE })),
      signal: controller.signal,
      onCheckpoint: (cp) => {
        saved = JSON.parse(JSON.stringify(cp))
        controller.abort()
      }
    })).rejects.toThrow()
    expect(saved!.nextEpisode).toBe(6)
    const resumed = await runQuantSearch({ ...options(new QuantEnv(problem.layers, { space: DEPLOY_SPACE })), resume: saved! })
    expect(resumed.episodes.map((r) => [policyKey(r.policy), r.reward])).toEqual(straight.episodes.map((r) => [policyKey(r.policy), r.reward]))
  })

  it('refuses a budget that even the cheapest policy exceeds, with a sentence', async () => {
    const env = new QuantEnv(problem.layers, { space: DEPLOY_SPACE })
    await expect(runQuantSearch({ env, budget: 'latency:6ms', episodes: 1, cost, evaluate })).rejects.toThrow(
      'Even int8 everywhere needs 8.00 ms, above the 6.00 ms budget: raise the budget or choose a smaller network.'
    )
  })
})
