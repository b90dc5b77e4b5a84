// Virtual phones as detached background processes (the CLI's `virtual-phone start|list|stop`), with a real adb server.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listVirtualPhoneDaemons, startVirtualPhoneDaemon, stopVirtualPhoneDaemon, type VirtualPhoneDaemonInfo } from '../../../src/main/devices/virtual/daemon'
import { startPrivateAdbServer, type PrivateAdbServer } from '../helpers/adb-server'

let adb: PrivateAdbServer
let runtimeDir: string
const started: VirtualPhoneDaemonInfo[] = []

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

beforeAll(async () => {
  runtimeDir = fs.mkdtempSync(path.join(os.tmpdir(), 'vphone-daemon-'))
  adb = await startPrivateAdbServer()
})

afterAll(async () => {
  await stopVirtualPhoneDaemon('all', { runtimeDir }).catch(() => [])
  for (const d of started) {
    if (alive(d.pid)) process.kill(d.pid, 'SIGKILL')
    expect(alive(d.pid)).toBe(false) // no phone process left behind
  }
  await adb.stop()
  expect(await adb.isRunning()).toBe(false)
  fs.rmSync(runtimeDir, { recursive: true, force: true })
})

describe('virtual phone daemon', () => {
  it('starts detached phones connected to the adb server, lists them and stops them', async () => {
    const a = await startVirtualPhoneDaemon({ name: 'bg_a', threads: 4, adb: `127.0.0.1:${adb.port}`, runtimeDir })
    started.push(a)
    const b = await startVirtualPhoneDaemon({ name: 'bg_b', threads: 2, adb: `127.0.0.1:${adb.port}`, runtimeDir })
    started.push(b)
    expect(a.serial).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(a.adbConnected).toBe(true)
    expect(alive(a.pid)).toBe(true)

    const listed = await listVirtualPhoneDaemons({ runtimeDir })
    expect(listed.map((d) => d.name).sort()).toEqual(['bg_a', 'bg_b'])

    // The adb server reaches it like any phone.
    let shell = { stdout: '', stderr: '', code: null as number | null }
    const end = Date.now() + 15_000
    while (Date.now() < end) {
      shell = await adb.run(['-s', a.serial, 'shell', 'getprop ro.product.name; nproc'])
      if (shell.code === 0) break
      await new Promise((r) => setTimeout(r, 100))
    }
    expect(shell.stdout).toBe('bg_a\n4\n')

    const stopped = await stopVirtualPhoneDaemon(a.serial, { runtimeDir })
    expect(stopped.map((d) => d.name)).toEqual(['bg_a'])
    expect(alive(a.pid)).toBe(false)
    expect(fs.existsSync(a.root)).toBe(false)
    expect((await listVirtualPhoneDaemons({ runtimeDir })).map((d) => d.name)).toEqual(['bg_b'])
    // Stopping disconnected it from the adb server.
    const devices = await adb.run(['devices'])
    expect(devices.stdout).not.toContain(a.serial)

    await stopVirtualPhoneDaemon('all', { runtimeDir })
    expect(alive(b.pid)).toBe(false)
    expect(await listVirtualPhoneDaemons({ runtimeDir })).toEqual([])
    await expect(stopVirtualPhoneDaemon(b.serial, { runtimeDir })).rejects.toThrow(/No virtual phone/)
  })
})
