import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { parseBenchmarkOutput, parseStatLine, stripLinePrefix, unconsumedFlags } from '../../../src/main/devices/adb/parser'
import { LabError } from '../../../src/shared/errors'

const fixture = (name: string) => fs.readFileSync(path.join(__dirname, '../../fixtures/benchmark-output', name), 'utf8')

describe('benchmark_model output parser', () => {
  it('reads a TF 2.1 CPU run with the [start] column and bracketed names', () => {
    const r = parseBenchmarkOutput(fixture('tf2.1-cpu-op-profiling.txt'))
    expect(r.steady.count).toBe(130)
    expect(r.steady.meanMs).toBeCloseTo(7.53921, 6)
    expect(r.steady.stdMs).toBeCloseTo(0.098, 6)
    expect(r.steady.minMs).toBeCloseTo(7.401, 6)
    expect(r.warmup?.count).toBe(65)
    expect(r.initMs).toBeCloseTo(4.276, 6)
    expect(r.firstMs).toBeCloseTo(8.112, 6)
    expect(r.memory).toEqual({ initMb: 1.41797, overallMb: 3.27344, peakMb: null })
    expect(r.ops).toHaveLength(8)
    expect(r.ops[0]).toEqual({
      index: 0, nodeType: 'CONV_2D', name: 'MobilenetV2/Conv/Relu6', firstMs: 1.412, avgMs: 1.387, percent: 18.402, timesCalled: 1, source: 'tflite'
    })
    expect(r.ops[7].nodeType).toBe('SOFTMAX')
    expect(r.opSummary.map((o) => [o.nodeType, o.timesCalled])).toEqual([['CONV_2D', 4], ['DEPTHWISE_CONV_2D', 2], ['AVERAGE_POOL_2D', 1], ['SOFTMAX', 1]])
    expect(r.warnings).toEqual([])
  })

  it('keeps initialization profiling out of the per-op times (TF 2.3)', () => {
    const r = parseBenchmarkOutput(fixture('tf2.3-init-and-regular-profiling.txt'))
    expect(r.ops.map((o) => o.nodeType)).toEqual(['CONV_2D', 'CONV_2D', 'CONV_2D', 'DEPTH_TO_SPACE'])
    expect(r.ops[1].name).toBe('[conv2d_1/Relu]:1')
    expect(r.memory).toEqual({ initMb: 0, overallMb: 12.9102, peakMb: null })
    expect(r.steady.meanMs).toBeCloseTo(33.2548, 6)
    expect(r.opSummary).toHaveLength(2)
  })

  it('reads logcat output where tabs became spaces, and reports the NNAPI fallback', () => {
    const r = parseBenchmarkOutput(fixture('tf2.9-logcat-nnapi-not-applied.txt'))
    expect(r.steady.count).toBe(126)
    expect(r.steady.meanMs).toBeCloseTo(7.92607, 6)
    expect(r.initMs).toBeCloseTo(61.322, 6)
    expect(r.memory.overallMb).toBeCloseTo(2.03516)
    expect(r.warnings.some((w) => /will not be executed by the delegate/.test(w))).toBe(true)
    expect(r.ops.map((o) => o.nodeType)).toEqual(['CONV_2D', 'MAX_POOL_2D', 'FULLY_CONNECTED'])
    expect(r.ops[0].name).toBe('sequential/conv2d/Relu;sequential/conv2d/BiasAdd')
    expect(r.ops[2]).toMatchObject({ firstMs: 4.502, avgMs: 4.427, percent: 55.859, timesCalled: 1 })
    expect(r.opSummary.map((o) => o.nodeType)).toEqual(['FULLY_CONNECTED', 'CONV_2D', 'MAX_POOL_2D'])
  })

  it('reads XNNPACK delegate-internal ops whose node types contain spaces (INFO: prefixes)', () => {
    const r = parseBenchmarkOutput(fixture('tf2.14-info-xnnpack-delegate-ops.txt'))
    expect(r.steady.count).toBe(572)
    expect(r.memory).toEqual({ initMb: 4.63281, overallMb: 6.19922, peakMb: 9.58984 })
    expect(r.ops).toHaveLength(6)
    expect(r.ops[0]).toMatchObject({ nodeType: 'Convolution (NHWC, F32) IGEMM', name: 'Delegate/Convolution (NHWC, F32) IGEMM:0', avgMs: 0.398, source: 'delegate' })
    expect(r.ops[5]).toMatchObject({ nodeType: 'SOFTMAX', source: 'tflite' })
    expect(r.opSummary.find((o) => o.nodeType === 'Global Average Pooling (NWC, F32)')?.avgMs).toBeCloseTo(0.025)
    expect(r.warnings.some((w) => /partially executed/.test(w))).toBe(true)
  })

  it('reads scientific notation and percentiles, and reports a partial GPU delegation', () => {
    const r = parseBenchmarkOutput(fixture('tf2.16-gpu-partial-percentiles-scientific.txt'))
    expect(r.steady.meanMs).toBeCloseTo(1201.3, 6)
    expect(r.steady.maxMs).toBeCloseTo(1253.3, 6)
    expect(r.steady.medianMs).toBeCloseTo(1199.47, 6)
    expect(r.steady.percentilesMs).toEqual({ '5': 1188.02, '50': 1199.47, '95': 1253.3 })
    expect(r.initMs).toBeCloseTo(1834.77, 6)
    expect(r.warmup?.count).toBe(2)
    expect(r.memory.peakMb).toBeCloseTo(142.164)
    expect(r.ops).toEqual([])
    expect(r.warnings.some((w) => /remaining 4 operations will run on the CPU/.test(w))).toBe(true)
    expect(r.warnings.some((w) => /Replacing 60 out of 64/.test(w))).toBe(true)
  })

  it('turns a failed run into a LabError quoting the tool', () => {
    expect(() => parseBenchmarkOutput(fixture('error-missing-model.txt'))).toThrowError(LabError)
    try {
      parseBenchmarkOutput(fixture('error-missing-model.txt'))
    } catch (e) {
      expect((e as LabError).code).toBe('invalid_file')
      expect((e as LabError).message).toMatch(/Could not open/)
    }
  })

  it('refuses truncated or unrelated output', () => {
    expect(() => parseBenchmarkOutput(fixture('truncated-unplugged.txt'))).toThrowError(/no inference timings/)
    expect(() => parseBenchmarkOutput('')).toThrowError(LabError)
    expect(() => parseBenchmarkOutput('/system/bin/sh: benchmark_model: inaccessible or not found\n')).toThrowError(/inaccessible or not found/)
  })

  it('parses stat lines with and without percentiles', () => {
    expect(parseStatLine('count=0')).toBeNull()
    const s = parseStatLine('count=3 first=10 curr=12 min=10 max=14 avg=12 std=1.63299')!
    expect(s).toMatchObject({ count: 3, meanMs: 0.012, minMs: 0.01, maxMs: 0.014, medianMs: null })
    expect(parseStatLine('count=5 avg=1e+03 median=900 p90=1.1e3')!.percentilesMs).toEqual({ '50': 0.9, '90': 1.1 })
  })

  it('strips logcat and INFO prefixes only', () => {
    expect(stripLinePrefix('05-30 13:04:39.021 25935 25935 I tflite  : count=1 avg=2')).toBe('count=1 avg=2')
    expect(stripLinePrefix('I/tflite  ( 1234): Loaded model x')).toBe('Loaded model x')
    expect(stripLinePrefix('INFO: Loaded model x')).toBe('Loaded model x')
    expect(stripLinePrefix('ERROR: bad')).toBe('ERROR: bad')
    expect(stripLinePrefix('\t CONV_2D\t1.0')).toBe('\t CONV_2D\t1.0')
  })

  it('lists refused flags for a retry', () => {
    expect(unconsumedFlags('Unconsumed cmdline flags: --report_peak_memory_footprint=true --warmup_min_secs=0')).toEqual(['--report_peak_memory_footprint', '--warmup_min_secs'])
    expect(unconsumedFlags('all fine')).toEqual([])
  })
})
