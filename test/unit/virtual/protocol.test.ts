// ADB message framing and streams of the virtual phone, without a network.
import net from 'node:net'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import {
  A_CLSE, A_CNXN, A_OKAY, A_OPEN, A_VERSION, A_WRTE, DeviceConnection, deviceBanner, encodeMessage, MessageParser,
  payloadChecksum, ProtocolError, type AdbMessage
} from '../../../src/main/devices/virtual/protocol'

describe('message framing', () => {
  it('writes a 24-byte little-endian header with magic = command ^ 0xffffffff', () => {
    const buf = encodeMessage({ command: A_OPEN, arg0: 5, arg1: 0, data: Buffer.from('shell:ls\0') })
    expect(buf.length).toBe(24 + 9)
    expect(buf.toString('latin1', 0, 4)).toBe('OPEN')
    expect(buf.readUInt32LE(4)).toBe(5)
    expect(buf.readUInt32LE(12)).toBe(9)
    expect(buf.readUInt32LE(16)).toBe(0) // no checksum from A_VERSION_SKIP_CHECKSUM on
    expect(buf.readUInt32LE(20)).toBe((A_OPEN ^ 0xffffffff) >>> 0)
  })

  it('computes the old-version checksum as the byte sum', () => {
    const data = Buffer.from([1, 2, 250])
    expect(payloadChecksum(data)).toBe(253)
    expect(encodeMessage({ command: A_WRTE, arg0: 1, arg1: 2, data }, true).readUInt32LE(16)).toBe(253)
  })

  it('reassembles messages split at any byte boundary', () => {
    const msgs: AdbMessage[] = [
      { command: A_CNXN, arg0: A_VERSION, arg1: 4096, data: Buffer.from('host::features=shell_v2') },
      { command: A_OKAY, arg0: 1, arg1: 2, data: Buffer.alloc(0) },
      { command: A_WRTE, arg0: 3, arg1: 4, data: Buffer.alloc(5000, 7) }
    ]
    const wire = Buffer.concat(msgs.map((m) => encodeMessage(m)))
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: wire.length - 1 }), { maxLength: 6 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b)
        const parser = new MessageParser()
        const got: AdbMessage[] = []
        let prev = 0
        for (const p of [...points, wire.length]) {
          got.push(...parser.push(wire.subarray(prev, p)))
          prev = p
        }
        expect(got.map((m) => [m.command, m.arg0, m.arg1, m.data.length])).toEqual(msgs.map((m) => [m.command, m.arg0, m.arg1, m.data.length]))
      })
    )
  })

  it('refuses a header with a wrong magic', () => {
    const buf = encodeMessage({ command: A_OKAY, arg0: 1, arg1: 1, data: Buffer.alloc(0) })
    buf.writeUInt32LE(0, 20)
    expect(() => new MessageParser().push(buf)).toThrow(ProtocolError)
  })

  it('builds the device banner and keeps separators out of values', () => {
    expect(deviceBanner({ product: 'p', model: 'Virtual Pixel;x', device: 'd', features: ['shell_v2', 'cmd'] })).toBe(
      'device::ro.product.name=p;ro.product.model=Virtual_Pixel_x;ro.product.device=d;features=shell_v2,cmd'
    )
  })
})

/** A DeviceConnection on one end of a loopback socket pair, the test playing the adb host on the other. */
async function connectionPair(hostMaxData: number, deviceMaxData = 1024 * 1024) {
  const server = net.createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const accepted = new Promise<net.Socket>((r) => server.once('connection', r))
  const host = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1')
  const deviceSocket = await accepted
  const echoed: string[] = []
  new DeviceConnection(deviceSocket, { product: 'p', model: 'm', device: 'd', features: ['shell_v2'] }, (service) => {
    if (service !== 'echo:') return null
    return (stream) => {
      stream.onData = (data) => {
        echoed.push(data.toString())
        void stream.write(data) // not awaited: the host acknowledges our WRTE independently of its own
      }
    }
  }, deviceMaxData)
  const parser = new MessageParser()
  const inbox: AdbMessage[] = []
  let wake: (() => void) | null = null
  host.on('data', (d) => {
    inbox.push(...parser.push(d))
    wake?.()
  })
  const next = async (): Promise<AdbMessage> => {
    while (inbox.length === 0) await new Promise<void>((r) => (wake = r))
    return inbox.shift()!
  }
  const send = (m: AdbMessage) => host.write(encodeMessage(m))
  const close = () => {
    host.destroy()
    deviceSocket.destroy()
    server.close()
  }
  send({ command: A_CNXN, arg0: A_VERSION, arg1: hostMaxData, data: Buffer.from('host::\0') })
  return { next, send, close, echoed }
}

describe('streams', () => {
  it('answers CNXN with the banner, refuses unknown services with CLSE(0, id) and echoes through a stream', async () => {
    const h = await connectionPair(1024 * 1024)
    try {
      const cnxn = await h.next()
      expect(cnxn.command).toBe(A_CNXN)
      expect(cnxn.data.toString()).toContain('features=shell_v2')
      h.send({ command: A_OPEN, arg0: 7, arg1: 0, data: Buffer.from('nope:\0') })
      const refused = await h.next()
      expect([refused.command, refused.arg0, refused.arg1]).toEqual([A_CLSE, 0, 7])

      h.send({ command: A_OPEN, arg0: 9, arg1: 0, data: Buffer.from('echo:\0') })
      const okay = await h.next()
      expect(okay.command).toBe(A_OKAY)
      const deviceId = okay.arg0
      h.send({ command: A_WRTE, arg0: 9, arg1: deviceId, data: Buffer.from('hello') })
      const replies = [await h.next(), await h.next()].sort((a, b) => a.command - b.command)
      const wrte = replies.find((m) => m.command === A_WRTE)!
      expect(wrte.data.toString()).toBe('hello')
      expect(replies.some((m) => m.command === A_OKAY && m.arg1 === 9)).toBe(true)
      // OKAY and CLSE for ids nobody knows are ignored (no reply, no crash)
      h.send({ command: A_OKAY, arg0: 1, arg1: 999, data: Buffer.alloc(0) })
      h.send({ command: A_CLSE, arg0: 9, arg1: deviceId, data: Buffer.alloc(0) })
      const clse = await h.next()
      expect(clse.command).toBe(A_CLSE)
    } finally {
      h.close()
    }
  })

  it('keeps one WRTE in flight and splits writes at the negotiated max payload', async () => {
    const h = await connectionPair(4096)
    try {
      expect((await h.next()).command).toBe(A_CNXN)
      h.send({ command: A_OPEN, arg0: 1, arg1: 0, data: Buffer.from('echo:\0') })
      const deviceId = (await h.next()).arg0
      h.send({ command: A_WRTE, arg0: 1, arg1: deviceId, data: Buffer.alloc(4096, 1) })
      h.send({ command: A_WRTE, arg0: 1, arg1: deviceId, data: Buffer.alloc(4096, 2) })
      // The device echoes 8192 bytes: only one WRTE (≤ 4096) may arrive before we OKAY it.
      let received = 0
      while (received < 8192) {
        const m = await h.next()
        if (m.command !== A_WRTE) continue
        expect(m.data.length).toBeLessThanOrEqual(4096)
        received += m.data.length
        await new Promise((r) => setTimeout(r, 20))
        const extra = await Promise.race([h.next().then((x) => x), new Promise<null>((r) => setTimeout(() => r(null), 30))])
        if (extra) expect(extra.command).not.toBe(A_WRTE) // a second WRTE before our OKAY would break flow control
        h.send({ command: A_OKAY, arg0: 1, arg1: deviceId, data: Buffer.alloc(0) })
      }
      expect(received).toBe(8192)
    } finally {
      h.close()
    }
  })
})
