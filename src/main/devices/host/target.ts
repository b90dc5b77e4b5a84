// "This computer" as a Target: measures a .tflite with the host TFLite runtime (WASM, XNNPACK) in a worker.
import { createHash } from 'node:crypto'
import type { DeviceInfo } from '../../../shared/contract/core'
import type { BenchmarkSettings, Measurement } from '../../../shared/contract/measure'
import { LabError } from '../../../shared/errors'
import { HOST_SERIAL, hostDeviceInfo } from '../registry'
import type { MeasureOptions, Target } from '../target'
import { HostRuntime, type HostBenchmarkResult } from './runtime'
import { benchmarkForAtLeast } from './min-duration'

export class HostTarget implements Target {
  readonly serial = HOST_SERIAL
  private runtime: Promise<HostRuntime> | null = null

  info(): DeviceInfo {
    return hostDeviceInfo()
  }

  /** Benchmarks the model; aborting the signal stops the worker (the next measure starts a new one). */
  async measure(modelBytes: Uint8Array, settings: BenchmarkSettings, opts: MeasureOptions = {}): Promise<Measurement> {
    const cancelled = (): LabError => new LabError('cancelled', 'The measurement on this computer was cancelled.')
    if (opts.signal?.aborted) throw cancelled()
    const startedAt = Date.now()
    const t0 = performance.now()
    opts.onProgress?.({ fraction: 0, stage: 'Loading the model into the host TFLite runtime', timeLeftMs: null })
    const runtimePromise = (this.runtime ??= HostRuntime.start())
    let onAbort: (() => void) | null = null
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => {
        this.runtime = null
        void runtimePromise.then((rt) => rt.close(), () => undefined)
        reject(cancelled())
      }
      opts.signal?.addEventListener('abort', onAbort, { once: true })
    })
    aborted.catch(() => undefined)
    try {
      const work = (async (): Promise<HostBenchmarkResult> => {
        const rt = await runtimePromise
        const model = await rt.load(modelBytes)
        try {
          opts.onProgress?.({ fraction: 0.1, stage: `Running ${settings.warmupRuns} warmup and ${settings.runs} timed inferences`, timeLeftMs: null })
          const r = await benchmarkForAtLeast(model, { threads: settings.threads, runs: settings.runs, warmupRuns: settings.warmupRuns, profileOps: settings.profileOps }, settings.minSecs * 1000, () => opts.signal?.aborted === true)
          if (r === null) throw cancelled()
          return r
        } finally {
          await model.dispose().catch(() => undefined)
        }
      })()
      const r = await Promise.race([work, aborted])
      opts.onProgress?.({ fraction: 1, stage: 'Done', timeLeftMs: 0 })
      const warnings = [...r.warnings]
      if (settings.delegate !== 'xnnpack' && settings.delegate !== 'none') warnings.push(`The ${settings.delegate} delegate does not exist on this computer; the host runtime used XNNPACK.`)
      if (settings.delegate === 'none') warnings.push('The host runtime always delegates to XNNPACK (this build cannot turn it off).')
      if (settings.cpuMaskHex !== null) warnings.push('CPU pinning (cpuMaskHex) is not available for the host runtime; it was ignored.')
      if (settings.energy) warnings.push('Energy cannot be measured on this computer; only latency was measured.')
      warnings.push(r.memoryNote)
      return {
        serial: this.serial,
        tool: r.tool,
        settings,
        modelSha256: createHash('sha256').update(modelBytes).digest('hex'),
        modelBytes: modelBytes.length,
        initMs: r.initMs,
        firstMs: r.firstMs,
        warmup: r.warmup,
        steady: r.steady,
        ops: r.ops,
        memory: r.memory,
        energy: null,
        temperaturesC: { before: {}, after: {} },
        warnings,
        exitCode: null,
        measuredAt: startedAt,
        durationMs: performance.now() - t0
      }
    } catch (e) {
      if (e instanceof LabError && e.code === 'internal' && opts.signal?.aborted) throw cancelled()
      throw e
    } finally {
      if (onAbort) opts.signal?.removeEventListener('abort', onAbort)
    }
  }

  /** Stops the worker, if one was started. */
  async close(): Promise<void> {
    const rt = this.runtime
    this.runtime = null
    if (rt) await (await rt).close()
  }
}
