// Live phone tracking across any number of adb servers, feeding the DeviceRegistry; and AdbDevices, the service the
// lab starts and stops, which hands out a Target per phone.
//
// Serial scheme: a phone's lab serial is its adb serial. When that serial is already taken by a device on ANOTHER
// server (or is the reserved 'host'), the newcomer is named `<server host:port>/<adb serial>` instead, e.g.
// `10.0.0.7:5037/emulator-5554`. The first one seen keeps the plain serial until it goes away.
import path from 'node:path'
import type { Client, Device } from '@devicefarmer/adbkit'
import type { DeviceInfo, DeviceState } from '../../../shared/contract/core'
import { LabError } from '../../../shared/errors'
import type { DeviceRegistry } from '../registry'
import { HOST_SERIAL } from '../registry'
import type { Target } from '../target'
import { AdbTarget } from './adb-target'
import type { ToolSource } from './benchmark-tool'
import { readDeviceCard, isWirelessSerial } from './card'
import { AdbServer } from './connection'
import { CalibrationCache } from './energy'
import { localServerAddress, parseServerAddress, serverLabel } from './servers'
import type { ThermalSettings } from './thermal'

/** adb's state word → the lab's state and a sentence telling the person what to do. */
export function describeState(adbState: string, serial: string): { state: DeviceState; hint: string | null } {
  const s = adbState.trim()
  if (s === 'device') return { state: 'device', hint: null }
  if (s === 'unauthorized') return { state: 'unauthorized', hint: 'Unlock the phone and accept the USB debugging prompt (tick "Always allow from this computer").' }
  if (s.startsWith('no permissions')) {
    return {
      state: 'no permissions',
      hint:
        process.platform === 'linux'
          ? 'This computer may not open the USB device: install the udev rules (`sudo apt install android-sdk-platform-tools-common`), add yourself to the plugdev group, then replug the phone.'
          : 'The USB device cannot be opened: replug the phone and check its USB mode (File transfer), then accept the debugging prompt.'
    }
  }
  if (s === 'offline') {
    return {
      state: 'offline',
      hint: isWirelessSerial(serial)
        ? 'The phone does not answer over Wi-Fi: check it is on the same network and wireless debugging is on, then `adb connect` again.'
        : 'The phone is not answering: unlock it, replug the cable, or toggle USB debugging off and on.'
    }
  }
  if (s === 'authorizing' || s === 'connecting') return { state: 'connecting', hint: 'Connecting… if this does not finish, unlock the phone and accept the debugging prompt.' }
  return { state: 'unknown', hint: `adb reports the phone as "${s}" (e.g. in recovery or bootloader); boot it normally to measure on it.` }
}

type Tracker = Awaited<ReturnType<Client['trackDevices']>>

interface Entry {
  server: ServerTracker
  adbSerial: string
  labSerial: string
  adbState: string
  /** Bumped on each state change so a slow card read cannot overwrite a newer state. */
  generation: number
}

export function emptyDeviceInfo(labSerial: string, adbSerial: string, server: string, adbState: string): DeviceInfo {
  const { state, hint } = describeState(adbState, adbSerial)
  return {
    serial: labSerial,
    kind: 'adb',
    state,
    stateHint: hint,
    label: adbSerial,
    adbServer: server,
    model: null,
    manufacturer: null,
    soc: null,
    board: null,
    abis: [],
    cpuClusters: [],
    androidVersion: null,
    sdk: null,
    batteryLevelPct: null,
    batteryTempC: null,
    chargingSource: null,
    thermalZonesC: {},
    wirelessAdb: isWirelessSerial(adbSerial),
    modelled: false
  }
}

/** How often each server's list is compared with what the tracker said. */
const POLL_MS = 5_000

/** One server's trackDevices stream, reconnected with back-off if the server goes away or restarts. */
class ServerTracker {
  private tracker: Tracker | null = null
  private stopped = false
  private retryTimer: NodeJS.Timeout | null = null
  private pollTimer: NodeJS.Timeout | null = null
  private backoffMs = 250
  readonly devices = new Map<string, string>() // adb serial → adb state
  lastError: LabError | null = null
  private firstConnect: { resolve: () => void; reject: (e: LabError) => void } | null = null

  constructor(
    readonly server: AdbServer,
    private readonly onChange: (tracker: ServerTracker, adbSerial: string, adbState: string | null) => void
  ) {}

  /** Resolves once the first device list arrived, rejects if the server could not be reached at all. */
  start(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.firstConnect = { resolve, reject }
      void this.connect()
    })
  }

  private async connect(): Promise<void> {
    if (this.stopped) return
    try {
      if (this.server.address.local) await this.server.ensureRunning()
      const tracker = await this.server.client.trackDevices()
      if (this.stopped) {
        tracker.end()
        return
      }
      this.tracker = tracker
      this.lastError = null
      tracker.on('changeSet', (changes: { added: Device[]; changed: Device[]; removed: Device[] }) => {
        this.backoffMs = 250
        for (const d of [...changes.added, ...changes.changed]) {
          this.devices.set(d.id, d.type)
          this.onChange(this, d.id, d.type)
        }
        for (const d of changes.removed) {
          this.devices.delete(d.id)
          this.onChange(this, d.id, null)
        }
      })
      tracker.on('error', () => undefined) // 'end' follows; reconnect there
      tracker.on('end', () => this.lost())
      // adbkit's tracker may emit its first list before these listeners exist, so take the current list explicitly.
      await this.reconcile(false)
      this.startPolling()
      this.firstConnect?.resolve()
      this.firstConnect = null
    } catch (e) {
      this.tracker?.end()
      this.tracker = null
      this.lastError = this.server.explain(e)
      if (this.firstConnect) {
        this.firstConnect.reject(this.lastError)
        this.firstConnect = null
      }
      this.scheduleRetry()
    }
  }

  /**
   * Compare with `adb devices` and apply the differences. adb 29 does not push every transition on track-devices
   * (a TCP phone that dies turns 'offline' silently), so this also runs on a slow poll and after a failed run.
   */
  async reconcile(removeMissing = true): Promise<void> {
    const list = await this.server.client.listDevices()
    const seen = new Set<string>()
    for (const d of list) {
      seen.add(d.id)
      if (this.devices.get(d.id) === d.type) continue
      this.devices.set(d.id, d.type)
      this.onChange(this, d.id, d.type)
    }
    if (!removeMissing) return
    for (const id of [...this.devices.keys()]) {
      if (seen.has(id)) continue
      this.devices.delete(id)
      this.onChange(this, id, null)
    }
  }

  private startPolling(): void {
    if (this.pollTimer) return
    this.pollTimer = setInterval(() => {
      if (this.tracker) this.reconcile().catch(() => undefined)
    }, POLL_MS)
    this.pollTimer.unref()
  }

  /** The server connection ended: its phones are gone until it answers again. */
  private lost(): void {
    this.tracker = null
    for (const serial of [...this.devices.keys()]) {
      this.devices.delete(serial)
      this.onChange(this, serial, null)
    }
    this.scheduleRetry()
  }

  private scheduleRetry(): void {
    if (this.stopped || this.retryTimer) return
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      void this.connect()
    }, this.backoffMs)
    this.backoffMs = Math.min(this.backoffMs * 2, 5000)
  }

  stop(): void {
    this.stopped = true
    if (this.retryTimer) clearTimeout(this.retryTimer)
    this.retryTimer = null
    if (this.pollTimer) clearInterval(this.pollTimer)
    this.pollTimer = null
    this.tracker?.end()
    this.tracker = null
    for (const serial of [...this.devices.keys()]) {
      this.devices.delete(serial)
      this.onChange(this, serial, null)
    }
  }
}

export interface AdbDevicesOptions {
  registry: DeviceRegistry
  /** Track the local adb server (default true). */
  useLocalServer?: boolean
  /** Remote adb servers, 'host:port'. */
  remoteServers?: string[]
  /** The adb program used to start the local server. */
  adbBin?: string
  env?: NodeJS.ProcessEnv
  /** Folder for downloaded tools and the energy calibration cache (e.g. <dataDir>/adb). */
  cacheDir?: string | null
  /** Where the benchmark tool comes from (Settings → Benchmark tool); read at each measurement. */
  toolSource?: () => ToolSource
  thermal?: ThermalSettings
  idleBaselineMs?: number
}

export class AdbDevices {
  private readonly trackers = new Map<string, ServerTracker>()
  private readonly entries = new Map<string, Entry>() // lab serial → entry
  private readonly targets = new Map<string, AdbTarget>()
  private readonly calibrations: CalibrationCache
  private started = false

  constructor(private readonly opts: AdbDevicesOptions) {
    this.calibrations = new CalibrationCache(opts.cacheDir ? path.join(opts.cacheDir, 'energy-calibration.json') : null)
  }

  /**
   * Start tracking. A missing `adb` or unreachable local server is thrown (LabError) so the caller can show it;
   * remote servers that do not answer yet are retried in the background.
   */
  async start(): Promise<void> {
    if (this.started) return
    this.started = true
    const waits: Promise<void>[] = []
    if (this.opts.useLocalServer !== false) {
      waits.push(this.track(new AdbServer(localServerAddress(this.opts.env ?? process.env), this.opts.adbBin ?? 'adb')))
    }
    for (const remote of this.opts.remoteServers ?? []) waits.push(this.addServer(remote).catch(() => undefined))
    await Promise.all(waits)
  }

  stop(): void {
    this.started = false
    for (const t of this.trackers.values()) t.stop()
    this.trackers.clear()
  }

  servers(): { label: string; local: boolean; error: string | null }[] {
    return [...this.trackers.values()].map((t) => ({ label: t.server.label, local: t.server.address.local, error: t.lastError?.message ?? null }))
  }

  /** Track another adb server ('host:port'); resolves when its device list arrived, rejects if unreachable (retries continue). */
  async addServer(address: string): Promise<void> {
    const parsed = parseServerAddress(address)
    if (this.trackers.has(serverLabel(parsed))) return
    await this.track(new AdbServer(parsed, this.opts.adbBin ?? 'adb'))
  }

  removeServer(address: string): void {
    const label = serverLabel(parseServerAddress(address))
    const t = this.trackers.get(label)
    if (!t) throw new LabError('not_found', `The lab is not using an adb server at ${label}.`)
    t.stop()
    this.trackers.delete(label)
  }

  /** The Target for a phone; throws not_found for unknown serials. */
  target(serial: string): Target {
    const entry = this.entries.get(serial)
    if (!entry) throw new LabError('not_found', `No phone with serial "${serial}" is connected. Plug it in (or start a virtual phone) and check Devices.`)
    let target = this.targets.get(serial)
    if (!target) {
      target = new AdbTarget({
        serial,
        device: entry.server.server.device(entry.adbSerial),
        info: () => this.opts.registry.get(serial),
        toolSource: () => ({ cacheDir: this.opts.cacheDir ?? null, ...(this.opts.toolSource?.() ?? {}) }),
        thermal: this.opts.thermal,
        calibrations: this.calibrations,
        idleBaselineMs: this.opts.idleBaselineMs,
        onUnavailable: () => void entry.server.reconcile().catch(() => undefined)
      })
      this.targets.set(serial, target)
    }
    return target
  }

  /** Lab serials of the phones currently tracked. */
  serials(): string[] {
    return [...this.entries.keys()]
  }

  /** Re-read a phone's card (battery, temperatures) and update the registry. */
  async refresh(serial: string): Promise<DeviceInfo> {
    const entry = this.entries.get(serial)
    if (!entry) throw new LabError('not_found', `No phone with serial "${serial}" is connected.`)
    await this.readCard(entry)
    return this.opts.registry.get(serial)
  }

  private track(server: AdbServer): Promise<void> {
    const tracker = new ServerTracker(server, (t, adbSerial, adbState) => this.onDevice(t, adbSerial, adbState))
    this.trackers.set(server.label, tracker)
    return tracker.start()
  }

  private labSerialFor(tracker: ServerTracker, adbSerial: string): string {
    for (const e of this.entries.values()) if (e.server === tracker && e.adbSerial === adbSerial) return e.labSerial
    const taken = adbSerial === HOST_SERIAL || this.entries.has(adbSerial)
    return taken ? `${tracker.server.label}/${adbSerial}` : adbSerial
  }

  private onDevice(tracker: ServerTracker, adbSerial: string, adbState: string | null): void {
    if (adbState === null) {
      const gone = [...this.entries.values()].find((e) => e.server === tracker && e.adbSerial === adbSerial)
      if (!gone) return
      const labSerial = gone.labSerial
      this.entries.delete(labSerial)
      this.targets.delete(labSerial)
      this.opts.registry.remove(labSerial)
      return
    }
    const labSerial = this.labSerialFor(tracker, adbSerial)
    const previous = this.entries.get(labSerial)
    const entry: Entry = { server: tracker, adbSerial, labSerial, adbState, generation: (previous?.generation ?? 0) + 1 }
    this.entries.set(labSerial, entry)
    const base = this.opts.registry.has(labSerial) ? this.opts.registry.get(labSerial) : emptyDeviceInfo(labSerial, adbSerial, tracker.server.label, adbState)
    const { state, hint } = describeState(adbState, adbSerial)
    this.opts.registry.upsert({ ...base, state, stateHint: hint })
    if (state === 'device') void this.readCard(entry)
  }

  private async readCard(entry: Entry): Promise<void> {
    const generation = entry.generation
    const current = () => this.entries.get(entry.labSerial)
    try {
      const base = this.opts.registry.get(entry.labSerial)
      const card = await readDeviceCard(entry.server.server.device(entry.adbSerial), base)
      if (current()?.generation !== generation || !this.opts.registry.has(entry.labSerial)) return
      this.opts.registry.upsert({ ...card, state: 'device', stateHint: null })
    } catch (e) {
      if (current()?.generation !== generation || !this.opts.registry.has(entry.labSerial)) return
      const base = this.opts.registry.get(entry.labSerial)
      this.opts.registry.upsert({ ...base, stateHint: `Could not read the phone's details (${(e as Error).message}); it can still be measured.` })
    }
  }
}
