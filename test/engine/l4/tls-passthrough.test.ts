import { once } from 'node:events'
import net, { type AddressInfo } from 'node:net'
import tls from 'node:tls'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { encodeProxyV1 } from '../../../engine/proxy-protocol/proxy-protocol.js'
import { parseClientHello } from '../../../engine/tls/client-hello.js'
import { generateCertificateAuthority, issueCertificate, type CertificateAndKey } from '../../../engine/tls/self-signed.js'
import type { Engine } from '../../../engine/runtime/engine.js'
import { engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers } from '../../helpers/test-servers.js'
import { backendStats, connectTo, listenerStats, received, sleep } from './l4-support.js'

let ca: CertificateAndKey
const certs: Record<'api' | 'shop' | 'fallback', CertificateAndKey> = {} as never

beforeAll(async () => {
  ca = await generateCertificateAuthority()
  certs.api = await issueCertificate(ca, { commonName: 'api.example.com', dnsNames: ['api.example.com'] })
  certs.shop = await issueCertificate(ca, { commonName: 'shop', dnsNames: ['*.shop.example.com'] })
  certs.fallback = await issueCertificate(ca, {
    commonName: 'fallback',
    dnsNames: ['fallback.example.com', 'shop.example.com', 'unknown.example.net'],
    ipAddresses: ['127.0.0.1'],
  })
})

const cleanups: (() => void | Promise<void>)[] = []
afterEach(async () => {
  await stopEngines()
  for (const c of cleanups.splice(0)) await c()
  await closeServers()
})

/** A TLS server on 127.0.0.1 that writes its id once the handshake is done, then closes. */
async function tlsBackend(id: keyof typeof certs): Promise<{ id: string; port: number }> {
  const server = tls.createServer({ ...certs[id] }, (socket) => {
    socket.on('error', () => {})
    socket.end(id)
  })
  const sockets = new Set<net.Socket>()
  server.on('connection', (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
  )
  return { id, port: (server.address() as AddressInfo).port }
}

/** api.example.com → api, *.shop.example.com → shop, anything else → fallback. */
async function sniEngine(listener: Record<string, unknown> = {}): Promise<Engine> {
  const [api, shop, fallback] = await Promise.all([tlsBackend('api'), tlsBackend('shop'), tlsBackend('fallback')])
  const pool = (b: { id: string; port: number }) => ({ backends: [{ id: b.id, host: '127.0.0.1', port: b.port }] })
  return engineFrom({
    admin: { listen: '127.0.0.1:0' },
    listeners: [
      {
        name: 'tls',
        protocol: 'tls',
        bind: '127.0.0.1:0',
        pool: 'fallback',
        sni: [
          { serverNames: ['api.example.com'], pool: 'api' },
          { serverNames: ['*.shop.example.com'], pool: 'shop' },
        ],
        ...listener,
      },
    ],
    pools: { api: pool(api), shop: pool(shop), fallback: pool(fallback) },
  })
}

/**
 * A verified TLS client session to 127.0.0.1:port (SNI only when `servername` is given): resolves
 * with what the backend wrote and the subject of the certificate it presented.
 */
async function tlsSession(port: number, servername?: string): Promise<{ answer: string; subject: string }> {
  const socket = tls.connect({ host: '127.0.0.1', port, ca: ca.cert, ...(servername === undefined ? {} : { servername }) })
  const chunks: Buffer[] = []
  socket.on('data', (c: Buffer) => chunks.push(c))
  await once(socket, 'secureConnect')
  expect(socket.authorized).toBe(true)
  const subject = String(socket.getPeerCertificate().subject.CN)
  await once(socket, 'end')
  socket.destroy()
  return { answer: Buffer.concat(chunks).toString(), subject }
}

/**
 * A forwarder on 127.0.0.1 in front of `targetPort` that passes the client's bytes on one at a time,
 * `delayMs` apart, until the server's first byte comes back (so the whole ClientHello is trickled),
 * then relays normally.
 */
async function trickleForwarder(targetPort: number, delayMs = 1): Promise<{ port: number; trickledBytes: () => number }> {
  let trickled = 0
  const server = net.createServer((client) => {
    client.on('error', () => {})
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort, noDelay: true })
    upstream.on('error', () => client.destroy())
    client.on('close', () => upstream.destroy())
    upstream.on('close', () => client.destroy())
    const queue: number[] = []
    let trickling = true
    let pumping = false
    const pump = async () => {
      if (pumping) return
      pumping = true
      while (trickling && queue.length > 0 && !upstream.destroyed) {
        upstream.write(Buffer.from([queue.shift()!]))
        trickled++
        await sleep(delayMs)
      }
      pumping = false
    }
    client.on('data', (c: Buffer) => {
      if (!trickling) {
        upstream.write(c)
        return
      }
      queue.push(...c)
      void pump()
    })
    upstream.on('data', (c: Buffer) => {
      if (trickling) {
        trickling = false
        upstream.write(Buffer.from(queue.splice(0)))
      }
      client.write(c)
    })
    upstream.on('end', () => client.end())
    client.on('end', () => upstream.end())
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { port: (server.address() as AddressInfo).port, trickledBytes: () => trickled }
}

/** The ClientHello a real `tls.connect` sends for `servername`, captured by a plain TCP server. */
async function captureClientHello(servername: string): Promise<Buffer> {
  let hello: Buffer | undefined
  const server = net.createServer((s) => {
    let buf = Buffer.alloc(0)
    s.on('data', (c: Buffer) => {
      buf = Buffer.concat([buf, c])
      if (parseClientHello(buf).status === 'complete') {
        hello = buf
        s.destroy()
      }
    })
    s.on('error', () => {})
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const client = tls.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, servername, ca: ca.cert })
  await new Promise<void>((resolve) => {
    client.on('error', () => {})
    client.once('close', () => resolve())
  })
  await new Promise<void>((resolve) => server.close(() => resolve()))
  if (hello === undefined) throw new Error('no ClientHello captured')
  return hello
}

describe('TLS passthrough routing by SNI', () => {
  it.each([
    { name: 'exact name', servername: 'api.example.com', backend: 'api', subject: 'api.example.com' },
    { name: 'exact name, other case', servername: 'API.Example.COM', backend: 'api', subject: 'api.example.com' },
    { name: 'wildcard', servername: 'cart.shop.example.com', backend: 'shop', subject: 'shop' },
    { name: 'the wildcard parent itself', servername: 'shop.example.com', backend: 'fallback', subject: 'fallback' },
    { name: 'unknown name', servername: 'unknown.example.net', backend: 'fallback', subject: 'fallback' },
    { name: 'no SNI at all', servername: undefined, backend: 'fallback', subject: 'fallback' },
  ])('$name → $backend, with a verified end-to-end handshake', async ({ servername, backend, subject }) => {
    const engine = await sniEngine()
    const { port } = listenerAddress(engine, 'tls')
    expect(await tlsSession(port, servername)).toEqual({ answer: backend, subject })
  })

  it('routes a ClientHello that arrives one byte at a time', { timeout: 60_000 }, async () => {
    const engine = await sniEngine({ timeouts: { handshakeMs: 30_000 } })
    const forwarder = await trickleForwarder(listenerAddress(engine, 'tls').port)
    expect(await tlsSession(forwarder.port, 'api.example.com')).toEqual({ answer: 'api', subject: 'api.example.com' })
    expect(forwarder.trickledBytes()).toBeGreaterThan(100)
  })

  it('closes a connection that does not start with TLS, and only that one', { timeout: 60_000 }, async () => {
    const engine = await sniEngine({ timeouts: { handshakeMs: 30_000 } })
    const forwarder = await trickleForwarder(listenerAddress(engine, 'tls').port, 2)
    // A slow, legitimate handshake is in progress while the garbage arrives.
    const slow = tlsSession(forwarder.port, 'cart.shop.example.com')
    await sleep(50)
    const garbage = await connectTo(engine, 'tls')
    const rejected = received(garbage)
    garbage.write('GET / HTTP/1.1\r\n\r\n')
    expect((await rejected).data.length).toBe(0)
    expect(await slow).toEqual({ answer: 'shop', subject: 'shop' })
    const l = await listenerStats(engine, 'tls')
    expect(l.errors).toEqual({ TLS_ERR_NOT_HANDSHAKE: 1 })
    expect(l.connections).toMatchObject({ active: 0, total: 2 })
  })

  it.each([
    { name: 'sends nothing', bytes: 0 },
    { name: 'sends half a ClientHello', bytes: 40 },
  ])('closes a client that $name after timeouts.handshakeMs', async ({ bytes }) => {
    const handshakeMs = 300
    const engine = await sniEngine({ timeouts: { handshakeMs } })
    const hello = await captureClientHello('api.example.com')
    const startedAt = performance.now()
    const socket = await connectTo(engine, 'tls')
    const r = received(socket)
    if (bytes > 0) socket.write(hello.subarray(0, bytes))
    expect((await r).data.length).toBe(0)
    // Timers never fire early by more than their millisecond rounding.
    expect(performance.now() - startedAt).toBeGreaterThanOrEqual(handshakeMs - 5)
    expect((await listenerStats(engine, 'tls')).errors).toEqual({ LB_ERR_HANDSHAKE_TIMEOUT: 1 })
  })

  it('routes a replayed ClientHello written in 1-byte pieces to the pool of its name', async () => {
    const engine = await sniEngine()
    for (const [servername, backend] of [
      ['api.example.com', 'api'],
      ['www.shop.example.com', 'shop'],
    ] as const) {
      const hello = await captureClientHello(servername)
      const socket = await connectTo(engine, 'tls')
      const r = received(socket)
      for (const byte of hello) {
        socket.write(Buffer.from([byte]))
        await new Promise((resolve) => setImmediate(resolve))
      }
      // The backend starts its handshake: a TLS handshake record (content type 22) comes back.
      const [first] = (await once(socket, 'data')) as [Buffer]
      expect(first[0]).toBe(22)
      socket.destroy()
      await r
      expect((await backendStats(engine, backend, backend)).connections.total).toBe(1)
    }
  })

  it('reads a PROXY header from a trusted downstream before the ClientHello', async () => {
    const engine = await sniEngine({ proxyProtocol: { trustedSources: ['127.0.0.0/8'] } })
    const hello = await captureClientHello('api.example.com')
    const socket = await connectTo(engine, 'tls')
    const r = received(socket)
    // Header and hello in one write: the hello starts right after the header's CRLF.
    socket.write(Buffer.concat([encodeProxyV1({ family: 'tcp4', source: { address: '203.0.113.7', port: 4444 }, destination: { address: '198.51.100.1', port: 443 } }), hello]))
    const [first] = (await once(socket, 'data')) as [Buffer]
    expect(first[0]).toBe(22)
    socket.destroy()
    await r
    expect((await listenerStats(engine, 'tls')).errors).toEqual({})
    expect((await backendStats(engine, 'api', 'api')).connections.total).toBe(1)
  })
})
