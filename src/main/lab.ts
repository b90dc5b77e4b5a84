// Composition root: builds one Lab (store, devices, jobs, API handlers) for whichever front end starts it.
// The Electron window, the browser-mode host and the CLI all call createLab; nothing else constructs services.
import fs from 'node:fs'
import os from 'node:os'
import { LAB_API_VERSION, type LabInfo, type LabMode } from '../shared/api'
import type { Handlers } from './api/dispatch'
import { createHandlers } from './api/handlers'
import { DeviceRegistry } from './devices/registry'
import { LabEvents } from './events'
import { JobManager } from './jobs/manager'
import { resolveDataDir } from './paths'
import { openStore, type Store } from './store'
import { acquireDataDirLock } from './store/lock'
import { version as labVersion } from '../../package.json'

export interface LabOptions {
  mode: LabMode
  /** Explicit data folder (--data-dir); otherwise PROXYLESS_LAB_DATA_DIR or the platform's user data folder. */
  dataDir?: string | null
  /** Max concurrent jobs on the CPU queue (default: 1; searches are heavy). */
  cpuConcurrency?: number
}

export interface Lab {
  readonly options: LabOptions
  readonly dataDir: string
  readonly events: LabEvents
  readonly store: Store
  readonly devices: DeviceRegistry
  readonly jobs: JobManager
  readonly handlers: Handlers
  info(): LabInfo
  close(): Promise<void>
}

export async function createLab(options: LabOptions): Promise<Lab> {
  const dataDir = resolveDataDir(options.dataDir)
  fs.mkdirSync(dataDir, { recursive: true })
  const events = new LabEvents()
  const lock = acquireDataDirLock(dataDir, options.mode)
  const store = openStore(dataDir)
  const devices = new DeviceRegistry(events)
  const jobs = new JobManager({ store, events, cpuConcurrency: options.cpuConcurrency ?? 1 })
  let closed = false

  const lab: Lab = {
    options,
    dataDir,
    events,
    store,
    devices,
    jobs,
    handlers: undefined as unknown as Handlers,
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
      store.close()
      lock.release()
    }
  }
  ;(lab as { handlers: Handlers }).handlers = createHandlers(lab)
  // Jobs that were running when the lab last stopped are marked interrupted and can be resumed; only the process
  // that owns the data folder does this, so a CLI beside an open window leaves the window's jobs alone.
  if (lock.owner) await jobs.recover()
  return lab
}
