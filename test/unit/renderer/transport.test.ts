// The browser-mode LabClient against a real WebSocket server (the `ws` package stands in for the browser's WebSocket).
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { WebSocket, WebSocketServer } from 'ws'
import type { WireResponse } from '../../../src/shared/api'
import { LabError } from '../../../src/shared/errors'
import { IpcLabClient, WebSocketLabClient, type ConnectionStatus, type SocketLike } from '../../../src/renderer/src/lab/transport'

type Behaviour = 'serve' | 'refuse-upgrade' | 'close-4401'

interface TestHost {
  port: number
  behaviour: Behaviour
  wss: WebSocketServer
  server: http.Server
  received: { id: number; method: string; params: unknown }[]
  close(): Promise<void>
}

const cleanups: (() => Promise<void> | void)[] = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function startHost(behaviour: Behaviour, port = 0): Promise<TestHost> {
  const server = http.createServer()
  const wss = new WebSocketServer({ noServer: true })
  const host: TestHost = {
    port: 0,
    behaviour,
    wss,
    server,
    received: [],
    async close() {
      for (const c of wss.clients) c.terminate()
      await new Promise<void>((r) => wss.close(() => r()))
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
    }
  }
  server.on('upgrade', (req, socket, head) => {
    if (host.behaviour === 'refuse-upgrade') {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n')
      socket.destroy()
      return
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (host.behaviour === 'close-4401') return ws.close(4401, 'unauthorized')
      ws.on('message', (data) => {
        const msg = JSON.parse(String(data)) as { id: number; method: string; params: unknown }
        host.received.push(msg)
        const reply: WireResponse =
          msg.method === 'jobs.get'
            ? { id: msg.id, ok: false, error: { code: 'not_found', message: 'No job with id "j9": it may have been removed.' } }
            : { id: msg.id, ok: true, result: { echoed: msg.params } }
        if (msg.method !== 'runs.list') ws.send(JSON.stringify(reply)) // runs.list is left unanswered on purpose
        if (msg.method === 'devices.list') ws.send(JSON.stringify({ event: { type: 'device.removed', serial: 'emulator-5554' } }))
      })
    })
  })
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()))
  host.port = (server.address() as AddressInfo).port
  cleanups.push(() => host.close())
  return host
}

function connect(port: number, onRefused?: () => void) {
  const statuses: ConnectionStatus['state'][] = []
  const client = new WebSocketLabClient({
    url: `ws://127.0.0.1:${port}/api?token=t`,
    openSocket: (url) => new WebSocket(url) as unknown as SocketLike,
    initialRetryMs: 50,
    maxRetryMs: 200,
    onRefused
  })
  client.onStatus((s) => statuses.push(s.state))
  cleanups.push(() => client.close())
  return { client, statuses }
}

function until(client: WebSocketLabClient, state: ConnectionStatus['state']): Promise<void> {
  return new Promise((resolve) => {
    if (client.status().state === state) return resolve()
    const off = client.onStatus((s) => {
      if (s.state === state) {
        off()
        resolve()
      }
    })
  })
}

describe('WebSocketLabClient', () => {
  it('sends calls made before the socket opens, and resolves each with its own answer', async () => {
    const host = await startHost('serve')
    const { client } = connect(host.port)
    const [a, b] = await Promise.all([client.call('jobs.startDemo', { steps: 3 }), client.call('lab.info', {})])
    expect(a).toEqual({ echoed: { steps: 3 } })
    expect(b).toEqual({ echoed: {} })
    expect(host.received.map((m) => m.method)).toEqual(['jobs.startDemo', 'lab.info'])
    expect(new Set(host.received.map((m) => m.id)).size).toBe(2)
  })

  it('turns an error response into a LabError with its code and sentence', async () => {
    const host = await startHost('serve')
    const { client } = connect(host.port)
    const failure = await client.call('jobs.get', { jobId: 'j9' }).catch((e: unknown) => e)
    expect(failure).toBeInstanceOf(LabError)
    expect((failure as LabError).code).toBe('not_found')
    expect((failure as LabError).message).toBe('No job with id "j9": it may have been removed.')
  })

  it('delivers pushed events to listeners', async () => {
    const host = await startHost('serve')
    const { client } = connect(host.port)
    const heard = new Promise((resolve) => client.onEvent(resolve))
    await client.call('devices.list', {})
    expect(await heard).toEqual({ type: 'device.removed', serial: 'emulator-5554' })
  })

  it('rejects a call in flight when the link drops, then reconnects and works again', async () => {
    const host = await startHost('serve')
    const { client, statuses } = connect(host.port)
    await until(client, 'open')
    const unanswered = client.call('runs.list', {})
    await new Promise((r) => setTimeout(r, 50))
    for (const c of host.wss.clients) c.terminate()
    await expect(unanswered).rejects.toThrow(/dropped before it answered/)
    await until(client, 'open')
    expect(statuses).toContain('reconnecting')
    await expect(client.call('lab.info', {})).resolves.toEqual({ echoed: {} })
  })

  it('keeps retrying while the host is away, and sends queued calls once it is back', async () => {
    const first = await startHost('serve')
    const port = first.port
    const { client } = connect(port)
    await until(client, 'open')
    await first.close()
    await until(client, 'reconnecting')
    const queued = client.call('lab.info', {})
    await new Promise((r) => setTimeout(r, 300))
    expect(client.status().state).not.toBe('refused') // it had been let in before: this is an outage, not a refusal
    await startHost('serve', port)
    await expect(queued).resolves.toEqual({ echoed: {} })
  })

  it('counts a host that never lets the page in as a refusal and stops retrying', async () => {
    const host = await startHost('refuse-upgrade')
    let refusedCalls = 0
    const { client, statuses } = connect(host.port, () => refusedCalls++)
    await until(client, 'refused')
    expect(statuses).toEqual(['reconnecting', 'connecting', 'refused']) // one retry, then it gives up
    await new Promise((r) => setTimeout(r, 300))
    expect(statuses.at(-1)).toBe('refused')
    expect(refusedCalls).toBe(0) // not explicit: the token is kept in case the host was only restarting
    await expect(client.call('lab.info', {})).rejects.toMatchObject({ code: 'unauthorized' })
  })

  it('treats close code 4401 as an explicit refusal of the token', async () => {
    const host = await startHost('close-4401')
    let refusedCalls = 0
    const { client } = connect(host.port, () => refusedCalls++)
    await until(client, 'refused')
    expect(refusedCalls).toBe(1)
  })
})

describe('IpcLabClient', () => {
  it('passes method and params to the preload bridge and unwraps its wire responses', async () => {
    const seen: [string, unknown][] = []
    const client = new IpcLabClient({
      call: async (method, params) => {
        seen.push([method, params])
        return method === 'jobs.cancel'
          ? { id: 0, ok: false, error: { code: 'conflict', message: 'The job already finished, so there is nothing to cancel.' } }
          : { id: 0, ok: true, result: [] }
      },
      onEvent: () => () => undefined
    })
    await expect(client.call('devices.list', {})).resolves.toEqual([])
    await expect(client.call('jobs.cancel', { jobId: 'j1' })).rejects.toMatchObject({ name: 'LabError', code: 'conflict' })
    expect(seen).toEqual([
      ['devices.list', {}],
      ['jobs.cancel', { jobId: 'j1' }]
    ])
  })
})
