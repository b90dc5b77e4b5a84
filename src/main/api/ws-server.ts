// Browser mode: the lab host serves the built renderer over HTTP and the LabApi over a WebSocket.
// Loopback only by default; every WebSocket needs the per-start token and an Origin of this host.
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { WebSocketServer, type WebSocket } from 'ws'
import { LabError, type LabEvent, type WireEvent, type WireResponse } from '../../shared/api'
import { dispatch, type Handlers } from './dispatch'
import type { LabEvents } from '../events'

export interface LabHostOptions {
  handlers: Handlers
  events: LabEvents
  /** Folder with the built renderer (index.html). */
  rendererDir: string
  /** Default 127.0.0.1. */
  host?: string
  /** 0 = any free port. */
  port?: number
  /** Must be true to bind anything but a loopback address. */
  allowRemote?: boolean
  /** Fixed token (tests); default: 32 random bytes, new at every start. */
  token?: string
  log?: (line: string) => void
}

export interface LabHost {
  readonly url: string
  readonly origin: string
  readonly token: string
  readonly port: number
  close(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])
const MAX_MESSAGE_BYTES = 4 * 1024 * 1024

export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
  "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2'
}

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)
}

function tokensEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a)
  const bb = Buffer.from(b)
  return ab.length === bb.length && crypto.timingSafeEqual(ab, bb)
}

export async function startLabHost(options: LabHostOptions): Promise<LabHost> {
  const host = options.host ?? '127.0.0.1'
  const log = options.log ?? ((line: string) => console.log(line))
  if (!isLoopbackHost(host) && !options.allowRemote) {
    throw new LabError(
      'bad_request',
      `Refusing to listen on ${host}: browser mode binds loopback only. Pass --allow-remote to expose the lab on the network (anyone with the link and token can drive your phones).`
    )
  }
  if (!isLoopbackHost(host)) {
    log(`WARNING: the lab host listens on ${host}, reachable from other machines. Anyone with the link (and its token) controls this lab and its phones.`)
  }
  const token = options.token ?? crypto.randomBytes(32).toString('base64url')
  const rendererDir = path.resolve(options.rendererDir)
  if (!fs.existsSync(path.join(rendererDir, 'index.html'))) {
    throw new LabError('not_found', `The window's files are missing (${rendererDir}/index.html). Run "npm run build" first.`)
  }

  const server = http.createServer((req, res) => serveStatic(rendererDir, req, res))
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES })
  const allowedOrigins = new Set<string>()

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://placeholder')
    const reject = (status: number, reason: string) => {
      socket.write(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`)
      socket.destroy()
    }
    if (url.pathname !== '/api') return reject(404, 'Not Found')
    const given = url.searchParams.get('token') ?? ''
    if (!tokensEqual(given, token)) {
      log('[lab host] refused a connection with a missing or wrong token')
      return reject(401, 'Unauthorized')
    }
    const origin = req.headers.origin
    // Browsers always send Origin on WebSocket handshakes; a page from another site must not drive the lab.
    if (origin !== undefined && !allowedOrigins.has(origin)) {
      log(`[lab host] refused a connection from origin ${origin}`)
      return reject(403, 'Forbidden')
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req))
  })

  wss.on('connection', (ws: WebSocket) => {
    const send = (msg: WireResponse | WireEvent) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(msg))
    }
    const unsubscribe = options.events.subscribe((event: LabEvent) => send({ event }))
    ws.on('message', async (data, isBinary) => {
      if (isBinary) return send({ id: 0, ok: false, error: { code: 'bad_request', message: 'Bad request: messages must be JSON text.' } })
      let msg: { id?: unknown; method?: unknown; params?: unknown }
      try {
        msg = JSON.parse(data.toString())
      } catch {
        return send({ id: 0, ok: false, error: { code: 'bad_request', message: 'Bad request: the message is not valid JSON.' } })
      }
      const id = typeof msg?.id === 'number' && Number.isSafeInteger(msg.id) ? msg.id : 0
      send(await dispatch(options.handlers, id, msg?.method, msg?.params))
    })
    ws.on('close', unsubscribe)
    ws.on('error', unsubscribe)
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, host, () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const urlHost = host.includes(':') ? `[${host}]` : host
  const origin = `http://${urlHost}:${port}`
  allowedOrigins.add(origin)
  if (isLoopbackHost(host)) {
    allowedOrigins.add(`http://127.0.0.1:${port}`)
    allowedOrigins.add(`http://localhost:${port}`)
    allowedOrigins.add(`http://[::1]:${port}`)
  }

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    port,
    async close() {
      for (const client of wss.clients) client.terminate()
      await new Promise<void>((resolve) => wss.close(() => resolve()))
      server.closeAllConnections()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}

function serveStatic(root: string, req: http.IncomingMessage, res: http.ServerResponse): void {
  const headers: Record<string, string> = {
    'Content-Security-Policy': CONTENT_SECURITY_POLICY,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'X-Frame-Options': 'DENY'
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { ...headers, Allow: 'GET, HEAD' }).end()
    return
  }
  let pathname: string
  try {
    pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://placeholder').pathname)
  } catch {
    res.writeHead(400, headers).end('Bad request')
    return
  }
  if (pathname === '/') pathname = '/index.html'
  const file = path.resolve(root, '.' + pathname)
  if (!file.startsWith(root + path.sep) || pathname.includes('\0')) {
    res.writeHead(403, headers).end('Forbidden')
    return
  }
  fs.stat(file, (err, stat) => {
    if (err || !stat.isFile()) {
      res.writeHead(404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found')
      return
    }
    const type = MIME[path.extname(file).toLowerCase()] ?? 'application/octet-stream'
    const cache = pathname === '/index.html' ? 'no-store' : 'public, max-age=3600'
    res.writeHead(200, { ...headers, 'Content-Type': type, 'Content-Length': String(stat.size), 'Cache-Control': cache })
    if (req.method === 'HEAD') res.end()
    else fs.createReadStream(file).pipe(res)
  })
}
