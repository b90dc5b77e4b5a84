// The registry of job kinds: kind -> the module implementing it (each exports `runner: JobRunner`).
// Modules are loaded lazily, in the worker only, so the main thread can ask what exists without loading engines.
import type { JobKind } from '../../shared/contract/core'
import type { JobRunner } from './runner'

export interface JobKindModule {
  runner: JobRunner
}

export interface JobKindEntry {
  /** The module's path next to this file (without extension), for runs from the TS sources. */
  file: string
  /** The same module as a dynamic import, which the bundler turns into a chunk. */
  load: () => Promise<JobKindModule>
}

export const jobKinds: Partial<Record<JobKind, JobKindEntry>> = {
  demo: { file: './demo', load: () => import('./demo') },
  measure: { file: '../devices/measure-job', load: () => import('../devices/measure-job') },
  quantize: { file: '../quant/job', load: () => import('../quant/job') },
  profile: { file: '../profile/job', load: () => import('../profile/job') },
  search: { file: '../nas/job', load: () => import('../nas/job') }
}

export function hasJobKind(kind: string): kind is JobKind {
  return Object.prototype.hasOwnProperty.call(jobKinds, kind)
}
