import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import https from 'node:https'
import net, { type AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import tls from 'node:tls'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { RunningHttpListener } from '../../../engine/l7/http-listener.js'
import { generateCertificateAuthority, issueCertificate, type CertificateAndKey } from '../../../engine/tls/self-signed.js'
import { engineFrom, eventually, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { destroyAgents, keepAliveHttpsAgent, poolOf, RawClient, send, sendTls } from './clients.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

let ca: CertificateAndKey
let alpha: CertificateAndKey
let beta: CertificateAndKey

beforeAll(async () => {
  ca = await generateCertificateAuthority({ commonName: 'layerbench l7 test CA' })
  alpha = await issueCertificate(ca, { commonName: 'alpha.test', dnsNames: ['alpha.test', '*.alpha.test'] })
  beta = await issueCertificate(ca, { commonName: 'beta.test', dnsNames: ['beta.test'] })
})

async function httpsEngine() {
  const [a, b] = await Promise.all([httpBackend('alpha-app'), httpBackend('beta-app')])
  const engine = await engineFrom({
    listeners: [
      {
        name: 'secure',
        protocol: 'https',
        bind: '127.0.0.1:0',
        tls: { certificates: [alpha, beta].map((c) => ({ cert: c.cert, key: c.key })) },
        routes: [
          { match: { host: ['alpha.test', '*.alpha.test'] }, pool: 'alpha' },
          { match: { host: 'beta.test' }, pool: 'beta' },
        ],
      },
    ],
    pools: { alpha: poolOf([a]), beta: poolOf([b]) },
  })
  return { engine, address: listenerAddress(engine, 'secure') }
}

/** Completes a verified handshake for `servername` and returns the certificate it was shown. */
function handshake(port: number, servername: string | undefined): Promise<{ cn: unknown; authorized: boolean; alpn: string | false | null }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, ca: ca.cert, ...(servername === undefined ? { checkServerIdentity: () => undefined } : { servername }), ALPNProtocols: ['http/1.1'] }, () => {
      const cert = socket.getPeerCertificate()
      resolve({ cn: cert.subject.CN, authorized: socket.authorized, alpn: socket.alpnProtocol })
      socket.destroy()
    })
    socket.on('error', reject)
  })
}

describe('TLS termination', () => {
  it.each([
    ['alpha.test', 'alpha.test'],
    ['www.alpha.test', 'alpha.test'],
    ['beta.test', 'beta.test'],
  ])('SNI %s gets the certificate for %s, verified against the test CA', async (servername, cn) => {
    const { address } = await httpsEngine()
    const r = await handshake(address.port, servername)
    expect(r.authorized).toBe(true)
    expect(r.cn).toBe(cn)
    expect(r.alpn).toBe('http/1.1')
  })

  it('a client without SNI gets the first certificate', async () => {
    const { address } = await httpsEngine()
    expect((await handshake(address.port, undefined)).cn).toBe('alpha.test')
  })

  it('a name the certificates do not cover fails verification', async () => {
    const { address } = await httpsEngine()
    await expect(handshake(address.port, 'gamma.test')).rejects.toThrow(/altnames|Hostname/i)
  })

  it('the listener exposes the certificates it serves', async () => {
    const { engine } = await httpsEngine()
    const l = engine.listeners.find((x) => x.name === 'secure') as RunningHttpListener
    expect(l.certificates).toEqual([alpha.cert, beta.cert])
  })

  it.each([
    ['alpha.test', 'alpha-app'],
    ['beta.test', 'beta-app'],
  ])('routes by host over https: %s → %s, with X-Forwarded-Proto https', async (host, backend) => {
    const { address } = await httpsEngine()
    const r = await sendTls(address, '/whoami', { headers: { host }, tls: { ca: ca.cert, servername: host } })
    expect(r.status).toBe(200)
    expect(r.headers['x-backend']).toBe(backend)
    const echo = r.echo()
    expect(echo.headers['x-forwarded-proto']).toBe('https')
    expect(echo.headers['x-forwarded-host']).toBe(host)
    expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1')
  })

  it('keeps the TLS connection alive across requests', async () => {
    const { engine, address } = await httpsEngine()
    const agent = keepAliveHttpsAgent({ ca: ca.cert, servername: 'beta.test' })
    for (let i = 0; i < 20; i++) {
      const r = await sendTls(address, `/k/${i}`, { agent, headers: { host: 'beta.test' }, tls: {} })
      expect(r.status).toBe(200)
    }
    const stats = engine.stats().listeners.find((l) => l.name === 'secure')!
    expect(stats.connections.total).toBe(1)
    expect(stats.requests).toBe(20)
  })

  it('a plaintext client fails its handshake alone; TLS clients are still served', async () => {
    const { engine, address } = await httpsEngine()
    const plain = await RawClient.connect(address.port)
    plain.write('GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n')
    await plain.waitClosed(5000)
    expect(plain.received.toString('latin1')).not.toContain('HTTP/1.1 200')
    const r = await sendTls(address, '/', { headers: { host: 'alpha.test' }, tls: { ca: ca.cert, servername: 'alpha.test' } })
    expect(r.status).toBe(200)
    expect(engine.stats().listeners[0]!.errors.LB_ERR_TLS_HANDSHAKE).toBe(1)
  })

  it('a client resetting its connection after the handshake is not counted as a handshake failure', async () => {
    const { engine, address } = await httpsEngine()
    const raw = net.connect({ host: '127.0.0.1', port: address.port })
    const secure = tls.connect({ socket: raw, servername: 'alpha.test', ca: ca.cert })
    await new Promise<void>((resolve, reject) => secure.once('secureConnect', resolve).once('error', reject))
    const client = RawClient.wrap(secure)
    client.write('GET / HTTP/1.1\r\nHost: alpha.test\r\n\r\n')
    await client.responses(1)
    raw.resetAndDestroy()
    await eventually(() => expect(engine.stats().listeners[0]!.connections.active).toBe(0))
    expect(engine.stats().listeners[0]!.errors.LB_ERR_TLS_HANDSHAKE).toBeUndefined()
  })

  it('a selfSigned certificate is generated at start-up for the given names', async () => {
    const b = await httpBackend('b')
    const engine = await engineFrom({
      listeners: [{ name: 'secure', protocol: 'https', bind: '127.0.0.1:0', tls: { certificates: [{ selfSigned: { dnsNames: ['self.test'] } }] }, routes: [{ pool: 'app' }] }],
      pools: { app: poolOf([b]) },
    })
    const l = engine.listeners.find((x) => x.name === 'secure') as RunningHttpListener
    const r = await sendTls(listenerAddress(engine, 'secure'), '/', { tls: { ca: l.certificates[0]!, servername: 'self.test' } })
    expect(r.status).toBe(200)
    expect(r.echo().headers['x-forwarded-proto']).toBe('https')
  })
})

describe('TLS to backends (re-encryption)', () => {
  const cleanups: (() => void | Promise<void>)[] = []
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c()
  })

  /** An HTTPS backend presenting a certificate for backend.test issued by the test CA. */
  async function httpsBackend(): Promise<{ port: number; seen: { servername: string | false | null; proto: string | undefined }[] }> {
    const leaf = await issueCertificate(ca, { commonName: 'backend.test', dnsNames: ['backend.test'] })
    const seen: { servername: string | false | null; proto: string | undefined }[] = []
    const server = https.createServer({ cert: leaf.cert, key: leaf.key }, (req, res) => {
      seen.push({ servername: (req.socket as tls.TLSSocket).servername, proto: req.headers['x-forwarded-proto'] as string | undefined })
      res.end('secure backend')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
    )
    return { port: (server.address() as AddressInfo).port, seen }
  }

  async function engineTo(port: number, poolTls: Record<string, unknown>) {
    const engine = await engineFrom({
      listeners: [{ name: 'web', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'app' }] }],
      pools: { app: { backends: [{ id: 'secure', host: '127.0.0.1', port }], tls: poolTls, retries: { attempts: 0 } } },
    })
    return listenerAddress(engine, 'web')
  }

  it('verifies the backend against caFile with the configured serverName', async () => {
    const backend = await httpsBackend()
    const dir = mkdtempSync(join(tmpdir(), 'layerbench-l7-'))
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }))
    const caFile = join(dir, 'ca.pem')
    writeFileSync(caFile, ca.cert)
    const address = await engineTo(backend.port, { serverName: 'backend.test', rejectUnauthorized: true, caFile })
    const r = await send(address, '/')
    expect(r.status).toBe(200)
    expect(r.text).toBe('secure backend')
    expect(backend.seen[0]).toEqual({ servername: 'backend.test', proto: 'http' })
  })

  it('refuses an unverifiable backend when rejectUnauthorized is set: 502 LB_ERR_UPSTREAM_CONNECT', async () => {
    const backend = await httpsBackend()
    const address = await engineTo(backend.port, { serverName: 'backend.test', rejectUnauthorized: true })
    const r = await send(address, '/')
    expect(r.status).toBe(502)
    expect(r.headers['x-layerbench-error']).toBe('LB_ERR_UPSTREAM_CONNECT')
    expect(backend.seen).toHaveLength(0)
  })

  it('accepts any backend certificate by default', async () => {
    const backend = await httpsBackend()
    const address = await engineTo(backend.port, {})
    expect((await send(address, '/')).status).toBe(200)
  })
})
