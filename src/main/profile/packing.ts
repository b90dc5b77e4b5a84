// Packed probes: many block configurations in one TFLite file, timed per block from op profiling, so a whole
// table costs a few pushes and runs instead of one per block.
//
// A probe is a chain: each block reads the previous block's output where the shapes match (as in a real network,
// so a block is timed with its input warm in cache, as it runs in a network). Where no remaining block takes the
// current shape, a 1x1 'adapter' conv (stride s, C' filters) bridges to one that does; adapter ops are timed but
// belong to no key. Adapters only shrink a map, so where a chain has gone below every remaining block's input, the
// probe starts another chain from a tensor it already computed (its input or an earlier block's output) of a
// shape that leads on — the remaining stride-2 variants of a stage read the stage input the first one read — and
// every chain's end is a model output, so no branch is dead. The whole model is one XNNPACK partition, whose "Delegate internal" rows come one per XNNPACK
// operator in execution order; every layer of our blocks lowers to exactly one operator (activations are fused
// into the conv), so row i is layer i. attributeProbeOps checks that claim row by row (operator kind against layer
// op) and refuses the probe otherwise, so a runtime that lowers differently cannot silently shift times.
import { LabError } from '../../shared/errors'
import type { OpTiming } from '../../shared/contract/measure'
import { INPUT_NAME, inferShapes, type Layer, type Network, type Shape } from '../model/ir'
import { blockLayers, type KeyedBlockConfig } from '../model/space'

export interface ProbeBlock {
  key: string
  /** Names of this block's layers in the probe. */
  layers: string[]
}

export interface Probe {
  network: Network
  blocks: ProbeBlock[]
  /** Owner of every layer in execution order: a key, or null for an adapter. */
  layerOwners: (string | null)[]
}

export interface PlanOptions {
  /**
   * Most blocks in one probe (bigger probes: fewer runs, more memory and a longer single run). Default 64: each
   * model the tool runs costs a fixed ~30 ms beyond its runs (push, start, load, parse), so fewer is faster;
   * probes are balanced (70 keys at most 64 → two probes of 35).
   */
  maxBlocksPerProbe?: number
}

const area = (s: Shape): number => (s.length === 3 ? s[0] * s[1] : 0)
const sameShape = (a: Shape, b: Shape): boolean => a.length === b.length && a.every((d, i) => d === b[i])

/** The stride of a 1x1 'same' conv taking a [H,W,·] map to [H',W',·], or null when none does. */
export function adapterStride(from: Shape, to: Shape): number | null {
  if (from.length !== 3 || to.length !== 3) return null
  for (let s = 1; s <= Math.max(from[0], from[1]); s++) {
    if (Math.ceil(from[0] / s) === to[0] && Math.ceil(from[1] / s) === to[1]) return s
    if (Math.ceil(from[0] / s) < to[0]) break
  }
  return null
}

/** Split configurations into chained probes; every configuration lands in exactly one probe. */
export function planProbes(configs: readonly KeyedBlockConfig[], options: PlanOptions = {}): Probe[] {
  const most = Math.max(1, options.maxBlocksPerProbe ?? 64)
  const maxBlocks = Math.ceil(configs.length / Math.max(1, Math.ceil(configs.length / most)))
  // Largest inputs first: chains run from high resolution down, as networks do.
  const remaining = [...configs].sort((a, b) => area(b.config.inShape) - area(a.config.inShape))
  const probes: Probe[] = []
  while (remaining.length > 0) {
    const first = remaining.shift() as KeyedBlockConfig
    const n = probes.length
    const layers: Layer[] = []
    const owners: (string | null)[] = []
    const blocks: ProbeBlock[] = []
    let current = INPUT_NAME
    let shape: Shape = first.config.inShape
    /** Maps this probe has computed (its input, every block's output): where a new chain may start. */
    const available: { name: string; shape: Shape }[] = [{ name: INPUT_NAME, shape }]
    const ends: string[] = []
    const addBlock = (c: KeyedBlockConfig): void => {
      const b = blockLayers(c.config, `p${n}b${blocks.length}`, current)
      layers.push(...b.layers)
      owners.push(...b.layers.map(() => c.key))
      blocks.push({ key: c.key, layers: b.layers.map((l) => l.name) })
      current = b.output
      shape = c.config.kind === 'logits' ? [c.config.classes] : c.config.outShape
      if (shape.length === 3) available.push({ name: current, shape })
    }
    const bridge = (stride: number | null, to: Shape): void => {
      if (stride === null) return
      const name = `p${n}a${blocks.length}`
      layers.push({ name, op: 'conv2d', inputs: [current], filters: to[2], kernel: [1, 1], strides: [stride, stride], padding: 'same', activation: 'none', useBias: true, group: 'adapter' })
      owners.push(null)
      current = name
    }
    addBlock(first)
    while (blocks.length < maxBlocks && remaining.length > 0) {
      const pick = shape.length === 3 ? pickNext(remaining, shape) : null
      if (pick) {
        remaining.splice(remaining.indexOf(pick.config), 1)
        bridge(pick.stride, pick.config.config.inShape)
        addBlock(pick.config)
        continue
      }
      const restart = pickRestart(remaining, available)
      if (!restart) break
      remaining.splice(remaining.indexOf(restart.config), 1)
      ends.push(current)
      current = restart.from.name
      shape = restart.from.shape
      bridge(restart.stride, restart.config.config.inShape)
      addBlock(restart.config)
    }
    ends.push(current)
    const network: Network = { name: `probe-${n}`, input: { shape: [...first.config.inShape], dtype: 'float32' }, layers, outputs: ends }
    inferShapes(network)
    probes.push({ network, blocks, layerOwners: owners })
  }
  return probes
}

/**
 * A new chain inside the probe: the remaining block (largest input first, the classifier last) that reads a map the
 * probe already has, exactly or through an adapter, preferring an exact match anywhere over any adapter.
 */
function pickRestart(
  remaining: readonly KeyedBlockConfig[],
  available: readonly { name: string; shape: Shape }[]
): { config: KeyedBlockConfig; from: { name: string; shape: Shape }; stride: number | null } | null {
  for (const wantLogits of [false, true]) {
    const pool = remaining.filter((c) => (c.config.kind === 'logits') === wantLogits)
    for (const c of pool) {
      const from = available.find((a) => sameShape(a.shape, c.config.inShape))
      if (from) return { config: c, from, stride: null }
    }
    for (const c of pool) {
      if (c.config.kind === 'conv' && c.config.name === 'Conv') continue
      for (const from of available) {
        const stride = adapterStride(from.shape, c.config.inShape)
        if (stride !== null) return { config: c, from, stride }
      }
    }
  }
  return null
}

/** The next block: an exact shape match, else one an adapter reaches (largest input first); the classifier last. */
function pickNext(remaining: readonly KeyedBlockConfig[], shape: Shape): { config: KeyedBlockConfig; stride: number | null } | null {
  for (const wantLogits of [false, true]) {
    const pool = remaining.filter((c) => (c.config.kind === 'logits') === wantLogits)
    const exact = pool.find((c) => sameShape(c.config.inShape, shape))
    if (exact) return { config: exact, stride: null }
    for (const c of pool) {
      // The stem reads the 3-channel picture; bridging to it would time a conv on an adapter's output, which is fine,
      // but keep it at a probe's start so its input is a real graph input as in a network.
      if (c.config.kind === 'conv' && c.config.name === 'Conv') continue
      const stride = adapterStride(shape, c.config.inShape)
      if (stride !== null) return { config: c, stride }
    }
  }
  return null
}

// ---------------------------------------------------------------- attribution

const DELEGATE_KIND: Record<string, RegExp> = {
  conv2d: /^Convolution \(.*\) (?!DWConv)/,
  // Usually DWConv; this XNNPACK build runs a 7x7 depthwise as an IGEMM convolution, still one operator.
  depthwise_conv2d: /^Convolution \(/,
  add: /^Add \(/,
  mean: /(Average Pooling|Mean|Reduce)/,
  dense: /^Fully Connected/
}
const TFLITE_KIND: Record<string, RegExp> = {
  conv2d: /^CONV_2D$/,
  depthwise_conv2d: /^DEPTHWISE_CONV_2D$/,
  add: /^ADD$/,
  mean: /^MEAN$/,
  dense: /^FULLY_CONNECTED$/
}

/**
 * The operator a row stands for: the benchmark tool prints delegate rows with node type 'DelegateOpInvoke' and the
 * operator in the name ('Delegate/Convolution (NHWC, F32) GEMM:5'); the host parser already puts it in nodeType.
 */
export function operatorName(row: OpTiming): string {
  const m = row.source === 'delegate' ? /^Delegate\/(.*):\d+$/.exec(row.name) : null
  return m ? m[1] : row.nodeType
}

/** Steady-state time of one op: the tool's average includes the first run (weight packing), so take it out. */
export function steadyOpMs(op: OpTiming): number {
  const n = op.timesCalled ?? 0
  if (n > 1 && op.firstMs !== null) return Math.max(0, (op.avgMs * n - op.firstMs) / (n - 1))
  return op.avgMs
}

export interface ProbeAttribution {
  /** Steady ms per key (sum of its operators). */
  blockMs: Map<string, number>
  adapterMs: number
  /** Sum over every operator of the probe. */
  opsMs: number
}

/**
 * Per-block times of a probe from its profiled ops: the delegate's per-operator rows when present (XNNPACK),
 * else the interpreter's per-node rows. Throws when the rows do not line up with the probe's layers.
 */
export function attributeProbeOps(probe: Probe, ops: readonly OpTiming[]): ProbeAttribution {
  const delegateRows = ops.filter((o) => o.source === 'delegate')
  const rows = delegateRows.length > 0 ? delegateRows : ops.filter((o) => o.source === 'tflite')
  const kinds = delegateRows.length > 0 ? DELEGATE_KIND : TFLITE_KIND
  const layers = probe.network.layers
  if (rows.length !== layers.length) {
    throw new LabError(
      'internal',
      `Probe ${probe.network.name} has ${layers.length} layers but the op profile has ${rows.length} ${delegateRows.length ? 'delegate' : 'interpreter'} rows, so per-block times cannot be told apart; profile this device per block (--per-block).`
    )
  }
  const blockMs = new Map<string, number>()
  let adapterMs = 0
  let opsMs = 0
  rows.forEach((row, i) => {
    const layer = layers[i]
    const kind = kinds[layer.op]
    const opName = operatorName(row)
    if (!kind || !kind.test(opName)) {
      throw new LabError(
        'internal',
        `Probe ${probe.network.name}: op ${i + 1} is "${opName}" where layer ${layer.name} (${layer.op}) was expected, so per-block times cannot be trusted; profile this device per block (--per-block).`
      )
    }
    const ms = steadyOpMs(row)
    opsMs += ms
    const owner = probe.layerOwners[i]
    if (owner === null) adapterMs += ms
    else blockMs.set(owner, (blockMs.get(owner) ?? 0) + ms)
  })
  return { blockMs, adapterMs, opsMs }
}
