// Entry of one virtual phone daemon (spawned detached by daemon.ts): start the phone, connect it to the adb server,
// write the state file, stay alive; on SIGTERM/SIGINT disconnect from adb, stop and clean up.
import fsp from 'node:fs/promises'
import { disconnectFromAdb, parseAdbAddress, stateFilePath, writeFileAtomic, type VirtualPhoneDaemonInfo } from './daemon'
import { VirtualPhone } from './phone'

interface EntryConfig {
  name: string
  threads: number
  adb: string | null
  port: number
  seed: number
  usbCharging: boolean
  runtimeDir: string
  readyFile: string
  logFile: string
}

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2] ?? '{}') as EntryConfig
  let phone: VirtualPhone
  try {
    phone = await VirtualPhone.start({ name: config.name, threads: config.threads, port: config.port, seed: config.seed, usbCharging: config.usbCharging })
  } catch (e) {
    await writeFileAtomic(config.readyFile, JSON.stringify({ error: e instanceof Error ? e.message : String(e) }))
    process.exit(1)
  }
  let adbConnected = false
  let adbError: string | null = null
  if (config.adb) {
    try {
      const { host, port } = parseAdbAddress(config.adb)
      const { default: Adb } = await import('@devicefarmer/adbkit')
      await Adb.createClient({ host, port }).connect('127.0.0.1', phone.port)
      adbConnected = true
    } catch (e) {
      adbError = e instanceof Error ? e.message : String(e)
    }
  }
  const info: VirtualPhoneDaemonInfo = {
    serial: phone.serial,
    port: phone.port,
    pid: process.pid,
    name: phone.name,
    threads: phone.coreCount,
    adbServer: config.adb,
    adbConnected,
    adbError,
    root: phone.root,
    logFile: config.logFile,
    startedAt: Date.now()
  }
  const stateFile = stateFilePath(phone.port, config.runtimeDir)
  // Both files are polled by other processes (the lab waiting for this phone, `virtual-phone list`): rename into place.
  await writeFileAtomic(stateFile, JSON.stringify(info, null, 2))
  await writeFileAtomic(config.readyFile, JSON.stringify(info))
  console.log(`virtual phone ${info.name} listening on ${info.serial}${adbConnected ? ` (connected to adb at ${config.adb})` : adbError ? ` (adb connect failed: ${adbError})` : ''}`)

  let stopping = false
  const shutdown = async (): Promise<void> => {
    if (stopping) return
    stopping = true
    await disconnectFromAdb(info).catch(() => undefined)
    await phone.stop().catch(() => undefined)
    await fsp.rm(stateFile, { force: true }).catch(() => undefined)
    await fsp.rm(config.logFile, { force: true }).catch(() => undefined)
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown())
  process.on('SIGINT', () => void shutdown())
  setInterval(() => {}, 1 << 30) // stay alive
}

void main()
