// Electron IPC transport. Typed structurally so this file needs no 'electron' import (only index.ts has one).
import type { LabEvent } from '../../shared/api'
import { IPC_CALL, IPC_EVENT } from '../../shared/ipc'
import { dispatch, type Handlers } from './dispatch'
import type { LabEvents } from '../events'

export interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void
  isDestroyed(): boolean
}
export interface IpcInvokeEventLike {
  sender: WebContentsLike
  senderFrame: { url: string } | null
}
export interface IpcMainLike {
  handle(channel: string, listener: (event: IpcInvokeEventLike, ...args: unknown[]) => Promise<unknown>): void
  removeHandler(channel: string): void
}

export interface IpcTransportOptions {
  ipcMain: IpcMainLike
  handlers: Handlers
  events: LabEvents
  /** Only frames loaded from the lab's own renderer may call the lab. */
  isTrustedUrl: (url: string) => boolean
  windows: () => WebContentsLike[]
}

export function attachIpcTransport(options: IpcTransportOptions): () => void {
  let nextId = 1
  options.ipcMain.handle(IPC_CALL, async (event, payload) => {
    const id = nextId++
    const url = event.senderFrame?.url ?? ''
    if (!options.isTrustedUrl(url)) {
      return { id, ok: false, error: { code: 'unauthorized', message: `Refused a LabApi call from ${url || 'an unknown frame'}: only the lab's own window may call it.` } }
    }
    const { method, params } = (payload ?? {}) as { method?: unknown; params?: unknown }
    return dispatch(options.handlers, id, method, params)
  })
  const unsubscribe = options.events.subscribe((event: LabEvent) => {
    for (const wc of options.windows()) if (!wc.isDestroyed()) wc.send(IPC_EVENT, event)
  })
  return () => {
    unsubscribe()
    options.ipcMain.removeHandler(IPC_CALL)
  }
}
