// Electron entry: the window, its security settings and the IPC wiring. With the preload, the only code that imports 'electron'.
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { app, BrowserWindow, ipcMain, session, type WebContents } from 'electron'
import { attachIpcTransport } from './api/ipc'
import { CONTENT_SECURITY_POLICY } from './api/ws-server'
import { createLab, type Lab } from './lab'
import { parseDataDirFlag } from './cli-args'

const rendererDir = path.join(__dirname, '..', 'renderer')
const rendererIndex = path.join(rendererDir, 'index.html')
const rendererUrlPrefix = pathToFileURL(rendererDir + path.sep).href

let lab: Lab | null = null

function isTrustedUrl(url: string): boolean {
  return url.startsWith(rendererUrlPrefix)
}

function hardenContents(contents: WebContents): void {
  // No navigation away from the lab's own files and no new windows.
  contents.on('will-navigate', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault()
  })
  contents.on('will-redirect', (event, url) => {
    if (!isTrustedUrl(url)) event.preventDefault()
  })
  contents.setWindowOpenHandler(() => ({ action: 'deny' }))
  contents.on('will-attach-webview', (event) => event.preventDefault())
}

async function createWindow(): Promise<void> {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 960,
    minHeight: 640,
    title: 'Proxyless Lab',
    show: false,
    webPreferences: {
      preload: path.join(__dirname, '..', 'preload', 'index.js'),
      contextIsolation: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      sandbox: true,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      disableBlinkFeatures: 'Auxclick'
    }
  })
  win.once('ready-to-show', () => win.show())
  await win.loadFile(rendererIndex)
}

async function main(): Promise<void> {
  app.enableSandbox()
  await app.whenReady()
  const dataDir = parseDataDirFlag(process.argv) ?? app.getPath('userData')
  lab = await createLab({ mode: 'electron', dataDir })

  session.defaultSession.setPermissionRequestHandler((_wc, _permission, callback) => callback(false))
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] } })
  })
  // Nothing remote: the window loads only the lab's own files.
  session.defaultSession.webRequest.onBeforeRequest((details, callback) => {
    const allowed = details.url.startsWith('file://') || details.url.startsWith('devtools://') || details.url.startsWith('data:')
    callback({ cancel: !allowed })
  })
  app.on('web-contents-created', (_e, contents) => hardenContents(contents))

  attachIpcTransport({
    ipcMain,
    handlers: lab.handlers,
    events: lab.events,
    isTrustedUrl,
    windows: () => BrowserWindow.getAllWindows().map((w) => w.webContents)
  })
  await createWindow()
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) void createWindow()
  })
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
app.on('will-quit', (event) => {
  if (lab) {
    event.preventDefault()
    const closing = lab
    lab = null
    void closing.close().finally(() => app.quit())
  }
})

main().catch((e) => {
  console.error('Proxyless Lab failed to start:', e)
  app.exit(1)
})
