// A phone over adb as a measurement Target: thermal guard → benchmark tool → model push → (energy sampler) →
// benchmark_model → parse → Measurement. One measurement at a time per phone.
import crypto from 'node:crypto'
import type { DeviceClient } from '@devicefarmer/adbkit'
import type { DeviceInfo } from '../../../shared/contract/core'
import type { BenchmarkSettings, EnergyEstimate, Measurement } from '../../../shared/contract/measure'
import { LabError } from '../../../shared/errors'
import type { MeasureOptions, Target } from '../target'
import { ensureBenchmarkTool, type BenchmarkTool, type ToolSource } from './benchmark-tool'
import { isOnExternalPower, readBattery, chargingSource } from './card'
import { calibrate, CalibrationCache, estimateEnergy, findBatteryFiles, startSampler, type PowerSample, type RunningSampler } from './energy'
import { DEVICE_WORK_DIR, pushModel, runBenchmark, sha256Hex, type BenchmarkRun } from './runner'
import { cancelledError } from './shell'
import { DEFAULT_THERMAL, ThermalProbe, waitUntilCool, type ThermalSettings } from './thermal'

export interface AdbTargetOptions {
  serial: string
  device: DeviceClient
  /** Live device info (from the registry). */
  info: () => DeviceInfo
  toolSource?: () => ToolSource
  thermal?: ThermalSettings
  calibrations?: CalibrationCache
  /** Idle baseline before the benchmark when measuring energy. */
  idleBaselineMs?: number
  /** A benchmark that runs longer than this is treated as hung. */
  benchmarkTimeoutMs?: number
  /** Called when the phone stopped answering, so the tracker can re-check its state. */
  onUnavailable?: () => void
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelledError())
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(cancelledError())
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

export class AdbTarget implements Target {
  readonly serial: string
  private readonly device: DeviceClient
  private readonly probe: ThermalProbe
  private tool: BenchmarkTool | null = null
  private queue: Promise<unknown> = Promise.resolve()

  constructor(private readonly opts: AdbTargetOptions) {
    this.serial = opts.serial
    this.device = opts.device
    this.probe = new ThermalProbe(opts.device)
  }

  info(): DeviceInfo {
    return this.opts.info()
  }

  measure(modelBytes: Uint8Array, settings: BenchmarkSettings, opts: MeasureOptions = {}): Promise<Measurement> {
    const run = this.queue.then(() =>
      this.measureNow(modelBytes, settings, opts).catch((e: unknown) => {
        if (e instanceof LabError && e.code === 'device_unavailable') this.opts.onUnavailable?.()
        throw e
      })
    )
    this.queue = run.catch(() => undefined)
    return run
  }

  private async measureNow(modelBytes: Uint8Array, settings: BenchmarkSettings, opts: MeasureOptions): Promise<Measurement> {
    const started = Date.now()
    const { signal } = opts
    const progress = (fraction: number, stage: string) => opts.onProgress?.({ fraction, stage, timeLeftMs: null })
    const info = this.info()
    if (info.state !== 'device') {
      throw new LabError('device_unavailable', `${info.label} is ${info.state}. ${info.stateHint ?? 'Reconnect it and try again.'}`)
    }
    if (signal?.aborted) throw cancelledError()
    const warnings: string[] = []

    progress(0.02, 'Checking the phone temperature')
    const cool = await waitUntilCool(this.probe, this.opts.thermal ?? DEFAULT_THERMAL, {
      signal,
      onWait: (v, waitedMs) => progress(0.05, `Waiting for the phone to cool (${v.hottestZone ? `${v.hottestZone.name} ${v.hottestZone.c.toFixed(1)} °C` : `battery ${v.batteryC} °C`}, ${Math.round(waitedMs / 1000)} s)`)
    })
    if (cool.warning) warnings.push(cool.warning)

    progress(0.1, 'Finding the benchmark tool')
    if (!this.tool) this.tool = await ensureBenchmarkTool(this.device, info.label, info.abis, this.opts.toolSource?.() ?? {})
    const tool = this.tool

    progress(0.15, 'Copying the model to the phone')
    const modelSha256 = sha256Hex(modelBytes)
    const model = await pushModel(this.device, modelBytes, modelSha256)
    if (signal?.aborted) throw cancelledError()

    let sampler: RunningSampler | null = null
    let onExternalPower = false
    let chargeSource: DeviceInfo['chargingSource'] = null
    if (settings.energy) {
      const files = await findBatteryFiles(this.device)
      if (!files) {
        warnings.push('This phone does not expose its battery current (no current_now in /sys/class/power_supply), so energy was not measured.')
      } else {
        const battery = await readBattery(this.device).catch(() => null)
        onExternalPower = battery ? isOnExternalPower(battery) : false
        chargeSource = battery ? chargingSource(battery) : null
        progress(0.2, 'Measuring the idle power baseline')
        const flag = `${DEVICE_WORK_DIR}/sampling.${crypto.randomBytes(6).toString('hex')}`
        sampler = startSampler(this.device, files, flag, settings.energySampleMs, signal)
        try {
          await abortableSleep(this.opts.idleBaselineMs ?? Math.max(1500, settings.energySampleMs * 12), signal)
        } catch (e) {
          await sampler.stop().catch(() => undefined)
          throw e
        }
      }
    }

    progress(0.3, 'Running the benchmark')
    let run: BenchmarkRun
    let samples: PowerSample[] = []
    try {
      run = await runBenchmark(this.device, tool.devicePath, model.path, settings, {
        signal,
        timeoutMs: this.opts.benchmarkTimeoutMs ?? 30 * 60_000
      })
    } catch (e) {
      if (e instanceof LabError && e.code === 'tool_missing') this.tool = null
      throw e
    } finally {
      if (sampler) samples = await sampler.stop().catch(() => [])
    }
    warnings.push(...run.warnings)

    progress(0.9, 'Reading temperatures')
    let energy: EnergyEstimate | null = null
    if (sampler) energy = this.energyFrom(run, samples, settings, info, onExternalPower, chargeSource, warnings)
    const after = await this.probe.read().catch(() => ({}))
    const p = run.parsed
    progress(1, 'Done')
    return {
      serial: this.serial,
      tool: `benchmark_model${p.toolVersion ? ` ${p.toolVersion}` : ''} (${tool.origin}: ${tool.devicePath})`,
      settings,
      modelSha256,
      modelBytes: modelBytes.byteLength,
      initMs: p.initMs,
      firstMs: p.firstMs,
      warmup: p.warmup,
      steady: p.steady,
      ops: p.ops,
      memory: p.memory,
      energy,
      temperaturesC: { before: cool.temperaturesC, after },
      warnings: [...new Set(warnings)],
      exitCode: run.exitCode,
      measuredAt: started,
      durationMs: Date.now() - started
    }
  }

  private energyFrom(
    run: BenchmarkRun,
    samples: PowerSample[],
    settings: BenchmarkSettings,
    info: DeviceInfo,
    onExternalPower: boolean,
    source: DeviceInfo['chargingSource'],
    warnings: string[]
  ): EnergyEstimate | null {
    if (samples.length === 0) {
      warnings.push('No battery samples were read during the run, so energy was not measured.')
      return null
    }
    const steadyDurationMs = run.parsed.steady.count * run.parsed.steady.meanMs
    const startS = run.deviceStartS ?? -Infinity
    const endS = run.deviceEndS ?? Infinity
    const idle = samples.filter((s) => s.tS < startS)
    let active = samples.filter((s) => s.tS >= endS - steadyDurationMs / 1000 && s.tS <= endS)
    if (active.length < 3) {
      const whole = samples.filter((s) => s.tS >= startS && s.tS <= endS)
      if (whole.length > active.length) {
        warnings.push('The measured runs were too short for enough battery samples, so the whole run (including start-up and warm-up) was used for energy; use more runs for a cleaner figure.')
        active = whole
      }
    }
    const key = `${info.manufacturer ?? ''}/${info.model ?? ''}/${this.serial}`
    const calibrations = this.opts.calibrations ?? new CalibrationCache()
    const cal = calibrations.get(key) ?? calibrate(idle, active, !onExternalPower)
    calibrations.offer(key, cal)
    return estimateEnergy({
      idle,
      active,
      calibration: cal,
      steadyDurationMs,
      runs: run.parsed.steady.count,
      charging: { charging: onExternalPower, source },
      modelled: info.modelled
    })
  }
}
