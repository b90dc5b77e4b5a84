// Browser-mode transport: the lab host over a real WebSocket, with a real Lab behind it.
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import WebSocket from 'ws'
import type { LabEvent, WireResponse } from '../../../src/shared/api'
import { startLabHost, type LabHost } from '../../../src/main/api/ws-server'
import { createLab, type Lab } from '../../../src/main/lab'

let tmp: string
let lab: Lab
let host: LabHost

function openSocket(url: string, origin?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin ? { headers: { Origin: origin } } : {})
    ws.once('open', () => resolve(ws))
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)))
    ws.once('error', reject)
  })
}

function call(ws: WebSocket, id: number, method: unknown, params: unknown): Promise<WireResponse> {
  return new Promise((resolve) => {
    const onMessage = (data: WebSocket.RawData) => {
      const msg = JSON.parse(data.toString())
      if ('id' in msg && msg.id === id) {
        ws.off('message', onMessage)
        resolve(msg)
      }
    }
    ws.on('message', onMessage)
    ws.send(JSON.stringify({ id, method, params }))
  })
}

function httpGet(url: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, (res) => {
        let body = ''
        res.on('data', (c) => (body += c))
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
      })
      .on('error', reject)
  })
}

beforeAll(async () => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lab-ws-'))
  const renderer = path.join(tmp, 'renderer')
  fs.mkdirSync(renderer)
  fs.writeFileSync(path.join(renderer, 'index.html'), '<!doctype html><title>lab</title>')
  fs.writeFileSync(path.join(tmp, 'secret.txt'), 'outside the renderer folder')
  lab = await createLab({ mode: 'test', dataDir: path.join(tmp, 'data') })
  host = await startLabHost({ handlers: lab.handlers, events: lab.events, rendererDir: renderer, log: () => undefined })
})

afterAll(async () => {
  await host?.close()
  await lab?.close()
  fs.rmSync(tmp, { recursive: true, force: true })
})

describe('lab host (browser mode)', () => {
  it('listens on loopback and prints a URL with a long random token', () => {
    expect(host.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{40,}$/)
  })

  it('refuses a WebSocket without the token, with a wrong token, or from another origin', async () => {
    const base = `ws://127.0.0.1:${host.port}/api`
    await expect(openSocket(base, host.origin)).rejects.toThrow('HTTP 401')
    await expect(openSocket(`${base}?token=${host.token.slice(0, -1)}x`, host.origin)).rejects.toThrow('HTTP 401')
    await expect(openSocket(`${base}?token=${host.token}`, 'http://evil.example')).rejects.toThrow('HTTP 403')
  })

  it('answers LabApi calls and rejects bad requests with typed errors', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, host.origin)
    try {
      const info = await call(ws, 1, 'lab.info', {})
      expect(info.ok).toBe(true)
      if (info.ok) expect((info.result as { mode: string }).mode).toBe('test')

      const unknown = await call(ws, 2, 'lab.format', {})
      expect(unknown).toMatchObject({ ok: false, error: { code: 'bad_request' } })

      const bad = await call(ws, 3, 'jobs.startDemo', { steps: -5 })
      expect(bad).toMatchObject({ ok: false, error: { code: 'bad_request', field: 'steps' } })
      if (!bad.ok) expect(bad.error.message).toMatch(/steps/)

      const missing = await call(ws, 4, 'jobs.get', { jobId: 'no-such-job' })
      expect(missing).toMatchObject({ ok: false, error: { code: 'not_found' } })

      // A malformed message gets an error reply, and the connection stays usable.
      const reply = new Promise<WireResponse>((resolve) => ws.once('message', (d) => resolve(JSON.parse(d.toString()))))
      ws.send('{not json')
      expect(await reply).toMatchObject({ ok: false, error: { code: 'bad_request' } })
      expect((await call(ws, 5, 'jobs.list', {})).ok).toBe(true)
    } finally {
      ws.close()
    }
  })

  it('pushes job events to connected pages', async () => {
    const ws = await openSocket(`ws://127.0.0.1:${host.port}/api?token=${host.token}`, host.origin)
    const events: LabEvent[] = []
    const finished = new Promise<void>((resolve) => {
      ws.on('message', (d) => {
        const msg = JSON.parse(d.toString())
        if (msg.event) {
          events.push(msg.event)
          if (msg.event.type === 'job.finished') resolve()
        }
      })
    })
    try {
      const started = await call(ws, 1, 'jobs.startDemo', { steps: 3, stepMs: 10 })
      expect(started.ok).toBe(true)
      await finished
      const types = events.map((e) => e.type)
      expect(types).toContain('job.added')
      expect(types).toContain('job.progress')
      expect(types[types.length - 1]).toBe('job.finished')
      const last = events[events.length - 1]
      if (last.type === 'job.finished') expect(last.job.state).toBe('succeeded')
    } finally {
      ws.close()
    }
  })

  it('serves the window with a CSP and nothing outside its folder', async () => {
    const index = await httpGet(`http://127.0.0.1:${host.port}/`)
    expect(index.status).toBe(200)
    expect(index.headers['content-security-policy']).toMatch(/default-src 'self'/)
    const escape = await httpGet(`http://127.0.0.1:${host.port}/..%2fsecret.txt`)
    expect(escape.status).toBeGreaterThanOrEqual(400)
    expect(escape.body).not.toContain('outside the renderer folder')
  })

  it('will not bind a non-loopback address without the explicit flag', async () => {
    await expect(
      startLabHost({ handlers: lab.handlers, events: lab.events, rendererDir: path.join(tmp, 'renderer'), host: '0.0.0.0', log: () => undefined })
    ).rejects.toThrow(/--allow-remote/)
  })
})
