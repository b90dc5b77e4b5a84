import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { Builder } from 'flatbuffers'
import { describe, expect, it } from 'vitest'
import { LabError } from '../../../src/shared/errors'
import { initWeights, type Network } from '../../../src/main/model/ir'
import { readTflite, tfliteBufferData } from '../../../src/main/model/tflite/reader'
import { writeTflite } from '../../../src/main/model/tflite/writer'

const mediapipe = join(__dirname, '../../../node_modules/@mediapipe')
const faceBytes = new Uint8Array(readFileSync(join(mediapipe, 'face_detection/face_detection_short_range.tflite')))
const selfieBytes = new Uint8Array(readFileSync(join(mediapipe, 'selfie_segmentation/selfie_segmentation.tflite')))
const sparseBytes = new Uint8Array(readFileSync(join(mediapipe, 'face_detection/face_detection_full_range_sparse.tflite')))

function opList(bytes: Uint8Array): string[] {
  return readTflite(bytes).ops.map((o) => `${o.name}:v${o.version}x${o.count}`)
}

function expectInvalid(fn: () => unknown, pattern?: RegExp): void {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(LabError)
    expect((e as LabError).code).toBe('invalid_file')
    expect((e as LabError).message).toMatch(/^This file is not a valid TFLite model: /)
    if (pattern) expect((e as LabError).message).toMatch(pattern)
    return
  }
  throw new Error('expected an invalid_file error')
}

describe('readTflite on real files', () => {
  it('reads face_detection_short_range: ops, I/O, fp16 weights', () => {
    const m = readTflite(faceBytes)
    expect(m.version).toBe(3)
    expect(m.buffers[0].sizeBytes).toBe(0)
    expect(opList(faceBytes)).toEqual([
      'ADD:v1x16', 'CONCATENATION:v1x2', 'CONV_2D:v1x21', 'DEPTHWISE_CONV_2D:v1x16', 'DEQUANTIZE:v2x74',
      'MAX_POOL_2D:v1x3', 'PAD:v1x11', 'RELU:v1x17', 'RESHAPE:v1x4'
    ])
    const g = m.subgraphs[0]
    expect(g.inputs.map((i) => `${g.tensors[i].name}:${g.tensors[i].type}:${g.tensors[i].shape}`)).toEqual(['input:float32:1,128,128,3'])
    expect(g.outputs.map((i) => `${g.tensors[i].name}:${g.tensors[i].shape}`)).toEqual(['regressors:1,896,16', 'classificators:1,896,1'])
    expect(Object.keys(m.constantBytesByType).sort()).toEqual(['float16', 'int32'])
    expect(m.constantBytesByType.float16).toBeGreaterThan(200_000)
    const conv = g.operators.find((o) => o.opName === 'CONV_2D')!
    expect(conv.options).toMatchObject({ padding: expect.stringMatching(/SAME|VALID/), strideW: expect.any(Number) })
    // a fp16 weight buffer holds 2 bytes per element of its tensor
    const w = g.tensors.find((t) => t.type === 'float16')!
    expect(tfliteBufferData(faceBytes, m, w.buffer).length).toBe(2 * w.shape.reduce((a, b) => a * b, 1))
  })

  it('reads selfie_segmentation and names its custom op', () => {
    const m = readTflite(selfieBytes)
    expect(opList(selfieBytes)).toContain('Convolution2DTransposeBias:v1x1')
    expect(opList(selfieBytes)).toContain('HARD_SWISH:v1x11')
    const custom = m.operatorCodes.find((c) => c.customCode !== null)!
    expect(custom).toMatchObject({ builtinCode: 32, name: 'CUSTOM', customCode: 'Convolution2DTransposeBias' })
  })

  it('reads metadata names and ops of the converter-made sparse file', () => {
    const m = readTflite(sparseBytes)
    expect(m.metadata.map((x) => x.name)).toEqual(['min_runtime_version'])
    expect(opList(sparseBytes)).toContain('DENSIFY:v1x46')
    expect(opList(sparseBytes)).toContain('DEQUANTIZE:v3x182')
  })
})

describe('readTflite on broken files', () => {
  it('rejects empty, short and wrongly identified files', () => {
    expectInvalid(() => readTflite(new Uint8Array(0)), /too short/)
    expectInvalid(() => readTflite(new Uint8Array(7)), /too short/)
    const wrongId = faceBytes.slice()
    wrongId[7] = 0x34 // "TFL4"
    expectInvalid(() => readTflite(wrongId), /identifier/)
  })

  it('rejects a truncated file and a root offset past the end', () => {
    expectInvalid(() => readTflite(faceBytes.subarray(0, 1000)))
    const badRoot = faceBytes.slice()
    new DataView(badRoot.buffer).setUint32(0, 0xfffffff0, true)
    expectInvalid(() => readTflite(badRoot), /outside the file/)
  })
})

/** Mulberry32: a tiny seeded RNG so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

function mutate(src: Uint8Array, rand: () => number): Uint8Array {
  const pick = (n: number): number => Math.floor(rand() * n)
  const kind = pick(5)
  // most structure (root, vtables, tables, vectors' offsets) sits in the first and last parts of these files
  const pos = (): number => (rand() < 0.5 ? pick(Math.min(4096, src.length)) : src.length - 1 - pick(Math.min(65536, src.length)))
  if (kind === 0) {
    const out = src.slice()
    for (let k = 1 + pick(8); k > 0; k--) out[pos()] ^= 1 << pick(8)
    return out
  }
  if (kind === 1) return src.slice(0, pick(src.length))
  if (kind === 2) {
    const at = pos()
    const garbage = new Uint8Array(1 + pick(64)).map(() => pick(256))
    const out = new Uint8Array(src.length + garbage.length)
    out.set(src.subarray(0, at))
    out.set(garbage, at)
    out.set(src.subarray(at), at + garbage.length)
    return out
  }
  const out = src.slice()
  const at = pos() & ~3
  const huge = [0x7fffffff, 0xffffffff, 0x80000000, 0x0fffffff, src.length, src.length - 4][pick(6)]
  if (kind === 3) new DataView(out.buffer).setUint32(Math.min(at, out.length - 4), huge, true)
  else {
    // 16-bit vtable entries (field offsets and sizes) set huge
    new DataView(out.buffer).setUint16(Math.min(at + 2 * pick(2), out.length - 2), 0xffff - pick(8), true)
  }
  return out
}

/** A small int8 file from our writer: quantization tables and op options, densely packed. */
function writtenInt8(): Uint8Array {
  const net: Network = {
    name: 'fuzz', input: { shape: [6, 6, 2], dtype: 'float32' },
    layers: [
      { name: 'c', op: 'conv2d', inputs: ['input'], filters: 4, kernel: [3, 3], strides: [1, 1], padding: 'same', activation: 'relu6', useBias: true },
      { name: 'p', op: 'max_pool', inputs: ['c'], pool: [2, 2], strides: [2, 2], padding: 'valid' },
      { name: 'm', op: 'mean', inputs: ['p'], axes: [1, 2], keepDims: false },
      { name: 'd', op: 'dense', inputs: ['m'], units: 3, activation: 'none', useBias: true },
      { name: 's', op: 'softmax', inputs: ['d'] }
    ],
    outputs: ['s']
  }
  const calibration = [new Float32Array(72).map((_, i) => Math.sin(i))]
  return writeTflite(net, initWeights(net, 1), { precision: 'int8', calibration })
}

describe('readTflite fuzz', () => {
  it('parses or throws invalid_file for 10,000 mutations of real files and a written int8 file', () => {
    const rand = rng(20240601)
    const sources = [faceBytes, selfieBytes, writtenInt8()]
    let parsed = 0
    let rejected = 0
    for (let i = 0; i < 10_000; i++) {
      const bytes = mutate(sources[i % sources.length], rand)
      try {
        readTflite(bytes)
        parsed++
      } catch (e) {
        if (!(e instanceof LabError) || e.code !== 'invalid_file') throw new Error(`mutation ${i} gave ${String(e)}`)
        rejected++
      }
    }
    expect(parsed + rejected).toBe(10_000)
    expect(rejected).toBeGreaterThan(1000) // the mutations really do break files
    expect(parsed).toBeGreaterThan(100)
  })
})

describe('readTflite on hand-built files', () => {
  /** A minimal model: one float tensor, buffers given as [data?, offset?, size?] tables, optional shared-vector abuse. */
  function build(opts: { external?: { offset: bigint; size: bigint }; sharedTensors?: number; rank?: number }): Uint8Array {
    const b = new Builder(1024)
    const emptyBuf = (() => { b.startObject(3); return b.endObject() })()
    const buffers = [emptyBuf]
    if (opts.external) {
      b.startObject(3)
      b.addFieldInt64(1, opts.external.offset, 0n)
      b.addFieldInt64(2, opts.external.size, 0n)
      buffers.push(b.endObject())
    }
    const dims = opts.rank ? new Array<number>(opts.rank).fill(1) : [5, 2, 2, 1]
    b.startVector(4, dims.length, 4)
    for (const d of dims) b.addInt32(d)
    const shape = b.endVector()
    const name = b.createString('w')
    b.startObject(10)
    b.addFieldOffset(0, shape, 0)
    b.addFieldInt32(2, opts.external ? 1 : 0, 0)
    b.addFieldOffset(3, name, 0)
    const tensor = b.endObject()
    const n = opts.sharedTensors ?? 1
    b.startVector(4, n, 4)
    for (let i = 0; i < n; i++) b.addOffset(tensor) // every entry points at the same table
    const tensors = b.endVector()
    b.startObject(5)
    b.addFieldOffset(0, tensors, 0)
    const sg = b.endObject()
    b.startVector(4, 1, 4); b.addOffset(sg); const sgs = b.endVector()
    b.startVector(4, buffers.length, 4); for (let i = buffers.length - 1; i >= 0; i--) b.addOffset(buffers[i]); const bufs = b.endVector()
    b.startObject(8)
    b.addFieldInt32(0, 3, 0)
    b.addFieldOffset(2, sgs, 0)
    b.addFieldOffset(4, bufs, 0)
    b.finish(b.endObject(), 'TFL3')
    return b.asUint8Array().slice()
  }

  it('reads a buffer stored after the flatbuffer (the >2 GB offset/size form)', () => {
    const head = build({ external: { offset: 2n, size: 80n } })
    const offset = BigInt(head.length + 16)
    const file = new Uint8Array(Number(offset) + 80)
    file.set(build({ external: { offset, size: 80n } }))
    expect(build({ external: { offset, size: 80n } }).length).toBe(head.length) // same layout, only the values differ
    const m = readTflite(file)
    expect(m.buffers[1]).toEqual({ index: 1, sizeBytes: 80, dataOffset: Number(offset), external: true })
    expect(m.constantBytesByType).toEqual({ float32: 80 })
    expectInvalid(() => readTflite(file.subarray(0, file.length - 1)), /buffer 1 lies outside the file/)
  })

  it('stops on files whose tables are shared so often that reading them would take forever', () => {
    // 20,000 references to one tensor with a 2,000-long shape: 80 KB to store, 40 M numbers to read
    const ok = readTflite(build({ sharedTensors: 50 }))
    expect(ok.subgraphs[0].tensors).toHaveLength(50)
    const t0 = Date.now()
    expectInvalid(() => readTflite(build({ sharedTensors: 20_000, rank: 2000 })), /work limit/)
    expect(Date.now() - t0).toBeLessThan(20_000) // a sanity bound against a hang, not a timing figure
  })
})
