import { describe, expect, it } from 'vitest'
import type { OpTiming } from '../../../src/shared/contract/measure'
import { inferShapes, type Layer } from '../../../src/main/model/ir'
import { enumerateBlockConfigs, getSpace } from '../../../src/main/model/space'
import { adapterStride, attributeProbeOps, planProbes, steadyOpMs } from '../../../src/main/profile/packing'

const XNN: Record<string, (l: Layer) => string> = {
  conv2d: (l) => `Convolution (NHWC, F32) ${(l as { kernel: number[] }).kernel[0] === 1 ? 'GEMM' : 'IGEMM'}`,
  depthwise_conv2d: () => 'Convolution (NHWC, F32) DWConv',
  add: () => 'Add (ND, F32)',
  mean: () => 'Global Average Pooling (NWC, F32)',
  dense: () => 'Fully Connected (NC, F32) GEMM'
}
const row = (nodeType: string, avgMs: number, i: number, source: OpTiming['source'] = 'delegate'): OpTiming => ({
  index: i,
  nodeType,
  name: `Delegate/${nodeType}:${i}`,
  firstMs: avgMs,
  avgMs,
  percent: null,
  timesCalled: 5,
  source
})

describe('packed probes', () => {
  for (const name of ['small', 'mobile']) {
    it(`${name}: every configuration lands in exactly one probe, chained with valid shapes`, () => {
      const configs = enumerateBlockConfigs(getSpace(name))
      const probes = planProbes(configs, { maxBlocksPerProbe: 24 })
      const keys = probes.flatMap((p) => p.blocks.map((b) => b.key))
      expect(keys.sort()).toEqual(configs.map((c) => c.key).sort())
      for (const p of probes) {
        expect(() => inferShapes(p.network)).not.toThrow()
        expect(p.blocks.length).toBeLessThanOrEqual(24)
        expect(p.layerOwners).toHaveLength(p.network.layers.length)
        // The stem always reads the probe's own input, as in a network.
        const stem = p.blocks.findIndex((b) => b.key.startsWith('Conv-'))
        if (stem >= 0) expect(stem).toBe(0)
        // The classifier ends a chain: nothing reads its output, which is a model output.
        const logits = p.blocks.find((b) => b.key.startsWith('Logits-'))
        const readers = (name: string) => p.network.layers.filter((l) => l.inputs.includes(name)).length
        if (logits) {
          const out = logits.layers[logits.layers.length - 1]
          expect(readers(out)).toBe(0)
          expect(p.network.outputs).toContain(out)
        }
        // No dead branch: every layer is read by another or is an output.
        for (const l of p.network.layers) expect(readers(l.name) > 0 || p.network.outputs.includes(l.name), l.name).toBe(true)
      }
      // New chains start from maps the probe already computed, so probes are full: ceil(keys / 24).
      expect(probes.length).toBe(Math.ceil(configs.length / 24))
      // The default (at most 64) balances: 40 keys → one probe, 70 → two of 35.
      const byDefault = planProbes(configs).map((p) => p.blocks.length)
      const n = Math.ceil(configs.length / 64)
      expect(byDefault).toHaveLength(n)
      for (const size of byDefault) expect(size).toBeLessThanOrEqual(Math.ceil(configs.length / n))
    })
  }

  it("a stage's stride-2 variants share the probe: later ones read the map the first one read", () => {
    const probe = planProbes(enumerateBlockConfigs(getSpace('small', { stemStride: 2 })), { maxBlocksPerProbe: 100 })
    expect(probe).toHaveLength(1)
    const p = probe[0]
    const firstLayerOf = (key: string) => p.network.layers.find((l) => l.name === p.blocks.find((b) => b.key === key)!.layers[0])!
    const s2 = p.blocks.filter((b) => b.key.startsWith('expanded_conv-input:14x14x16-output:7x7x24'))
    expect(s2.length).toBe(6)
    const sources = new Set(s2.map((b) => firstLayerOf(b.key).inputs[0]))
    // All six read 14x14x16 maps the probe computed before them (no adapter needed).
    const shapes = inferShapes(p.network)
    for (const src of sources) expect(src === 'input' ? null : shapes.get(src)).toEqual([14, 14, 16])
    expect(p.network.outputs.length).toBeGreaterThan(1)
  })

  it('finds adapter strides only where a 1x1 same conv reaches the shape', () => {
    expect(adapterStride([28, 28, 16], [4, 4, 80])).toBe(7)
    expect(adapterStride([56, 56, 24], [28, 28, 40])).toBe(2)
    expect(adapterStride([7, 7, 8], [7, 7, 16])).toBe(1)
    expect(adapterStride([7, 7, 8], [14, 14, 8])).toBeNull()
    expect(adapterStride([10, 10, 8], [4, 3, 8])).toBeNull()
  })

  it('attributes rows in execution order to blocks; adapters belong to none', () => {
    const probes = planProbes(enumerateBlockConfigs(getSpace('small')), { maxBlocksPerProbe: 24 })
    const probe = probes.find((p) => p.layerOwners.includes(null))!
    const rows = probe.network.layers.map((l, i) => row(XNN[l.op](l), (i + 1) / 100, i))
    const a = attributeProbeOps(probe, [row('TfLiteXNNPackDelegate', 9, 0, 'tflite'), ...rows])
    probe.blocks.forEach((b) => {
      const expected = probe.network.layers.reduce((s, l, i) => (b.layers.includes(l.name) ? s + (i + 1) / 100 : s), 0)
      expect(a.blockMs.get(b.key)).toBeCloseTo(expected, 10)
    })
    const adapter = probe.network.layers.reduce((s, l, i) => (probe.layerOwners[i] === null ? s + (i + 1) / 100 : s), 0)
    expect(a.adapterMs).toBeCloseTo(adapter, 10)
    expect(a.opsMs).toBeCloseTo(rows.reduce((s, r) => s + r.avgMs, 0), 10)
  })

  it('refuses rows that do not line up (a missing or a different operator)', () => {
    const probe = planProbes(enumerateBlockConfigs(getSpace('small')))[0]
    const rows = probe.network.layers.map((l, i) => row(XNN[l.op](l), 0.1, i))
    expect(() => attributeProbeOps(probe, rows.slice(1))).toThrow(/layers but the op profile has/)
    const addAt = probe.network.layers.findIndex((l) => l.op === 'add')
    const swapped = rows.map((r, i) => (i === addAt ? row('Convolution (NHWC, F32) GEMM', 0.1, i) : r))
    expect(() => attributeProbeOps(probe, swapped)).toThrow(/was expected/)
  })

  it('falls back to the interpreter rows when there is no delegate', () => {
    const probe = planProbes(enumerateBlockConfigs(getSpace("small")), { maxBlocksPerProbe: 24 })[1]
    const names: Record<string, string> = { conv2d: 'CONV_2D', depthwise_conv2d: 'DEPTHWISE_CONV_2D', add: 'ADD', mean: 'MEAN', dense: 'FULLY_CONNECTED' }
    const rows = probe.network.layers.map((l, i) => row(names[l.op], 0.2, i, 'tflite'))
    const a = attributeProbeOps(probe, rows)
    expect(a.opsMs).toBeCloseTo(0.2 * rows.length, 10)
  })

  it('takes the first (weight-packing) run out of an op average', () => {
    expect(steadyOpMs({ ...row('x', 2, 0), firstMs: 11, timesCalled: 10 })).toBeCloseTo(1, 10)
    expect(steadyOpMs({ ...row('x', 2, 0), firstMs: null, timesCalled: null })).toBe(2)
  })
})

describe('operator names of delegate rows', () => {
  it("reads the operator from the name when the tool prints 'DelegateOpInvoke'", () => {
    const probe = planProbes(enumerateBlockConfigs(getSpace("small")), { maxBlocksPerProbe: 24 })[1]
    const rows = probe.network.layers.map((l, i) => ({ ...row(XNN[l.op](l), 0.1, i), nodeType: 'DelegateOpInvoke' }))
    expect(attributeProbeOps(probe, rows).opsMs).toBeCloseTo(0.1 * rows.length, 10)
  })
})
