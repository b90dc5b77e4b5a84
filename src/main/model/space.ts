// Search spaces in the style of ProxylessNAS: a fixed stem, a fixed MBConv1 block, searchable MBConv positions
// (kernel 3/5/7 x expand 3/6, or 'zero' = skip where the shape allows), a 1x1 head conv, a mean and a classifier.
// Every network and every lookup-table key comes from here, so the profiler and the search agree on names.
import { LabError } from '../../shared/errors'
import { INPUT_NAME, inferShapes, mbconvLayers, type Layer, type Network, type Shape } from './ir'
import { randomInt, type Rng } from './rng'

export const MBCONV_OPS = ['k3e3', 'k3e6', 'k5e3', 'k5e6', 'k7e3', 'k7e6'] as const
export type MBConvOp = (typeof MBCONV_OPS)[number]
export type BlockOp = MBConvOp | 'zero'
export const BLOCK_OPS: readonly BlockOp[] = [...MBCONV_OPS, 'zero']

/** One op choice per searchable block, in order. */
export type Architecture = BlockOp[]

export type SpaceName = 'mobile' | 'small'
export const SPACE_NAMES: readonly SpaceName[] = ['mobile', 'small']

/** Named inputs for the small space. */
export type SmallInput = 'fashion-mnist' | 'cifar10'
const SMALL_INPUTS: Record<SmallInput, Shape> = { 'fashion-mnist': [28, 28, 1], cifar10: [32, 32, 3] }

export interface SpaceOptions {
  /** Channel width multiplier; widths are rounded to multiples of 8 as ProxylessNAS does. Default 1. */
  widthMult?: number
  /** Classifier outputs. Default 1000 for mobile, 10 for small. */
  classes?: number
  /** Input of the small space (ignored by mobile, which is 224x224x3). Default 'fashion-mnist'. */
  input?: SmallInput
  /** Stem stride of the small space (ignored by mobile): 1 keeps full resolution, 2 trains about 4x faster. Default 1. */
  stemStride?: 1 | 2
}

export interface SearchableBlock {
  /** 0-based position in the architecture. */
  index: number
  /** 0-based stage and position inside it. */
  stage: number
  indexInStage: number
  inShape: Shape
  outShape: Shape
  stride: number
  /** Allowed ops here; 'zero' only where stride is 1 and widths match (so the shortcut carries the input). */
  candidates: BlockOp[]
}

export interface FixedConv {
  filters: number
  kernel: number
  stride: number
  inShape: Shape
  outShape: Shape
}

export interface SearchSpace {
  name: SpaceName
  /** A sentence for people: what the space is and why it is shaped so. */
  description: string
  inputShape: Shape
  classes: number
  widthMult: number
  /** The options that produced this space, so it can be resolved again with other widths or classes. */
  options: Required<SpaceOptions>
  /** 3x3 conv with relu6 ("Conv" in lookup tables). */
  stem: FixedConv
  /** Fixed MBConv1 k3 block after the stem (expand 1, no shortcut). */
  firstBlock: { expand: 1; kernel: 3; stride: 1; inShape: Shape; outShape: Shape }
  blocks: SearchableBlock[]
  /** 1x1 conv with relu6 before pooling ("Conv_1"). */
  head: FixedConv
  /** Global mean + dense ("Logits"). */
  classifier: { inShape: Shape; classes: number }
}

/** ProxylessNAS/MobileNetV2 rounding: nearest multiple of 8, never below 8 nor more than 10% below the value. */
export function makeDivisible(value: number, divisor = 8): number {
  let v = Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor)
  if (v < 0.9 * value) v += divisor
  return v
}

interface SpaceRecipe {
  description: string
  inputShape: Shape
  stem: { filters: number; stride: number }
  firstBlockWidth: number
  stages: { width: number; depth: number; stride: number }[]
  headWidth: number
  /** Whether the head width scales with widthMult below 1 (ProxylessNAS keeps 1280 unless widening). */
  headScalesDown: boolean
}

const MOBILE_RECIPE: SpaceRecipe = {
  description:
    'ProxylessNAS mobile space: 224x224x3, stem 3x3 s2 32, MBConv1 16, six stages (24,40,80,96,192,320 wide; 4,4,4,4,4,1 deep; strides 2,2,2,1,2,1), 1x1 conv 1280, mean, dense. 21 searchable blocks.',
  inputShape: [224, 224, 3],
  stem: { filters: 32, stride: 2 },
  firstBlockWidth: 16,
  stages: [
    { width: 24, depth: 4, stride: 2 },
    { width: 40, depth: 4, stride: 2 },
    { width: 80, depth: 4, stride: 2 },
    { width: 96, depth: 4, stride: 1 },
    { width: 192, depth: 4, stride: 2 },
    { width: 320, depth: 1, stride: 1 }
  ],
  headWidth: 1280,
  headScalesDown: false
}

// Small space: sized to train in minutes on 2 CPU cores with tfjs-wasm. Stem stride 1 keeps the 28x28 detail of
// Fashion-MNIST; three stride-2 stages bring it to 4x4 (28→14→7→4; 32→16→8→4). 7 searchable blocks, 4 may skip.
function smallRecipe(input: SmallInput, stemStride: 1 | 2): SpaceRecipe {
  const shape = SMALL_INPUTS[input]
  return {
    description: `Small space for ${shape.join('x')} inputs: stem 3x3 s${stemStride} 16, MBConv1 16, three stages (24,40,80 wide; 2,3,2 deep; all stride 2), 1x1 conv 160, mean, dense. 7 searchable blocks.`,
    inputShape: shape,
    stem: { filters: 16, stride: stemStride },
    firstBlockWidth: 16,
    stages: [
      { width: 24, depth: 2, stride: 2 },
      { width: 40, depth: 3, stride: 2 },
      { width: 80, depth: 2, stride: 2 }
    ],
    headWidth: 160,
    headScalesDown: true
  }
}

function resolve(name: SpaceName, recipe: SpaceRecipe, options: Required<SpaceOptions>): SearchSpace {
  const w = options.widthMult
  const width = (c: number): number => makeDivisible(c * w)
  const spatial = (s: Shape, stride: number): [number, number] => [Math.ceil(s[0] / stride), Math.ceil(s[1] / stride)]

  const stemOut: Shape = [...spatial(recipe.inputShape, recipe.stem.stride), width(recipe.stem.filters)]
  const stem: FixedConv = { filters: stemOut[2], kernel: 3, stride: recipe.stem.stride, inShape: [...recipe.inputShape], outShape: stemOut }
  const firstOut: Shape = [stemOut[0], stemOut[1], width(recipe.firstBlockWidth)]
  const blocks: SearchableBlock[] = []
  let shape = firstOut
  recipe.stages.forEach((st, stage) => {
    for (let i = 0; i < st.depth; i++) {
      const stride = i === 0 ? st.stride : 1
      const outShape: Shape = [...spatial(shape, stride), width(st.width)]
      const canSkip = stride === 1 && shape[2] === outShape[2] && i > 0
      blocks.push({ index: blocks.length, stage, indexInStage: i, inShape: shape, outShape, stride, candidates: canSkip ? [...BLOCK_OPS] : [...MBCONV_OPS] })
      shape = outShape
    }
  })
  const headFilters = w > 1 || recipe.headScalesDown ? width(recipe.headWidth) : recipe.headWidth
  const headOut: Shape = [shape[0], shape[1], headFilters]
  return {
    name,
    description: recipe.description,
    inputShape: [...recipe.inputShape],
    classes: options.classes,
    widthMult: w,
    options,
    stem,
    firstBlock: { expand: 1, kernel: 3, stride: 1, inShape: stemOut, outShape: firstOut },
    blocks,
    head: { filters: headFilters, kernel: 1, stride: 1, inShape: shape, outShape: headOut },
    classifier: { inShape: headOut, classes: options.classes }
  }
}

/** A search space by name, resolved to concrete shapes for the given width and classes. */
export function getSpace(name: string, opts: SpaceOptions = {}): SearchSpace {
  const widthMult = opts.widthMult ?? 1
  if (!(widthMult > 0 && widthMult <= 4)) throw new LabError('bad_request', `Width multiplier must be in (0, 4], got ${widthMult}.`, 'widthMult')
  const input = opts.input ?? 'fashion-mnist'
  const stemStride = opts.stemStride ?? 1
  if (stemStride !== 1 && stemStride !== 2) throw new LabError('bad_request', `Stem stride must be 1 or 2, got ${String(stemStride)}.`, 'stemStride')
  if (!(input in SMALL_INPUTS)) throw new LabError('bad_request', `Unknown input "${input}" for the small space; choose ${Object.keys(SMALL_INPUTS).join(' or ')}.`, 'input')
  if (name === 'mobile') {
    const classes = opts.classes ?? 1000
    checkClasses(classes)
    return resolve('mobile', MOBILE_RECIPE, { widthMult, classes, input, stemStride })
  }
  if (name === 'small') {
    const classes = opts.classes ?? 10
    checkClasses(classes)
    return resolve('small', smallRecipe(input, stemStride), { widthMult, classes, input, stemStride })
  }
  throw new LabError('bad_request', `Unknown search space "${name}"; choose one of ${SPACE_NAMES.join(', ')}.`, 'space')
}

function checkClasses(classes: number): void {
  if (!Number.isInteger(classes) || classes < 2) throw new LabError('bad_request', `Classes must be a whole number of at least 2, got ${classes}.`, 'classes')
}

// ---------------------------------------------------------------- architectures

export function opParams(op: MBConvOp): { kernel: number; expand: number } {
  return { kernel: Number(op[1]), expand: Number(op[3]) }
}

/** Compact form, e.g. `k3e6-k5e3-zero-…`. */
export function architectureToString(arch: Architecture): string {
  return arch.join('-')
}

/** Parses the compact form and checks it against the space (length, op names, where 'zero' is allowed). */
export function parseArchitecture(space: SearchSpace, text: string): Architecture {
  const parts = text.trim().split('-').filter((p) => p.length > 0)
  return checkArchitecture(space, parts)
}

export function checkArchitecture(space: SearchSpace, ops: readonly string[]): Architecture {
  if (ops.length !== space.blocks.length) {
    throw new LabError('bad_request', `The ${space.name} space has ${space.blocks.length} searchable blocks, but the architecture names ${ops.length}.`, 'architecture')
  }
  ops.forEach((op, i) => {
    if (!(BLOCK_OPS as readonly string[]).includes(op)) {
      throw new LabError('bad_request', `Block ${i + 1}: unknown op "${op}"; choose one of ${BLOCK_OPS.join(', ')}.`, 'architecture')
    }
    const b = space.blocks[i]
    if (!b.candidates.includes(op as BlockOp)) {
      throw new LabError('bad_request', `Block ${i + 1} (stage ${b.stage + 1}, position ${b.indexInStage + 1}) cannot be "${op}": it changes the shape (stride ${b.stride}, ${b.inShape[2]}→${b.outShape[2]} channels), so it cannot be skipped.`, 'architecture')
    }
  })
  return [...ops] as Architecture
}

/** Uniform choice among each block's candidates. */
export function sampleArchitecture(space: SearchSpace, rng: Rng): Architecture {
  return space.blocks.map((b) => b.candidates[randomInt(rng, b.candidates.length)])
}

// ---------------------------------------------------------------- block configurations and lookup-table keys

export type BlockConfig =
  | { kind: 'mbconv'; inShape: Shape; outShape: Shape; expand: number; kernel: number; stride: number; idskip: boolean }
  /** A fixed conv: 'Conv' (stem) or 'Conv_1' (head), both relu6. */
  | { kind: 'conv'; name: 'Conv' | 'Conv_1'; inShape: Shape; outShape: Shape; kernel: number; stride: number }
  /** Global mean + dense classifier. */
  | { kind: 'logits'; inShape: Shape; classes: number }

const dims = (s: Shape): string => s.join('x')

/** The ProxylessNAS / OFA lookup-table key of a block configuration. */
export function blockKey(cfg: BlockConfig): string {
  switch (cfg.kind) {
    case 'mbconv':
      return `expanded_conv-input:${dims(cfg.inShape)}-output:${dims(cfg.outShape)}-expand:${cfg.expand}-kernel:${cfg.kernel}-stride:${cfg.stride}-idskip:${cfg.idskip ? 1 : 0}`
    case 'conv':
      return `${cfg.name}-input:${dims(cfg.inShape)}-output:${dims(cfg.outShape)}`
    case 'logits':
      return `Logits-input:${dims(cfg.inShape)}-output:${cfg.classes}`
  }
}

/** The configuration of a searchable block with a chosen op; null for 'zero' (it costs nothing). */
export function blockConfig(block: SearchableBlock, op: BlockOp): BlockConfig | null {
  if (op === 'zero') return null
  const { kernel, expand } = opParams(op)
  const idskip = block.candidates.includes('zero')
  return { kind: 'mbconv', inShape: block.inShape, outShape: block.outShape, expand, kernel, stride: block.stride, idskip }
}

/** The fixed layers' configurations: stem, first block, head, classifier. */
export function fixedBlockConfigs(space: SearchSpace): BlockConfig[] {
  const f = space.firstBlock
  return [
    { kind: 'conv', name: 'Conv', inShape: space.stem.inShape, outShape: space.stem.outShape, kernel: space.stem.kernel, stride: space.stem.stride },
    { kind: 'mbconv', inShape: f.inShape, outShape: f.outShape, expand: 1, kernel: 3, stride: 1, idskip: false },
    { kind: 'conv', name: 'Conv_1', inShape: space.head.inShape, outShape: space.head.outShape, kernel: 1, stride: 1 },
    { kind: 'logits', inShape: space.classifier.inShape, classes: space.classes }
  ]
}

export interface KeyedBlockConfig {
  key: string
  config: BlockConfig
  /** True for stem, first block, head and classifier. */
  fixed: boolean
}

/** Every DISTINCT configuration to measure: fixed layers first, then each searchable (block, op), deduplicated by key. */
export function enumerateBlockConfigs(space: SearchSpace): KeyedBlockConfig[] {
  const out = new Map<string, KeyedBlockConfig>()
  for (const config of fixedBlockConfigs(space)) out.set(blockKey(config), { key: blockKey(config), config, fixed: true })
  for (const b of space.blocks) {
    for (const op of b.candidates) {
      const config = blockConfig(b, op)
      if (config && !out.has(blockKey(config))) out.set(blockKey(config), { key: blockKey(config), config, fixed: false })
    }
  }
  return [...out.values()]
}

/** Lookup-table keys of every non-zero block of an architecture, including the fixed layers. */
export function architectureKeys(space: SearchSpace, arch: Architecture): string[] {
  const checked = checkArchitecture(space, arch)
  const fixed = fixedBlockConfigs(space)
  const keys = [blockKey(fixed[0]), blockKey(fixed[1])]
  space.blocks.forEach((b, i) => {
    const c = blockConfig(b, checked[i])
    if (c) keys.push(blockKey(c))
  })
  keys.push(blockKey(fixed[2]), blockKey(fixed[3]))
  return keys
}

// ---------------------------------------------------------------- IR construction

/** Layers of one block configuration, reading from `inputName`. */
export function blockLayers(cfg: BlockConfig, prefix: string, inputName: string): { layers: Layer[]; output: string } {
  const group = blockKey(cfg)
  switch (cfg.kind) {
    case 'mbconv': {
      const chain = mbconvLayers(prefix, inputName, cfg.inShape, { expand: cfg.expand, kernel: cfg.kernel, stride: cfg.stride, outChannels: cfg.outShape[2], idskip: cfg.idskip, group })
      return { layers: chain.layers, output: chain.output }
    }
    case 'conv':
      return {
        layers: [{ name: prefix, op: 'conv2d', inputs: [inputName], filters: cfg.outShape[2], kernel: [cfg.kernel, cfg.kernel], strides: [cfg.stride, cfg.stride], padding: 'same', activation: 'relu6', useBias: true, group }],
        output: prefix
      }
    case 'logits':
      return {
        layers: [
          { name: `${prefix}_pool`, op: 'mean', inputs: [inputName], axes: [1, 2], keepDims: false, group },
          { name: prefix, op: 'dense', inputs: [`${prefix}_pool`], units: cfg.classes, activation: 'none', useBias: true, group }
        ],
        output: prefix
      }
  }
}

/** A one-block network with the block's input shape, for measuring that block alone. */
export function blockNetwork(cfg: BlockConfig, name = blockKey(cfg)): Network {
  const { layers, output } = blockLayers(cfg, 'block', INPUT_NAME)
  return { name, input: { shape: [...cfg.inShape], dtype: 'float32' }, layers, outputs: [output] }
}

export interface BuildOptions {
  widthMult?: number
  classes?: number
  /** Append a softmax ('prob') after the logits, as a deployed classifier would. Default false (logits out). */
  softmax?: boolean
  name?: string
}

/**
 * The ModelIR network of an architecture. Layer names: 'stem', 'b0_*' (first block), 'b<i>_*' for searchable
 * block i (1-based), 'head', 'logits' (with 'logits_pool'), and 'prob' when softmax is asked for.
 */
export function buildNetwork(space: SearchSpace, arch: Architecture, opts: BuildOptions = {}): Network {
  const s =
    (opts.widthMult !== undefined && opts.widthMult !== space.widthMult) || (opts.classes !== undefined && opts.classes !== space.classes)
      ? getSpace(space.name, { ...space.options, widthMult: opts.widthMult ?? space.widthMult, classes: opts.classes ?? space.classes })
      : space
  const checked = checkArchitecture(s, arch)
  const fixed = fixedBlockConfigs(s)
  const layers: Layer[] = []
  const add = (cfg: BlockConfig, prefix: string, from: string): string => {
    const b = blockLayers(cfg, prefix, from)
    layers.push(...b.layers)
    return b.output
  }
  let x = add(fixed[0], 'stem', INPUT_NAME)
  x = add(fixed[1], 'b0', x)
  s.blocks.forEach((b, i) => {
    const cfg = blockConfig(b, checked[i])
    if (cfg) x = add(cfg, `b${i + 1}`, x)
  })
  x = add(fixed[2], 'head', x)
  x = add(fixed[3], 'logits', x)
  if (opts.softmax) {
    layers.push({ name: 'prob', op: 'softmax', inputs: [x], group: blockKey(fixed[3]) })
    x = 'prob'
  }
  const net: Network = {
    name: opts.name ?? `${s.name}-w${s.widthMult}-${architectureToString(checked)}`,
    input: { shape: [...s.inputShape], dtype: 'float32' },
    layers,
    outputs: [x]
  }
  inferShapes(net)
  return net
}
