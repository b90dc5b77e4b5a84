// The adb path to a virtual phone, through Debian's real adb server (private port) and adbkit: push / pull throughput
// (MB/s, 1 MiB vs 4 KiB max payload) and shell round trip (ms). Run: npx tsx bench/adb-transport.ts
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Client } from '@devicefarmer/adbkit'
import { readShell } from '../src/main/devices/adb/shell'
import { VirtualPhone } from '../src/main/devices/virtual/phone'
import { startPrivateAdbServer } from '../test/integration/helpers/adb-server'

const FILE_MB = 20
const REPEATS = 5
const SHELL_ROUND_TRIPS = 50

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function waitForDevice(client: Client, serial: string): Promise<void> {
  const end = Date.now() + 15_000
  while (Date.now() < end) {
    const devices: Array<{ id: string; type: string }> = await client.listDevices()
    if (devices.some((d) => d.id === serial && d.type === 'device')) return
    await new Promise((r) => setTimeout(r, 20))
  }
  throw new Error(`${serial} did not come online`)
}

async function transfer(stream: NodeJS.EventEmitter): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    stream.on('end', () => resolve())
    stream.on('error', reject)
    if ('resume' in stream && typeof (stream as NodeJS.ReadableStream).resume === 'function') (stream as NodeJS.ReadableStream).resume()
  })
}

async function measure(client: Client, phone: VirtualPhone, file: string, label: string): Promise<void> {
  const t0 = performance.now()
  await client.connect('127.0.0.1', phone.port)
  await waitForDevice(client, phone.serial)
  const connectMs = performance.now() - t0
  const device = client.getDevice(phone.serial)
  const bytes = fs.statSync(file).size
  const pushMs: number[] = []
  const pullMs: number[] = []
  for (let i = 0; i < REPEATS; i++) {
    let t = performance.now()
    await transfer(await device.push(file, '/data/local/tmp/bench.bin'))
    pushMs.push(performance.now() - t)
    t = performance.now()
    await transfer(await device.pull('/data/local/tmp/bench.bin'))
    pullMs.push(performance.now() - t)
  }
  const shellMs: number[] = []
  for (let i = 0; i < SHELL_ROUND_TRIPS; i++) {
    const t = performance.now()
    await readShell(device, 'echo hi')
    shellMs.push(performance.now() - t)
  }
  const mbps = (ms: number): string => (bytes / 1e6 / (ms / 1000)).toFixed(1)
  console.log(`\n${label}`)
  console.log(`  adb connect -> device:        ${connectMs.toFixed(1)} ms`)
  console.log(`  adbkit push ${FILE_MB} MB x${REPEATS}:       median ${median(pushMs).toFixed(1)} ms = ${mbps(median(pushMs))} MB/s (best ${mbps(Math.min(...pushMs))} MB/s)`)
  console.log(`  adbkit pull ${FILE_MB} MB x${REPEATS}:       median ${median(pullMs).toFixed(1)} ms = ${mbps(median(pullMs))} MB/s (best ${mbps(Math.min(...pullMs))} MB/s)`)
  console.log(`  adbkit shell 'echo hi' x${SHELL_ROUND_TRIPS}:  median ${median(shellMs).toFixed(2)} ms, min ${Math.min(...shellMs).toFixed(2)} ms`)
  await client.disconnect('127.0.0.1', phone.port)
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'adb-bench-'))
  const file = path.join(tmp, 'payload.bin')
  fs.writeFileSync(file, crypto.randomBytes(FILE_MB * 1024 * 1024))
  const adb = await startPrivateAdbServer()
  const phones: VirtualPhone[] = []
  try {
    const client = adb.client()
    const modern = await VirtualPhone.start({ name: 'bench_1m' })
    phones.push(modern)
    await measure(client, modern, file, 'virtual phone, max payload 1 MiB (current adbd)')
    const legacy = await VirtualPhone.start({ name: 'bench_4k', maxPayloadBytes: 4096 })
    phones.push(legacy)
    await measure(client, legacy, file, 'virtual phone, max payload 4 KiB (legacy adbd)')
  } finally {
    for (const p of phones) await p.stop()
    await adb.stop()
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

void main()
