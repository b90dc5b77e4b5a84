// The two LabClient transports: Electron IPC (the preload bridge) and a WebSocket to the lab host.
// No DOM globals here, so the same code runs under Node in tests (with the `ws` package as the socket).
import type { LabClient, LabEvent, MethodName, RequestOf, ResponseOf, WireRequest, WireResponse } from '../../../shared/api'
import { LabError } from '../../../shared/errors'
import type { PreloadBridge } from '../../../shared/ipc'

export type ConnectionStatus =
  | { state: 'connecting' }
  | { state: 'open' }
  /** The link dropped; the next attempt starts at retryAt (epoch ms). */
  | { state: 'reconnecting'; retryAt: number; attempt: number }
  /** Browser mode without a token: the person must open the link the host printed. */
  | { state: 'no-token' }
  /** The host refused the token (or never let this page in). */
  | { state: 'refused' }

export interface LabConnection extends LabClient {
  readonly transport: 'ipc' | 'websocket'
  status(): ConnectionStatus
  onStatus(listener: (status: ConnectionStatus) => void): () => void
  /** Try to connect now instead of waiting for the next backoff step. */
  retryNow(): void
  close(): void
}

type Listener<T> = (value: T) => void

class Listeners<T> {
  private readonly set = new Set<Listener<T>>()
  add(listener: Listener<T>): () => void {
    this.set.add(listener)
    return () => this.set.delete(listener)
  }
  emit(value: T): void {
    for (const listener of this.set) {
      try {
        listener(value)
      } catch (e) {
        console.error('[lab] listener failed:', e)
      }
    }
  }
}

function unwrap(response: WireResponse): unknown {
  if (response.ok) return response.result
  throw LabError.fromPayload(response.error)
}

// ---- Electron: the preload bridge ----

export class IpcLabClient implements LabConnection {
  readonly transport = 'ipc' as const
  constructor(private readonly bridge: PreloadBridge) {}

  async call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    return unwrap(await this.bridge.call(method, request)) as ResponseOf<M>
  }
  onEvent(listener: (event: LabEvent) => void): () => void {
    return this.bridge.onEvent(listener)
  }
  status(): ConnectionStatus {
    return { state: 'open' }
  }
  onStatus(): () => void {
    return () => undefined // IPC cannot drop while the window lives
  }
  retryNow(): void {}
  close(): void {}
}

// ---- Browser mode: a WebSocket to the lab host ----

/** The part of the WebSocket API this client uses (the browser's WebSocket and the `ws` package both fit). */
export interface SocketLike {
  readonly readyState: number
  send(data: string): void
  close(code?: number, reason?: string): void
  onopen: ((ev: unknown) => void) | null
  onmessage: ((ev: { data: unknown }) => void) | null
  onclose: ((ev: { code: number; reason: string }) => void) | null
  onerror: ((ev: unknown) => void) | null
}

export interface WebSocketClientOptions {
  url: string
  /** Opens a socket; the page passes the browser's WebSocket, tests pass the `ws` package's. */
  openSocket: (url: string) => SocketLike
  /** First reconnect delay; doubles per failed attempt up to maxRetryMs. */
  initialRetryMs?: number
  maxRetryMs?: number
  /** Failed attempts before the first successful open after which the page counts as refused. */
  refusedAfterAttempts?: number
  /** Called when the host explicitly refuses the token (close code 4401 or 1008), so it is not offered again. */
  onRefused?: () => void
}

/** Close codes a lab host uses to refuse a caller: 4401 (lab: unauthorized) and 1008 (policy violation). */
export const REFUSED_CLOSE_CODES: readonly number[] = [4401, 1008]
const SOCKET_OPEN = 1

interface Pending {
  resolve(value: unknown): void
  reject(error: Error): void
}

export class WebSocketLabClient implements LabConnection {
  readonly transport = 'websocket' as const
  private socket: SocketLike | null = null
  private current: ConnectionStatus = { state: 'connecting' }
  private readonly statusListeners = new Listeners<ConnectionStatus>()
  private readonly eventListeners = new Listeners<LabEvent>()
  private readonly pending = new Map<number, Pending>()
  /** Requests made while the socket is not open; sent as soon as it opens. */
  private readonly outbox: WireRequest[] = []
  private nextId = 1
  private failedAttempts = 0
  private everOpened = false
  private retryTimer: ReturnType<typeof setTimeout> | null = null
  private closed = false
  private readonly openSocket: (url: string) => SocketLike
  private readonly initialRetryMs: number
  private readonly maxRetryMs: number
  private readonly refusedAfterAttempts: number

  constructor(private readonly options: WebSocketClientOptions) {
    this.openSocket = options.openSocket
    this.initialRetryMs = options.initialRetryMs ?? 500
    this.maxRetryMs = options.maxRetryMs ?? 10_000
    this.refusedAfterAttempts = options.refusedAfterAttempts ?? 2
    this.connect()
  }

  call<M extends MethodName>(method: M, request: RequestOf<M>): Promise<ResponseOf<M>> {
    if (this.current.state === 'refused' || this.closed) {
      return Promise.reject(new LabError('unauthorized', 'The lab host refused this page: open the link it printed at start, with its token.'))
    }
    const message: WireRequest = { id: this.nextId++, method, params: request }
    return new Promise<ResponseOf<M>>((resolve, reject) => {
      this.pending.set(message.id, { resolve: resolve as (value: unknown) => void, reject })
      if (this.socket && this.socket.readyState === SOCKET_OPEN) this.socket.send(JSON.stringify(message))
      else this.outbox.push(message)
    })
  }

  onEvent(listener: (event: LabEvent) => void): () => void {
    return this.eventListeners.add(listener)
  }

  status(): ConnectionStatus {
    return this.current
  }

  onStatus(listener: (status: ConnectionStatus) => void): () => void {
    return this.statusListeners.add(listener)
  }

  retryNow(): void {
    if (this.closed || this.current.state === 'open' || this.current.state === 'connecting') return
    if (this.current.state === 'refused') {
      this.failedAttempts = 0
      this.everOpened = false
    }
    this.clearRetryTimer()
    this.connect()
  }

  close(): void {
    this.closed = true
    this.clearRetryTimer()
    this.socket?.close(1000, 'page closed')
    this.socket = null
    this.failPending('The page closed its connection to the lab host.')
  }

  private setStatus(status: ConnectionStatus): void {
    this.current = status
    this.statusListeners.emit(status)
  }

  private connect(): void {
    this.setStatus({ state: 'connecting' })
    let socket: SocketLike
    try {
      socket = this.openSocket(this.options.url)
    } catch (e) {
      console.error('[lab] could not open the WebSocket:', e)
      this.afterClose(1006)
      return
    }
    this.socket = socket
    socket.onopen = () => {
      this.everOpened = true
      this.failedAttempts = 0
      this.setStatus({ state: 'open' })
      for (const message of this.outbox.splice(0)) socket.send(JSON.stringify(message))
    }
    socket.onmessage = (ev) => this.receive(ev.data)
    socket.onerror = () => undefined // a close event always follows and carries the code
    socket.onclose = (ev) => {
      if (this.socket !== socket) return
      this.socket = null
      this.afterClose(ev.code)
    }
  }

  private afterClose(code: number): void {
    this.failPending('The connection to the lab host dropped before it answered; try again once it is back.')
    if (this.closed) return
    this.failedAttempts += 1
    const refusedByHost = REFUSED_CLOSE_CODES.includes(code)
    // The page itself came from this host, so a socket that never opens is most likely turned away too.
    const neverLetIn = !this.everOpened && this.failedAttempts >= this.refusedAfterAttempts
    if (refusedByHost || neverLetIn) {
      this.outbox.length = 0
      this.failPending('The lab host refused this page: open the link it printed at start, with its token.')
      if (refusedByHost) this.options.onRefused?.()
      this.setStatus({ state: 'refused' })
      return
    }
    const delayMs = Math.min(this.maxRetryMs, this.initialRetryMs * 2 ** (this.failedAttempts - 1))
    const jitteredMs = Math.round(delayMs * (0.8 + Math.random() * 0.4)) // spread reconnects of many pages
    this.setStatus({ state: 'reconnecting', retryAt: Date.now() + jitteredMs, attempt: this.failedAttempts })
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null
      this.connect()
    }, jitteredMs)
  }

  private clearRetryTimer(): void {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer)
    this.retryTimer = null
  }

  private failPending(sentence: string): void {
    // Requests already sent may or may not have run; the outbox (never sent) waits for the next connection.
    for (const [id, waiter] of this.pending) {
      if (this.outbox.some((m) => m.id === id)) continue
      this.pending.delete(id)
      waiter.reject(new LabError('internal', sentence))
    }
  }

  private receive(data: unknown): void {
    let message: unknown
    try {
      message = JSON.parse(typeof data === 'string' ? data : String(data))
    } catch {
      console.warn('[lab] ignored a message that is not JSON')
      return
    }
    if (isWireEvent(message)) {
      this.eventListeners.emit(message.event)
      return
    }
    if (isWireResponse(message)) {
      const waiter = this.pending.get(message.id)
      if (!waiter) return
      this.pending.delete(message.id)
      try {
        waiter.resolve(unwrap(message))
      } catch (e) {
        waiter.reject(e as Error)
      }
      return
    }
    console.warn('[lab] ignored a message of unknown shape')
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null
}

function isWireEvent(value: unknown): value is { event: LabEvent } {
  return isRecord(value) && isRecord(value.event) && typeof value.event.type === 'string'
}

function isWireResponse(value: unknown): value is WireResponse {
  if (!isRecord(value) || typeof value.id !== 'number' || typeof value.ok !== 'boolean') return false
  if (value.ok) return true
  return isRecord(value.error) && typeof value.error.code === 'string' && typeof value.error.message === 'string'
}
