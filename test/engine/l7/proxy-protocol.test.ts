import net from 'node:net'
import tls from 'node:tls'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeProxyV1, encodeProxyV2, parseProxyHeader, type ProxyHeader } from '../../../engine/proxy-protocol/proxy-protocol.js'
import { generateCertificateAuthority, issueCertificate } from '../../../engine/tls/self-signed.js'
import { engineFrom, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend, tcpServer } from '../../helpers/test-servers.js'
import { httpListener, poolOf, RawClient } from './clients.js'

afterEach(async () => {
  await stopEngines()
  await closeServers()
})

const CLAIMED = { family: 'tcp4', source: { address: '198.51.100.9', port: 5555 }, destination: { address: '203.0.113.1', port: 443 } } as const
const trusted = { proxyProtocol: { trustedSources: ['127.0.0.0/8'] } }

async function connectWith(port: number, header: Buffer): Promise<RawClient> {
  const client = await RawClient.connect(port)
  client.write(header)
  return client
}

const echoOf = (body: Buffer) => JSON.parse(body.toString()) as { headers: Record<string, string> }

describe('PROXY protocol from downstream', () => {
  it.each([
    ['v2', encodeProxyV2(CLAIMED)],
    ['v1', encodeProxyV1(CLAIMED)],
  ])('a %s header sets the client address the backend is told about', async (_, header) => {
    const backend = await httpBackend('b1')
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], trusted)], pools: { app: poolOf([backend]) } })
    const client = await connectWith(listenerAddress(engine, 'web').port, header)
    client.write('GET / HTTP/1.1\r\nHost: t\r\nX-Forwarded-For: 10.1.1.1\r\n\r\nGET /again HTTP/1.1\r\nHost: t\r\n\r\n')
    const [first, second] = await client.responses(2)
    expect(echoOf(first!.body).headers['x-forwarded-for']).toBe('10.1.1.1, 198.51.100.9')
    expect(echoOf(first!.body).headers['x-real-ip']).toBe('198.51.100.9')
    // The address holds for the whole connection.
    expect(echoOf(second!.body).headers['x-forwarded-for']).toBe('198.51.100.9')
    client.destroy()
  })

  it('the header may arrive in pieces', async () => {
    const backend = await httpBackend('b1')
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], trusted)], pools: { app: poolOf([backend]) } })
    const header = encodeProxyV2(CLAIMED)
    const client = await connectWith(listenerAddress(engine, 'web').port, header.subarray(0, 7))
    await new Promise((r) => setTimeout(r, 30))
    client.write(Buffer.concat([header.subarray(7), Buffer.from('GET / HTTP/1.1\r\nHost: t\r\n\r\n')]))
    const [r] = await client.responses(1)
    expect(echoOf(r!.body).headers['x-real-ip']).toBe('198.51.100.9')
    client.destroy()
  })

  it('a trusted source that sends no header is refused and counted', async () => {
    const backend = await httpBackend('b1')
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], trusted)], pools: { app: poolOf([backend]) } })
    const client = await connectWith(listenerAddress(engine, 'web').port, Buffer.from('GET / HTTP/1.1\r\nHost: t\r\n\r\n'))
    await client.waitClosed(5000)
    expect(client.received.length).toBe(0)
    expect(backend.seen.requests).toBe(0)
    expect(engine.stats().listeners[0]!.errors.PROXY_ERR_NOT_PROXY).toBe(1)
  })

  it('a version not accepted is refused', async () => {
    const backend = await httpBackend('b1')
    const engine = await engineFrom({
      listeners: [httpListener([{ pool: 'app' }], { proxyProtocol: { versions: ['v2'], trustedSources: ['127.0.0.0/8'] } })],
      pools: { app: poolOf([backend]) },
    })
    const client = await connectWith(listenerAddress(engine, 'web').port, Buffer.concat([encodeProxyV1(CLAIMED), Buffer.from('GET / HTTP/1.1\r\nHost: t\r\n\r\n')]))
    await client.waitClosed(5000)
    expect(backend.seen.requests).toBe(0)
  })

  it('an untrusted source is served as itself: no header expected, none honoured', async () => {
    const backend = await httpBackend('b1')
    const engine = await engineFrom({
      listeners: [httpListener([{ pool: 'app' }], { proxyProtocol: { trustedSources: ['10.0.0.0/8'] } })],
      pools: { app: poolOf([backend]) },
    })
    const client = await RawClient.connect(listenerAddress(engine, 'web').port)
    client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\n')
    const [r] = await client.responses(1)
    expect(echoOf(r!.body).headers['x-real-ip']).toBe('127.0.0.1')
    client.destroy()
  })

  it('an https listener reads the PROXY header, then completes the TLS handshake', async () => {
    const ca = await generateCertificateAuthority()
    const leaf = await issueCertificate(ca, { commonName: 'proxied.test', dnsNames: ['proxied.test'] })
    const backend = await httpBackend('b1')
    const engine = await engineFrom({
      listeners: [{ name: 'secure', protocol: 'https', bind: '127.0.0.1:0', tls: { certificates: [{ cert: leaf.cert, key: leaf.key }] }, routes: [{ pool: 'app' }], ...trusted }],
      pools: { app: poolOf([backend]) },
    })
    const raw = net.connect({ host: '127.0.0.1', port: listenerAddress(engine, 'secure').port })
    await new Promise<void>((resolve, reject) => raw.once('connect', resolve).once('error', reject))
    raw.write(encodeProxyV2(CLAIMED))
    const secure = tls.connect({ socket: raw, servername: 'proxied.test', ca: ca.cert })
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject))
    expect(secure.authorized).toBe(true)
    const client = RawClient.wrap(secure)
    client.write('GET /s HTTP/1.1\r\nHost: proxied.test\r\n\r\n')
    const [r] = await client.responses(1)
    const h = echoOf(r!.body).headers
    expect(h['x-forwarded-for']).toBe('198.51.100.9')
    expect(h['x-forwarded-proto']).toBe('https')
    client.destroy()
  })
})

/**
 * A raw backend that expects a PROXY header at the start of every connection, then answers each
 * request head (bodiless requests only) with the source the header named and counts of what it saw.
 */
async function proxyAwareBackend() {
  const headers: ProxyHeader[] = []
  let requests = 0
  const server = await tcpServer('pp', (socket) => {
    let buf = Buffer.alloc(0)
    let header: ProxyHeader | undefined
    socket.on('data', (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk])
      if (header === undefined) {
        const r = parseProxyHeader(buf)
        if (r.status === 'incomplete') return
        if (r.status === 'invalid') return void socket.destroy()
        header = r.header
        headers.push(header)
        buf = buf.subarray(header.headerBytes)
      }
      for (let end = buf.indexOf('\r\n\r\n'); end >= 0; end = buf.indexOf('\r\n\r\n')) {
        buf = buf.subarray(end + 4)
        requests++
        const body = JSON.stringify({ source: header.addresses?.source, connectionHeaders: 1, requests })
        socket.write(`HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`)
      }
    })
  })
  return { server, headers, requests: () => requests }
}

describe('PROXY protocol to backends (layer 7 pool)', () => {
  it.each(['v1', 'v2'] as const)('%s: one header per upstream connection, carrying the real client address', async (version) => {
    const pp = await proxyAwareBackend()
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([pp.server], { proxyProtocol: version }) } })
    const port = listenerAddress(engine, 'web').port

    const a = await RawClient.connect(port)
    for (let i = 1; i <= 5; i++) {
      a.write(`GET /a/${i} HTTP/1.1\r\nHost: t\r\n\r\n`)
      await a.responses(i)
    }
    expect(pp.server.seen.connections).toBe(1)
    expect(pp.headers).toHaveLength(1)
    expect(pp.headers[0]!.version).toBe(version === 'v1' ? 1 : 2)
    expect(pp.headers[0]!.addresses?.source).toEqual({ address: '127.0.0.1', port: a.socket.localPort })
    expect(pp.headers[0]!.addresses?.destination).toEqual({ address: '127.0.0.1', port })
    expect(pp.requests()).toBe(5)

    // Another client gets its own upstream connection with its own header.
    const b = await RawClient.connect(port)
    b.write('GET /b HTTP/1.1\r\nHost: t\r\n\r\n')
    await b.responses(1)
    expect(pp.headers).toHaveLength(2)
    expect(pp.headers[1]!.addresses?.source.port).toBe(b.socket.localPort)
    a.destroy()
    b.destroy()
  })

  it('a client behind a trusted PROXY tier is passed on with its claimed address', async () => {
    const pp = await proxyAwareBackend()
    const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }], trusted)], pools: { app: poolOf([pp.server], { proxyProtocol: 'v2' }) } })
    const client = await connectWith(listenerAddress(engine, 'web').port, encodeProxyV2(CLAIMED))
    client.write('GET / HTTP/1.1\r\nHost: t\r\n\r\nGET / HTTP/1.1\r\nHost: t\r\n\r\n')
    const [r] = await client.responses(2)
    expect(JSON.parse(r!.body.toString())).toMatchObject({ source: { address: '198.51.100.9', port: 5555 } })
    expect(pp.headers).toHaveLength(1)
    expect(pp.headers[0]!.addresses?.destination).toEqual({ address: '203.0.113.1', port: 443 })
    client.destroy()
  })
})
