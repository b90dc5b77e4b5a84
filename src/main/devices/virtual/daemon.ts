// Virtual phones as detached background processes, for `proxyless-lab virtual-phone start|list|stop`.
// Each phone is one process (daemon-entry.ts) that starts a VirtualPhone, connects it to an adb server and stays up;
// it records {pid, port, name, ...} in <runtime dir>/virtual-phones/<port>.json and removes it when it stops.
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { besideBundle } from '../../paths'
import { LabError } from '../../../shared/errors'

export interface VirtualPhoneDaemonOptions {
  name?: string
  /** Cores the phone pretends to have (default 8). */
  threads?: number
  /** The adb server to connect the phone to, 'host:port' (default 127.0.0.1:5037); null = do not connect. */
  adb?: string | null
  /** 0 / undefined = any free port outside 5554–5585. */
  port?: number
  seed?: number
  usbCharging?: boolean
  /** Where the state files live (default: see virtualPhoneRuntimeDir). */
  runtimeDir?: string
  /** Give up waiting for the phone after this long. */
  startTimeoutMs?: number
}

export interface VirtualPhoneDaemonInfo {
  serial: string
  port: number
  pid: number
  name: string
  threads: number
  /** The adb server it was connected to, or null. */
  adbServer: string | null
  adbConnected: boolean
  /** Why connecting to the adb server failed, when it did. */
  adbError: string | null
  root: string
  logFile: string
  startedAt: number
}

export function virtualPhoneRuntimeDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PROXYLESS_LAB_RUNTIME_DIR) return path.resolve(env.PROXYLESS_LAB_RUNTIME_DIR)
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'proxyless-lab')
  const uid = typeof process.getuid === 'function' ? process.getuid() : 'user'
  return path.join(os.tmpdir(), `proxyless-lab-${uid}`)
}

function stateDir(runtimeDir?: string): string {
  return path.join(runtimeDir ?? virtualPhoneRuntimeDir(), 'virtual-phones')
}

export function stateFilePath(port: number, runtimeDir?: string): string {
  return path.join(stateDir(runtimeDir), `${port}.json`)
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM'
  }
}

/** The entry script: compiled .js next to this file (bundled app), else the .ts source through tsx. */
function entryCommand(): { file: string; execArgv: string[] } {
  const js = besideBundle(__dirname, 'daemon-entry.js')
  if (js) return { file: js, execArgv: [] }
  return { file: path.join(__dirname, 'daemon-entry.ts'), execArgv: ['--import', 'tsx'] }
}

export function parseAdbAddress(text: string): { host: string; port: number } {
  const m = /^(.*):(\d{1,5})$/.exec(text.trim())
  const port = m ? Number(m[2]) : NaN
  if (!m || !m[1] || port < 1 || port > 65535) throw new LabError('bad_request', `"${text}" is not an adb server address; write it as HOST:PORT, e.g. 127.0.0.1:5037.`, 'adb')
  return { host: m[1], port }
}

export async function startVirtualPhoneDaemon(opts: VirtualPhoneDaemonOptions = {}): Promise<VirtualPhoneDaemonInfo> {
  const dir = stateDir(opts.runtimeDir)
  await fsp.mkdir(dir, { recursive: true })
  const adb = opts.adb === undefined ? '127.0.0.1:5037' : opts.adb
  if (adb !== null) parseAdbAddress(adb)
  const token = `${process.pid}-${Date.now()}-${Math.random().toString(36).slice(2)}`
  const readyFile = path.join(dir, `starting-${token}.json`)
  const logFile = path.join(dir, `${opts.name ?? 'vphone'}-${token}.log`)
  const config = {
    name: opts.name ?? 'vphone',
    threads: opts.threads ?? 8,
    adb,
    port: opts.port ?? 0,
    seed: opts.seed ?? 1,
    usbCharging: opts.usbCharging ?? false,
    runtimeDir: opts.runtimeDir ?? virtualPhoneRuntimeDir(),
    readyFile,
    logFile
  }
  const entry = entryCommand()
  const log = fs.openSync(logFile, 'a')
  const child = spawn(process.execPath, [...entry.execArgv, entry.file, JSON.stringify(config)], {
    detached: true,
    stdio: ['ignore', log, log],
    // From source: the project root, where tsx resolves. Bundled: the bundle's folder (the project root may not exist).
    cwd: entry.execArgv.length > 0 ? path.resolve(__dirname, '..', '..', '..', '..') : path.dirname(entry.file),
    // Inside Electron, process.execPath is the app: make it behave as plain Node for the daemon.
    env: process.versions.electron ? { ...process.env, ELECTRON_RUN_AS_NODE: '1' } : process.env
  })
  fs.closeSync(log)
  let exitCode: number | null = null
  child.once('exit', (code) => (exitCode = code ?? -1))
  child.unref()

  const deadline = Date.now() + (opts.startTimeoutMs ?? 30_000)
  while (Date.now() < deadline) {
    const info = await readReadyFile(readyFile)
    if (info) {
      await fsp.rm(readyFile, { force: true })
      if ('error' in info) throw new LabError('internal', `The virtual phone did not start: ${info.error}`)
      return info
    }
    if (exitCode !== null) break
    await new Promise((r) => setTimeout(r, 50))
  }
  if (child.pid && exitCode === null) process.kill(child.pid, 'SIGKILL')
  const tail = fs.existsSync(logFile) ? (await fsp.readFile(logFile, 'utf8')).slice(-600).trim() : ''
  throw new LabError('internal', `The virtual phone did not start${exitCode !== null ? ` (exit code ${exitCode})` : ' in time'}${tail ? `: ${tail}` : ''}. Its log is ${logFile}.`)
}

/**
 * The daemon's answer, once it is there in full. The daemon renames a finished file into place, but an older daemon
 * (or a copy on another file system) may write it in place: a file that is still empty or cut short is read again
 * on the next poll rather than failing the start with "Unexpected end of JSON input".
 */
export async function readReadyFile(file: string): Promise<VirtualPhoneDaemonInfo | { error: string } | null> {
  let text: string
  try {
    text = await fsp.readFile(file, 'utf8')
  } catch {
    return null
  }
  try {
    return JSON.parse(text) as VirtualPhoneDaemonInfo | { error: string }
  } catch {
    return null
  }
}

/** Write a file so readers see either nothing or all of it: a temporary file beside it, renamed into place. */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`
  await fsp.writeFile(tmp, text)
  await fsp.rename(tmp, file)
}

/** Running virtual phone daemons; state files of dead processes are removed. */
export async function listVirtualPhoneDaemons(opts: { runtimeDir?: string } = {}): Promise<VirtualPhoneDaemonInfo[]> {
  const dir = stateDir(opts.runtimeDir)
  let names: string[]
  try {
    names = await fsp.readdir(dir)
  } catch {
    return []
  }
  const out: VirtualPhoneDaemonInfo[] = []
  for (const n of names.filter((x) => /^\d+\.json$/.test(x))) {
    const file = path.join(dir, n)
    try {
      const info = JSON.parse(await fsp.readFile(file, 'utf8')) as VirtualPhoneDaemonInfo
      if (isAlive(info.pid)) out.push(info)
      else await fsp.rm(file, { force: true })
    } catch {
      // a file being written or removed right now
    }
  }
  return out.sort((a, b) => a.startedAt - b.startedAt)
}

/** Stops one daemon (by serial 'host:port', or port) or all; returns the ones stopped. */
export async function stopVirtualPhoneDaemon(target: string | 'all', opts: { runtimeDir?: string; timeoutMs?: number } = {}): Promise<VirtualPhoneDaemonInfo[]> {
  const running = await listVirtualPhoneDaemons(opts)
  const chosen = target === 'all' ? running : running.filter((d) => d.serial === target || String(d.port) === target || d.name === target)
  if (target !== 'all' && chosen.length === 0) {
    throw new LabError('not_found', `No virtual phone "${target}" is running; see \`proxyless-lab virtual-phone list\`.`)
  }
  for (const d of chosen) {
    try {
      process.kill(d.pid, 'SIGTERM') // the daemon disconnects from adb and cleans up
    } catch {
      // already gone
    }
  }
  const deadline = Date.now() + (opts.timeoutMs ?? 10_000)
  for (const d of chosen) {
    while (isAlive(d.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    if (isAlive(d.pid)) {
      try {
        process.kill(d.pid, 'SIGKILL')
      } catch {
        // gone meanwhile
      }
      await disconnectFromAdb(d).catch(() => undefined)
      await fsp.rm(d.root, { recursive: true, force: true }).catch(() => undefined)
    }
    await fsp.rm(stateFilePath(d.port, opts.runtimeDir), { force: true })
  }
  return chosen
}

export async function disconnectFromAdb(d: Pick<VirtualPhoneDaemonInfo, 'adbServer' | 'port'>): Promise<void> {
  if (!d.adbServer) return
  const { host, port } = parseAdbAddress(d.adbServer)
  const { default: Adb } = await import('@devicefarmer/adbkit')
  const client = Adb.createClient({ host, port })
  await client.disconnect('127.0.0.1', d.port)
}
