import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import {
  architectureKeys, architectureToString, blockKey, blockNetwork, buildNetwork, enumerateBlockConfigs, getSpace, makeDivisible,
  parseArchitecture, sampleArchitecture, type Architecture
} from '../../../src/main/model/space'
import { inferShapes } from '../../../src/main/model/ir'
import { networkCost } from '../../../src/main/model/cost'
import { createRng } from '../../../src/main/model/rng'

describe('mobile space (ProxylessNAS)', () => {
  const space = getSpace('mobile')

  it('has 21 searchable blocks with the published stage layout', () => {
    expect(space.inputShape).toEqual([224, 224, 3])
    expect(space.blocks).toHaveLength(21)
    expect(space.stem.outShape).toEqual([112, 112, 32])
    expect(space.firstBlock.outShape).toEqual([112, 112, 16])
    expect(space.blocks[0]).toMatchObject({ inShape: [112, 112, 16], outShape: [56, 56, 24], stride: 2 })
    expect(space.blocks[12]).toMatchObject({ inShape: [14, 14, 80], outShape: [14, 14, 96], stride: 1 })
    expect(space.blocks[20]).toMatchObject({ inShape: [7, 7, 192], outShape: [7, 7, 320], stride: 1 })
    expect(space.head.outShape).toEqual([7, 7, 1280])
    // 'zero' only in the 15 non-first blocks of each stage.
    const skippable = space.blocks.filter((b) => b.candidates.includes('zero')).map((b) => b.index)
    expect(skippable).toEqual([1, 2, 3, 5, 6, 7, 9, 10, 11, 13, 14, 15, 17, 18, 19])
  })

  it('builds networks whose shapes and sizes fall in the published region', () => {
    const mbv2Like: Architecture = space.blocks.map(() => 'k3e6')
    const net = buildNetwork(space, mbv2Like)
    const shapes = inferShapes(net)
    expect(shapes.get('b1_dw')).toEqual([56, 56, 96])
    expect(shapes.get('head')).toEqual([7, 7, 1280])
    expect(shapes.get(net.outputs[0])).toEqual([1000])
    const cost = networkCost(net)
    // ProxylessNAS-mobile is 4.1 M params / 320 M MACs; the all-k3e6 member is a bit larger.
    expect(cost.totalParams).toBeGreaterThan(3.5e6)
    expect(cost.totalParams).toBeLessThan(5.5e6)
    expect(cost.totalMacs).toBeGreaterThan(300e6)
    expect(cost.totalMacs).toBeLessThan(600e6)
    // Skipping blocks removes their layers and shrinks the net.
    const skipping = space.blocks.map((b) => (b.candidates.includes('zero') ? 'zero' : 'k3e3')) as Architecture
    const small = buildNetwork(space, skipping)
    expect(small.layers.some((l) => l.name.startsWith('b2_'))).toBe(false)
    expect(networkCost(small).totalMacs).toBeLessThan(cost.totalMacs / 3)
  })

  it('rounds widths to multiples of 8 under a width multiplier', () => {
    const half = getSpace('mobile', { widthMult: 0.5 })
    expect(half.stem.filters).toBe(16)
    expect(half.blocks.map((b) => b.outShape[2]).filter((c, i, a) => a.indexOf(c) === i)).toEqual([16, 24, 40, 48, 96, 160])
    expect(half.head.filters).toBe(1280)
    expect(getSpace('mobile', { widthMult: 1.4 }).head.filters).toBe(1792)
    expect([makeDivisible(12), makeDivisible(20), makeDivisible(3), makeDivisible(44.8)]).toEqual([16, 24, 8, 48])
  })

  it('enumerates 70 distinct block configurations with ProxylessNAS keys', () => {
    const configs = enumerateBlockConfigs(space)
    const keys = configs.map((c) => c.key)
    expect(new Set(keys).size).toBe(keys.length)
    expect(configs).toHaveLength(4 + 5 * 12 + 6)
    expect(keys).toContain('expanded_conv-input:112x112x16-output:56x56x24-expand:3-kernel:5-stride:2-idskip:0')
    expect(keys).toContain('expanded_conv-input:56x56x24-output:56x56x24-expand:6-kernel:7-stride:1-idskip:1')
    expect(keys).toContain('expanded_conv-input:14x14x80-output:14x14x96-expand:3-kernel:3-stride:1-idskip:0')
    expect(keys.slice(0, 4)).toEqual([
      'Conv-input:224x224x3-output:112x112x32',
      'expanded_conv-input:112x112x32-output:112x112x16-expand:1-kernel:3-stride:1-idskip:0',
      'Conv_1-input:7x7x320-output:7x7x1280',
      'Logits-input:7x7x1280-output:1000'
    ])
    expect(configs.filter((c) => c.fixed)).toHaveLength(4)
  })

  it('tags every layer of a built network with its block key', () => {
    const arch = sampleArchitecture(space, createRng(5))
    const net = buildNetwork(space, arch)
    const groups = [...new Set(net.layers.map((l) => l.group))]
    expect(groups).toEqual(architectureKeys(space, arch).filter((k, i, a) => a.indexOf(k) === i))
  })
})

describe('small space', () => {
  it('fits Fashion-MNIST and CIFAR-10 inputs and ends in 10 classes', () => {
    for (const [input, shape, last] of [['fashion-mnist', [28, 28, 1], [4, 4, 80]], ['cifar10', [32, 32, 3], [4, 4, 80]]] as const) {
      const space = getSpace('small', { input })
      expect(space.inputShape).toEqual(shape)
      expect(space.blocks).toHaveLength(7)
      expect(space.blocks[space.blocks.length - 1].outShape).toEqual(last)
      const net = buildNetwork(space, sampleArchitecture(space, createRng(1)), { softmax: true })
      expect(inferShapes(net).get('prob')).toEqual([10])
      expect(enumerateBlockConfigs(space)).toHaveLength(40)
    }
  })

  it('halves the resolution with a stride-2 stem', () => {
    const fast = getSpace('small', { stemStride: 2 })
    expect(fast.stem.outShape).toEqual([14, 14, 16])
    expect(fast.blocks[fast.blocks.length - 1].outShape).toEqual([2, 2, 80])
    const arch = fast.blocks.map(() => 'k3e6' as const)
    expect(networkCost(buildNetwork(fast, arch)).totalMacs).toBeLessThan(networkCost(buildNetwork(getSpace('small'), arch)).totalMacs / 3)
    expect(() => getSpace('small', { stemStride: 4 as never })).toThrow(/Stem stride must be 1 or 2/)
  })

  it('rejects unknown spaces and inputs clearly', () => {
    expect(() => getSpace('tiny')).toThrow(/Unknown search space "tiny"; choose one of mobile, small/)
    expect(() => getSpace('small', { input: 'mnist' as never })).toThrow(/Unknown input "mnist"/)
    expect(() => getSpace('small', { widthMult: 0 })).toThrow(/Width multiplier/)
  })
})

describe('architectures', () => {
  const space = getSpace('small')

  it('round-trips the compact string form (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), (seed) => {
        const arch = sampleArchitecture(space, createRng(seed))
        expect(parseArchitecture(space, architectureToString(arch))).toEqual(arch)
        arch.forEach((op, i) => expect(space.blocks[i].candidates).toContain(op))
      }),
      { numRuns: 50 }
    )
  })

  it('samples the same architecture for the same seed', () => {
    expect(sampleArchitecture(space, createRng(9))).toEqual(sampleArchitecture(space, createRng(9)))
  })

  it('explains what is wrong with a bad architecture', () => {
    expect(() => parseArchitecture(space, 'k3e6-k3e6')).toThrow(/has 7 searchable blocks, but the architecture names 2/)
    expect(() => parseArchitecture(space, 'k3e6-k9e6-k3e6-k3e6-k3e6-k3e6-k3e6')).toThrow(/Block 2: unknown op "k9e6"/)
    expect(() => parseArchitecture(space, 'zero-k3e6-k3e6-k3e6-k3e6-k3e6-k3e6')).toThrow(/Block 1 \(stage 1, position 1\) cannot be "zero"/)
    expect(parseArchitecture(space, 'k3e6-zero-k5e3-zero-zero-k7e6-zero')).toHaveLength(7)
  })

  it('builds a one-block network for measuring a configuration', () => {
    const cfg = enumerateBlockConfigs(space).find((c) => c.key.includes('idskip:1'))!
    const net = blockNetwork(cfg.config)
    expect(net.name).toBe(blockKey(cfg.config))
    expect(net.layers.map((l) => l.op)).toEqual(['conv2d', 'depthwise_conv2d', 'conv2d', 'add'])
    const logits = blockNetwork(enumerateBlockConfigs(space).find((c) => c.key.startsWith('Logits'))!.config)
    expect(inferShapes(logits).get(logits.outputs[0])).toEqual([10])
  })
})
