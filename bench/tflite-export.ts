// TFLite export of a ProxylessNAS-mobile-sized network: write time and file size per precision, against the
// parameter bytes. Run: npx tsx bench/tflite-export.ts
import { readTflite } from '../src/main/model/tflite/reader'
import { calibrateInt8 } from '../src/main/model/tflite/quantize'
import { parameterBytesFp32, writeTflite } from '../src/main/model/tflite/writer'
import { proxylessMobile, sampleInputs } from './proxyless-mobile'

const CALIBRATION_SAMPLES = 4
const REPEATS = 3

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)]
}

const { net, weights } = proxylessMobile()
const paramBytes = parameterBytesFp32(weights)
const params = paramBytes / 4
console.log(`network ${net.name}: ${net.layers.length} layers, ${(params / 1e6).toFixed(2)} M parameters (${(paramBytes / 1e6).toFixed(2)} MB at fp32)`)

let t0 = performance.now()
const qp = calibrateInt8(net, weights, sampleInputs(net, CALIBRATION_SAMPLES, 1))
const calibrationMs = performance.now() - t0
console.log(`int8 calibration (float reference in TS, ${CALIBRATION_SAMPLES} samples): ${calibrationMs.toFixed(0)} ms (${(calibrationMs / CALIBRATION_SAMPLES).toFixed(0)} ms per sample)`)

console.log('precision | write ms (median of 3) | file MB | file / fp32 params | file / params at that precision | read-back ms')
for (const precision of ['fp32', 'fp16', 'int8'] as const) {
  const times: number[] = []
  let bytes: Uint8Array = new Uint8Array(0)
  for (let i = 0; i < REPEATS; i++) {
    t0 = performance.now()
    bytes = writeTflite(net, weights, { precision, int8Params: qp })
    times.push(performance.now() - t0)
  }
  t0 = performance.now()
  readTflite(bytes)
  const readMs = performance.now() - t0
  const bytesPerParam = precision === 'fp32' ? 4 : precision === 'fp16' ? 2 : 1
  console.log(
    `${precision.padEnd(9)} | ${median(times).toFixed(1).padStart(22)} | ${(bytes.length / 1e6).toFixed(3).padStart(7)} | ${(bytes.length / paramBytes).toFixed(3).padStart(18)} | ${(bytes.length / (params * bytesPerParam)).toFixed(3).padStart(31)} | ${readMs.toFixed(1).padStart(12)}`
  )
}
