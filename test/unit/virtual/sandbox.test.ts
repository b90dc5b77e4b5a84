// Device path mapping into the sandbox, sync SEND parsing and the stream reader behind sync.
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { DevicePathError, normalizeDevicePath } from '../../../src/main/devices/virtual/sandbox'
import { parseSendTarget, StreamReader } from '../../../src/main/devices/virtual/sync'

describe('device paths', () => {
  it('normalizes paths that stay under /', () => {
    expect(normalizeDevicePath('/data/local/tmp/../tmp/./x')).toBe('/data/local/tmp/x')
    expect(normalizeDevicePath('//sdcard//a/')).toBe('/sdcard/a')
    expect(normalizeDevicePath('rel/x', '/data')).toBe('/data/rel/x')
  })

  it('refuses .. escapes above the device root', () => {
    for (const p of ['/..', '/../etc/passwd', '/data/../../x', '../x']) expect(() => normalizeDevicePath(p)).toThrow(DevicePathError)
  })

  it('never yields a path with .. segments (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('a', '..', '.', 'b', ''), { maxLength: 10 }), (parts) => {
        let result: string
        try {
          result = normalizeDevicePath('/' + parts.join('/'))
        } catch (e) {
          expect(e).toBeInstanceOf(DevicePathError)
          return
        }
        expect(result.startsWith('/')).toBe(true)
        expect(result.split('/')).not.toContain('..')
      })
    )
  })

  it('splits SEND targets on the last comma', () => {
    expect(parseSendTarget('/sdcard/a,b.txt,33188')).toEqual({ devicePath: '/sdcard/a,b.txt', mode: 0o100644 })
  })
})

describe('StreamReader', () => {
  it('reads records across chunk boundaries and acknowledges a chunk only once consumed or starved', async () => {
    const r = new StreamReader()
    let acked = false
    const p = r.push(Buffer.from('DATAabcd'))
    void p.then(() => (acked = true))
    expect((await r.read(4))!.toString()).toBe('DATA')
    await Promise.resolve()
    expect(acked).toBe(false)
    const rest = r.read(8) // needs more than buffered: the chunk is acknowledged so the host can send more
    await p
    expect(acked).toBe(true)
    void r.push(Buffer.from('efgh'))
    expect((await rest)!.toString()).toBe('abcdefgh')
    r.end()
    expect(await r.read(1)).toBeNull()
  })
})
