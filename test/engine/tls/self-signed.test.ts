import 'reflect-metadata'
import { once } from 'node:events'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { connect, createServer, type ConnectionOptions } from 'node:tls'
import * as x509 from '@peculiar/x509'
import { describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { certificateFingerprint, generateCertificateAuthority, issueCertificate, type CertificateAndKey } from '../../../engine/tls/self-signed.js'

const ca = await generateCertificateAuthority({ commonName: 'layerbench test CA' })
const otherCa = await generateCertificateAuthority({ commonName: 'someone else' })
const leaf = await issueCertificate(ca, { commonName: 'api', dnsNames: ['api.example.test', '*.example.test'], ipAddresses: ['127.0.0.1', '::1'] })
const selfSigned = await issueCertificate(undefined, { commonName: 'self', dnsNames: ['self.example.test'] })
const x509Of = (c: CertificateAndKey): X509Certificate => new X509Certificate(c.cert)
/** The certificate as an independent parser (not node's OpenSSL) reads it. */
const parsed = (c: CertificateAndKey) => new x509.X509Certificate(c.cert)

describe('generated certificates, as node:crypto reads them', () => {
  it('a CA: self-issued, CA:true, dated from the given clock', async () => {
    const now = new Date('2031-05-06T07:08:09.500Z')
    const dated = await generateCertificateAuthority({ commonName: 'dated CA', days: 10, now })
    const cert = x509Of(dated)
    expect(cert.subject).toBe('CN=dated CA')
    expect(cert.issuer).toBe('CN=dated CA')
    expect(cert.ca).toBe(true)
    expect(cert.verify(cert.publicKey)).toBe(true)
    expect(cert.checkPrivateKey(createPrivateKey(dated.key))).toBe(true)
    expect(new Date(cert.validFrom).toISOString()).toBe('2031-05-06T06:08:09.000Z')
    expect(new Date(cert.validTo).toISOString()).toBe('2031-05-16T07:08:09.000Z')
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1')
  })

  it('a leaf: issued by the CA, server auth, the requested names', () => {
    const cert = x509Of(leaf)
    expect(cert.subject).toBe('CN=api')
    expect(cert.issuer).toBe('CN=layerbench test CA')
    expect(cert.ca).toBe(false)
    expect(cert.subjectAltName).toBe('DNS:api.example.test, DNS:*.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1'])
    expect(cert.verify(x509Of(ca).publicKey)).toBe(true)
    expect(cert.verify(x509Of(otherCa).publicKey)).toBe(false)
    expect(cert.checkIssued(x509Of(ca))).toBe(true)
    expect(cert.checkHost('api.example.test')).toBe('api.example.test')
    expect(cert.checkHost('edge.example.test')).toBe('*.example.test')
    expect(cert.checkHost('api.other.test')).toBeUndefined()
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(cert.checkIP('::1')).toBe('::1')
    expect(cert.checkIP('127.0.0.2')).toBeUndefined()
    expect(cert.checkPrivateKey(createPrivateKey(leaf.key))).toBe(true)
  })

  it('keys are PKCS#8 ECDSA P-256', () => {
    for (const c of [ca, leaf, selfSigned]) {
      expect(c.key).toMatch(/^-----BEGIN PRIVATE KEY-----\n/)
      const key = createPrivateKey(c.key)
      expect([key.asymmetricKeyType, key.asymmetricKeyDetails?.namedCurve]).toEqual(['ec', 'prime256v1'])
    }
  })

  it('serial numbers are positive, 16 octets, and differ', () => {
    const serials = [ca, otherCa, leaf, selfSigned].map((c) => x509Of(c).serialNumber)
    for (const s of serials) expect(s).toMatch(/^[4-7][0-9A-F]{31}$/)
    expect(new Set(serials).size).toBe(serials.length)
  })

  it('a CA: basicConstraints CA with pathLen 0, and may sign certificates; both critical', () => {
    const bc = parsed(ca).getExtension(x509.BasicConstraintsExtension)!
    expect([bc.ca, bc.pathLength, bc.critical]).toEqual([true, 0, true])
    const ku = parsed(ca).getExtension(x509.KeyUsagesExtension)!
    expect([ku.usages, ku.critical]).toEqual([x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true])
  })

  it.each([
    ['leaf', leaf],
    ['self-signed', selfSigned],
  ])('a %s: not a CA, digital signature only, server auth', (_, c) => {
    const bc = parsed(c).getExtension(x509.BasicConstraintsExtension)!
    expect([bc.ca, bc.critical]).toEqual([false, true])
    const ku = parsed(c).getExtension(x509.KeyUsagesExtension)!
    expect([ku.usages, ku.critical]).toEqual([x509.KeyUsageFlags.digitalSignature, true])
    const eku = parsed(c).getExtension(x509.ExtendedKeyUsageExtension)!
    expect([eku.usages, eku.critical]).toEqual([['1.3.6.1.5.5.7.3.1'], false])
  })

  it('links each leaf to its issuer by key identifier', () => {
    const subjectKey = (c: CertificateAndKey) => parsed(c).getExtension(x509.SubjectKeyIdentifierExtension)!.keyId
    const authorityKey = (c: CertificateAndKey) => parsed(c).getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId
    expect(subjectKey(ca)).toHaveLength(40)
    expect(authorityKey(ca)).toBe(subjectKey(ca))
    expect(authorityKey(leaf)).toBe(subjectKey(ca))
    expect(subjectKey(leaf)).not.toBe(subjectKey(ca))
    expect(authorityKey(selfSigned)).toBe(subjectKey(selfSigned))
  })

  it('leaves out subjectAltName when no names are given', async () => {
    const bare = await issueCertificate(ca, { commonName: 'bare' })
    expect(x509Of(bare).subjectAltName).toBeUndefined()
    expect(parsed(bare).getExtension(x509.SubjectAlternativeNameExtension)).toBeNull()
  })

  it('fingerprints like node:crypto', () => {
    for (const c of [ca, leaf, selfSigned]) expect(certificateFingerprint(c.cert)).toBe(x509Of(c).fingerprint256)
    expect(() => certificateFingerprint('not a certificate')).toThrow(EngineError)
  })
})

describe('invalid options are reported together', () => {
  it('names every offending value', async () => {
    let caught: unknown
    try {
      await issueCertificate(ca, { commonName: '', dnsNames: ['ok.test', 'bad name'], ipAddresses: ['300.1.1.1', '::1'], days: -1 })
    } catch (e) {
      caught = e
    }
    expect(caught).toBeInstanceOf(EngineError)
    const error = caught as EngineError
    expect(error.code).toBe('LB_ERR_INVALID_OPTIONS')
    expect(error.issues.map((i) => i.path)).toEqual(['commonName', 'days', 'dnsNames[1]', 'ipAddresses[0]'])
  })

  it.each<[string, CertificateAndKey, string]>([
    ['a leaf as the CA', leaf, 'ca.cert'],
    ['a CA with somebody else’s key', { cert: ca.cert, key: otherCa.key }, 'ca.key'],
    ['garbage', { cert: 'nope', key: 'nope' }, 'ca'],
  ])('refuses %s', async (_, badCa, path) => {
    const refused = await issueCertificate(badCa, { commonName: 'x' }).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(EngineError)
    expect((refused as EngineError).issues.map((i) => i.path)).toEqual([path])
  })

  it.each([{ days: 0 }, { days: Number.NaN }, { commonName: 'x'.repeat(65) }, { now: new Date(Number.NaN) }])('refuses a CA with %o', async (options) => {
    await expect(generateCertificateAuthority(options)).rejects.toThrow(EngineError)
  })
})

/**
 * A TLS handshake on 127.0.0.1 with full verification: `ok` with what the server said, or the
 * client's verification error code.
 */
async function handshake(server: CertificateAndKey, client: ConnectionOptions): Promise<string> {
  const listener = createServer({ cert: server.cert, key: server.key }, (socket) => socket.end('hello'))
  listener.on('tlsClientError', () => {})
  listener.listen(0, '127.0.0.1')
  await once(listener, 'listening')
  try {
    const socket = connect({ host: '127.0.0.1', port: (listener.address() as AddressInfo).port, rejectUnauthorized: true, ...client })
    return await new Promise<string>((resolve) => {
      let received = ''
      socket.on('data', (chunk: Buffer) => (received += chunk.toString()))
      socket.on('end', () => resolve(`ok ${socket.authorized ? 'authorized' : 'unauthorized'} ${received}`))
      socket.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message))
    })
  } finally {
    await new Promise((done) => listener.close(done))
  }
}

const hour = 3_600_000
const expired = await issueCertificate(ca, { commonName: 'old', dnsNames: ['api.example.test'], now: new Date(Date.now() - 40 * 24 * hour), days: 30 })
const future = await issueCertificate(ca, { commonName: 'new', dnsNames: ['api.example.test'], now: new Date(Date.now() + 48 * hour) })
const noIp = await issueCertificate(ca, { commonName: 'dns only', dnsNames: ['api.example.test'] })

describe('TLS with generated certificates', () => {

  it.each<[string, CertificateAndKey, ConnectionOptions, string]>([
    ['trusting the CA, by name', leaf, { ca: [ca.cert], servername: 'api.example.test' }, 'ok authorized hello'],
    ['a name under the wildcard', leaf, { ca: [ca.cert], servername: 'edge.example.test' }, 'ok authorized hello'],
    ['by IP address (no SNI)', leaf, { ca: [ca.cert] }, 'ok authorized hello'],
    ['a self-signed leaf trusted as itself', selfSigned, { ca: [selfSigned.cert], servername: 'self.example.test' }, 'ok authorized hello'],
    ['a name the certificate lacks', leaf, { ca: [ca.cert], servername: 'api.other.test' }, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['an IP the certificate lacks', noIp, { ca: [ca.cert] }, 'ERR_TLS_CERT_ALTNAME_INVALID'],
    ['the public trust store only', leaf, { servername: 'api.example.test' }, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['trusting another CA', leaf, { ca: [otherCa.cert], servername: 'api.example.test' }, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
    ['an untrusted self-signed leaf', selfSigned, { servername: 'self.example.test' }, 'DEPTH_ZERO_SELF_SIGNED_CERT'],
    ['an expired leaf', expired, { ca: [ca.cert], servername: 'api.example.test' }, 'CERT_HAS_EXPIRED'],
    ['a leaf not yet valid', future, { ca: [ca.cert], servername: 'api.example.test' }, 'CERT_NOT_YET_VALID'],
  ])('%s', async (_, server, client, outcome) => {
    expect(await handshake(server, client)).toBe(outcome)
  })
})
