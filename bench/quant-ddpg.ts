// HAQ agent cost: time per DDPG update (published settings: 2×300 actor/critic, batch 64) on the wasm and cpu
// backends, and time per search episode on a 20-layer synthetic deploy-space env (instant cost and accuracy, so
// the figures are the agent's own overhead), plus checkpoint size. Run: npx tsx bench/quant-ddpg.ts
import * as tf from '@tensorflow/tfjs'
import { prepareWasmBackend } from '../src/main/model/backend'
import { DdpgAgent } from '../src/main/quant/ddpg'
import { QuantEnv, STATE_DIM } from '../src/main/quant/env'
import type { QuantLayer } from '../src/main/quant/layers'
import { DEPLOY_SPACE, type QuantPolicy } from '../src/main/quant/precision'
import { runQuantSearch, type QuantSearchCheckpoint } from '../src/main/quant/search'

const LAYERS = 20

function syntheticLayers(n: number): QuantLayer[] {
  return Array.from({ length: n }, (_, i) => {
    const dw = i % 2 === 1
    const c = 16 * (1 + (i >> 2))
    return { name: `l${i}`, op: dw ? 'depthwise_conv2d' : 'conv2d', index: i, cIn: c, cOut: c, stride: i % 4 === 1 ? 2 : 1, kernel: dw ? 3 : 1, isDepthwise: dw, kernelParams: dw ? 9 * c : c * c, biasParams: c, inputHw: 1024 >> (i >> 2), macs: 0, channels: c }
  })
}

const costTable = { int8: 1, fp16: 1.6, fp32: 2.5, int16x8: 1.6 }
const penalty = { int8: 0.4, fp16: 0.02, fp32: 0, int16x8: 0.1 }
const latencyMs = (p: QuantPolicy): number => (p.kind === 'deploy' ? p.layers.reduce((s, l) => s + costTable[l.precision], 0) : 0)
const accuracy = (p: QuantPolicy): number => (p.kind === 'deploy' ? 90 - p.layers.reduce((s, l, i) => s + penalty[l.precision] * (i % 2 === 1 ? 2 : 0.5), 0) : 0)

function fillReplay(agent: DdpgAgent, n: number): void {
  for (let i = 0; i < n; i++) {
    const s = Array.from({ length: STATE_DIM }, () => Math.random())
    agent.observe({ state: s, action: [Math.random()], reward: -Math.random(), nextState: s, done: i % LAYERS === LAYERS - 1 })
  }
}

async function updateMs(backend: 'wasm' | 'cpu', updates: number): Promise<number> {
  await tf.setBackend(backend)
  const agent = new DdpgAgent({ stateDim: STATE_DIM, replayCapacity: 128 * LAYERS })
  fillReplay(agent, 128 * LAYERS)
  agent.update() // creates the optimizer state
  const t0 = performance.now()
  for (let i = 0; i < updates; i++) agent.update()
  const ms = (performance.now() - t0) / updates
  agent.dispose()
  return ms
}

async function main(): Promise<void> {
  prepareWasmBackend()
  const wasmMs = await updateMs('wasm', 50)
  const cpuMs = await updateMs('cpu', 5)
  console.log(`DDPG update (2×300, batch 64): wasm ${wasmMs.toFixed(1)} ms, cpu ${cpuMs.toFixed(1)} ms (cpu/wasm ${(cpuMs / wasmMs).toFixed(1)}x)`)

  await tf.setBackend('wasm')
  const env = new QuantEnv(syntheticLayers(LAYERS), { space: DEPLOY_SPACE })
  const times: { warmup: boolean; ms: number }[] = []
  let last = performance.now()
  let checkpoint: QuantSearchCheckpoint | null = null
  const warmupEpisodes = 5
  const episodes = 15
  const result = await runQuantSearch({
    env, budget: 'latency:0.6', episodes, ddpg: { warmupEpisodes }, checkpointEvery: 1000,
    cost: async (p) => ({ latencyMs: latencyMs(p), sizeBytes: 0 }), evaluate: async (p) => accuracy(p),
    onEpisode: (r) => {
      const now = performance.now()
      times.push({ warmup: r.warmup, ms: now - last })
      last = now
    },
    onCheckpoint: (cp) => {
      checkpoint = cp
    }
  })
  const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length
  const warm = mean(times.filter((t) => t.warmup).slice(1).map((t) => t.ms))
  const trained = mean(times.filter((t) => !t.warmup).map((t) => t.ms))
  console.log(`Episode on a ${LAYERS}-layer env (wasm, instant cost/accuracy): warm-up ${warm.toFixed(1)} ms, with ${LAYERS} updates ${trained.toFixed(0)} ms`)
  console.log(`600 HAQ episodes (20 warm-up) ≈ ${((20 * warm + 580 * trained) / 60000).toFixed(1)} min of agent time, before any fine-tuning or measurement`)
  const json = JSON.stringify(checkpoint)
  console.log(`Checkpoint after ${result.episodes.length} episodes: ${(json.length / 1e6).toFixed(2)} MB of JSON`)
}

void main()
