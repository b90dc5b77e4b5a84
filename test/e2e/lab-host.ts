// Starts the real lab host (browser mode) as a child process for end-to-end tests, and stops it without leftovers.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startPrivateAdbServer, type PrivateAdbServer } from '../integration/helpers/adb-server'

export const ROOT = path.resolve(__dirname, '..', '..')
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots')
export const DOC_IMAGES = path.join(ROOT, 'docs', 'images')

export interface RunningHost {
  url: string
  origin: string
  token: string
  dataDir: string
  process: ChildProcess
  /** The private adb server this host uses (never the user's 5037). */
  adb: PrivateAdbServer
  /** Environment to run other CLI commands against the same adb server and virtual phones. */
  env: NodeJS.ProcessEnv
  stop(): Promise<void>
}

export async function startHost(opts: { dataDir?: string; extraArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<RunningHost> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lab-e2e-'))
  const ownsDataDir = opts.dataDir === undefined
  const adb = await startPrivateAdbServer()
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...adb.env,
    ANDROID_ADB_SERVER_PORT: String(adb.port),
    PROXYLESS_LAB_RUNTIME_DIR: path.join(adb.home, 'run'),
    ...(opts.env ?? {})
  }
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'proxyless-lab.cjs'), 'serve', '--no-open', '--json', '--stdin-lifeline', '--data-dir', dataDir, ...(opts.extraArgs ?? [])], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env
  })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  const first = await new Promise<string>((resolve, reject) => {
    child.once('error', reject)
    let buf = ''
    const timer = setTimeout(() => reject(new Error(`The lab host did not start within 60 s:\n${stderr}`)), 60_000)
    child.stdout!.on('data', (d) => {
      buf += d
      const nl = buf.indexOf('\n')
      if (nl >= 0) {
        clearTimeout(timer)
        resolve(buf.slice(0, nl))
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      reject(new Error(`The lab host exited with ${code} before it was ready:\n${stderr}`))
    })
  }).catch(async (e: unknown) => {
    child.kill('SIGKILL')
    await adb.stop()
    throw e
  })
  const { url } = JSON.parse(first) as { url: string }
  const parsed = new URL(url)
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    dataDir,
    process: child,
    adb,
    env,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        await exited
        clearTimeout(timer)
      }
      // Virtual phones started from the page belong to the lab and stop with it; any started by a test's CLI call too.
      await stopVirtualPhones(env)
      await adb.stop()
      if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

export function screenshotPath(name: string): string {
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  return path.join(SCREENSHOTS, `${name}.png`)
}

async function stopVirtualPhones(env: NodeJS.ProcessEnv): Promise<void> {
  await new Promise<void>((resolve) => {
    const p = spawn(process.execPath, [path.join(ROOT, 'bin', 'proxyless-lab.cjs'), 'virtual-phone', 'stop', '--all'], { cwd: ROOT, env, stdio: 'ignore' })
    p.on('exit', () => resolve())
    p.on('error', () => resolve())
  })
}
