// Profiling bench (figures only, no pass/fail): on a virtual phone behind a private adb server, the time to build
// the lookup table by packed probes and by one model per block, their ratio and agreement, and the predictor check.
//   npx tsx bench/profile.ts [--space small|mobile|both] [--runs N] [--check N] [--rounds N] [--per-block-subset N]
// The mobile space is measured packed in full; per block only on a subset of its keys (default 12), and the full
// per-block time is extrapolated from the subset's mean time per key (printed as such).
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { createLab, type Lab } from '../src/main/lab'
import { VirtualPhone } from '../src/main/devices/virtual/phone'
import { startPrivateAdbServer } from '../test/integration/helpers/adb-server'
import { architectureKeys, blockNetwork, enumerateBlockConfigs, getSpace, parseArchitecture } from '../src/main/model/space'
import { fitOverhead, sumEntries } from '../src/main/profile/predictor'
import { kendallTau, rmse, shareWithin } from '../src/main/profile/stats'
import { initWeights } from '../src/main/model/ir'
import { writeTflite } from '../src/main/model/tflite/writer'
import { resolveSpace, type ProfileCheckpoint, type ProfileJobResult } from '../src/main/profile/job'
import { median } from '../src/main/profile/stats'
import { ProfileRequestSchema, describeCalibration, type LookupTable } from '../src/shared/contract/profile'
import { BenchmarkSettingsSchema } from '../src/shared/contract/measure'

const { values } = parseArgs({ options: { space: { type: 'string', default: 'both' }, runs: { type: 'string', default: '10' }, check: { type: 'string', default: '30' }, rounds: { type: 'string', default: '3' }, 'per-block-subset': { type: 'string', default: '12' } } })
const runs = Number(values.runs)
const checkNetworks = Number(values.check)
const rounds = Number(values.rounds)
const subset = Number(values['per-block-subset'])

async function runJob(lab: Lab, req: unknown): Promise<ProfileJobResult & { jobId: string }> {
  const job = await lab.handlers['profile.start'](ProfileRequestSchema.parse(req))
  for (;;) {
    const j = lab.jobs.get(job.id)
    if (j.state === 'succeeded') return { ...(j.result as ProfileJobResult), jobId: job.id }
    if (['failed', 'cancelled', 'interrupted'].includes(j.state)) throw new Error(`profile job ${j.state}: ${j.error}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}

/**
 * How well the device repeats itself: each check network's time in one round against the median of its other
 * rounds. No predictor can beat this share by much — it is the noise floor of the check.
 */
function printRepeatability(lab: Lab, jobId: string): void {
  const cp = lab.store.loadCheckpoint(jobId)?.data as ProfileCheckpoint | undefined
  const rounds = cp?.checkRounds ?? []
  if (rounds.length < 2) return
  const pairs: [number, number][] = []
  for (let r = 0; r < rounds.length; r++) {
    rounds[r].forEach((c, i) => {
      const others = rounds.filter((_, q) => q !== r).map((o) => o[i]?.measuredMs).filter((v): v is number => v !== undefined)
      if (others.length) pairs.push([c.measuredMs, median(others)])
    })
  }
  const within = pairs.filter(([a, b]) => Math.abs(a - b) <= 0.1 * b).length / pairs.length
  console.log(`  repeatability (noise floor): a network's time in one round is within ±10% of its other rounds' median ${(100 * within).toFixed(1)}% of the time (${pairs.length} pairs)`)
}

function printCheck(label: string, t: LookupTable): void {
  const c = t.check
  if (!c) return
  console.log(`  ${label} check on ${c.networks} random networks (leave-one-out): ${(100 * c.within10Pct).toFixed(1)}% within ±10%, RMSE ${c.rmseMs.toFixed(3)} ms, Kendall τ ${c.kendallTau.toFixed(3)}; predictor latency = ${describeCalibration(c)}`)
  // The earlier rule for comparison: slope 1, overhead fitted on the same networks (in-sample).
  const space = getSpace(t.space as 'small' | 'mobile', { stemStride: t.spaceOptions?.stemStride ?? 1, widthMult: t.spaceOptions?.widthMult ?? 1 })
  const sums = c.points.map((p) => sumEntries(t.rows, architectureKeys(space, parseArchitecture(space, p.architecture))).latencyMs)
  const measured = c.points.map((p) => p.measuredMs)
  const o = fitOverhead(sums, measured)
  const old = sums.map((s) => s + o)
  console.log(`  ${label} same networks, slope 1 in-sample (the earlier rule): ${(100 * shareWithin(old, measured, 10)).toFixed(1)}% within ±10%, RMSE ${rmse(old, measured).toFixed(3)} ms, τ ${kendallTau(old, measured).toFixed(3)}`)
  console.log(`  measured networks: ${Math.min(...measured).toFixed(2)}–${Math.max(...measured).toFixed(2)} ms`)
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-profile-'))
  const adb = await startPrivateAdbServer()
  const phone = await VirtualPhone.start({ name: 'bench', threads: 2, seed: 5 })
  let lab: Lab | null = null
  try {
    await adb.run(['connect', phone.serial])
    lab = await createLab({ mode: 'test', dataDir: path.join(tmp, 'data'), env: { ...process.env, ...adb.env, ANDROID_ADB_SERVER_PORT: String(adb.port) } })
    for (let i = 0; i < 300 && !lab.registry.list().some((d) => d.serial === phone.serial && d.state === 'device'); i++) await new Promise((r) => setTimeout(r, 100))
    console.log(`virtual phone ${phone.serial}, ${runs} runs + 5 warm-up per model, 1 thread, fp32, ${rounds} interleaved round(s), median per key; ${os.cpus().length} host cores (shared, noisy)`)
    const settings = { runs, warmupRuns: 5 }

    if (values.space === 'small' || values.space === 'both') {
      console.log('\nsmall space (method both: the same keys by packed probes and one model per block)')
      const r = await runJob(lab, { serial: phone.serial, space: 'small', method: 'both', settings, checkNetworks, rounds })
      const t = await lab.handlers['tables.get']({ id: r.tableId })
      const packedMs = r.durationMs.packed as number
      const perBlockMs = r.durationMs.perBlock as number
      console.log(`  keys ${t.entries}; packed ${(packedMs / 1000).toFixed(2)} s, per-block ${(perBlockMs / 1000).toFixed(2)} s → packed is ${(perBlockMs / packedMs).toFixed(1)}x faster; ${r.packedFallbackKeys.length} packed keys fell back to one model per block`)
      if (r.agreement) {
        console.log(`  packed vs per-block entries: median |diff| ${r.agreement.medianAbsDiffPct.toFixed(1)}%, ${(100 * r.agreement.within10Pct).toFixed(0)}% of keys within ±10%`)
        const pc = r.agreement.perBlockCheck
        if (pc) console.log(`  per-block table check (leave-one-out): ${(100 * pc.within10Pct).toFixed(1)}% within ±10%, RMSE ${pc.rmseMs.toFixed(3)} ms, τ ${pc.kendallTau.toFixed(3)}; latency = ${describeCalibration(pc)}`)
      }
      printCheck('packed table', t)
      printRepeatability(lab, r.jobId)
    }

    if (values.space === 'mobile' || values.space === 'both') {
      console.log('\nmobile space (packed in full; per block on a subset, extrapolated)')
      const r = await runJob(lab, { serial: phone.serial, space: 'mobile', method: 'packed', settings, checkNetworks, rounds })
      const t = await lab.handlers['tables.get']({ id: r.tableId })
      const packedMs = r.durationMs.packed as number
      const configs = enumerateBlockConfigs(resolveSpace({ space: 'mobile' }))
      const step = Math.max(1, Math.floor(configs.length / subset))
      const chosen = configs.filter((_, i) => i % step === 0).slice(0, subset)
      const target = lab.devices.target(phone.serial)
      const plain = BenchmarkSettingsSchema.parse(settings)
      const t0 = Date.now()
      for (const c of chosen) {
        const net = blockNetwork(c.config)
        await target.measure(writeTflite(net, initWeights(net, 1), { precision: 'fp32' }), plain, { signal: new AbortController().signal })
      }
      const perKeyMs = (Date.now() - t0) / chosen.length
      // The packed time covers every round; the per-block estimate does too.
      const perBlockEstimateMs = perKeyMs * configs.length * rounds
      console.log(`  keys ${t.entries}; packed ${(packedMs / 1000).toFixed(1)} s (${rounds} rounds); per-block ${chosen.length} keys took ${((perKeyMs * chosen.length) / 1000).toFixed(1)} s → ${(perBlockEstimateMs / 1000).toFixed(1)} s for all ${configs.length} × ${rounds} rounds (EXTRAPOLATED) → packed ${(perBlockEstimateMs / packedMs).toFixed(1)}x faster`)
      printCheck('packed table', t)
      printRepeatability(lab, r.jobId)
    }
  } finally {
    await lab?.close()
    await phone.stop()
    await adb.stop()
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

void main().catch((e: unknown) => {
  console.error(e)
  process.exitCode = 1
})
