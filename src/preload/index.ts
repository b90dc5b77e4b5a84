// The preload exposes the LabApi to the window through contextBridge, and nothing more.
import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron'
import { IPC_CALL, IPC_EVENT, type PreloadBridge } from '../shared/ipc'
import type { LabEvent, WireResponse } from '../shared/api'

const bridge: PreloadBridge = {
  call: (method: string, params: unknown) => ipcRenderer.invoke(IPC_CALL, { method, params }) as Promise<WireResponse>,
  onEvent: (listener: (event: LabEvent) => void) => {
    const wrapped = (_e: IpcRendererEvent, event: LabEvent) => listener(event)
    ipcRenderer.on(IPC_EVENT, wrapped)
    return () => {
      ipcRenderer.removeListener(IPC_EVENT, wrapped)
    }
  }
}

contextBridge.exposeInMainWorld('lab', bridge)
