// HAQ on Fashion-MNIST with the virtual phone: the found policy's accuracy against the uniform fp32 / fp16 / int8
// baselines at a latency budget, and its measured latency and energy reduction against fp32.
// Run: npx tsx bench/quant-search.ts [--budget latency:1.0] [--episodes 30] [--warmup 10] [--width 1] [--stem 2]
//      [--cost table|device] [--finetune 512] [--eval 1000] [--train 4000] [--epochs 2]
// Episodes are scaled down from HAQ's 600 (2 shared cores); the output says how many ran.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import type { JobInfo } from '../src/shared/contract/core'
import { QuantizeRequestSchema, type QuantizeResultRow } from '../src/shared/contract/quantize'
import { VirtualPhone } from '../src/main/devices/virtual/phone'
import { createLab } from '../src/main/lab'
import { startPrivateAdbServer } from '../test/integration/helpers/adb-server'

const { values } = parseArgs({
  options: {
    budget: { type: 'string', default: 'latency:1.0' },
    episodes: { type: 'string', default: '30' },
    warmup: { type: 'string', default: '10' },
    width: { type: 'string', default: '1' },
    stem: { type: 'string', default: '2' },
    cost: { type: 'string', default: 'table' },
    finetune: { type: 'string', default: '512' },
    eval: { type: 'string', default: '1000' },
    train: { type: 'string', default: '4000' },
    epochs: { type: 'string', default: '2' },
    arch: { type: 'string', default: 'k3e6-k3e3-k5e3-zero-k3e6-k3e3-k5e6' }
  }
})

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-quant-'))
  const adb = await startPrivateAdbServer()
  const phone = await VirtualPhone.start({ name: 'bench_quant', threads: 2, seed: 11 })
  // Devices start with the lab: the wait below reads the registry directly, which a lazily started lab never fills.
  const lab = await createLab({ mode: 'test', devices: 'start', dataDir: path.join(tmp, 'data'), env: { ...process.env, ...adb.env, ANDROID_ADB_SERVER_PORT: String(adb.port) } })
  const t0 = performance.now()
  try {
    await adb.run(['connect', phone.serial])
    for (let i = 0; !lab.registry.list().some((d) => d.serial === phone.serial && d.state === 'device' && d.model !== null); i++) {
      if (i > 600) throw new Error(`The virtual phone ${phone.serial} did not come online within 60 s.`)
      await new Promise((r) => setTimeout(r, 100))
    }
    const request = QuantizeRequestSchema.parse({
      serial: phone.serial,
      model: { kind: 'small', arch: values.arch, widthMult: Number(values.width), stemStride: Number(values.stem), trainImages: Number(values.train), trainEpochs: Number(values.epochs) },
      budget: values.budget,
      episodes: Number(values.episodes),
      warmupEpisodes: Number(values.warmup),
      costSource: values.cost,
      finetune: { images: Number(values.finetune), batchSize: 32, lr: 1e-4 },
      evalImages: Number(values.eval),
      measure: { runs: 50, warmupRuns: 5, threads: 1, energy: true },
      keepBest: 3
    })
    const job = await lab.handlers['quantize.start'](request)
    let lastStage = ''
    const done = await new Promise<JobInfo>((resolve) => {
      lab.events.subscribe((e) => {
        if (!('job' in e) || e.job.id !== job.id) return
        if (e.type === 'job.progress' && e.job.progress && e.job.progress.stage !== lastStage && !e.job.progress.stage.startsWith('Training the float') ) {
          lastStage = e.job.progress.stage
          process.stderr.write(`  ${((performance.now() - t0) / 1000).toFixed(0)} s  ${lastStage}\n`)
        }
        if (e.type === 'job.finished') resolve(e.job)
      })
    })
    const report = await lab.handlers['quantize.episodes']({ runId: job.runId as string })
    const seconds = (performance.now() - t0) / 1000
    if (done.state !== 'succeeded') {
      console.log(`quantize ${done.state} after ${seconds.toFixed(0)} s: ${done.error}`)
      process.exitCode = 1
      return
    }
    const fp32 = report.results.find((r) => r.name === 'uniform fp32') as QuantizeResultRow
    const pct = (x: number | null, base: number | null) => (x === null || base === null ? '–' : `${((1 - x / base) * 100).toFixed(1)}%`)
    const f = (x: number | null, d = 3) => (x === null ? '–' : x.toFixed(d))
    console.log(`HAQ on Fashion-MNIST, small ${values.arch} (width ${values.width}, stem stride ${values.stem}), virtual phone (XNNPACK wasm, 1 thread, modelled battery)`)
    console.log(`budget ${report.budget?.text} = ${f(report.budget?.limit ?? null)} ${report.budget?.unit ?? ''}; cost source ${report.costSource}; ${report.episodes.length} episodes (${request.warmupEpisodes} warm-up; HAQ uses 600), fine-tune ${request.finetune.images} images per policy, accuracy on ${request.evalImages} held-out images; ${seconds.toFixed(0)} s in all`)
    console.log('')
    console.log('policy                                   acc %   latency ms  table ms  table err  energy mJ  size KB  budget  latency vs fp32  energy vs fp32')
    for (const r of report.results) {
      console.log(
        `${r.name.padEnd(40)} ${f(r.accuracy, 1).padStart(5)}  ${f(r.latencyMs).padStart(10)}  ${f(r.tableLatencyMs).padStart(8)}  ${(r.tableLatencyError === null ? '–' : `${(r.tableLatencyError * 100).toFixed(1)}%`).padStart(9)}  ${f(r.energyMj, 4).padStart(9)}  ${(r.sizeBytes / 1000).toFixed(1).padStart(7)}  ${String(r.withinBudget === null ? '–' : r.withinBudget ? 'ok' : 'over').padStart(6)}  ${pct(r.latencyMs, fp32.latencyMs).padStart(15)}  ${pct(r.energyMj, fp32.energyMj).padStart(14)}`
      )
    }
    const best = report.results.find((r) => r.role === 'best')
    if (best) {
      const counts = best.precisions.reduce<Record<string, number>>((c, p) => ({ ...c, [p]: (c[p] ?? 0) + 1 }), {})
      console.log('')
      console.log(`best policy: ${Object.entries(counts).map(([p, n]) => `${n} ${p}`).join(', ')} of ${best.precisions.length} layers: ${best.precisions.join(' ')}`)
      const int8 = report.results.find((r) => r.name === 'uniform int8') as QuantizeResultRow
      console.log(`accuracy: best ${f(best.accuracy, 1)}% vs fp32 ${f(fp32.accuracy, 1)}%, int8 ${f(int8.accuracy, 1)}% (difference ${f((best.accuracy ?? 0) - (int8.accuracy ?? 0), 1)} points vs int8)`)
    }
    const rewards = report.episodes.map((e) => e.reward)
    const half = Math.floor(rewards.length / 2)
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN)
    console.log(`mean reward: first half ${mean(rewards.slice(0, half)).toFixed(3)}, second half ${mean(rewards.slice(half)).toFixed(3)}`)
    for (const n of report.notes) console.log(`note: ${n}`)
  } finally {
    await lab.close()
    await adb.run(['disconnect', phone.serial]).catch(() => undefined)
    await phone.stop()
    await adb.stop()
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

main().catch((e) => {
  console.error(e)
  process.exitCode = 1
})
