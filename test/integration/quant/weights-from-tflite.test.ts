// A search candidate keeps its trained weights only inside its fp32 .tflite: reading them back must give the
// exact IR weights (layouts undone), or quantizing that candidate would start from a different network.
import { expect, it } from 'vitest'
import { initWeights } from '../../../src/main/model/ir'
import { buildNetwork, getSpace, parseArchitecture } from '../../../src/main/model/space'
import { writeTflite } from '../../../src/main/model/tflite/writer'
import { weightsFromTflite } from '../../../src/main/quant/job'

it('reads back every kernel and bias of an fp32 export exactly', () => {
  const space = getSpace('small', { widthMult: 0.25, stemStride: 2 })
  const net = buildNetwork(space, parseArchitecture(space, 'k5e6-k3e3-k7e3-zero-k3e6-k5e3-k3e3'), { softmax: true })
  const weights = initWeights(net, 5)
  for (const [k, w] of weights) if (k.endsWith('/bias')) w.forEach((_, i) => (w[i] = 0.01 * ((i % 7) - 3)))
  const back = weightsFromTflite(net, writeTflite(net, weights, { precision: 'fp32' }))
  expect(back).not.toBeNull()
  expect([...back!.keys()].sort()).toEqual([...weights.keys()].sort())
  for (const [k, w] of weights) expect(Array.from(back!.get(k)!), k).toEqual(Array.from(w))
})

it('gives null for an int8 export, whose weights are no longer float', () => {
  const space = getSpace('small', { widthMult: 0.25, stemStride: 2 })
  const net = buildNetwork(space, parseArchitecture(space, 'k3e3-k3e3-k3e3-zero-k3e3-k3e3-k3e3'), { softmax: true })
  const weights = initWeights(net, 2)
  const bytes = writeTflite(net, weights, { precision: 'int8', calibration: [new Float32Array(28 * 28).fill(0.5)] })
  expect(weightsFromTflite(net, bytes)).toBeNull()
})
