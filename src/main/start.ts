// Front-end start-up: the Electron window where its binary exists, otherwise browser mode (the same renderer,
// served by the lab host over a loopback WebSocket).
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { LabError } from '../shared/api'
import { startLabHost, type LabHost } from './api/ws-server'
import { createLab, type Lab } from './lab'
import { projectRoot } from './paths'

export function rendererDir(root = projectRoot()): string {
  return path.join(root, 'out', 'renderer')
}

/** The Electron executable if its binary has been downloaded, else null (with the reason). */
export function findElectronBinary(root = projectRoot()): { path: string | null; reason: string } {
  const pkgDir = path.join(root, 'node_modules', 'electron')
  if (!fs.existsSync(path.join(pkgDir, 'package.json'))) return { path: null, reason: 'the electron package is not installed' }
  const pathTxt = path.join(pkgDir, 'path.txt')
  if (!fs.existsSync(pathTxt)) return { path: null, reason: 'the Electron binary was not downloaded (no internet at install time); run "npx install-electron" with internet' }
  const exe = path.join(pkgDir, 'dist', fs.readFileSync(pathTxt, 'utf8').trim())
  if (!fs.existsSync(exe)) return { path: null, reason: `the Electron binary is missing at ${exe}; run "npx install-electron"` }
  return { path: exe, reason: 'found' }
}

function newestMtimeMs(dir: string): number {
  let newest = 0
  if (!fs.existsSync(dir)) return newest
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestMtimeMs(p) : fs.statSync(p).mtimeMs)
  }
  return newest
}

/** Build the window's files when they are missing or older than the sources (a fresh clone runs `npm start` directly). */
export function ensureBuilt(log: (line: string) => void, root = projectRoot()): void {
  const index = path.join(rendererDir(root), 'index.html')
  const srcDir = path.join(root, 'src')
  if (fs.existsSync(index) && fs.existsSync(path.join(root, 'out', 'main', 'index.js'))) {
    if (!fs.existsSync(srcDir) || fs.statSync(index).mtimeMs >= newestMtimeMs(srcDir)) return
  }
  if (!fs.existsSync(srcDir)) throw new LabError('not_found', `The window's files are missing in ${rendererDir(root)} and there are no sources to build them from.`)
  log('Building the window (first start or changed sources)…')
  const bin = path.join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'electron-vite.cmd' : 'electron-vite')
  const built = spawnSync(bin, ['build'], { cwd: root, encoding: 'utf8', env: { ...process.env, ELECTRON_MAJOR_VER: process.env.ELECTRON_MAJOR_VER ?? '45' } })
  if (built.status !== 0) {
    throw new LabError('internal', `Building the window failed (electron-vite build exited ${built.status}):\n${(built.stderr || built.stdout || '').slice(-2000)}`)
  }
}

export function openInBrowser(url: string): void {
  const [cmd, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['cmd', ['/c', 'start', '""', url]] : ['xdg-open', [url]]
  try {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: true })
    child.on('error', () => undefined)
    child.unref()
  } catch {
    // No browser opener: the printed URL is enough.
  }
}

export interface BrowserModeOptions {
  dataDir: string | null
  host: string
  port: number
  allowRemote: boolean
  log: (line: string) => void
}

export interface RunningBrowserMode {
  lab: Lab
  host: LabHost
  close(): Promise<void>
}

export async function startBrowserMode(options: BrowserModeOptions): Promise<RunningBrowserMode> {
  const lab = await createLab({ mode: 'browser', dataDir: options.dataDir })
  try {
    const host = await startLabHost({
      handlers: lab.handlers,
      events: lab.events,
      rendererDir: rendererDir(),
      host: options.host,
      port: options.port,
      allowRemote: options.allowRemote,
      log: options.log
    })
    return {
      lab,
      host,
      async close() {
        await host.close()
        await lab.close()
      }
    }
  } catch (e) {
    await lab.close()
    throw e
  }
}

/** Resolves when the signal aborts (Ctrl-C), on SIGTERM, or when the parent closes stdin under --stdin-lifeline. */
export function untilStopped(signal: AbortSignal, opts: { stdinLifeline?: boolean } = {}): Promise<string> {
  return new Promise((resolve) => {
    const stop = (why: string) => () => resolve(why)
    if (signal.aborted) return resolve('SIGINT')
    signal.addEventListener('abort', stop('SIGINT'), { once: true })
    process.once('SIGTERM', stop('SIGTERM'))
    if (opts.stdinLifeline) {
      process.stdin.on('end', stop('stdin closed'))
      process.stdin.on('close', stop('stdin closed'))
      process.stdin.resume()
    }
  })
}

export function launchElectron(exe: string, extraArgs: string[], root = projectRoot()): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(exe, [root, ...extraArgs], { stdio: 'inherit' })
    child.on('exit', (code) => resolve(code ?? 1))
    child.on('error', () => resolve(1))
  })
}
