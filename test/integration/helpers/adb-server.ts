// A private Debian adb server for integration tests: its own port (never 5037), HOME and log in a temp folder,
// ADB_EMU=0 so real emulators stay out. stop() kills it with `adb -P N kill-server` and removes the folder.
//
//   const adb = await startPrivateAdbServer()
//   await adb.run(['connect', '127.0.0.1:40000'])     // adb -P <port> connect ...
//   const client = adb.client()                        // adbkit bound to this server (and to the wrapper as bin)
//   await adb.stop()
import { execFile, execFileSync } from 'node:child_process'
import fs from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import Adb, { type Client } from '@devicefarmer/adbkit'

export interface AdbRunResult {
  stdout: string
  stderr: string
  /** Exit status (null if killed by the timeout). */
  code: number | null
}

export interface PrivateAdbServer {
  port: number
  /** Temp folder used as HOME (holds adbkey) and for the log. */
  home: string
  /** Environment for any adb call against this server. */
  env: NodeJS.ProcessEnv
  /** A wrapper script around `adb` that always uses this server's env (give it to adbkit as `bin`). */
  adbBin: string
  /** Runs `adb -P <port> <args>`. */
  run(args: string[], opts?: { timeoutMs?: number; input?: string }): Promise<AdbRunResult>
  /** An adbkit client for this server. */
  client(): Client
  /** True while something listens on the server port. */
  isRunning(): Promise<boolean>
  stop(): Promise<void>
}

/** True when the `adb` program is on PATH. */
export function adbAvailable(): boolean {
  try {
    execFileSync('adb', ['version'], { stdio: 'ignore', env: { ...process.env, HOME: os.tmpdir() } })
    return true
  } catch {
    return false
  }
}

/** A free loopback TCP port outside adb's emulator range 5554–5585. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer()
      s.once('error', reject)
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as net.AddressInfo).port
        s.close(() => resolve(p))
      })
    })
    if (port < 5554 || port > 5585) return port
  }
}

export function isPortOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ port, host })
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

export async function startPrivateAdbServer(opts: { port?: number } = {}): Promise<PrivateAdbServer> {
  const port = opts.port ?? (await freePort())
  const home = fs.mkdtempSync(path.join(os.tmpdir(), 'adb-private-'))
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ANDROID_ADB_LOG_PATH: path.join(home, 'adb.log'), ADB_EMU: '0', ANDROID_ADB_SERVER_PORT: String(port) }
  delete env.ADB_SERVER_SOCKET
  const adbBin = path.join(home, 'adb')
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`
  fs.writeFileSync(adbBin, `#!/bin/sh\nexport HOME=${q(home)} ANDROID_ADB_LOG_PATH=${q(env.ANDROID_ADB_LOG_PATH!)} ADB_EMU=0\nexec adb "$@"\n`, { mode: 0o755 })

  const run = (args: string[], o: { timeoutMs?: number; input?: string } = {}): Promise<AdbRunResult> =>
    new Promise((resolve) => {
      const child = execFile('adb', ['-P', String(port), ...args], { env, timeout: o.timeoutMs ?? 60_000, maxBuffer: 64 * 1024 * 1024, encoding: 'utf8' }, (err, stdout, stderr) => {
        const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? ((err as { code: number }).code) : null) : 0
        resolve({ stdout, stderr, code })
      })
      if (o.input !== undefined) child.stdin?.end(o.input)
      else child.stdin?.end()
    })

  const started = await run(['start-server'])
  if (started.code !== 0) {
    fs.rmSync(home, { recursive: true, force: true })
    throw new Error(`adb -P ${port} start-server failed: ${started.stderr || started.stdout}`)
  }
  const clients: Client[] = []
  return {
    port,
    home,
    env,
    adbBin,
    run,
    client: () => {
      const c = Adb.createClient({ port, bin: adbBin })
      clients.push(c)
      return c
    },
    isRunning: () => isPortOpen(port),
    stop: async () => {
      await run(['kill-server'], { timeoutMs: 15_000 })
      const end = Date.now() + 5_000
      while ((await isPortOpen(port)) && Date.now() < end) await new Promise((r) => setTimeout(r, 50))
      fs.rmSync(home, { recursive: true, force: true })
    }
  }
}
