// The renderer's only way to the lab: IPC when the Electron preload is present, otherwise a WebSocket to the
// host that served this page, authorised by the token from the link the host printed.
import { LabError } from '../../../shared/errors'
import { findPreloadBridge } from './bridge'
import { adoptTokenFromLocation, forgetToken } from './token'
import { IpcLabClient, WebSocketLabClient, type ConnectionStatus, type LabConnection, type SocketLike } from './transport'

export type { ConnectionStatus, LabConnection }

/** A client that never connects: browser mode opened without the token. */
class NoTokenClient implements LabConnection {
  readonly transport = 'websocket' as const
  call(): Promise<never> {
    return Promise.reject(new LabError('unauthorized', 'This lab host needs the link it printed at start, with its token.'))
  }
  onEvent(): () => void {
    return () => undefined
  }
  status(): ConnectionStatus {
    return { state: 'no-token' }
  }
  onStatus(): () => void {
    return () => undefined
  }
  retryNow(): void {}
  close(): void {}
}

export function labSocketUrl(location: Location, token: string): string {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws'
  return `${scheme}://${location.host}/api?token=${encodeURIComponent(token)}`
}

/** IPC when the Electron preload is present, otherwise a WebSocket to the host that served this page. */
export function createLabConnection(): LabConnection {
  const bridge = findPreloadBridge()
  if (bridge) return new IpcLabClient(bridge)
  const token = adoptTokenFromLocation()
  if (!token) return new NoTokenClient()
  return new WebSocketLabClient({
    url: labSocketUrl(window.location, token),
    openSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    onRefused: forgetToken
  })
}
