// Export an architecture of a search space as a real TFLite file: build the IR, initialise (or take) weights,
// write fp32/fp16/int8 or a per-layer mix. Used by the LabApi, the CLI and the profile/search jobs.
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import { LabError } from '../../shared/errors'
import type { ExportedModel, TfliteSummary } from '../../shared/contract/models'
import { networkCost } from './cost'
import { initWeights, type Network, type Weights } from './ir'
import { createRng } from './rng'
import { architectureToString, buildNetwork, getSpace, parseArchitecture, sampleArchitecture, type SmallInput, type SpaceName } from './space'
import { readTflite } from './tflite/reader'
import { writeTflite, type ExportPrecision, type LayerPrecision } from './tflite/writer'

/** 'fp32' | 'fp16' | 'int8' | 'mixed:PATTERN=P,…' (PATTERN is a layer name, '*' matches any run of characters). */
export function parsePrecisionSpec(spec: string, net: Network): ExportPrecision {
  if (spec === 'fp32' || spec === 'fp16' || spec === 'int8') return spec
  if (!spec.startsWith('mixed:')) throw new LabError('bad_request', `Unknown precision "${spec}": use fp32, fp16, int8 or mixed:LAYER=PRECISION,…`)
  const rules = spec
    .slice('mixed:'.length)
    .split(',')
    .map((rule) => {
      const [pattern, precision] = rule.split('=')
      const re = new RegExp('^' + pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*') + '$')
      return { pattern, re, precision: precision as LayerPrecision, used: false }
    })
  const perLayer: Record<string, LayerPrecision> = {}
  for (const layer of net.layers) {
    for (const rule of rules) {
      if (rule.re.test(layer.name)) {
        perLayer[layer.name] = rule.precision
        rule.used = true
      }
    }
  }
  const unused = rules.filter((r) => !r.used).map((r) => r.pattern)
  if (unused.length) {
    const names = net.layers.map((l) => l.name)
    throw new LabError('bad_request', `No layer matches ${unused.map((u) => `"${u}"`).join(', ')}; layers are named like ${names.slice(0, 6).join(', ')}, …`)
  }
  return { perLayer }
}

/** Sample inputs for int8 calibration when no dataset is given: seeded uniform [0,1) images. */
export function syntheticCalibration(net: Network, count: number, seed: number): Float32Array[] {
  const rng = createRng(seed)
  const size = net.input.shape.reduce((a, b) => a * b, 1)
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, () => rng()))
}

export function usesInt8(precision: ExportPrecision): boolean {
  return precision === 'int8' || (typeof precision === 'object' && Object.values(precision.perLayer).includes('int8'))
}

export interface ExportRequest {
  space: SpaceName
  arch: string
  precision: string
  input?: SmallInput
  widthMult?: number
  /** Small space: stride of the stem (1 when left out). */
  stemStride?: 1 | 2
  classes?: number
  seed: number
  softmax: boolean
  outPath?: string
  weights?: Weights
  calibration?: Float32Array[]
}

export function exportArchitecture(req: ExportRequest): { model: ExportedModel; bytes: Uint8Array } {
  const space = getSpace(req.space, { input: req.input, widthMult: req.widthMult, classes: req.classes, stemStride: req.stemStride })
  const arch = req.arch === 'random' ? sampleArchitecture(space, createRng(req.seed)) : parseArchitecture(space, req.arch)
  const net = buildNetwork(space, arch, { softmax: req.softmax })
  const notes: string[] = []
  const weights = req.weights ?? initWeights(net, req.seed)
  if (!req.weights) notes.push(`Weights are random (seed ${req.seed}): the file is right for measuring latency and energy, not for accuracy.`)
  const precision = parsePrecisionSpec(req.precision, net)
  let calibration = req.calibration
  if (usesInt8(precision) && !calibration) {
    calibration = syntheticCalibration(net, 4, req.seed)
    notes.push('int8 ranges were calibrated on 4 synthetic images; calibrate on real data for accuracy.')
  }
  const bytes = writeTflite(net, weights, { precision, calibration })
  const cost = networkCost(net)
  let outPath: string | null = null
  if (req.outPath) {
    outPath = path.resolve(req.outPath)
    fs.mkdirSync(path.dirname(outPath), { recursive: true })
    fs.writeFileSync(outPath, bytes)
  }
  return {
    bytes,
    model: {
      name: net.name,
      space: space.name,
      architecture: architectureToString(arch),
      precision: req.precision,
      fileBytes: bytes.length,
      sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
      macs: cost.totalMacs,
      params: cost.totalParams,
      path: outPath,
      base64: outPath ? null : Buffer.from(bytes).toString('base64'),
      notes
    }
  }
}

export function summarizeTflite(bytes: Uint8Array): TfliteSummary {
  const info = readTflite(bytes)
  const main = info.subgraphs[0]
  const tensorOf = (i: number) => main?.tensors[i]
  const io = (ids: number[]) =>
    ids.map((i) => {
      const t = tensorOf(i)
      return { name: t?.name ?? `#${i}`, shape: t?.shape ?? [], type: t?.type ?? 'unknown' }
    })
  return {
    fileBytes: bytes.length,
    sha256: crypto.createHash('sha256').update(bytes).digest('hex'),
    version: info.version,
    description: info.description,
    subgraphs: info.subgraphs.length,
    tensors: info.subgraphs.reduce((n, s) => n + s.tensors.length, 0),
    operators: info.subgraphs.reduce((n, s) => n + s.operators.length, 0),
    ops: info.ops,
    inputs: io(main?.inputs ?? []),
    outputs: io(main?.outputs ?? []),
    constantBytesByType: info.constantBytesByType,
    customOps: info.operatorCodes.filter((c) => c.customCode).map((c) => c.customCode as string)
  }
}
