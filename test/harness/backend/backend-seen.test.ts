import dgram from 'node:dgram'
import tls from 'node:tls'
import { afterAll, describe, expect, it } from 'vitest'
import { encodeProxyV2 } from '../../../engine/proxy-protocol/proxy-protocol.js'
import { generateCertificateAuthority, issueCertificate } from '../../../engine/tls/self-signed.js'
import { backendConfigSchema } from '../../../harness/backend/backend-config.js'
import { BackendState, MAX_SEEN_ADDRESSES } from '../../../harness/backend/backend-state.js'
import { startBackend, type RunningBackend } from '../../../harness/backend/backend.js'
import { attributeClient } from '../../../harness/backend/http-answers.js'
import { RawConnection } from './backend-harness.js'

const started: RunningBackend[] = []
afterAll(async () => {
  await Promise.all(started.map((b) => b.stop(0)))
})

async function backend(config: Record<string, unknown>): Promise<RunningBackend> {
  const b = await startBackend(backendConfigSchema.parse({ control: { port: 0 }, ...config }), () => {})
  started.push(b)
  return b
}

describe('attributeClient', () => {
  const peer = { address: '127.0.0.1', port: 5000, proxied: false }
  const proxied = { address: '203.0.113.7', port: 4242, proxied: true }
  it.each([
    { xff: '127.0.1.3', realIp: undefined, client: peer, address: '127.0.1.3', via: 'x-forwarded-for' },
    // The leftmost entry is the original client; later ones are proxies on the way.
    { xff: ' 127.0.1.3 , 127.0.0.1', realIp: '10.0.0.1', client: peer, address: '127.0.1.3', via: 'x-forwarded-for' },
    { xff: '', realIp: '127.0.1.9', client: peer, address: '127.0.1.9', via: 'x-real-ip' },
    { xff: undefined, realIp: undefined, client: proxied, address: '203.0.113.7', via: 'proxy-protocol' },
    { xff: undefined, realIp: ' ', client: peer, address: '127.0.0.1', via: 'peer' },
  ] as const)('X-Forwarded-For $xff, X-Real-IP $realIp → $address via $via', ({ xff, realIp, client, address, via }) => {
    expect(attributeClient(xff, realIp, client)).toEqual({ address, via })
  })
})

describe('BackendState.see', () => {
  it('counts transport, client, peer and source of the address; reset clears them', () => {
    const s = new BackendState('b', {})
    s.see(true, '127.0.1.1', 'x-forwarded-for', '127.0.0.1')
    s.see(false, '127.0.1.2', 'x-forwarded-for', '127.0.0.1')
    s.see(false, '127.0.1.1', 'peer', '127.0.1.1')
    expect(s.snapshot().seen).toEqual({
      tls: 1,
      plaintext: 2,
      clients: { '127.0.1.1': 2, '127.0.1.2': 1 },
      peers: { '127.0.0.1': 2, '127.0.1.1': 1 },
      via: { 'x-forwarded-for': 2, 'x-real-ip': 0, 'proxy-protocol': 0, peer: 1 },
    })
    s.resetCounters()
    expect(s.snapshot().seen).toMatchObject({ tls: 0, plaintext: 0, clients: {}, peers: {} })
  })

  it('keeps at most MAX_SEEN_ADDRESSES addresses (a client can send any X-Forwarded-For); the rest count as other', () => {
    const s = new BackendState('b', {})
    for (let i = 0; i < MAX_SEEN_ADDRESSES + 10; i++) s.see(false, `10.0.${i >> 8}.${i & 255}`, 'x-forwarded-for', '127.0.0.1')
    const { clients } = s.snapshot().seen
    expect(Object.keys(clients)).toHaveLength(MAX_SEEN_ADDRESSES + 1)
    expect(clients.other).toBe(10)
  })
})

describe('what a running backend reports it saw', () => {
  it('http: plaintext, the client from X-Forwarded-For, the peer apart; health checks are not load', async () => {
    const b = await backend({ id: 'seen-http', http: { port: 0 } })
    const c = await RawConnection.open(b.ports.http!)
    await c.get('/a', { 'X-Forwarded-For': '127.0.1.7, 127.0.0.1' })
    await c.get('/b')
    await c.get('/health')
    c.close()
    expect(b.state.snapshot().seen).toEqual({
      tls: 0,
      plaintext: 2,
      clients: { '127.0.1.7': 1, '127.0.0.1': 1 },
      peers: { '127.0.0.1': 2 },
      via: { 'x-forwarded-for': 1, 'x-real-ip': 0, 'proxy-protocol': 0, peer: 1 },
    })
  })

  it('https: every request counted as TLS', async () => {
    const ca = await generateCertificateAuthority({ commonName: 'test CA' })
    const cert = await issueCertificate(ca, { commonName: 'backend.test', dnsNames: ['backend.test'], ipAddresses: [] })
    const b = await backend({ id: 'seen-tls', http: { port: 0, tls: { cert: cert.cert, key: cert.key } } })
    const c = await new Promise<RawConnection>((resolve, reject) => {
      const socket = tls.connect({ host: '127.0.0.1', port: b.ports.http!, servername: 'backend.test', ca: ca.cert }, () => resolve(new RawConnection(socket)))
      socket.once('error', reject)
    })
    await c.get('/a')
    await c.get('/b')
    c.close()
    expect(b.state.snapshot().seen).toMatchObject({ tls: 2, plaintext: 0, via: { peer: 2 } })
  })

  it('tcp with PROXY v2: the header’s source is the client, the balancer the peer; WHO is not load', async () => {
    const b = await backend({ id: 'seen-tcp', tcp: { port: 0 }, proxyProtocol: 'v2' })
    const c = await RawConnection.open(b.ports.tcp!)
    c.write(encodeProxyV2({ family: 'tcp4', source: { address: '127.0.1.2', port: 4242 }, destination: { address: '127.0.0.1', port: 80 } }))
    c.write('WHO\nSELECT 1\nSELECT 2\n')
    for (let i = 0; i < 3; i++) await c.line()
    c.close()
    expect(b.state.snapshot().seen).toEqual({
      tls: 0,
      plaintext: 2,
      clients: { '127.0.1.2': 2 },
      peers: { '127.0.0.1': 2 },
      via: { 'x-forwarded-for': 0, 'x-real-ip': 0, 'proxy-protocol': 2, peer: 0 },
    })
  })

  it('udp: each datagram attributed to its source', async () => {
    const b = await backend({ id: 'seen-udp', udp: { port: 0 } })
    const socket = dgram.createSocket('udp4')
    await new Promise<void>((r) => socket.bind(0, '127.0.1.5', () => r()))
    const answered = new Promise<void>((r) => socket.once('message', () => r()))
    socket.send('ping', b.ports.udp!, '127.0.0.1')
    await answered
    socket.close()
    expect(b.state.snapshot().seen).toMatchObject({ tls: 0, plaintext: 1, clients: { '127.0.1.5': 1 }, peers: { '127.0.1.5': 1 } })
  })
})
