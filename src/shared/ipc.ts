// IPC channel names and the bridge the preload exposes as window.lab. Kept apart from api.ts so the preload
// bundle stays tiny (no zod).
import type { LabEvent, WireResponse } from './api'

export const IPC_CALL = 'lab:call'
export const IPC_EVENT = 'lab:event'

/** What the preload exposes as window.lab, and nothing more. */
export interface PreloadBridge {
  call(method: string, params: unknown): Promise<WireResponse>
  onEvent(listener: (event: LabEvent) => void): () => void
}
