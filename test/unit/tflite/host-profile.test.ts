import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { parseProfilingSummary } from '../../../src/main/devices/host/profile'
import { latencyStats } from '../../../src/main/devices/host/stats'

// Shape of TFLite's GetProfilingSummary() text (tabs between columns), cut down from a real face_detection run.
const SUMMARY = [
  '============================== Run Order ==============================',
  '\t             [node type]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]',
  '\t   TfLiteXNNPackDelegate\t   92.256\t   58.114\t 99.000%\t 99.000%\t     0.000\t        5\t[classificators, regressors]:164',
  '\t                 SOFTMAX\t    0.010\t    0.004\t  1.000%\t100.000%\t     0.000\t        5\t[probs]:165',
  '',
  '============================== Top by Computation Time ==============================',
  '\t             [node type]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]',
  '\t   TfLiteXNNPackDelegate\t   92.256\t   58.114\t 99.000%\t 99.000%\t     0.000\t        5\t[classificators, regressors]:164',
  '',
  'Delegate internal: ',
  '============================== Run Order ==============================',
  '\t             [node type]\t  [first]\t [avg ms]\t     [%]\t  [cdf%]\t  [mem KB]\t[times called]\t[Name]',
  '\t        DelegateOpInvoke\t   16.251\t   13.566\t 24.881%\t 24.881%\t     0.000\t        5\tDelegate/Convolution (NHWC, F32) IGEMM:0',
  '\t        DelegateOpInvoke\t    0.001\t    0.000\t  0.000%\t 99.934%\t     0.000\t        5\tDelegate/Copy (NC, X32):1',
  '',
  '============================== Top by Computation Time =============================='
].join('\n')

describe('parseProfilingSummary', () => {
  it('reads the interpreter run order and the delegate-internal run order', () => {
    const ops = parseProfilingSummary(SUMMARY)
    expect(ops).toEqual([
      { index: 0, nodeType: 'TfLiteXNNPackDelegate', name: '[classificators, regressors]:164', firstMs: 92.256, avgMs: 58.114, percent: 99, timesCalled: 5, source: 'tflite' },
      { index: 1, nodeType: 'SOFTMAX', name: '[probs]:165', firstMs: 0.01, avgMs: 0.004, percent: 1, timesCalled: 5, source: 'tflite' },
      { index: 0, nodeType: 'Convolution (NHWC, F32) IGEMM', name: 'Delegate/Convolution (NHWC, F32) IGEMM:0', firstMs: 16.251, avgMs: 13.566, percent: 24.881, timesCalled: 5, source: 'delegate' },
      { index: 1, nodeType: 'Copy (NC, X32)', name: 'Delegate/Copy (NC, X32):1', firstMs: 0.001, avgMs: 0, percent: 0, timesCalled: 5, source: 'delegate' }
    ])
  })

  it('gives no rows for empty or unrelated text', () => {
    expect(parseProfilingSummary('')).toEqual([])
    expect(parseProfilingSummary('INFO: Created TensorFlow Lite XNNPACK delegate for CPU.')).toEqual([])
  })
})

describe('latencyStats', () => {
  it('computes the known figures of a small sample', () => {
    const s = latencyStats([4, 1, 3, 2])
    expect(s).toMatchObject({ count: 4, meanMs: 2.5, minMs: 1, maxMs: 4, medianMs: 2.5 })
    expect(s.stdMs).toBeCloseTo(Math.sqrt(1.25), 12)
    expect(s.percentilesMs['90']).toBeCloseTo(3.7, 12)
  })

  it('orders min ≤ median ≤ p90 ≤ p99 ≤ max and keeps the mean inside', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1e4, noNaN: true }), { minLength: 1, maxLength: 50 }), (xs) => {
        const s = latencyStats(xs)
        const eps = 1e-9 * (1 + s.maxMs!)
        expect(s.minMs!).toBeLessThanOrEqual(s.medianMs! + eps)
        expect(s.medianMs!).toBeLessThanOrEqual(s.percentilesMs['90'] + eps)
        expect(s.percentilesMs['90']).toBeLessThanOrEqual(s.percentilesMs['99'] + eps)
        expect(s.percentilesMs['99']).toBeLessThanOrEqual(s.maxMs! + eps)
        expect(s.meanMs).toBeGreaterThanOrEqual(s.minMs! - eps)
        expect(s.meanMs).toBeLessThanOrEqual(s.maxMs! + eps)
      })
    )
  })
})
