// The real adb server (Debian adb), private port and HOME: started on demand, tracked, restarted; adb missing.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { AdbDevices } from '../../../src/main/devices/adb'
import { DeviceRegistry } from '../../../src/main/devices/registry'
import { LabEvents } from '../../../src/main/events'
import { LabError } from '../../../src/shared/errors'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer()
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
    s.on('error', reject)
  })
}

/** Pid of the adb server listening on this port (its command line has `-L tcp:<port>`), or null. */
function serverPid(p: number): string | null {
  try {
    return execFileSync('pgrep', ['-f', `adb -L tcp:${p} `], { encoding: 'utf8' }).trim().split('\n')[0] || null
  } catch {
    return null
  }
}

function canConnect(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(p, '127.0.0.1')
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

const waitFor = async (what: string, ok: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

let tmp: string
let adbWrapper: string
let port: number

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'adb-life-'))
  // adbkit starts the server with `<bin> -P <port> start-server`; the wrapper keeps it out of the real HOME and emulators.
  adbWrapper = path.join(tmp, 'adb')
  fs.writeFileSync(adbWrapper, `#!/bin/sh\nexport HOME='${tmp}' ANDROID_ADB_LOG_PATH='${tmp}/adb.log' ADB_EMU=0\nexec adb "$@"\n`, { mode: 0o755 })
  port = await freePort()
})

afterAll(() => {
  try {
    execFileSync(adbWrapper, ['-P', String(port), 'kill-server'], { stdio: 'ignore' })
  } catch {
    // not running
  }
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe('local adb server', () => {
  it('says how to install adb when it is missing', async () => {
    const registry = new DeviceRegistry(new LabEvents())
    const devices = new AdbDevices({ registry, adbBin: path.join(tmp, 'no-such-adb'), env: { ANDROID_ADB_SERVER_PORT: String(await freePort()) } })
    const err = await devices.start().then(() => null, (e: unknown) => e)
    devices.stop()
    expect(err).toBeInstanceOf(LabError)
    expect((err as LabError).code).toBe('tool_missing')
    expect((err as LabError).message).toMatch(/apt install adb/)
  })

  it('starts the server when absent, and tracks again after the server restarts', async () => {
    const registry = new DeviceRegistry(new LabEvents())
    const devices = new AdbDevices({ registry, adbBin: adbWrapper, env: { ADB_SERVER_SOCKET: `tcp:127.0.0.1:${port}` } })
    await devices.start()
    expect(devices.servers()).toEqual([{ label: `127.0.0.1:${port}`, local: true, error: null }])
    expect(devices.serials()).toEqual([])
    const pidBefore = serverPid(port)
    expect(pidBefore).not.toBeNull()
    execFileSync(adbWrapper, ['-P', String(port), 'kill-server'])
    // Only the lab's tracker can bring the server back (adbkit restarts the local server through the wrapper).
    let back = false
    const deadline = Date.now() + 30_000
    while (!back && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100))
      back = await canConnect(port)
    }
    expect(back).toBe(true)
    await waitFor('a new server process', () => serverPid(port) !== null && serverPid(port) !== pidBefore)
    await waitFor('the tracker to reconnect', () => devices.servers()[0].error === null)
    devices.stop()
  })

  it('rejects a remote server that does not answer, with a sentence', async () => {
    const registry = new DeviceRegistry(new LabEvents())
    const devices = new AdbDevices({ registry, useLocalServer: false })
    const dead = await freePort()
    const err = await devices.addServer(`127.0.0.1:${dead}`).then(() => null, (e: unknown) => e)
    devices.stop()
    expect((err as LabError).code).toBe('device_unavailable')
    expect((err as LabError).message).toMatch(new RegExp(`adb server at 127.0.0.1:${dead} is not reachable`))
  })
})
