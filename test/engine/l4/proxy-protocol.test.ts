import { afterEach, describe, expect, it } from 'vitest'
import { encodeProxyV1, encodeProxyV2, parseProxyHeader, type ProxyAddresses } from '../../../engine/proxy-protocol/proxy-protocol.js'
import type { Engine } from '../../../engine/runtime/engine.js'
import { engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, tcpServer } from '../../helpers/test-servers.js'
import { connectTo, listenerStats, received, sleep } from './l4-support.js'

afterEach(async () => {
  await stopEngines()
  await closeServers()
})

/** What a backend learnt from the PROXY header its connection started with. */
interface SeenHeader {
  readonly version: 1 | 2
  readonly command: 'proxy' | 'local'
  readonly addresses?: ProxyAddresses
}

/**
 * A backend that expects a PROXY header on every connection: it answers with the header as one JSON
 * line, then echoes the stream that follows.
 */
function proxyReadingBackend(id: string) {
  return tcpServer(id, (socket) => {
    let buffered = Buffer.alloc(0)
    let done = false
    socket.on('data', (c: Buffer) => {
      if (done) {
        socket.write(c)
        return
      }
      buffered = Buffer.concat([buffered, c])
      const r = parseProxyHeader(buffered)
      if (r.status === 'incomplete') return
      done = true
      if (r.status === 'invalid') {
        socket.end(`${JSON.stringify({ error: r.code })}\n`)
        return
      }
      const { version, command, addresses } = r.header
      socket.write(`${JSON.stringify({ version, command, addresses })}\n`)
      socket.write(buffered.subarray(r.header.headerBytes))
    })
    socket.on('end', () => socket.end())
  })
}

/** Sends `bytes` (and a FIN) on a new connection; splits the answer into the header line and the echo. */
async function exchange(engine: Engine, listener: string, bytes: Buffer, options: { byteByByte?: boolean } = {}) {
  const socket = await connectTo(engine, listener)
  const localPort = socket.localPort!
  const got = received(socket)
  if (options.byteByByte === true) {
    for (const b of bytes) {
      socket.write(Buffer.from([b]))
      await sleep(1)
    }
    socket.end()
  } else {
    socket.end(bytes)
  }
  const data = (await got).data.toString('latin1')
  const nl = data.indexOf('\n')
  return { localPort, header: nl < 0 ? undefined : (JSON.parse(data.slice(0, nl)) as SeenHeader), echo: nl < 0 ? data : data.slice(nl + 1) }
}

const claimed: ProxyAddresses = { family: 'tcp4', source: { address: '203.0.113.7', port: 4444 }, destination: { address: '198.51.100.1', port: 443 } }
const encoders = { v1: encodeProxyV1, v2: encodeProxyV2 } as const

/** An engine whose `edge` listener accepts PROXY headers from `trustedSources` and whose pool sends `send`. */
async function acceptingEngine(backendPort: number, options: { trustedSources?: string[]; versions?: ('v1' | 'v2')[]; send?: 'v1' | 'v2'; handshakeMs?: number } = {}) {
  return engineFrom({
    admin: { listen: '127.0.0.1:0' },
    listeners: [
      {
        name: 'edge',
        protocol: 'tcp',
        bind: '127.0.0.1:0',
        pool: 'app',
        proxyProtocol: { versions: options.versions ?? ['v1', 'v2'], trustedSources: options.trustedSources ?? ['127.0.0.0/8'] },
        ...(options.handshakeMs === undefined ? {} : { timeouts: { handshakeMs: options.handshakeMs } }),
      },
    ],
    pools: { app: { ...(options.send === undefined ? {} : { proxyProtocol: options.send }), backends: [{ id: 'backend', host: '127.0.0.1', port: backendPort }] } },
  })
}

describe('PROXY protocol to backends', () => {
  it.each(['v1', 'v2'] as const)('a pool with proxyProtocol %s tells the backend the client and listener addresses', async (version) => {
    const backend = await proxyReadingBackend('b')
    const engine = await engineFrom({
      listeners: [{ name: 'tcp', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'app' }],
      pools: { app: { proxyProtocol: version, backends: [{ host: '127.0.0.1', port: backend.port }] } },
    })
    const r = await exchange(engine, 'tcp', Buffer.from('payload'))
    expect(r.header).toEqual({
      version: version === 'v1' ? 1 : 2,
      command: 'proxy',
      addresses: { family: 'tcp4', source: { address: '127.0.0.1', port: r.localPort }, destination: { address: '127.0.0.1', port: listenerAddress(engine, 'tcp').port } },
    })
    expect(r.echo).toBe('payload')
  })
})

describe('PROXY protocol from trusted downstreams', () => {
  it.each(['v1', 'v2'] as const)('a %s header from a trusted source is passed on as the client (v2 to the backend)', async (version) => {
    const backend = await proxyReadingBackend('b')
    const engine = await acceptingEngine(backend.port, { send: 'v2' })
    const r = await exchange(engine, 'edge', Buffer.concat([encoders[version](claimed), Buffer.from('payload')]))
    expect(r.header).toEqual({ version: 2, command: 'proxy', addresses: claimed })
    expect(r.echo).toBe('payload')
    expect((await listenerStats(engine, 'edge')).errors).toEqual({})
  })

  it('carries the real client through a two-tier chain (edge sends v1, inner accepts it and sends v2)', async () => {
    const backend = await proxyReadingBackend('b')
    const inner = await acceptingEngine(backend.port, { send: 'v2' })
    const edge = await engineFrom({
      listeners: [{ name: 'front', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'inner' }],
      pools: { inner: { proxyProtocol: 'v1', backends: [{ host: '127.0.0.1', port: listenerAddress(inner, 'edge').port }] } },
    })
    const r = await exchange(edge, 'front', Buffer.from('through two tiers'))
    expect(r.header).toEqual({
      version: 2,
      command: 'proxy',
      addresses: { family: 'tcp4', source: { address: '127.0.0.1', port: r.localPort }, destination: { address: '127.0.0.1', port: listenerAddress(edge, 'front').port } },
    })
    expect(r.echo).toBe('through two tiers')
  })

  it.each(['v1', 'v2'] as const)('reads a %s header that arrives one byte at a time', async (version) => {
    const backend = await proxyReadingBackend('b')
    const engine = await acceptingEngine(backend.port, { send: 'v2' })
    const r = await exchange(engine, 'edge', Buffer.concat([encoders[version](claimed), Buffer.from('slow')]), { byteByByte: true })
    expect(r.header).toEqual({ version: 2, command: 'proxy', addresses: claimed })
    expect(r.echo).toBe('slow')
  })

  it.each([
    { name: 'v2 LOCAL', header: encodeProxyV2(undefined) },
    { name: 'v1 UNKNOWN', header: encodeProxyV1(undefined) },
  ])('a $name header keeps the socket addresses', async ({ header }) => {
    const backend = await proxyReadingBackend('b')
    const engine = await acceptingEngine(backend.port, { send: 'v2' })
    const r = await exchange(engine, 'edge', Buffer.concat([header, Buffer.from('health')]))
    expect(r.header?.addresses).toEqual({
      family: 'tcp4',
      source: { address: '127.0.0.1', port: r.localPort },
      destination: { address: '127.0.0.1', port: listenerAddress(engine, 'edge').port },
    })
    expect(r.echo).toBe('health')
  })

  const v2WithVersion3 = encodeProxyV2(claimed)
  v2WithVersion3[12] = 0x31
  it.each([
    { name: 'a v1 line with a bad address', bytes: Buffer.from('PROXY TCP4 203.0.113.999 198.51.100.1 4444 443\r\n'), code: 'PROXY_ERR_BAD_ADDRESS' },
    { name: 'a v1 line with a port with a leading zero', bytes: Buffer.from('PROXY TCP4 203.0.113.7 198.51.100.1 04444 443\r\n'), code: 'PROXY_ERR_BAD_PORT' },
    { name: 'a v1 line with an unknown protocol', bytes: Buffer.from('PROXY TCP5 203.0.113.7 198.51.100.1 4444 443\r\n'), code: 'PROXY_ERR_MALFORMED' },
    { name: 'a v2 header with version 3', bytes: v2WithVersion3, code: 'PROXY_ERR_BAD_VERSION' },
    { name: 'plain HTTP', bytes: Buffer.from('GET / HTTP/1.1\r\nhost: x\r\n\r\n'), code: 'PROXY_ERR_NOT_PROXY' },
    { name: 'a v2 header on a v1-only listener', bytes: encodeProxyV2(claimed), code: 'PROXY_ERR_NOT_PROXY', versions: ['v1' as const] },
  ])('closes a trusted connection that starts with $name ($code)', async ({ bytes, code, versions }) => {
    const backend = await proxyReadingBackend('b')
    const engine = await acceptingEngine(backend.port, { send: 'v2', ...(versions === undefined ? {} : { versions }) })
    const socket = await connectTo(engine, 'edge')
    const got = received(socket)
    socket.write(Buffer.concat([bytes, Buffer.from('payload')]))
    expect((await got).data.length).toBe(0)
    const l = await listenerStats(engine, 'edge')
    expect(l.errors).toEqual({ [code]: 1 })
    expect(l.connections.active).toBe(0)
    expect(backend.seen.connections).toBe(0)
    // The listener keeps serving well-formed connections.
    const ok = await exchange(engine, 'edge', Buffer.concat([encodeProxyV1(claimed), Buffer.from('next')]))
    expect(ok.echo).toBe('next')
  })

  it('closes a trusted connection whose header does not arrive within timeouts.handshakeMs', async () => {
    const backend = await proxyReadingBackend('b')
    const engine = await acceptingEngine(backend.port, { send: 'v2', handshakeMs: 200 })
    const socket = await connectTo(engine, 'edge')
    const got = received(socket)
    socket.write('PROXY TCP4 203.0.113.7')
    expect((await got).data.length).toBe(0)
    expect((await listenerStats(engine, 'edge')).errors).toEqual({ LB_ERR_HANDSHAKE_TIMEOUT: 1 })
    expect(backend.seen.connections).toBe(0)
  })

  it('passes a header from an untrusted source through as payload', async () => {
    const echo = await tcpServer('echo')
    const engine = await acceptingEngine(echo.port, { trustedSources: ['10.0.0.0/8'] })
    const header = encodeProxyV1(claimed)
    const socket = await connectTo(engine, 'edge')
    const got = received(socket)
    socket.end(Buffer.concat([header, Buffer.from('payload')]))
    expect((await got).data.toString('latin1')).toBe(`${header.toString('latin1')}payload`)
    expect((await listenerStats(engine, 'edge')).errors).toEqual({})
  })
})
