// Composition root: builds one Lab (store, devices, jobs, API handlers) for whichever front end starts it.
// The Electron window, the browser-mode host and the CLI all call createLab; nothing else constructs services.
import fs from 'node:fs'
import os from 'node:os'
import { LAB_API_VERSION, type LabInfo, type LabMode } from '../shared/api'
import type { Handlers } from './api/dispatch'
import { createHandlers } from './api/handlers'
import { saveLookupTableService } from './profile/handlers'
import { searchServices } from './nas/services'
import { LabDevices } from './devices/service'
import { DeviceRegistry } from './devices/registry'
import { LabEvents } from './events'
import type { JobService } from './jobs/runner'
import { JobManager } from './jobs/manager'
import { resolveDataDir } from './paths'
import { SettingsFile } from './settings'
import { openStore, type Store } from './store'
import { acquireDataDirLock } from './store/lock'
import { version as labVersion } from '../../package.json'

export interface LabOptions {
  mode: LabMode
  /** Explicit data folder (--data-dir); otherwise PROXYLESS_LAB_DATA_DIR or the platform's user data folder. */
  dataDir?: string | null
  /** Max concurrent jobs on the CPU queue (default: 1; searches are heavy). */
  cpuConcurrency?: number
  /** Remote adb servers ('host:port') besides the local one (--adb). */
  adbServers?: string[]
  /**
   * 'start' tracks phones at once (default for the window and browser mode); 'lazy' waits until a call needs them
   * (default for the CLI and tests), so `jobs list` does not start an adb server.
   */
  devices?: 'start' | 'lazy'
  /**
   * Start a virtual phone when no phone is connected (the first-run experience). Default: on for the window and
   * browser mode (unless Settings turn it off), off for the CLI and tests.
   */
  firstRunVirtualPhone?: boolean
  env?: NodeJS.ProcessEnv
}

export interface Lab {
  readonly options: LabOptions
  readonly dataDir: string
  readonly events: LabEvents
  readonly store: Store
  readonly registry: DeviceRegistry
  readonly devices: LabDevices
  readonly jobs: JobManager
  readonly settings: SettingsFile
  readonly handlers: Handlers
  /** Start tracking phones (idempotent); resolves once the first device lists are in. */
  startDevices(): Promise<void>
  info(): LabInfo
  close(): Promise<void>
}

export async function createLab(options: LabOptions): Promise<Lab> {
  const dataDir = resolveDataDir(options.dataDir, options.env ?? process.env)
  fs.mkdirSync(dataDir, { recursive: true })
  const events = new LabEvents()
  const lock = acquireDataDirLock(dataDir, options.mode)
  const store = openStore(dataDir)
  const registry = new DeviceRegistry(events)
  const settings = new SettingsFile(dataDir)
  if (settings.warning) console.warn(`[lab] ${settings.warning}`)
  const devices = new LabDevices({
    registry,
    store,
    dataDir,
    adbServers: options.adbServers,
    env: options.env,
    toolSource: () => ({ localFile: settings.get().benchmarkToolPath, allowDownload: settings.get().allowBenchmarkToolDownload })
  })
  // Devices and the store live here; jobs in worker threads reach them through these services.
  const services: Record<string, JobService> = {
    ...searchServices(store),
    measure: devices.measureService(),
    device: devices.deviceService(),
    'tables.save': saveLookupTableService(store),
    'runs.setFigures': async (args) => {
      const { runId, figures } = args as { runId: string; figures: Record<string, number> }
      const run = store.getRun(runId)
      return run ? store.updateRun(runId, { figures: { ...run.figures, ...figures } }) : null
    },
    // quantize jobs: merge top-level keys into a run's settings (episode records, results), read a candidate
    'runs.patchSettings': async (args) => {
      const { runId, patch } = args as { runId: string; patch: Record<string, unknown> }
      const run = store.getRun(runId)
      const current = run && typeof run.settings === 'object' && run.settings !== null ? (run.settings as Record<string, unknown>) : {}
      return run ? store.updateRun(runId, { settings: { ...current, ...patch } }).id : null
    },
    // (candidates.insert comes from searchServices)
    'candidates.get': async (args) => store.getCandidate((args as { id: string }).id)
  }
  const jobs = new JobManager({ store, events, cpuConcurrency: options.cpuConcurrency ?? 1, services })
  let closed = false

  const lab: Lab = {
    options,
    dataDir,
    events,
    store,
    registry,
    devices,
    jobs,
    settings,
    handlers: undefined as unknown as Handlers,
    startDevices: () => devices.start(),
    info: () => ({
      version: labVersion,
      apiVersion: LAB_API_VERSION,
      mode: options.mode,
      dataDir,
      trainingBackend: null,
      platform: `${os.platform()} ${os.arch()}`
    }),
    async close() {
      if (closed) return
      closed = true
      await jobs.close()
      await devices.stop()
      store.close()
      lock.release()
    }
  }
  ;(lab as { handlers: Handlers }).handlers = createHandlers(lab)
  // Jobs that were running when the lab last stopped are marked interrupted and can be resumed; only the process
  // that owns the data folder does this, so a CLI beside an open window leaves the window's jobs alone.
  if (lock.owner) await jobs.recover()
  // The window and browser mode track phones at once; the CLI and tests only when a call needs a phone, so a test on
  // 'host' never starts an adb server (and never the user's on port 5037).
  const tracking = options.devices ?? (options.mode === 'electron' || options.mode === 'browser' ? 'start' : 'lazy')
  if (tracking === 'start') await devices.start()
  const firstRun = options.firstRunVirtualPhone ?? (options.mode === 'electron' || options.mode === 'browser')
  if (firstRun && settings.get().autoVirtualPhone) {
    // In the background: the window opens at once and the phone appears when it is ready.
    void devices.ensurePhoneForFirstRun().catch((e: unknown) => console.warn(`[lab] Could not start a virtual phone for the first run: ${e instanceof Error ? e.message : String(e)}`))
  }
  return lab
}
