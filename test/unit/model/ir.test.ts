import { describe, expect, it } from 'vitest'
import {
  inferShapes, initWeights, mbconvLayers, networkFromJson, networkToJson, validateNetwork, weightSpecs, weightsFromJson,
  weightsToJson, type Layer, type Network
} from '../../../src/main/model/ir'
import { LabError } from '../../../src/shared/errors'

function tinyNet(): Network {
  const block = mbconvLayers('b1', 'stem', [8, 8, 8], { expand: 3, kernel: 3, stride: 1, outChannels: 8, idskip: true })
  return {
    name: 'tiny',
    input: { shape: [16, 16, 3], dtype: 'float32' },
    layers: [
      { name: 'stem', op: 'conv2d', inputs: ['input'], filters: 8, kernel: [3, 3], strides: [2, 2], padding: 'same', activation: 'relu6', useBias: true },
      ...block.layers,
      { name: 'pool', op: 'mean', inputs: [block.output], axes: [1, 2], keepDims: false },
      { name: 'fc', op: 'dense', inputs: ['pool'], units: 10, activation: 'none', useBias: true },
      { name: 'prob', op: 'softmax', inputs: ['fc'] }
    ],
    outputs: ['prob']
  }
}

function expectLayerError(f: () => unknown, layer: string, words: RegExp): void {
  try {
    f()
  } catch (e) {
    expect(e).toBeInstanceOf(LabError)
    expect((e as LabError).code).toBe('bad_request')
    expect((e as LabError).message).toContain(`Layer "${layer}"`)
    expect((e as LabError).message).toMatch(words)
    return
  }
  throw new Error('expected an error')
}

describe('ModelIR shapes', () => {
  it('infers the shapes of an MBConv network', () => {
    const s = inferShapes(tinyNet())
    expect(s.get('stem')).toEqual([8, 8, 8])
    expect(s.get('b1_expand')).toEqual([8, 8, 24])
    expect(s.get('b1_dw')).toEqual([8, 8, 24])
    expect(s.get('b1_add')).toEqual([8, 8, 8])
    expect(s.get('pool')).toEqual([8])
    expect(s.get('prob')).toEqual([10])
  })

  it('computes same/valid windows, pad, reshape and concat', () => {
    const net: Network = {
      name: 'ops',
      input: { shape: [7, 9, 4], dtype: 'float32' },
      layers: [
        { name: 'p', op: 'pad', inputs: ['input'], paddings: [[1, 0], [0, 2]] },
        { name: 'mp', op: 'max_pool', inputs: ['p'], pool: [2, 2], strides: [2, 2], padding: 'valid' },
        { name: 'ap', op: 'avg_pool', inputs: ['input'], pool: [3, 3], strides: [2, 2], padding: 'same' },
        { name: 'dw', op: 'depthwise_conv2d', inputs: ['input'], kernel: [5, 5], strides: [2, 2], padding: 'same', depthMultiplier: 2, activation: 'relu', useBias: false },
        { name: 'cat', op: 'concat', inputs: ['ap', 'dw'], axis: 3 },
        { name: 'hs', op: 'hard_swish', inputs: ['cat'] },
        { name: 'r', op: 'reshape', inputs: ['hs'], shape: [-1] },
        { name: 'm', op: 'mean', inputs: ['cat'], axes: [1, 2], keepDims: true }
      ],
      outputs: ['r', 'm', 'mp']
    }
    const s = inferShapes(net)
    expect(s.get('p')).toEqual([8, 11, 4])
    expect(s.get('mp')).toEqual([4, 5, 4])
    expect(s.get('ap')).toEqual([4, 5, 4])
    expect(s.get('dw')).toEqual([4, 5, 8])
    expect(s.get('cat')).toEqual([4, 5, 12])
    expect(s.get('r')).toEqual([240])
    expect(s.get('m')).toEqual([1, 1, 12])
  })

  it('rejects bad graphs naming the layer', () => {
    const withLayers = (f: (ls: Layer[]) => void): Network => {
      const n = tinyNet()
      f(n.layers)
      return n
    }
    expectLayerError(() => inferShapes(withLayers((ls) => { (ls[2] as { inputs: string[] }).inputs = ['nowhere'] })), 'b1_dw', /not a layer/)
    expectLayerError(() => inferShapes(withLayers((ls) => { ls[3].name = 'b1_dw' })), 'b1_dw', /more than one/)
    expectLayerError(() => inferShapes(withLayers((ls) => { (ls[0] as { op: string }).op = 'conv3d' })), 'stem', /unknown op "conv3d"/)
    expectLayerError(() => inferShapes(withLayers((ls) => { ls[0].inputs = ['b1_add'] })), 'stem', /cycle/)
    expectLayerError(() => inferShapes(withLayers((ls) => { ls[1].inputs = ['b1_project'] })), 'b1_expand', /cycle/)
    expectLayerError(() => inferShapes(withLayers((ls) => { ls[4].inputs = ['stem', 'b1_expand'] })), 'b1_add', /equal shape/)
    expectLayerError(() => inferShapes(withLayers((ls) => { ls[6].inputs = ['b1_add'] })), 'fc', /vector/)
    expectLayerError(() => inferShapes(withLayers((ls) => { ls.splice(1, 0, { name: 'late', op: 'relu6', inputs: ['fc'] }) })), 'late', /topological/)
  })

  it('rejects an MBConv shortcut that cannot be an identity', () => {
    expectLayerError(() => mbconvLayers('b9', 'x', [8, 8, 16], { expand: 6, kernel: 5, stride: 2, outChannels: 16, idskip: true }), 'b9_add', /stride 1/)
  })
})

describe('ModelIR weights', () => {
  it('lists weights in the documented layouts and checks them', () => {
    const net = tinyNet()
    const specs = weightSpecs(net)
    expect(specs.map((s) => [s.key, s.shape])).toEqual([
      ['stem/kernel', [3, 3, 3, 8]], ['stem/bias', [8]],
      ['b1_expand/kernel', [1, 1, 8, 24]], ['b1_expand/bias', [24]],
      ['b1_dw/kernel', [3, 3, 24, 1]], ['b1_dw/bias', [24]],
      ['b1_project/kernel', [1, 1, 24, 8]], ['b1_project/bias', [8]],
      ['fc/kernel', [8, 10]], ['fc/bias', [10]]
    ])
    const w = initWeights(net, 7)
    expect(() => validateNetwork(net, w)).not.toThrow()
    w.set('fc/kernel', new Float32Array(3))
    expectLayerError(() => validateNetwork(net, w), 'fc', /80/)
  })

  it('initialises deterministically with He scale', () => {
    const net = tinyNet()
    const a = initWeights(net, 3)
    const b = initWeights(net, 3)
    const c = initWeights(net, 4)
    expect(a.get('stem/kernel')).toEqual(b.get('stem/kernel'))
    expect(a.get('stem/kernel')).not.toEqual(c.get('stem/kernel'))
    const big = initWeights({ ...net, layers: [{ name: 'c', op: 'conv2d', inputs: ['input'], filters: 400, kernel: [3, 3], strides: [1, 1], padding: 'same', activation: 'none', useBias: false }], outputs: ['c'] }, 1)
    const k = big.get('c/kernel') as Float32Array
    const variance = k.reduce((s, v) => s + v * v, 0) / k.length
    expect(variance).toBeGreaterThan((2 / 27) * 0.9)
    expect(variance).toBeLessThan((2 / 27) * 1.1)
    expect(() => initWeights(net, 0)).toThrow(/at least 1/)
  })

  it('round-trips the network and weights through JSON exactly', () => {
    const net = tinyNet()
    const back = networkFromJson(networkToJson(net))
    expect(back).toEqual(net)
    const w = initWeights(net, 11)
    for (const enc of ['base64', 'array'] as const) {
      const w2 = weightsFromJson(JSON.parse(JSON.stringify(weightsToJson(w, enc))))
      expect([...w2.keys()]).toEqual([...w.keys()])
      for (const [k, v] of w) expect(Buffer.from(w2.get(k)!.buffer).equals(Buffer.from(v.buffer))).toBe(true)
    }
  })

  it('rejects malformed JSON with the path', () => {
    const bad = JSON.parse(networkToJson(tinyNet()))
    bad.layers[0].kernel = [3]
    expect(() => networkFromJson(bad)).toThrow(/layers\.0\.kernel/)
    expect(() => networkFromJson('{oops')).toThrow(/not valid JSON/)
  })
})
