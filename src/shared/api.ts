// The LabApi: the only door between a front end (window, browser page, CLI) and the lab.
// Requests are zod schemas (validated at the door); responses and events are types.
// Each capability keeps its part of the contract in ./contract/<capability>.ts; this file composes them.
import { z } from 'zod'
import { compareRequests, type CompareResponses } from './contract/compare'
import { coreRequests, type CoreResponses, type DeviceInfo, type JobInfo } from './contract/core'
import { dataRequests, type DataResponses } from './contract/data'
import { devicesRequests, type DevicesResponses } from './contract/devices'
import { modelsRequests, type ModelsResponses } from './contract/models'
import { profileRequests, type ProfileResponses } from './contract/profile'
import { quantizeRequests, type QuantizeResponses } from './contract/quantize'
import { settingsRequests, type SettingsResponses } from './contract/settings'
import { SearchHistoryRequestSchema, SearchRequestSchema, type SearchHistory } from './contract/search'
import type { LabErrorPayload } from './errors'

export * from './contract/compare'
export * from './contract/core'
export * from './contract/data'
export * from './contract/devices'
export * from './contract/measure'
export * from './contract/models'
export * from './contract/profile'
export * from './contract/quantize'
export * from './contract/settings'
// Only search.start and search.history come from the search contract: candidates.* are served by Compare (a superset).
export {
  SearchRequestSchema,
  SearchBaselineSchema,
  type SearchRequest,
  type SearchRequestInput,
  type SearchResult,
  type SearchHistory,
  type SearchHistoryPhase,
  type SearchHistoryPoint,
  type SearchProbabilities,
  type SearchDerivedArchitecture
} from './contract/search'
export * from './errors'

export const LAB_API_VERSION = 1

export const requestSchemas = {
  ...coreRequests,
  ...devicesRequests,
  ...dataRequests,
  ...modelsRequests,
  ...profileRequests,
  ...settingsRequests,
  ...compareRequests,
  ...quantizeRequests,
  'search.start': SearchRequestSchema,
  'search.history': SearchHistoryRequestSchema
} as const

export type Responses = CoreResponses & DevicesResponses & DataResponses & ModelsResponses & ProfileResponses & SettingsResponses & CompareResponses & QuantizeResponses & { 'search.start': JobInfo; 'search.history': SearchHistory }

export type MethodName = keyof typeof requestSchemas & keyof Responses
export const METHOD_NAMES = Object.keys(requestSchemas) as MethodName[]
/** What a caller sends (defaults may be left out). */
export type RequestOf<M extends MethodName> = z.input<(typeof requestSchemas)[M]>
/** What a handler receives after validation (defaults filled in). */
export type ParsedRequestOf<M extends MethodName> = z.output<(typeof requestSchemas)[M]>
export type ResponseOf<M extends MethodName> = Responses[M]

/** The client-side interface every transport provides. */
export interface LabClient {
  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>>
  /** Subscribe to pushed events; returns an unsubscribe function. */
  onEvent(listener: (event: LabEvent) => void): () => void
}

export type LabEvent =
  | { type: 'device.added'; device: DeviceInfo }
  | { type: 'device.changed'; device: DeviceInfo }
  | { type: 'device.removed'; serial: string }
  | { type: 'job.added'; job: JobInfo }
  | { type: 'job.progress'; job: JobInfo }
  | { type: 'job.finished'; job: JobInfo }

// ---- wire format shared by the WebSocket and IPC transports ----
export interface WireRequest {
  id: number
  method: string
  params: unknown
}
export type WireResponse = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: LabErrorPayload }
export interface WireEvent {
  event: LabEvent
}


