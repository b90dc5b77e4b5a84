// Profiling a virtual phone through a private adb server: the whole adb path (push, benchmark_model with op
// profiling, parse) feeds the packed probes and the per-block models; 'both' compares them key by key.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { JobInfo } from '../../../src/shared/api'
import { createLab, type Lab } from '../../../src/main/lab'
import { VirtualPhone } from '../../../src/main/devices/virtual/phone'
import { blockNetwork, enumerateBlockConfigs } from '../../../src/main/model/space'
import { initWeights, type Network } from '../../../src/main/model/ir'
import { writeTflite } from '../../../src/main/model/tflite/writer'
import { operatorName, planProbes } from '../../../src/main/profile/packing'
import { BenchmarkSettingsSchema } from '../../../src/shared/contract/measure'
import { resolveSpace, type ProfileCheckpoint, type ProfileJobResult } from '../../../src/main/profile/job'
import { ProfileRequestSchema } from '../../../src/shared/contract/profile'
import { adbAvailable, startPrivateAdbServer, type PrivateAdbServer } from '../helpers/adb-server'

let tmp: string
let lab: Lab
let adb: PrivateAdbServer
let phone: VirtualPhone

async function waitFor<T>(what: string, get: () => T | null | undefined | false, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = get()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}
const finished = (j: JobInfo) => ['succeeded', 'failed', 'cancelled', 'interrupted'].includes(j.state)

describe.skipIf(!adbAvailable())('profile on a virtual phone', () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-vp-'))
    adb = await startPrivateAdbServer()
    phone = await VirtualPhone.start({ name: 'prof', threads: 2, seed: 3 })
    await adb.run(['connect', phone.serial])
    lab = await createLab({ mode: 'test', devices: 'start', dataDir: path.join(tmp, 'data'), env: { ...process.env, ...adb.env, ANDROID_ADB_SERVER_PORT: String(adb.port) } })
    await waitFor('the virtual phone', () => lab.registry.list().find((d) => d.serial === phone.serial && d.state === 'device'), 30_000)
  }, 60_000)
  afterAll(async () => {
    await lab?.close()
    await phone?.stop()
    await adb?.stop()
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true })
  })

  it("'both': every key by both methods, no fallback, the agreement and the check stored", async () => {
    const keys = enumerateBlockConfigs(resolveSpace({ space: 'small', stemStride: 2 })).map((c) => c.key)
    const req = ProfileRequestSchema.parse({ serial: phone.serial, space: 'small', method: 'both', settings: { runs: 5, warmupRuns: 2 }, checkNetworks: 3, rounds: 2 })
    const job = await lab.handlers['profile.start'](req)
    const done = await waitFor('the profile job', () => (finished(lab.jobs.get(job.id)) ? lab.jobs.get(job.id) : null), 240_000)
    expect(done.error).toBeNull()
    const result = done.result as ProfileJobResult
    const table = await lab.handlers['tables.get']({ id: result.tableId })
    expect(table.deviceSerial).toBe(phone.serial)
    expect(table.rows.map((r) => r.key).sort()).toEqual([...keys].sort())
    expect(table.check?.points.length).toBe(3)
    expect(result.durationMs.packed).not.toBeNull()
    expect(result.durationMs.perBlock).not.toBeNull()
    const cp = lab.store.loadCheckpoint(job.id)?.data as ProfileCheckpoint
    // Every probe on this runtime was attributed from its op rows (no per-block fallback).
    expect(cp.packedFallbackKeys).toEqual([])
    expect(result.packedFallbackKeys).toEqual([])
    // Two interleaved rounds of every key by both methods and of every check network; entries are the median.
    expect(cp.perBlockRounds).toHaveLength(2)
    expect(cp.packedRounds).toHaveLength(2)
    expect(cp.checkRounds.map((r) => r.length)).toEqual([3, 3])
    for (const r of cp.perBlockRounds) expect(Object.keys(r).sort()).toEqual([...keys].sort())
    for (const row of table.rows) {
      const [a, b] = cp.packedRounds.map((r) => r[row.key].meanMs)
      expect(row.meanMs).toBeCloseTo((a + b) / 2, 9)
    }
    expect(table.check?.points[0].measuredMs).toBeCloseTo((cp.checkRounds[0][0].measuredMs + cp.checkRounds[1][0].measuredMs) / 2, 9)
    // Timing on a shared VM is too noisy to compare figures here (bench/profile.ts prints the agreement).
    expect(Number.isFinite(table.agreement?.medianAbsDiffPct)).toBe(true)
    expect(table.agreement?.keys).toBe(keys.length)
  }, 300_000)

  it("packed attribution: the rows given to each block are exactly the operators that block runs alone", async () => {
    const settings = BenchmarkSettingsSchema.parse({ runs: 1, warmupRuns: 0, profileOps: true })
    const signal = new AbortController().signal
    const target = lab.devices.target(phone.serial)
    const probe = planProbes(enumerateBlockConfigs(resolveSpace({ space: 'small', stemStride: 2 })), { maxBlocksPerProbe: 24 })[1]
    const bytesOf = (net: Network) => writeTflite(net, initWeights(net, 1), { precision: 'fp32' })
    const probeRows = (await target.measure(bytesOf(probe.network), settings, { signal })).ops.filter((o) => o.source === 'delegate')
    expect(probeRows).toHaveLength(probe.network.layers.length)
    for (const b of probe.blocks) {
      const config = enumerateBlockConfigs(resolveSpace({ space: 'small', stemStride: 2 })).find((c) => c.key === b.key)!.config
      const alone = (await target.measure(bytesOf(blockNetwork(config)), settings, { signal })).ops.filter((o) => o.source === 'delegate').map(operatorName)
      const attributed = probeRows.filter((_, i) => probe.layerOwners[i] === b.key).map(operatorName)
      expect(attributed).toEqual(alone)
    }
  }, 120_000)
})
