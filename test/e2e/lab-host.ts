// Starts the real lab host (browser mode) as a child process for end-to-end tests, and stops it without leftovers.
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

export const ROOT = path.resolve(__dirname, '..', '..')
export const SCREENSHOTS = path.join(ROOT, 'test-results', 'screenshots')
export const DOC_IMAGES = path.join(ROOT, 'docs', 'images')

export interface RunningHost {
  url: string
  origin: string
  token: string
  dataDir: string
  process: ChildProcess
  stop(): Promise<void>
}

export async function startHost(opts: { dataDir?: string; extraArgs?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<RunningHost> {
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'lab-e2e-'))
  const ownsDataDir = opts.dataDir === undefined
  const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'proxyless-lab.cjs'), 'serve', '--no-open', '--json', '--stdin-lifeline', '--data-dir', dataDir, ...(opts.extraArgs ?? [])], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...(opts.env ?? {}) }
  })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += d))
  const first = await new Promise<string>((resolve, reject) => {
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
  })
  const { url } = JSON.parse(first) as { url: string }
  const parsed = new URL(url)
  return {
    url,
    origin: parsed.origin,
    token: parsed.searchParams.get('token') ?? '',
    dataDir,
    process: child,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
        child.kill('SIGTERM')
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
        await exited
        clearTimeout(timer)
      }
      if (ownsDataDir) fs.rmSync(dataDir, { recursive: true, force: true })
    }
  }
}

export function screenshotPath(name: string): string {
  fs.mkdirSync(SCREENSHOTS, { recursive: true })
  return path.join(SCREENSHOTS, `${name}.png`)
}
