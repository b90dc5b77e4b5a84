// The device side of the ADB transport protocol: 24-byte message framing, the CNXN handshake and
// multiplexed streams (OPEN/OKAY/WRTE/CLSE) with one WRTE in flight per direction.
import type { Socket } from 'node:net'

export const A_CNXN = 0x4e584e43
export const A_AUTH = 0x48545541
export const A_OPEN = 0x4e45504f
export const A_OKAY = 0x59414b4f
export const A_WRTE = 0x45545257
export const A_CLSE = 0x45534c43
export const A_STLS = 0x534c5453

export const A_VERSION_MIN = 0x01000000
/** From this version on, data_check is not computed (sent as 0). */
export const A_VERSION_SKIP_CHECKSUM = 0x01000001
export const A_VERSION = A_VERSION_SKIP_CHECKSUM
export const MAX_PAYLOAD_V1 = 4096
export const MAX_PAYLOAD = 1024 * 1024
export const HEADER_BYTES = 24

export interface AdbMessage {
  command: number
  arg0: number
  arg1: number
  data: Buffer
}

export function commandName(command: number): string {
  const b = Buffer.alloc(4)
  b.writeUInt32LE(command >>> 0)
  return /^[A-Z]{4}$/.test(b.toString('latin1')) ? b.toString('latin1') : `0x${(command >>> 0).toString(16)}`
}

/** The checksum of old protocol versions: the unsigned sum of the payload bytes. */
export function payloadChecksum(data: Buffer): number {
  let sum = 0
  for (let i = 0; i < data.length; i++) sum = (sum + data[i]) >>> 0
  return sum
}

export function encodeMessage(msg: AdbMessage, withChecksum = false): Buffer {
  const header = Buffer.alloc(HEADER_BYTES)
  header.writeUInt32LE(msg.command >>> 0, 0)
  header.writeUInt32LE(msg.arg0 >>> 0, 4)
  header.writeUInt32LE(msg.arg1 >>> 0, 8)
  header.writeUInt32LE(msg.data.length, 12)
  header.writeUInt32LE(withChecksum ? payloadChecksum(msg.data) : 0, 16)
  header.writeUInt32LE((msg.command ^ 0xffffffff) >>> 0, 20)
  return msg.data.length === 0 ? header : Buffer.concat([header, msg.data])
}

export class ProtocolError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ProtocolError'
  }
}

/** Splits a TCP byte stream into messages. Throws ProtocolError on a bad magic or an oversized payload. */
export class MessageParser {
  private chunks: Buffer[] = []
  private buffered = 0

  constructor(private readonly maxPayloadBytes: number = MAX_PAYLOAD) {}

  push(data: Buffer): AdbMessage[] {
    this.chunks.push(data)
    this.buffered += data.length
    const out: AdbMessage[] = []
    for (;;) {
      if (this.buffered < HEADER_BYTES) break
      const head = this.peek(HEADER_BYTES)
      const command = head.readUInt32LE(0)
      const magic = head.readUInt32LE(20)
      if (((command ^ 0xffffffff) >>> 0) !== magic) throw new ProtocolError(`bad magic for command ${commandName(command)}`)
      const length = head.readUInt32LE(12)
      if (length > this.maxPayloadBytes) throw new ProtocolError(`payload of ${length} bytes exceeds the limit of ${this.maxPayloadBytes}`)
      if (this.buffered < HEADER_BYTES + length) break
      const whole = this.take(HEADER_BYTES + length)
      out.push({ command, arg0: whole.readUInt32LE(4), arg1: whole.readUInt32LE(8), data: whole.subarray(HEADER_BYTES) })
    }
    return out
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0].subarray(0, n)
    const all = Buffer.concat(this.chunks)
    this.chunks = [all]
    return all.subarray(0, n)
  }

  private take(n: number): Buffer {
    const first = this.chunks[0]
    let result: Buffer
    if (first.length >= n) {
      result = first.subarray(0, n)
      if (first.length === n) this.chunks.shift()
      else this.chunks[0] = first.subarray(n)
    } else {
      const all = Buffer.concat(this.chunks)
      result = all.subarray(0, n)
      this.chunks = all.length > n ? [all.subarray(n)] : []
    }
    this.buffered -= n
    return result
  }
}

export interface DeviceIdentity {
  /** ro.product.name */
  product: string
  /** ro.product.model */
  model: string
  /** ro.product.device */
  device: string
  features: string[]
}

/** Banner values may not contain the separators of the banner format. */
export function bannerSafe(value: string): string {
  return value.replace(/[:;=,\s]/g, '_')
}

export function deviceBanner(id: DeviceIdentity): string {
  return (
    `device::ro.product.name=${bannerSafe(id.product)};ro.product.model=${bannerSafe(id.model)};` +
    `ro.product.device=${bannerSafe(id.device)};features=${id.features.join(',')}`
  )
}

/** One open stream on the device side. Writes are queued, coalesced and sent one WRTE at a time. */
export class DeviceStream {
  private readonly queue: Buffer[] = []
  private queuedBytes = 0
  private waitingForOkay = false
  private drainWaiters: Array<() => void> = []
  private closed = false
  private closeListeners: Array<() => void> = []
  /** Set by the service; called with each incoming WRTE payload. The OKAY goes back when the promise settles. */
  onData: (data: Buffer) => void | Promise<void> = () => {}

  constructor(
    private readonly conn: DeviceConnection,
    readonly localId: number,
    readonly remoteId: number,
    readonly service: string
  ) {}

  get isClosed(): boolean {
    return this.closed
  }

  /** Bytes queued but not yet sent. */
  get pendingBytes(): number {
    return this.queuedBytes
  }

  /** Queues bytes; resolves when they have been sent and acknowledged (use it for backpressure). */
  write(data: Buffer | string): Promise<void> {
    if (this.closed) return Promise.resolve()
    const buf = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
    if (buf.length > 0) {
      this.queue.push(buf)
      this.queuedBytes += buf.length
    }
    const done = new Promise<void>((resolve) => this.drainWaiters.push(resolve))
    this.pump()
    return done
  }

  /** Resolves once every queued byte is acknowledged. */
  flush(): Promise<void> {
    return this.write(Buffer.alloc(0))
  }

  /** Sends what is queued, then CLSE. */
  async end(): Promise<void> {
    await this.flush()
    this.close()
  }

  close(): void {
    if (this.closed) return
    this.conn.send(A_CLSE, this.localId, this.remoteId)
    this.markClosed()
  }

  onClose(listener: () => void): void {
    if (this.closed) listener()
    else this.closeListeners.push(listener)
  }

  /** @internal the peer acknowledged our last WRTE */
  handleOkay(): void {
    this.waitingForOkay = false
    this.pump()
  }

  /** @internal */
  markClosed(): void {
    if (this.closed) return
    this.closed = true
    this.queue.length = 0
    this.queuedBytes = 0
    for (const w of this.drainWaiters.splice(0)) w()
    for (const l of this.closeListeners.splice(0)) l()
    this.conn.forget(this.localId)
  }

  private pump(): void {
    if (this.closed || this.waitingForOkay) return
    if (this.queuedBytes === 0) {
      for (const w of this.drainWaiters.splice(0)) w()
      return
    }
    const max = this.conn.maxPayloadBytes
    const parts: Buffer[] = []
    let size = 0
    while (this.queue.length > 0 && size < max) {
      const head = this.queue[0]
      const room = max - size
      if (head.length <= room) {
        parts.push(head)
        size += head.length
        this.queue.shift()
      } else {
        parts.push(head.subarray(0, room))
        this.queue[0] = head.subarray(room)
        size += room
      }
    }
    this.queuedBytes -= size
    this.waitingForOkay = true
    this.conn.send(A_WRTE, this.localId, this.remoteId, parts.length === 1 ? parts[0] : Buffer.concat(parts, size))
  }
}

/** Decides what to do with an OPEN: return a starter to accept, or null to refuse with CLSE. */
export type ServiceRouter = (service: string) => ((stream: DeviceStream) => void) | null

/** One host connection (one TCP socket) to the virtual device. */
export class DeviceConnection {
  private readonly parser: MessageParser
  private readonly streams = new Map<number, DeviceStream>()
  /** Per stream: the chain of pending onData handlers, so WRTEs are handled in order. */
  private readonly inbound = new Map<number, Promise<void>>()
  private nextLocalId = 1
  private connected = false
  version = A_VERSION
  maxPayloadBytes = MAX_PAYLOAD_V1

  constructor(
    private readonly socket: Socket,
    private readonly identity: DeviceIdentity,
    private readonly router: ServiceRouter,
    private readonly deviceMaxPayloadBytes: number = MAX_PAYLOAD
  ) {
    this.parser = new MessageParser(MAX_PAYLOAD)
    socket.setNoDelay(true)
    socket.on('data', (data: Buffer) => {
      let messages: AdbMessage[]
      try {
        messages = this.parser.push(data)
      } catch {
        socket.destroy() // a wrong magic or size means we lost the framing: drop the connection
        return
      }
      for (const m of messages) this.handle(m)
    })
    socket.on('close', () => this.closeAll())
    socket.on('error', () => this.closeAll())
  }

  get openStreamCount(): number {
    return this.streams.size
  }

  send(command: number, arg0: number, arg1: number, data: Buffer = Buffer.alloc(0)): void {
    if (this.socket.destroyed) return
    this.socket.write(encodeMessage({ command, arg0, arg1, data }, this.version < A_VERSION_SKIP_CHECKSUM))
  }

  forget(localId: number): void {
    this.streams.delete(localId)
    this.inbound.delete(localId)
  }

  destroy(): void {
    this.socket.destroy()
    this.closeAll()
  }

  private closeAll(): void {
    for (const s of [...this.streams.values()]) s.markClosed()
  }

  private handle(m: AdbMessage): void {
    switch (m.command) {
      case A_CNXN: {
        this.version = Math.max(A_VERSION_MIN, Math.min(m.arg0 >>> 0, A_VERSION))
        this.maxPayloadBytes = Math.min(m.arg1 >>> 0 || MAX_PAYLOAD_V1, this.deviceMaxPayloadBytes)
        // A host reconnecting on the same socket starts over.
        this.closeAll()
        this.connected = true
        this.send(A_CNXN, A_VERSION, this.deviceMaxPayloadBytes, Buffer.from(deviceBanner(this.identity), 'utf8'))
        return
      }
      case A_OPEN: {
        if (!this.connected) return
        const service = m.data.toString('utf8').replace(/\0+$/, '')
        const start = this.router(service)
        if (!start) {
          this.send(A_CLSE, 0, m.arg0)
          return
        }
        const localId = this.nextLocalId++
        const stream = new DeviceStream(this, localId, m.arg0, service)
        this.streams.set(localId, stream)
        this.send(A_OKAY, localId, m.arg0)
        try {
          start(stream)
        } catch {
          stream.close()
        }
        return
      }
      case A_OKAY: {
        this.streams.get(m.arg1)?.handleOkay() // OKAY for an unknown id: ignore
        return
      }
      case A_WRTE: {
        const stream = this.streams.get(m.arg1)
        if (!stream) return
        const previous = this.inbound.get(stream.localId) ?? Promise.resolve()
        const next = previous
          .then(() => stream.onData(m.data))
          .catch(() => stream.close())
          .then(() => {
            if (!stream.isClosed) this.send(A_OKAY, stream.localId, stream.remoteId)
          })
        this.inbound.set(stream.localId, next)
        return
      }
      case A_CLSE: {
        const stream = this.streams.get(m.arg1)
        if (stream) stream.close() // the peer closed: answer with our CLSE (as adbd does) and drop the stream
        return
      }
      default:
        return // AUTH from the host, STLS, or unknown: an insecure device ignores them
    }
  }
}
