import net from 'node:net'
import tls from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeProxyV1, encodeProxyV2, type ProxyAddresses } from '../../../engine/proxy-protocol/proxy-protocol.js'
import { issueCertificate } from '../../../engine/tls/self-signed.js'
import { json, killBackends, RawConnection, request, spawnBackend, type SpawnedBackend } from './backend-harness.js'

afterAll(() => killBackends())

const v4: ProxyAddresses = { family: 'tcp4', source: { address: '203.0.113.7', port: 4242 }, destination: { address: '198.51.100.1', port: 80 } }
const v6: ProxyAddresses = { family: 'tcp6', source: { address: '2001:db8::7', port: 5353 }, destination: { address: '2001:db8::1', port: 443 } }

const listeners = { http: { port: 0 }, tcp: { port: 0 }, control: { port: 0 } }

/** Opens a connection and sends `preamble` first, optionally one byte at a time. */
async function openWith(port: number, preamble: Buffer, byteByByte = false): Promise<RawConnection> {
  const c = await RawConnection.open(port)
  if (!byteByByte) c.write(preamble)
  else for (const b of preamble) await new Promise<void>((r) => c.socket.write(Buffer.of(b), () => r()))
  return c
}

describe.each([
  { mode: 'v1', accepted: ['v1'], refused: ['v2', 'none'] },
  { mode: 'v2', accepted: ['v2'], refused: ['v1', 'none'] },
  // `any` takes either version but still requires a header.
  { mode: 'any', accepted: ['v1', 'v2'], refused: ['none'] },
] as const)('proxyProtocol $mode', ({ mode, accepted, refused }) => {
  let backend: SpawnedBackend
  beforeAll(async () => {
    backend = await spawnBackend({ id: `pp-${mode}`, ...listeners, proxyProtocol: mode })
  })
  /** The header of `version` for `addresses`; `null` for one without addresses (v1 UNKNOWN, v2 LOCAL). */
  const header = (version: string, addresses: ProxyAddresses | null = v4) => {
    const a = addresses ?? undefined
    return version === 'v1' ? encodeProxyV1(a) : version === 'v2' ? encodeProxyV2(a) : Buffer.alloc(0)
  }

  it.each(accepted)('http: takes the client address from a %s header', async (version) => {
    for (const [addresses, address, port] of [
      [v4, '203.0.113.7', 4242],
      [v6, '2001:db8::7', 5353],
    ] as const) {
      const c = await openWith(backend.ready.http!, header(version, addresses), true)
      const first = json(await c.get('/who'))
      expect(first).toMatchObject({ clientAddress: address, clientPort: port, proxied: true })
      // The header applies to the whole connection.
      expect(json(await c.get('/again'))).toMatchObject({ clientAddress: address, proxied: true })
      c.close()
    }
  })

  it.each(accepted)('tcp: WHO reports the %s header source', async (version) => {
    const c = await openWith(backend.ready.tcp!, Buffer.concat([header(version), Buffer.from('WHO\nq\n')]))
    expect(await c.line()).toBe(`pp-${mode} 203.0.113.7:4242`)
    expect(await c.line()).toBe(`pp-${mode} q`)
    c.close()
  })

  it.each(refused)('closes a connection that starts with %s instead', async (version) => {
    for (const port of [backend.ready.http!, backend.ready.tcp!]) {
      const c = await openWith(port, Buffer.concat([header(version), Buffer.from(request('GET', '/x'))]))
      await c.closed
      expect(c.received).toBe(0)
    }
  })

  it.each(accepted)('a %s header without addresses (LOCAL / UNKNOWN) leaves the peer address', async (version) => {
    const c = await openWith(backend.ready.http!, header(version, null))
    expect(json(await c.get('/local'))).toMatchObject({ clientAddress: '127.0.0.1', clientPort: c.socket.localPort, proxied: false })
    c.close()
  })
})

const localhost = await issueCertificate(undefined, { commonName: 'localhost', dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] })

describe('TLS', () => {
  const { cert, key } = localhost
  let plain: SpawnedBackend
  let proxied: SpawnedBackend
  beforeAll(async () => {
    ;[plain, proxied] = await Promise.all([
      spawnBackend({ id: 'tls-1', http: { port: 0, tls: { cert, key } }, control: { port: 0 } }),
      spawnBackend({ id: 'tls-pp', http: { port: 0, tls: { cert, key } }, control: { port: 0 }, proxyProtocol: 'v2' }),
    ])
  })

  function connectTls(options: { port: number } | { socket: net.Socket }): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = tls.connect({ ...options, host: '127.0.0.1', servername: 'localhost', ca: cert }, () => resolve(new RawConnection(socket)))
      socket.once('error', reject)
    })
  }

  it('serves HTTPS with keep-alive', async () => {
    const c = await connectTls({ port: plain.ready.http! })
    expect((c.socket as tls.TLSSocket).authorized).toBe(true)
    for (let i = 0; i < 3; i++) {
      const r = await c.get(`/secure/${i}`)
      expect(r.headers.get('x-backend')).toBe('tls-1')
      expect(json(r)).toMatchObject({ path: `/secure/${i}`, clientAddress: '127.0.0.1', proxied: false, served: i + 1 })
    }
    c.close()
  })

  it('reads a PROXY v2 header sent before the TLS handshake', async () => {
    const raw = await new Promise<net.Socket>((resolve) => {
      const s = net.connect({ port: proxied.ready.http!, host: '127.0.0.1' }, () => resolve(s))
    })
    raw.write(encodeProxyV2(v4))
    const c = await connectTls({ socket: raw })
    expect(json(await c.get('/through'))).toMatchObject({ clientAddress: '203.0.113.7', clientPort: 4242, proxied: true })
    c.close()
  })

  it('resets a TLS connection at resetRate 1', async () => {
    await plain.control('PUT', '/behaviour', { resetRate: 1 })
    const c = await connectTls({ port: plain.ready.http! })
    c.write(request('GET', '/boom'))
    expect(await c.closed).toBe('ECONNRESET')
    expect(c.received).toBe(0)
    await plain.control('PUT', '/behaviour', { resetRate: null })
  })
})
