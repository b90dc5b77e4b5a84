// Host TFLite runtime (tfjs-tflite WASM, XNNPACK) latency of a ProxylessNAS-mobile-sized network at 1 and 2
// threads, per precision. Run: npx tsx bench/host-runtime.ts
import { HostRuntime } from '../src/main/devices/host/runtime'
import { calibrateInt8 } from '../src/main/model/tflite/quantize'
import { writeTflite } from '../src/main/model/tflite/writer'
import { proxylessMobile, sampleInputs } from './proxyless-mobile'

const RUNS = 20
const WARMUP = 3

async function main(): Promise<void> {
  const { net, weights } = proxylessMobile()
  const qp = calibrateInt8(net, weights, sampleInputs(net, 2, 1))
  const rt = await HostRuntime.start()
  console.log(`${net.name} 224x224x3, ${RUNS} runs after ${WARMUP} warmup runs, one process`)
  console.log('precision | threads | init ms | first ms | median ms | mean ± std ms | p90 ms | heap MB')
  try {
    for (const precision of ['fp32', 'fp16', 'int8'] as const) {
      const model = await rt.load(writeTflite(net, weights, { precision, int8Params: qp }))
      const medians: number[] = []
      for (const threads of [1, 2]) {
        const r = await model.benchmark({ threads, runs: RUNS, warmupRuns: WARMUP, profileOps: false })
        const s = r.steady
        medians.push(s.medianMs as number)
        console.log(
          `${precision.padEnd(9)} | ${String(threads).padStart(7)} | ${r.initMs.toFixed(1).padStart(7)} | ${r.firstMs.toFixed(1).padStart(8)} | ${(s.medianMs as number).toFixed(2).padStart(9)} | ${`${s.meanMs.toFixed(2)} ± ${(s.stdMs as number).toFixed(2)}`.padStart(13)} | ${s.percentilesMs['90'].toFixed(2).padStart(6)} | ${(r.memory.peakMb as number).toFixed(0).padStart(7)}`
        )
      }
      const profiled = await model.benchmark({ threads: 1, runs: 5, warmupRuns: 1, profileOps: true })
      const delegate = profiled.ops.filter((o) => o.source === 'delegate')
      const nodes = profiled.ops.filter((o) => o.source === 'tflite')
      const top = [...delegate].sort((a, b) => b.avgMs - a.avgMs).slice(0, 3).map((o) => `${o.nodeType} ${o.avgMs.toFixed(2)} ms`)
      console.log(`          2 threads / 1 thread median ratio ${(medians[1] / medians[0]).toFixed(3)}; ${nodes.length} TFLite node(s), ${delegate.length} XNNPACK ops; slowest: ${top.join(', ')}`)
      await model.dispose()
    }
  } finally {
    await rt.close()
  }
}

main().catch((e) => {
  console.error(e)
  process.exit(1)
})
