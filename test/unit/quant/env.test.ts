import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { HAQ_LINEAR_PINS, QuantEnv, STATE_DIM, cachedPolicyCost } from '../../../src/main/quant/env'
import { DEPLOY_SPACE, HAQ_KMEANS_SPACE, HAQ_LINEAR_SPACE, type QuantPolicy } from '../../../src/main/quant/precision'
import { tinyNet } from './fixtures'

describe('HAQ environment', () => {
  it('builds a 10-d min-max normalised state per slot from the IR', () => {
    const env = new QuantEnv(tinyNet, { space: HAQ_LINEAR_SPACE })
    expect(env.slots.map((s) => `${env.layers[s.layer].name}:${s.kind}`)).toEqual(['conv:weight', 'conv:activation', 'dw:weight', 'dw:activation', 'fc:weight', 'fc:activation'])
    const s = env.state(2, 3)
    expect(s).toHaveLength(STATE_DIM)
    // dw weights: index 1 of 0..2, c_in 4 of 3..4, c_out 4 of 4..5, stride 1 of 0..2, kernel 3 of 1..3, depthwise, 36 params of 20..108, 16 of 1..64
    expect(s.slice(0, 9)).toEqual([0.5, 1, 0, 0.5, 1, 1, 16 / 88, 15 / 63, 1])
    expect(s[9]).toBeCloseTo(3 / 6, 12) // previous slot at level 3 of 0..6
    for (let t = 0; t < env.slots.length; t++) for (const v of env.state(t, 0)) expect(v >= 0 && v <= 1).toBe(true)
  })

  it('maps a ∈ [0,1] to round(b_min − 0.5 + a·(b_max − b_min + 1)) bits, and to int8 < fp16 < fp32 in the deploy space', () => {
    const env = new QuantEnv(tinyNet, { space: HAQ_KMEANS_SPACE })
    fc.assert(fc.property(fc.double({ min: 0, max: 1, noNaN: true }), (a) => {
      const bits = env.slots[0].values[env.levelOf(0, a)] as number
      expect(bits).toBe(Math.min(8, Math.max(2, Math.round(2 - 0.5 + a * 7))))
    }))
    const deploy = new QuantEnv(tinyNet, { space: DEPLOY_SPACE })
    expect([0, 0.2, 0.34, 0.5, 0.66, 0.7, 1].map((a) => deploy.slots[0].values[deploy.levelOf(0, a)])).toEqual(['int8', 'int8', 'fp16', 'fp16', 'fp16', 'fp32', 'fp32'])
  })

  it('keeps HAQ pins (first layer 8-bit weights, last layer 8/8) whatever the action', () => {
    const env = new QuantEnv(tinyNet, { space: HAQ_LINEAR_SPACE, pins: HAQ_LINEAR_PINS })
    const levels = env.slots.map((_, t) => env.levelOf(t, 0))
    expect(env.policyOf(levels)).toEqual({ kind: 'bits', quantizer: 'linear', layers: [{ layer: 'conv', wBits: 8, aBits: 2 }, { layer: 'dw', wBits: 2, aBits: 2 }, { layer: 'fc', wBits: 8, aBits: 8 }] })
    expect(env.minLevels()).toEqual([6, 0, 0, 0, 6, 6])
    expect(env.describeLowest()).toBe('2-bit weights and activations everywhere (pinned layers kept)')
    expect(() => new QuantEnv(tinyNet, { space: DEPLOY_SPACE, pins: [{ layer: 'nope', value: 'fp32' }] })).toThrow(/not a quantizable layer/)
  })

  it('gives reward λ·(acc_quant − acc_fp) with λ = 0.1', () => {
    expect(new QuantEnv(tinyNet, { space: DEPLOY_SPACE }).reward(0.7, 0.75)).toBeCloseTo(-0.005, 12)
  })

  it('caches costs by policy key', async () => {
    let calls = 0
    const cost = cachedPolicyCost(async (p: QuantPolicy) => {
      calls++
      return { sizeBytes: p.layers.length }
    })
    const env = new QuantEnv(tinyNet, { space: DEPLOY_SPACE })
    const p = env.policyOf(env.uniformLevels('int8'))
    await Promise.all([cost(p), cost(p), cost(env.policyOf(env.uniformLevels('int8')))])
    await cost(env.policyOf(env.uniformLevels('fp16')))
    expect(calls).toBe(2)
  })
})
