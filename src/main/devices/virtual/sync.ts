// The `sync:` service (v1 only: STAT, LIST, SEND, RECV, QUIT). SEND is written to disk chunk by chunk and RECV is
// read from disk in ≤64 KiB chunks, so no file is ever held whole in memory.
import path from 'node:path'
import type { DeviceStream } from './protocol'
import { DevicePathError, normalizeDevicePath, S_IFMT, S_IFREG, type DeviceFs } from './sandbox'

export const SYNC_DATA_MAX = 64 * 1024
const MAX_PATH_BYTES = 1024

/**
 * Reassembles a stream's WRTE payloads into a byte reader. push() settles when every byte of the chunk has been
 * consumed or the reader is waiting for more, so the OKAY to the host (and with it the next WRTE) waits for the
 * consumer: backpressure with at most one WRTE plus one partial record in memory.
 */
export class StreamReader {
  private chunks: Buffer[] = []
  private buffered = 0
  private consumed: Array<{ upTo: number; resolve: () => void }> = []
  private totalPushed = 0
  private totalRead = 0
  private waiter: (() => void) | null = null
  private ended = false

  push(data: Buffer): Promise<void> {
    this.chunks.push(data)
    this.buffered += data.length
    this.totalPushed += data.length
    const done = new Promise<void>((resolve) => this.consumed.push({ upTo: this.totalPushed, resolve }))
    this.wake()
    return done
  }

  end(): void {
    this.ended = true
    this.wake()
  }

  /** Exactly n bytes, or null if the stream ended first. */
  async read(n: number): Promise<Buffer | null> {
    while (this.buffered < n) {
      if (this.ended) return null
      // The reader needs more bytes than are buffered: acknowledge what is held, or host and reader wait on each other.
      for (const c of this.consumed.splice(0)) c.resolve()
      await new Promise<void>((resolve) => (this.waiter = resolve))
    }
    let out: Buffer
    if (this.chunks[0].length >= n) {
      out = this.chunks[0].subarray(0, n)
      this.chunks[0] = this.chunks[0].subarray(n)
      if (this.chunks[0].length === 0) this.chunks.shift()
    } else {
      const all = Buffer.concat(this.chunks)
      out = all.subarray(0, n)
      this.chunks = all.length > n ? [all.subarray(n)] : []
    }
    this.buffered -= n
    this.totalRead += n
    while (this.consumed.length > 0 && this.consumed[0].upTo <= this.totalRead) this.consumed.shift()!.resolve()
    return out
  }

  private wake(): void {
    const w = this.waiter
    this.waiter = null
    w?.()
  }
}

function syncPacket(id: string, value: number, data?: Buffer): Buffer {
  const head = Buffer.alloc(8)
  head.write(id, 0, 'latin1')
  head.writeUInt32LE(value >>> 0, 4)
  return data ? Buffer.concat([head, data]) : head
}

function failPacket(message: string): Buffer {
  const msg = Buffer.from(message, 'utf8')
  return syncPacket('FAIL', msg.length, msg)
}

/** Splits a SEND argument "path,mode" on the last comma; mode is decimal with the type bits. */
export function parseSendTarget(spec: string): { devicePath: string; mode: number } {
  const comma = spec.lastIndexOf(',')
  if (comma < 0) return { devicePath: spec, mode: S_IFREG | 0o644 }
  const mode = Number.parseInt(spec.slice(comma + 1), 10)
  return { devicePath: spec.slice(0, comma), mode: Number.isFinite(mode) ? mode : S_IFREG | 0o644 }
}

export function startSyncService(stream: DeviceStream, fs: DeviceFs): void {
  const reader = new StreamReader()
  stream.onData = (data) => reader.push(data)
  stream.onClose(() => reader.end())
  void serveSync(stream, reader, fs).finally(() => stream.close())
}

async function serveSync(stream: DeviceStream, reader: StreamReader, fs: DeviceFs): Promise<void> {
  for (;;) {
    const head = await reader.read(8)
    if (!head) return
    const id = head.toString('latin1', 0, 4)
    const length = head.readUInt32LE(4)
    if (id === 'QUIT') return
    if (length > MAX_PATH_BYTES) {
      await stream.write(failPacket(`path too long (${length} bytes)`))
      return
    }
    const arg = await reader.read(length)
    if (!arg) return
    const text = arg.toString('utf8')
    switch (id) {
      case 'STAT':
        await stream.write(await statReply(fs, text))
        break
      case 'LIST':
        await listReply(stream, fs, text)
        break
      case 'SEND':
        if (!(await receiveFile(stream, reader, fs, text))) return
        break
      case 'RECV':
        await sendFile(stream, fs, text)
        break
      default:
        await stream.write(failPacket(`unknown sync command ${JSON.stringify(id)}`))
        return
    }
  }
}

async function statReply(fs: DeviceFs, devicePath: string): Promise<Buffer> {
  const reply = Buffer.alloc(16)
  reply.write('STAT', 0, 'latin1')
  let st = null
  try {
    st = await fs.stat(devicePath)
  } catch {
    st = null // an escaping path looks like a missing file, as STAT has no error reply
  }
  if (st) {
    reply.writeUInt32LE(st.mode >>> 0, 4)
    reply.writeUInt32LE(Math.min(st.size, 0xffffffff), 8)
    reply.writeUInt32LE(st.mtimeS >>> 0, 12)
  }
  return reply
}

async function listReply(stream: DeviceStream, fs: DeviceFs, devicePath: string): Promise<void> {
  let dir: string | null = null
  try {
    dir = normalizeDevicePath(devicePath)
  } catch {
    dir = null
  }
  const names = dir ? await fs.list(dir) : null
  if (dir && names) {
    for (const name of ['.', '..', ...names]) {
      const target = name === '.' ? dir : name === '..' ? path.posix.dirname(dir) : path.posix.join(dir, name)
      const st = await fs.stat(target)
      const nameBytes = Buffer.from(name, 'utf8')
      const dent = Buffer.alloc(20)
      dent.write('DENT', 0, 'latin1')
      dent.writeUInt32LE((st?.mode ?? 0) >>> 0, 4)
      dent.writeUInt32LE(Math.min(st?.size ?? 0, 0xffffffff), 8)
      dent.writeUInt32LE((st?.mtimeS ?? 0) >>> 0, 12)
      dent.writeUInt32LE(nameBytes.length, 16)
      void stream.write(Buffer.concat([dent, nameBytes]))
    }
  }
  await stream.write(syncPacket('DONE', 0, Buffer.alloc(12)))
}

/** Returns false when the stream must end (protocol error). */
async function receiveFile(stream: DeviceStream, reader: StreamReader, fs: DeviceFs, spec: string): Promise<boolean> {
  const { devicePath, mode } = parseSendTarget(spec)
  let handle: Awaited<ReturnType<DeviceFs['openWrite']>> | null = null
  let failure: string | null = null
  try {
    let target = devicePath
    const existing = await fs.stat(devicePath)
    if (existing?.isDirectory) throw new DevicePathError(`${devicePath}: Is a directory`)
    if ((mode & S_IFMT) !== S_IFREG && (mode & S_IFMT) !== 0) throw new DevicePathError(`${devicePath}: only regular files can be pushed to the virtual phone`)
    target = normalizeDevicePath(target)
    handle = await fs.openWrite(target, { mode: mode & 0o7777 || 0o644 })
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e)
  }
  // Consume DATA chunks until DONE, writing each one straight to disk (or dropping it after a failure).
  for (;;) {
    const head = await reader.read(8)
    if (!head) {
      await handle?.close()
      return false
    }
    const id = head.toString('latin1', 0, 4)
    const value = head.readUInt32LE(4)
    if (id === 'DATA') {
      if (value > SYNC_DATA_MAX) {
        await handle?.close()
        await stream.write(failPacket(`DATA chunk of ${value} bytes exceeds ${SYNC_DATA_MAX}`))
        return false
      }
      const chunk = await reader.read(value)
      if (!chunk) {
        await handle?.close()
        return false
      }
      if (handle && !failure) {
        try {
          await handle.write(chunk)
        } catch (e) {
          failure = `${devicePath}: ${e instanceof Error ? e.message : String(e)}`
        }
      }
    } else if (id === 'DONE') {
      if (handle) {
        try {
          await handle.utimes(value, value)
        } catch {
          // keep the write even if the time cannot be set
        }
        await handle.close()
      }
      await stream.write(failure ? failPacket(failure) : syncPacket('OKAY', 0))
      return true
    } else {
      await handle?.close()
      await stream.write(failPacket(`unexpected ${JSON.stringify(id)} during SEND`))
      return false
    }
  }
}

async function sendFile(stream: DeviceStream, fs: DeviceFs, devicePath: string): Promise<void> {
  try {
    // Read 1 MiB at a time from disk and send it as 64 KiB DATA records (the sync limit), one WRTE-sized write.
    for await (const block of fs.readChunks(devicePath, 16 * SYNC_DATA_MAX)) {
      if (stream.isClosed) return
      const records: Buffer[] = []
      for (let i = 0; i < block.length; i += SYNC_DATA_MAX) {
        const chunk = block.subarray(i, i + SYNC_DATA_MAX)
        records.push(syncPacket('DATA', chunk.length), chunk)
      }
      const sent = stream.write(Buffer.concat(records))
      // Keep about one max payload queued so WRTEs stay full, but no more (memory stays bounded).
      if (stream.pendingBytes >= 2 * 1024 * 1024) await sent
    }
  } catch (e) {
    await stream.write(failPacket(e instanceof Error ? e.message : String(e)))
    return
  }
  await stream.write(syncPacket('DONE', 0))
}
