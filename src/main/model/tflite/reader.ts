// Reads a .tflite file (a FlatBuffer with root table Model) into plain objects, without generated code.
// The file is untrusted: every offset and length is checked before use, and the total work is bounded, so a
// corrupt or hostile file ends in LabError('invalid_file') rather than a crash, a hang or a huge allocation.
import { ByteBuffer } from 'flatbuffers'
import { LabError } from '../../../shared/errors'
import {
  ACTIVATION_NAMES, OptionsType, PADDING_NAMES, TENSOR_TYPE_BYTES, TFLITE_FILE_IDENTIFIER, builtinOpName, tensorTypeName
} from './schema'

export interface TfliteQuantization {
  scales: number[]
  zeroPoints: number[]
  quantizedDimension: number
  min: number[]
  max: number[]
}

export interface TfliteTensorInfo {
  index: number
  name: string
  shape: number[]
  /** -1 marks a dynamic dimension; null when the file has no shape_signature. */
  shapeSignature: number[] | null
  /** 'float32', 'int8', ... (see schema.ts). */
  type: string
  typeCode: number
  buffer: number
  /** Bytes of constant data in the tensor's buffer (0 for activations). */
  dataBytes: number
  quantization: TfliteQuantization | null
  isVariable: boolean
}

export type TfliteOptions = Record<string, number | boolean | string | number[]>

export interface TfliteOperatorInfo {
  index: number
  opcodeIndex: number
  /** Builtin name such as 'CONV_2D', or the custom code for CUSTOM ops. */
  opName: string
  builtinCode: number
  customCode: string | null
  version: number
  /** Tensor indices; -1 marks an optional input left out. */
  inputs: number[]
  outputs: number[]
  builtinOptionsType: number
  /** Decoded builtin options for the ops the lab writes (conv, pools, FC, softmax, ...); null otherwise. */
  options: TfliteOptions | null
}

export interface TfliteSubgraphInfo {
  name: string
  tensors: TfliteTensorInfo[]
  inputs: number[]
  outputs: number[]
  operators: TfliteOperatorInfo[]
}

export interface TfliteOperatorCode {
  /** max(deprecated_builtin_code, builtin_code). */
  builtinCode: number
  name: string
  customCode: string | null
  version: number
}

export interface TfliteBufferInfo {
  index: number
  sizeBytes: number
  /** Absolute position of the data in the file, or null when the buffer is empty. */
  dataOffset: number | null
  /** True when the data sits after the flatbuffer (the >2 GB offset/size form). */
  external: boolean
}

export interface TfliteTensorMap {
  name: string
  tensorIndex: number
}

export interface TfliteSignatureDef {
  key: string
  subgraphIndex: number
  inputs: TfliteTensorMap[]
  outputs: TfliteTensorMap[]
}

export interface TfliteOpSummary {
  name: string
  version: number
  count: number
}

export interface TfliteModelInfo {
  version: number
  description: string
  fileBytes: number
  operatorCodes: TfliteOperatorCode[]
  subgraphs: TfliteSubgraphInfo[]
  buffers: TfliteBufferInfo[]
  signatureDefs: TfliteSignatureDef[]
  metadata: { name: string; buffer: number }[]
  /** Bytes of constant tensor data by tensor type (each buffer counted once). */
  constantBytesByType: Record<string, number>
  /** Every (op, version) used in any subgraph with its count, sorted by name then version. */
  ops: TfliteOpSummary[]
}

function invalid(why: string): LabError {
  return new LabError('invalid_file', `This file is not a valid TFLite model: ${why}.`)
}

interface TableRef {
  pos: number
  vtable: number
  vtableBytes: number
  objectBytes: number
}

const MAX_NAME_BYTES = 1 << 20

/** Bounds-checked FlatBuffer access over untrusted bytes. */
class SafeFlatBuffer {
  private readonly bb: ByteBuffer
  private readonly size: number
  /** Vector elements and tables left to visit; shared sub-objects could otherwise make the work quadratic. */
  private budget: number
  private readonly decoder = new TextDecoder('utf-8', { fatal: false })

  constructor(bytes: Uint8Array) {
    this.bb = new ByteBuffer(bytes)
    this.size = bytes.length
    this.budget = 4 * bytes.length + 100_000
  }

  spend(n: number): void {
    this.budget -= n
    if (this.budget < 0) throw invalid('it refers to the same data too many times (work limit exceeded)')
  }

  need(pos: number, n: number, what: string): void {
    if (!Number.isInteger(pos) || pos < 0 || n < 0 || pos + n > this.size) throw invalid(`${what} lies outside the file`)
  }

  u8(pos: number): number { this.need(pos, 1, 'a byte field'); return this.bb.readUint8(pos) }
  i8(pos: number): number { this.need(pos, 1, 'a byte field'); return this.bb.readInt8(pos) }
  u16(pos: number): number { this.need(pos, 2, 'a 16-bit field'); return this.bb.readUint16(pos) }
  i32(pos: number): number { this.need(pos, 4, 'a 32-bit field'); return this.bb.readInt32(pos) }
  u32(pos: number): number { this.need(pos, 4, 'a 32-bit field'); return this.bb.readUint32(pos) }
  f32(pos: number): number { this.need(pos, 4, 'a float field'); return this.bb.readFloat32(pos) }
  i64(pos: number): bigint { this.need(pos, 8, 'a 64-bit field'); return this.bb.readInt64(pos) }
  u64(pos: number): bigint { this.need(pos, 8, 'a 64-bit field'); return this.bb.readUint64(pos) }

  /** Follows a uoffset stored at pos. */
  deref(pos: number, what: string): number {
    const target = pos + this.u32(pos)
    this.need(target, 4, what)
    return target
  }

  table(pos: number, what: string): TableRef {
    this.spend(1)
    this.need(pos, 4, what)
    const vtable = pos - this.bb.readInt32(pos)
    this.need(vtable, 4, `the field table of ${what}`)
    const vtableBytes = this.bb.readUint16(vtable)
    const objectBytes = this.bb.readUint16(vtable + 2)
    if (vtableBytes < 4 || vtableBytes % 2 !== 0) throw invalid(`the field table of ${what} is malformed`)
    this.need(vtable, vtableBytes, `the field table of ${what}`)
    if (objectBytes < 4) throw invalid(`${what} is malformed`)
    this.need(pos, objectBytes, what)
    return { pos, vtable, vtableBytes, objectBytes }
  }

  /** Absolute position of field `id`, or 0 when absent; checks that `bytes` fit inside the object. */
  field(t: TableRef, id: number, bytes: number): number {
    const slot = 4 + 2 * id
    if (slot + 2 > t.vtableBytes) return 0
    const rel = this.bb.readUint16(t.vtable + slot)
    if (rel === 0) return 0
    if (rel + bytes > t.objectBytes) throw invalid('a field lies outside its table')
    return t.pos + rel
  }

  scalarU8(t: TableRef, id: number, dflt: number): number { const p = this.field(t, id, 1); return p ? this.u8(p) : dflt }
  scalarI8(t: TableRef, id: number, dflt: number): number { const p = this.field(t, id, 1); return p ? this.i8(p) : dflt }
  scalarI32(t: TableRef, id: number, dflt: number): number { const p = this.field(t, id, 4); return p ? this.i32(p) : dflt }
  scalarU32(t: TableRef, id: number, dflt: number): number { const p = this.field(t, id, 4); return p ? this.u32(p) : dflt }
  scalarF32(t: TableRef, id: number, dflt: number): number { const p = this.field(t, id, 4); return p ? this.f32(p) : dflt }
  scalarU64(t: TableRef, id: number): bigint { const p = this.field(t, id, 8); return p ? this.u64(p) : 0n }
  bool(t: TableRef, id: number, dflt: boolean): boolean { const p = this.field(t, id, 1); return p ? this.u8(p) !== 0 : dflt }

  /** A vector field: start of elements and length, or null when absent. */
  vector(t: TableRef, id: number, elemBytes: number, what: string): { start: number; length: number } | null {
    const p = this.field(t, id, 4)
    if (!p) return null
    const v = this.deref(p, what)
    const length = this.bb.readUint32(v)
    const start = v + 4
    if (length > (this.size - start) / elemBytes) throw invalid(`${what} is longer than the file`)
    this.spend(elemBytes === 1 ? 1 : length)
    return { start, length }
  }

  int32Vector(t: TableRef, id: number, what: string): number[] | null {
    const v = this.vector(t, id, 4, what)
    if (!v) return null
    const out = new Array<number>(v.length)
    for (let i = 0; i < v.length; i++) out[i] = this.bb.readInt32(v.start + 4 * i)
    return out
  }

  floatVector(t: TableRef, id: number, what: string): number[] {
    const v = this.vector(t, id, 4, what)
    if (!v) return []
    const out = new Array<number>(v.length)
    for (let i = 0; i < v.length; i++) out[i] = this.bb.readFloat32(v.start + 4 * i)
    return out
  }

  int64Vector(t: TableRef, id: number, what: string): number[] {
    const v = this.vector(t, id, 8, what)
    if (!v) return []
    const out = new Array<number>(v.length)
    for (let i = 0; i < v.length; i++) out[i] = Number(this.bb.readInt64(v.start + 8 * i))
    return out
  }

  /** Tables of a vector-of-tables field. */
  tableVector(t: TableRef, id: number, what: string): TableRef[] {
    const v = this.vector(t, id, 4, what)
    if (!v) return []
    const out: TableRef[] = new Array(v.length)
    for (let i = 0; i < v.length; i++) out[i] = this.table(this.deref(v.start + 4 * i, what), what)
    return out
  }

  string(t: TableRef, id: number, what: string): string | null {
    const p = this.field(t, id, 4)
    if (!p) return null
    const s = this.deref(p, what)
    const length = this.bb.readUint32(s)
    if (length > MAX_NAME_BYTES || s + 4 + length > this.size) throw invalid(`${what} is longer than the file`)
    this.spend(length >> 4)
    return this.decoder.decode(this.bb.bytes().subarray(s + 4, s + 4 + length))
  }

  subTable(t: TableRef, id: number, what: string): TableRef | null {
    const p = this.field(t, id, 4)
    return p ? this.table(this.deref(p, what), what) : null
  }
}

function checkIndex(value: number, count: number, what: string, allowMinusOne = false): number {
  if (allowMinusOne && value === -1) return value
  if (!Number.isInteger(value) || value < 0 || value >= count) throw invalid(`${what} ${value}, which does not exist`)
  return value
}

function readOptions(fb: SafeFlatBuffer, type: number, t: TableRef): TfliteOptions | null {
  const padding = (id: number): string => PADDING_NAMES[fb.scalarI8(t, id, 0)] ?? 'UNKNOWN'
  const act = (id: number): string => ACTIVATION_NAMES[fb.scalarI8(t, id, 0)] ?? 'UNKNOWN'
  switch (type) {
    case OptionsType.Conv2DOptions:
      return {
        padding: padding(0), strideW: fb.scalarI32(t, 1, 0), strideH: fb.scalarI32(t, 2, 0), activation: act(3),
        dilationW: fb.scalarI32(t, 4, 1), dilationH: fb.scalarI32(t, 5, 1)
      }
    case OptionsType.DepthwiseConv2DOptions:
      return {
        padding: padding(0), strideW: fb.scalarI32(t, 1, 0), strideH: fb.scalarI32(t, 2, 0),
        depthMultiplier: fb.scalarI32(t, 3, 0), activation: act(4), dilationW: fb.scalarI32(t, 5, 1),
        dilationH: fb.scalarI32(t, 6, 1)
      }
    case OptionsType.Pool2DOptions:
      return {
        padding: padding(0), strideW: fb.scalarI32(t, 1, 0), strideH: fb.scalarI32(t, 2, 0),
        filterWidth: fb.scalarI32(t, 3, 0), filterHeight: fb.scalarI32(t, 4, 0), activation: act(5)
      }
    case OptionsType.FullyConnectedOptions:
      return { activation: act(0), weightsFormat: fb.scalarI8(t, 1, 0), keepNumDims: fb.bool(t, 2, false) }
    case OptionsType.SoftmaxOptions:
      return { beta: fb.scalarF32(t, 0, 0) }
    case OptionsType.ConcatenationOptions:
      return { axis: fb.scalarI32(t, 0, 0), activation: act(1) }
    case OptionsType.AddOptions:
      return { activation: act(0) }
    case OptionsType.ReshapeOptions:
      return { newShape: fb.int32Vector(t, 0, 'a reshape shape') ?? [] }
    case OptionsType.ReducerOptions:
      return { keepDims: fb.bool(t, 0, false) }
    default:
      return null
  }
}

/** Parses a .tflite file. Throws LabError('invalid_file') with the reason when the bytes are not a valid model. */
export function readTflite(bytes: Uint8Array): TfliteModelInfo {
  try {
    return parseModel(bytes)
  } catch (e) {
    if (e instanceof LabError) throw e
    // A RangeError or similar from a path the checks missed still means the file is bad, not that the lab is.
    throw invalid(`it could not be decoded (${e instanceof Error ? e.message : String(e)})`)
  }
}

function parseModel(bytes: Uint8Array): TfliteModelInfo {
  if (bytes.length < 8) throw invalid('it is too short to be a FlatBuffer')
  const ident = String.fromCharCode(bytes[4], bytes[5], bytes[6], bytes[7])
  if (ident !== TFLITE_FILE_IDENTIFIER) throw invalid(`its file identifier is not "${TFLITE_FILE_IDENTIFIER}"`)
  const fb = new SafeFlatBuffer(bytes)
  const model = fb.table(fb.deref(0, 'the root table'), 'the root table')
  const version = fb.scalarU32(model, 0, 0)

  const buffers: TfliteBufferInfo[] = fb.tableVector(model, 4, 'the buffer list').map((b, index) => {
    const data = fb.vector(b, 0, 1, `buffer ${index}`)
    const offset = fb.scalarU64(b, 1)
    const size = fb.scalarU64(b, 2)
    if (offset > 1n) {
      if (offset + size > BigInt(bytes.length)) throw invalid(`the data of buffer ${index} lies outside the file`)
      return { index, sizeBytes: Number(size), dataOffset: Number(offset), external: true }
    }
    if (data && data.length > 0) return { index, sizeBytes: data.length, dataOffset: data.start, external: false }
    return { index, sizeBytes: 0, dataOffset: null, external: false }
  })

  const operatorCodes: TfliteOperatorCode[] = fb.tableVector(model, 1, 'the operator code list').map((c) => {
    const deprecated = fb.scalarI8(c, 0, 0)
    const builtin = fb.scalarI32(c, 3, 0)
    const builtinCode = Math.max(deprecated, builtin)
    const customCode = fb.string(c, 1, 'a custom op name')
    const opVersion = fb.scalarI32(c, 2, 1)
    return { builtinCode, name: builtinOpName(builtinCode), customCode, version: opVersion }
  })

  const subgraphs: TfliteSubgraphInfo[] = fb.tableVector(model, 2, 'the subgraph list').map((g, gi) => {
    const tensors: TfliteTensorInfo[] = fb.tableVector(g, 0, `the tensors of subgraph ${gi}`).map((t, index) => {
      const typeCode = fb.scalarI8(t, 1, 0)
      const buffer = fb.scalarU32(t, 2, 0)
      if (buffers.length > 0 || buffer !== 0) checkIndex(buffer, buffers.length, `tensor ${index} uses buffer`)
      const q = fb.subTable(t, 4, `the quantization of tensor ${index}`)
      let quantization: TfliteQuantization | null = null
      if (q) {
        const scales = fb.floatVector(q, 2, 'quantization scales')
        const zeroPoints = fb.int64Vector(q, 3, 'quantization zero points')
        const min = fb.floatVector(q, 0, 'quantization minimums')
        const max = fb.floatVector(q, 1, 'quantization maximums')
        const quantizedDimension = fb.scalarI32(q, 6, 0)
        if (scales.length > 0 || zeroPoints.length > 0 || min.length > 0) {
          quantization = { scales, zeroPoints, quantizedDimension, min, max }
        }
      }
      return {
        index,
        name: fb.string(t, 3, `the name of tensor ${index}`) ?? '',
        shape: fb.int32Vector(t, 0, `the shape of tensor ${index}`) ?? [],
        shapeSignature: fb.int32Vector(t, 7, `the shape signature of tensor ${index}`),
        type: tensorTypeName(typeCode),
        typeCode,
        buffer,
        dataBytes: buffers[buffer]?.sizeBytes ?? 0,
        quantization,
        isVariable: fb.bool(t, 5, false)
      }
    })
    const tensorIndex = (v: number, what: string, optional = false): number =>
      checkIndex(v, tensors.length, what, optional)
    const operators: TfliteOperatorInfo[] = fb.tableVector(g, 3, `the operators of subgraph ${gi}`).map((o, index) => {
      const opcodeIndex = checkIndex(fb.scalarU32(o, 0, 0), operatorCodes.length, `operator ${index} uses operator code`)
      const code = operatorCodes[opcodeIndex]
      const builtinOptionsType = fb.scalarU8(o, 3, 0)
      const optTable = builtinOptionsType !== 0 ? fb.subTable(o, 4, `the options of operator ${index}`) : null
      return {
        index,
        opcodeIndex,
        opName: code.customCode !== null && code.builtinCode === 32 ? code.customCode : code.name,
        builtinCode: code.builtinCode,
        customCode: code.customCode,
        version: code.version,
        inputs: (fb.int32Vector(o, 1, `the inputs of operator ${index}`) ?? []).map((v) =>
          tensorIndex(v, `operator ${index} reads tensor`, true)),
        outputs: (fb.int32Vector(o, 2, `the outputs of operator ${index}`) ?? []).map((v) =>
          tensorIndex(v, `operator ${index} writes tensor`)),
        builtinOptionsType,
        options: optTable ? readOptions(fb, builtinOptionsType, optTable) : null
      }
    })
    return {
      name: fb.string(g, 4, `the name of subgraph ${gi}`) ?? '',
      tensors,
      inputs: (fb.int32Vector(g, 1, 'the subgraph inputs') ?? []).map((v) => tensorIndex(v, 'a subgraph input is tensor')),
      outputs: (fb.int32Vector(g, 2, 'the subgraph outputs') ?? []).map((v) => tensorIndex(v, 'a subgraph output is tensor')),
      operators
    }
  })
  if (subgraphs.length === 0) throw invalid('it has no subgraph')

  const signatureDefs: TfliteSignatureDef[] = fb.tableVector(model, 7, 'the signature list').map((s) => {
    const subgraphIndex = checkIndex(fb.scalarU32(s, 4, 0), subgraphs.length, 'a signature uses subgraph')
    const maps = (id: number): TfliteTensorMap[] =>
      fb.tableVector(s, id, 'a signature tensor list').map((m) => ({
        name: fb.string(m, 0, 'a signature tensor name') ?? '',
        tensorIndex: checkIndex(fb.scalarU32(m, 1, 0), subgraphs[subgraphIndex].tensors.length, 'a signature names tensor')
      }))
    return { key: fb.string(s, 2, 'a signature key') ?? '', subgraphIndex, inputs: maps(0), outputs: maps(1) }
  })

  const metadata = fb.tableVector(model, 6, 'the metadata list').map((m) => ({
    name: fb.string(m, 0, 'a metadata name') ?? '',
    buffer: checkIndex(fb.scalarU32(m, 1, 0), buffers.length, 'a metadata entry uses buffer')
  }))

  const constantBytesByType: Record<string, number> = {}
  const counted = new Set<number>()
  for (const g of subgraphs) {
    for (const t of g.tensors) {
      if (t.dataBytes === 0 || counted.has(t.buffer)) continue
      counted.add(t.buffer)
      constantBytesByType[t.type] = (constantBytesByType[t.type] ?? 0) + t.dataBytes
    }
  }

  const opCounts = new Map<string, TfliteOpSummary>()
  for (const g of subgraphs) {
    for (const o of g.operators) {
      const key = `${o.opName}\u0000${o.version}`
      const entry = opCounts.get(key)
      if (entry) entry.count++
      else opCounts.set(key, { name: o.opName, version: o.version, count: 1 })
    }
  }
  const ops = [...opCounts.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.version - b.version))

  return {
    version,
    description: fb.string(model, 3, 'the model description') ?? '',
    fileBytes: bytes.length,
    operatorCodes,
    subgraphs,
    buffers,
    signatureDefs,
    metadata,
    constantBytesByType,
    ops
  }
}

/** The constant bytes of a buffer (a view into `bytes`, empty when the buffer has no data). */
export function tfliteBufferData(bytes: Uint8Array, info: TfliteModelInfo, bufferIndex: number): Uint8Array {
  const b = info.buffers[bufferIndex]
  if (!b || b.dataOffset === null) return new Uint8Array(0)
  return bytes.subarray(b.dataOffset, b.dataOffset + b.sizeBytes)
}

/** Bytes per element of a tensor type, or null when it has no fixed size. */
export function tensorTypeBytes(type: string): number | null {
  return TENSOR_TYPE_BYTES[type] ?? null
}
