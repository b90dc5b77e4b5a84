// A ProxylessNAS-mobile-sized network (224x224x3, mobile space, a fixed mixed-kernel architecture) shared by the
// TFLite export and host-runtime benches.
import { initWeights, type Network, type Weights } from '../src/main/model/ir'
import { createRng } from '../src/main/model/rng'
import { buildNetwork, getSpace, type Architecture } from '../src/main/model/space'

/** 21 blocks; kernels and expansions in the spirit of the published ProxylessNAS-Mobile (wide kernels late). */
export const PROXYLESS_MOBILE_LIKE: Architecture = [
  'k5e3', 'k3e3', 'zero', 'zero',
  'k7e3', 'k3e3', 'k5e3', 'k5e3',
  'k7e6', 'k5e3', 'k5e3', 'k5e3',
  'k5e6', 'k5e3', 'k5e3', 'k5e3',
  'k7e6', 'k7e6', 'k7e3', 'k7e3',
  'k7e6'
]

export function proxylessMobile(): { net: Network; weights: Weights } {
  const net = buildNetwork(getSpace('mobile'), PROXYLESS_MOBILE_LIKE, { name: 'proxyless-mobile-like' })
  return { net, weights: initWeights(net, 1) }
}

export function sampleInputs(net: Network, n: number, seed: number): Float32Array[] {
  const rng = createRng(seed)
  const count = net.input.shape.reduce((a, b) => a * b, 1)
  return Array.from({ length: n }, () => Float32Array.from({ length: count }, () => rng() * 2 - 1))
}
