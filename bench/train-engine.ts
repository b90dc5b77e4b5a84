// Training throughput of the lab's engine against PyTorch on the same cores: the issue-5 MobileNetV2-style
// network (28x28x1, 38,114 parameters), Fashion-MNIST, batch 64, SGD momentum 0.9, lr 0.01. Configurations
// run interleaved with the order rotated each repetition; prints every run, medians, ratios and how busy the
// rest of the machine was (other processes' CPU, in cores). No pass/fail.
// Run: npx tsx bench/train-engine.ts [--reps 3] [--steps 30] [--warmup 5]
import { spawnSync } from 'child_process'
import * as fs from 'fs'
import * as os from 'os'
import * as path from 'path'
import * as zlib from 'zlib'
import { initWeights } from '../src/main/model/ir'
import { ParallelTrainer } from '../src/main/model/train/parallel'
import { referenceTrainingNet } from '../src/main/model/train/reference-net'

const DATA = '/usr/share/datasets/fashion-mnist'
const BATCH = 64
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i >= 0 ? Number(process.argv[i + 1]) : fallback
}
const reps = arg('reps', 3)
const steps = arg('steps', 30)
const warmup = arg('warmup', 5)
const cores = os.cpus().length

function loadFashion(n: number): { xs: Float32Array; labels: Int32Array } {
  const img = zlib.gunzipSync(fs.readFileSync(path.join(DATA, 'train-images-idx3-ubyte.gz')))
  const lab = zlib.gunzipSync(fs.readFileSync(path.join(DATA, 'train-labels-idx1-ubyte.gz')))
  if (img.readUInt32BE(0) !== 0x803 || lab.readUInt32BE(0) !== 0x801) throw new Error('Fashion-MNIST files have unexpected magic numbers.')
  const xs = new Float32Array(n * 784)
  for (let i = 0; i < xs.length; i++) xs[i] = img[16 + i] / 255
  return { xs, labels: Int32Array.from(lab.subarray(8, 8 + n)) }
}

/** Busy CPU seconds of the whole machine (all processes), from /proc/stat. */
function machineBusySeconds(): number {
  const v = fs.readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number)
  const total = v.reduce((a, b) => a + b, 0)
  return (total - v[3] - v[4]) / 100 // USER_HZ is 100 on Linux
}

interface Run { config: string; imgPerSec: number; cpuMsPerImage: number; othersCores: number; load1: number }

async function runOurs(workers: number, data: { xs: Float32Array; labels: Int32Array }): Promise<Run> {
  const net = referenceTrainingNet()
  const trainer = await ParallelTrainer.create({ net, weights: initWeights(net, 1), workers, seed: 1, optimizer: { kind: 'sgd', lr: 0.01, momentum: 0.9 }, log: () => undefined })
  const batch = (i: number): [Float32Array, Int32Array] => [data.xs.subarray(i * BATCH * 784, (i + 1) * BATCH * 784), data.labels.subarray(i * BATCH, (i + 1) * BATCH)]
  for (let i = 0; i < warmup; i++) await trainer.trainStep(...batch(i))
  const load1 = os.loadavg()[0]
  const cpu0 = process.cpuUsage(), busy0 = machineBusySeconds(), t0 = performance.now()
  for (let i = warmup; i < warmup + steps; i++) await trainer.trainStep(...batch(i))
  const wallS = (performance.now() - t0) / 1000
  const cpu = process.cpuUsage(cpu0)
  const ownS = (cpu.user + cpu.system) / 1e6
  const busy = machineBusySeconds() - busy0
  const mem = trainer.workerMemory()
  await trainer.dispose()
  const peak = Math.max(...mem.map((m) => m.maxRssBytes)) / 2 ** 20
  const heap = mem.map((m) => (m.wasmHeapBytes / 2 ** 20).toFixed(0)).join('/')
  console.log(`  ours ${workers}w: ${((BATCH * steps) / wallS).toFixed(1)} img/s, process peak RSS ${peak.toFixed(0)} MB, wasm heap per worker ${heap} MB, tensors ${mem.map((m) => m.numTensors).join('/')}`)
  return { config: workers === 1 ? 'ours 1 worker' : `ours ${workers} workers`, imgPerSec: (BATCH * steps) / wallS, cpuMsPerImage: (1000 * ownS) / (BATCH * steps), othersCores: Math.max(0, busy - ownS) / wallS, load1 }
}

function runTorch(threads: number): Run {
  const load1 = os.loadavg()[0]
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'pytorch_reference.py'), '--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup)], { encoding: 'utf8' })
  if (r.status !== 0) throw new Error(`pytorch_reference.py failed: ${r.stderr}`)
  const j = JSON.parse(r.stdout.trim().split('\n').pop() as string) as { imgPerSec: number; wallSeconds: number; cpuSeconds: number; machineBusySeconds: number; torch: string }
  console.log(`  torch ${j.torch} ${threads}t: ${j.imgPerSec.toFixed(1)} img/s`)
  return { config: `pytorch ${threads} thread${threads > 1 ? 's' : ''}`, imgPerSec: j.imgPerSec, cpuMsPerImage: (1000 * j.cpuSeconds) / (BATCH * steps), othersCores: Math.max(0, j.machineBusySeconds - j.cpuSeconds) / j.wallSeconds, load1 }
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}

async function main(): Promise<void> {
  const data = loadFashion(BATCH * (warmup + steps))
  console.log(`issue-5 network, batch ${BATCH}, ${warmup} warm-up + ${steps} timed steps, ${reps} repetitions, ${cores} cores (${os.cpus()[0].model})`)
  const configs: (() => Promise<Run> | Run)[] = [() => runOurs(1, data), () => runOurs(cores, data), () => runTorch(1), () => runTorch(cores)]
  const runs: Run[] = []
  for (let rep = 0; rep < reps; rep++) {
    console.log(`repetition ${rep + 1}`)
    for (let j = 0; j < configs.length; j++) runs.push(await configs[(j + rep) % configs.length]())
  }
  const names = [...new Set(runs.map((r) => r.config))]
  const med = new Map<string, number>()
  console.log('\nconfig'.padEnd(22), 'median img/s'.padStart(13), 'runs'.padStart(24), 'CPU ms/img'.padStart(11), "others' cores".padStart(14), 'load1'.padStart(7))
  for (const n of names) {
    const rs = runs.filter((r) => r.config === n)
    med.set(n, median(rs.map((r) => r.imgPerSec)))
    console.log(n.padEnd(21), (med.get(n) as number).toFixed(1).padStart(13), rs.map((r) => r.imgPerSec.toFixed(0)).join(' ').padStart(24),
      median(rs.map((r) => r.cpuMsPerImage)).toFixed(2).padStart(11), median(rs.map((r) => r.othersCores)).toFixed(2).padStart(14), median(rs.map((r) => r.load1)).toFixed(2).padStart(7))
  }
  const ratio = (a: string, b: string): string => `${a} / ${b} = ${((med.get(a) as number) / (med.get(b) as number)).toFixed(2)}`
  console.log('\nratios (ours / PyTorch on the same cores):')
  console.log(' ', ratio('ours 1 worker', 'pytorch 1 thread'))
  if (cores > 1) console.log(' ', ratio(`ours ${cores} workers`, `pytorch ${cores} threads`))
  const cpuMed = (n: string): number => median(runs.filter((r) => r.config === n).map((r) => r.cpuMsPerImage))
  console.log(`CPU time per image, PyTorch / ours (>1 = ours cheaper): 1 core ${(cpuMed('pytorch 1 thread') / cpuMed('ours 1 worker')).toFixed(2)}` +
    (cores > 1 ? `, ${cores} cores ${(cpuMed(`pytorch ${cores} threads`) / cpuMed(`ours ${cores} workers`)).toFixed(2)} (OpenMP threads spin while waiting, which counts as CPU)` : ''))
  console.log(`"others' cores": CPU used by other processes during the timed steps, in cores (0 = the machine was ours).`)
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
