// Synthetic runs for tests, benches and screenshots: searches whose candidates trade accuracy for latency the way
// real ones do, with measurements on one or more devices. Deterministic for a seed. Never used by the lab itself.
import type { DeviceInfo } from '../../shared/contract/core'
import { BenchmarkSettingsSchema, type Measurement } from '../../shared/contract/measure'
import type { RunSummary } from '../../shared/contract/core'
import type { Store } from '../store'

const OPS = ['k3e3', 'k3e6', 'k5e3', 'k5e6', 'k7e3', 'k7e6', 'zero'] as const

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s = (s + 0x6d2b79f5) >>> 0
    let t = s
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export function syntheticDevice(serial: string, label: string, kind: DeviceInfo['kind'] = 'virtual'): DeviceInfo {
  return {
    serial,
    kind,
    state: 'device',
    stateHint: null,
    label,
    adbServer: kind === 'host' ? null : '127.0.0.1:5555',
    model: label,
    manufacturer: 'Proxyless',
    soc: 'sd865',
    board: null,
    abis: ['arm64-v8a'],
    cpuClusters: [],
    androidVersion: '13',
    sdk: 33,
    batteryLevelPct: 80,
    batteryTempC: 30,
    chargingSource: 'none',
    thermalZonesC: {},
    wirelessAdb: false,
    modelled: kind === 'virtual'
  }
}

export function syntheticMeasurement(serial: string, latencyMs: number, energyMj: number | null, opNames: string[] = [], measuredAt = Date.now()): Measurement {
  const settings = BenchmarkSettingsSchema.parse({ energy: energyMj !== null, profileOps: opNames.length > 0 })
  const share = opNames.length ? latencyMs / opNames.length : 0
  return {
    serial,
    tool: 'benchmark_model (synthetic)',
    settings,
    modelSha256: `sha-${serial}-${latencyMs.toFixed(6)}`,
    modelBytes: 100_000,
    initMs: 5,
    firstMs: latencyMs * 1.3,
    warmup: null,
    steady: { count: settings.runs, meanMs: latencyMs, stdMs: latencyMs * 0.03, minMs: latencyMs * 0.95, maxMs: latencyMs * 1.1, medianMs: latencyMs, percentilesMs: {} },
    ops: opNames.map((name, i) => ({ index: i, nodeType: name.startsWith('dw') ? 'DEPTHWISE_CONV_2D' : 'CONV_2D', name, firstMs: null, avgMs: share * (0.5 + ((i * 7) % 5) / 4), percent: null, timesCalled: 1, source: 'tflite' as const })),
    memory: { initMb: 2, overallMb: 8, peakMb: 9 },
    energy:
      energyMj === null
        ? null
        : { energyPerInferenceMj: energyMj, uncertaintyMj: energyMj * 0.05, idlePowerMw: 300, activePowerMw: 1200, samples: 40, reliable: true, unreliableReason: null, modelled: true },
    temperaturesC: { before: {}, after: {} },
    warnings: [],
    exitCode: 0,
    measuredAt,
    durationMs: latencyMs * settings.runs
  }
}

export interface SyntheticRunOptions {
  name: string
  kind?: 'search' | 'quantize'
  serial: string
  candidates: number
  seed: number
  /** Latency multiplier of this device (a slower phone is > 1). */
  speed?: number
  /** Also measure each candidate on these devices (with their own speed). */
  alsoOn?: { serial: string; speed: number }[]
  blocks?: number
  /** Keep a tiny fake .tflite with each candidate (real bytes are not needed for Compare). */
  withBytes?: boolean
  createdAt?: number
}

/** One search-like run with candidates and their measurements, written through the store as the searches do. */
export function seedSyntheticRun(store: Store, o: SyntheticRunOptions): RunSummary {
  const random = rng(o.seed)
  const speed = o.speed ?? 1
  const blocks = o.blocks ?? 12
  const createdAt = o.createdAt ?? Date.now()
  return store.transaction(() => {
    const run = store.insertRun({
      kind: o.kind ?? 'search',
      name: o.name,
      deviceSerial: o.serial,
      status: 'succeeded',
      settings: { space: 'mobile', objective: 'latency', candidates: o.candidates, seed: o.seed },
      createdAt
    })
    let best = 0
    for (let i = 0; i < o.candidates; i++) {
      const architecture = Array.from({ length: blocks }, () => OPS[Math.floor(random() * OPS.length)])
      const heavy = architecture.reduce((s, op) => s + (op === 'zero' ? 0 : Number(op[1]) * Number(op[3])), 0) / (blocks * 42)
      const macs = Math.round(40e6 + heavy * 560e6)
      const predictedLatencyMs = 4 + heavy * 60 * (0.9 + random() * 0.2)
      const latencyMs = predictedLatencyMs * speed * (0.92 + random() * 0.2)
      const accuracy = Math.min(0.99, 0.62 + 0.3 * Math.sqrt(heavy) + (random() - 0.5) * 0.06)
      best = Math.max(best, accuracy)
      const energyMj = latencyMs * (1.1 + random() * 0.4)
      const precision = o.kind === 'quantize' ? architecture.map(() => [4, 6, 8][Math.floor(random() * 3)]) : null
      const c = store.insertCandidate({
        runId: run.id,
        name: `${o.name.split(' ')[0].toLowerCase()}-${String(i + 1).padStart(3, '0')}`,
        architecture,
        precision,
        accuracy,
        sizeBytes: Math.round(macs / 60),
        macs,
        predictedLatencyMs,
        predictedEnergyMj: predictedLatencyMs * 1.3,
        tflite: o.withBytes ? new Uint8Array([0x1c, 0, 0, 0, 0x54, 0x46, 0x4c, 0x33, i & 255]) : null,
        createdAt: createdAt + i
      })
      const ops = architecture.flatMap((op, b) => (op === 'zero' ? [] : [`b${b + 1}_expand`, `b${b + 1}_dw${op.slice(0, 2)}`, `b${b + 1}_project`]))
      store.insertMeasurement({ candidateId: c.id, runId: run.id, measurement: syntheticMeasurement(o.serial, latencyMs, energyMj, i < 50 ? ops : [], createdAt + i) })
      for (const other of o.alsoOn ?? []) {
        const l = predictedLatencyMs * other.speed * (0.92 + random() * 0.2)
        store.insertMeasurement({ candidateId: c.id, runId: null, measurement: syntheticMeasurement(other.serial, l, l * 1.4, i < 50 ? ops : [], createdAt + i) })
      }
    }
    return store.updateRun(run.id, { finishedAt: createdAt + 60_000 * 42, figures: { candidates: o.candidates, bestAccuracy: best } })
  })
}
