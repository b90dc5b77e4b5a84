// The lab's devices: the registry, this computer, phones over adb (local and remote servers), virtual phones,
// and the 'measure' service jobs call from their workers.
import fs from 'node:fs'
import path from 'node:path'
import { BenchmarkSettingsSchema, LabError, type DevicesStatus, type MeasurementRecordInfo, type VirtualPhoneInfo } from '../../shared/api'
import type { JobService } from '../jobs/runner'
import type { Store } from '../store'
import { AdbDevices } from './adb'
import { HostTarget } from './host/target'
import { DeviceRegistry, HOST_SERIAL } from './registry'
import type { Target } from './target'
import { listVirtualPhoneDaemons, startVirtualPhoneDaemon, stopVirtualPhoneDaemon, type VirtualPhoneDaemonInfo } from './virtual/daemon'
import { localServerAddress } from './adb/servers'

export interface LabDevicesOptions {
  registry: DeviceRegistry
  store: Store
  dataDir: string
  /** Remote adb servers ('host:port') to track besides the local one. */
  adbServers?: string[]
  env?: NodeJS.ProcessEnv
  /** Settings → Benchmark tool, read at each measurement. */
  toolSource?: () => { localFile: string | null; allowDownload: boolean }
}

export class LabDevices {
  readonly registry: DeviceRegistry
  readonly adb: AdbDevices
  readonly host = new HostTarget()
  private adbProblem: string | null = null
  private starting: Promise<void> | null = null
  /** Virtual phones this lab started (first run, or "Add virtual phone"): they stop when the lab closes. */
  private readonly ownedVirtualPhones = new Set<string>()
  private stopped = false

  constructor(private readonly opts: LabDevicesOptions) {
    this.registry = opts.registry
    this.adb = new AdbDevices({
      registry: opts.registry,
      remoteServers: opts.adbServers ?? [],
      cacheDir: path.join(opts.dataDir, 'adb'),
      env: opts.env,
      toolSource: opts.toolSource
    })
  }

  /** Start tracking phones. A missing adb is remembered (and shown), not thrown: this computer still works. */
  start(): Promise<void> {
    this.starting ??= this.adb.start().then(
      () => {
        this.adbProblem = null
      },
      (e: unknown) => {
        this.adbProblem = e instanceof Error ? e.message : String(e)
      }
    )
    return this.starting
  }

  async stop(): Promise<void> {
    this.stopped = true
    for (const serial of this.ownedVirtualPhones) await stopVirtualPhoneDaemon(serial).catch(() => undefined)
    this.ownedVirtualPhones.clear()
    this.adb.stop()
    await this.host.close()
  }

  /**
   * First run without a phone: when adb works and no phone (real or virtual) is ready, start one virtual phone so
   * Profile works at once. Returns its serial, or null when nothing was needed (or adb is missing: the window says
   * how to install it, and "This computer" keeps working).
   */
  async ensurePhoneForFirstRun(): Promise<string | null> {
    await this.start()
    if (this.adbProblem) return null
    const ready = () => this.registry.list().some((d) => d.kind !== 'host' && d.state === 'device')
    // Phones plugged in a moment ago may still be coming up (offline → device).
    for (let i = 0; i < 10 && !ready(); i++) {
      if (this.registry.list().every((d) => d.kind === 'host')) break
      await new Promise((r) => setTimeout(r, 200))
    }
    if (ready()) return null
    const phone = await this.startVirtualPhone({ name: 'virtual-pixel', threads: 4 })
    return phone.serial
  }

  status(): DevicesStatus {
    return { servers: this.adb.servers(), adbProblem: this.adbProblem }
  }

  /** The adb server this lab uses for phones it starts itself (virtual phones), as 'host:port'. */
  localAdbServer(): string {
    const a = localServerAddress(this.opts.env ?? process.env)
    return `${a.host}:${a.port}`
  }

  target(serial: string): Target {
    if (serial === HOST_SERIAL) return this.host
    return this.adb.target(serial)
  }

  async refresh(serial: string) {
    if (serial === HOST_SERIAL) return this.registry.get(HOST_SERIAL)
    return this.adb.refresh(serial)
  }

  async listVirtualPhones(): Promise<VirtualPhoneInfo[]> {
    return (await listVirtualPhoneDaemons()).map(toVirtualPhoneInfo)
  }

  /**
   * Start a virtual phone in the background. `ownedByLab` phones (the first-run phone, "Add virtual phone" in the
   * window) stop when the lab closes; the CLI's `virtual-phone start` phones keep running until `virtual-phone stop`.
   */
  async startVirtualPhone(req: { name?: string; threads?: number }, ownedByLab = true): Promise<VirtualPhoneInfo> {
    const info = await startVirtualPhoneDaemon({ name: req.name, threads: req.threads, adb: this.localAdbServer() })
    if (ownedByLab) this.ownedVirtualPhones.add(info.serial)
    if (this.stopped) {
      // The lab closed while the phone was starting: do not leave it behind.
      this.ownedVirtualPhones.delete(info.serial)
      await stopVirtualPhoneDaemon(info.serial).catch(() => undefined)
      throw new LabError('conflict', 'The lab closed while the virtual phone was starting.')
    }
    if (!info.adbConnected) {
      this.ownedVirtualPhones.delete(info.serial)
      await stopVirtualPhoneDaemon(info.serial).catch(() => undefined)
      throw new LabError('device_unavailable', `The virtual phone started but could not join the adb server at ${this.localAdbServer()}: ${info.adbError ?? 'no answer'}. ${this.adbProblem ?? ''}`.trim())
    }
    return toVirtualPhoneInfo(info)
  }

  async stopVirtualPhone(serial: string): Promise<VirtualPhoneInfo[]> {
    await stopVirtualPhoneDaemon(serial === 'all' ? 'all' : serial)
    if (serial === 'all') this.ownedVirtualPhones.clear()
    else this.ownedVirtualPhones.delete(serial)
    return this.listVirtualPhones()
  }

  /** The 'measure' job service: measure a model on a target and store the measurement (only complete ones). */
  measureService(): JobService {
    return async (args, { signal }) => {
      const a = args as { serial: string; model: Uint8Array; settings?: unknown; runId?: string | null; candidateId?: string | null }
      const settings = BenchmarkSettingsSchema.parse(a.settings ?? {})
      const measurement = await this.target(a.serial).measure(a.model, settings, { signal })
      const record = this.opts.store.insertMeasurement({ runId: a.runId ?? null, candidateId: a.candidateId ?? null, measurement })
      return { id: record.id, candidateId: record.candidateId, runId: record.runId, measurement: record.measurement } satisfies MeasurementRecordInfo
    }
  }

  deviceService(): JobService {
    return async (args) => this.registry.get((args as { serial: string }).serial)
  }
}

function toVirtualPhoneInfo(d: VirtualPhoneDaemonInfo): VirtualPhoneInfo {
  return { serial: d.serial, name: d.name, threads: d.threads, port: d.port, pid: d.pid, adbServer: d.adbServer, adbConnected: d.adbConnected, startedAt: d.startedAt }
}

/** Read a model for measuring: a path on the lab host or base64 bytes from the window. */
export function readModelInput(req: { modelPath?: string; modelBase64?: string }): Uint8Array {
  if (req.modelPath !== undefined) {
    const file = path.resolve(req.modelPath)
    if (!fs.existsSync(file)) throw new LabError('not_found', `There is no file at ${file}; check the path.`)
    return new Uint8Array(fs.readFileSync(file))
  }
  const bytes = Buffer.from(req.modelBase64 ?? '', 'base64')
  if (bytes.length === 0) throw new LabError('bad_request', 'The model file is empty.')
  return new Uint8Array(bytes)
}
