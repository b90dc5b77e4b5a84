import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { LabError } from '../../../src/shared/errors'
import { HostRuntime, benchmarkTfliteOnHost, runTfliteOnHost } from '../../../src/main/devices/host/runtime'

const mediapipe = join(__dirname, '../../../node_modules/@mediapipe')
const face = new Uint8Array(readFileSync(join(mediapipe, 'face_detection/face_detection_short_range.tflite')))
const selfie = new Uint8Array(readFileSync(join(mediapipe, 'selfie_segmentation/selfie_segmentation.tflite')))

function image(seed: number): Float32Array {
  return new Float32Array(128 * 128 * 3).map((_, i) => Math.sin(i * 0.37 + seed))
}

describe('HostRuntime (real TFLite WASM in a worker)', () => {
  let rt: HostRuntime
  beforeAll(async () => {
    rt = await HostRuntime.start()
  })
  afterAll(async () => {
    await rt.close()
  })

  it('loads face_detection and runs it deterministically with the expected output shapes', async () => {
    const model = await rt.load(face)
    expect(model.inputs.map((t) => `${t.name}:${t.dataType}:${t.shape}`)).toEqual(['input:float32:1,128,128,3'])
    expect(model.outputs.map((t) => `${t.name}:${t.shape}`)).toEqual(['regressors:1,896,16', 'classificators:1,896,1'])
    const a = await model.run([image(1)])
    const b = await model.run([image(1)])
    const c = await model.run([image(2)])
    expect(a.map((x) => x.length)).toEqual([896 * 16, 896])
    expect(a[0]).toBeInstanceOf(Float32Array)
    expect(Array.from(b[0])).toEqual(Array.from(a[0]))
    expect(Array.from(b[1])).toEqual(Array.from(a[1]))
    expect(Array.from(c[0])).not.toEqual(Array.from(a[0]))
    expect(a[0].every(Number.isFinite)).toBe(true)
    await model.dispose()
    await expect(model.run([image(1)])).rejects.toMatchObject({ code: 'not_found' })
  })

  it('rejects wrong input sizes with a bad_request naming the input', async () => {
    const model = await rt.load(face)
    await expect(model.run([new Float32Array(10)])).rejects.toMatchObject({ code: 'bad_request', message: expect.stringContaining('"input"') })
    await expect(model.run([])).rejects.toMatchObject({ code: 'bad_request' })
    await model.dispose()
  })

  it('explains why selfie_segmentation does not load: the custom op', async () => {
    const err = await rt.load(selfie).then(() => null, (e: unknown) => e)
    expect(err).toBeInstanceOf(LabError)
    expect((err as LabError).code).toBe('invalid_file')
    expect((err as LabError).message).toContain('unresolved custom op: Convolution2DTransposeBias')
  })

  it('rejects a truncated file with the reader reason, and keeps working after it', async () => {
    await expect(rt.load(face.subarray(0, 4000))).rejects.toMatchObject({ code: 'invalid_file', message: expect.stringMatching(/^This file is not a valid TFLite model/) })
    const model = await rt.load(face)
    expect((await model.run([image(3)]))[1].length).toBe(896)
    await model.dispose()
  })

  it('benchmarks with sane statistics and per-op times from the profiler', async () => {
    const model = await rt.load(face)
    const r = await model.benchmark({ threads: 1, runs: 8, warmupRuns: 2, profileOps: true })
    expect(r.steady.count).toBe(8)
    expect(r.warmup.count).toBe(2)
    const s = r.steady
    expect(s.minMs!).toBeGreaterThan(0)
    expect(s.minMs!).toBeLessThanOrEqual(s.medianMs!)
    expect(s.medianMs!).toBeLessThanOrEqual(s.percentilesMs['90'])
    expect(s.percentilesMs['90']).toBeLessThanOrEqual(s.maxMs!)
    expect(s.meanMs).toBeGreaterThanOrEqual(s.minMs!)
    expect(s.meanMs).toBeLessThanOrEqual(s.maxMs!)
    expect(r.initMs).toBeGreaterThan(0)
    expect(r.firstMs).toBeGreaterThan(0)
    expect(r.opsSummaryText).toContain('Delegate internal:')
    const tflite = r.ops.filter((o) => o.source === 'tflite')
    const delegate = r.ops.filter((o) => o.source === 'delegate')
    expect(tflite.map((o) => o.nodeType)).toEqual(['TfLiteXNNPackDelegate'])
    expect(delegate.length).toBeGreaterThan(40)
    expect(delegate.some((o) => o.nodeType === 'Convolution (NHWC, F32) DWConv')).toBe(true)
    expect(new Set(r.ops.map((o) => o.timesCalled))).toEqual(new Set([10])) // warmup (first + 1) + 8 runs
    expect(r.memory.peakMb).toBeGreaterThanOrEqual(32)
    expect(r.outputs.map((t) => t.shape.join(','))).toEqual(['1,896,16', '1,896,1'])
    const plain = await model.benchmark({ threads: 2, runs: 3, warmupRuns: 0, profileOps: false })
    expect(plain.ops).toEqual([])
    expect(plain.opsSummaryText).toBeNull()
    expect(plain.warmup.count).toBe(1)
    expect(plain.warnings.join(' ')).toMatch(/one core/)
    await expect(model.benchmark({ threads: 0, runs: 3, warmupRuns: 0, profileOps: false })).rejects.toMatchObject({ code: 'bad_request', field: 'threads' })
    await model.dispose()
  })
})

describe('one-shot helpers and worker lifetime', () => {
  it('the worker is gone after close, and a closed runtime refuses work', async () => {
    const rt = await HostRuntime.start()
    expect(rt.running).toBe(true)
    const model = await rt.load(face)
    await rt.close()
    expect(rt.running).toBe(false)
    await expect(model.run([image(1)])).rejects.toMatchObject({ code: 'conflict' })
    await expect(rt.load(face)).rejects.toMatchObject({ code: 'conflict' })
  })

  it('runTfliteOnHost and benchmarkTfliteOnHost give the same outputs as a kept runtime', async () => {
    const [reg] = await runTfliteOnHost(face, [image(5)])
    const rt = await HostRuntime.start()
    const [reg2] = await (await rt.load(face)).run([image(5)])
    await rt.close()
    expect(Array.from(reg)).toEqual(Array.from(reg2))
    const b = await benchmarkTfliteOnHost(face, { threads: 1, runs: 2, warmupRuns: 1, profileOps: false })
    expect(b.steady.count).toBe(2)
  })
})
