import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { BenchmarkSettingsSchema } from '../../../src/shared/contract/measure'
import { HostTarget } from '../../../src/main/devices/host/target'

const face = new Uint8Array(readFileSync(join(__dirname, '../../../node_modules/@mediapipe/face_detection/face_detection_short_range.tflite')))

describe('HostTarget', () => {
  const target = new HostTarget()
  afterAll(async () => {
    await target.close()
  })

  it('measures a model into a Measurement', async () => {
    const settings = BenchmarkSettingsSchema.parse({ runs: 4, warmupRuns: 1, profileOps: true, delegate: 'xnnpack' })
    const stages: string[] = []
    const m = await target.measure(face, settings, { onProgress: (p) => stages.push(p.stage) })
    expect(m.serial).toBe('host')
    expect(m.tool).toMatch(/tflite-wasm/)
    expect(m.modelBytes).toBe(face.length)
    expect(m.modelSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(m.steady.count).toBe(4)
    expect(m.ops.some((o) => o.source === 'delegate')).toBe(true)
    expect(m.energy).toBeNull()
    expect(stages.at(-1)).toBe('Done')
  })

  it('cancels a running measurement and stays usable afterwards', async () => {
    const ac = new AbortController()
    const settings = BenchmarkSettingsSchema.parse({ runs: 100_000, warmupRuns: 0 })
    const p = target.measure(face, settings, { signal: ac.signal })
    setTimeout(() => ac.abort(), 300)
    await expect(p).rejects.toMatchObject({ code: 'cancelled' })
    const m = await target.measure(face, BenchmarkSettingsSchema.parse({ runs: 2, warmupRuns: 0 }))
    expect(m.steady.count).toBe(2)
    expect(m.warnings.join(' ')).toMatch(/XNNPACK/)
  })
})
