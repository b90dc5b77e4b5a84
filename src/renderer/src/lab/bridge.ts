// The Electron preload exposes `window.lab` (see src/preload/index.ts); its shape is PreloadBridge from src/shared/ipc.ts.
import type { PreloadBridge } from '../../../shared/ipc'

export type { PreloadBridge }

declare global {
  interface Window {
    lab?: PreloadBridge
  }
}

/** The preload bridge when this page runs in the Electron window, otherwise null (browser mode). */
export function findPreloadBridge(): PreloadBridge | null {
  const candidate = window.lab
  return candidate && typeof candidate.call === 'function' && typeof candidate.onEvent === 'function' ? candidate : null
}
