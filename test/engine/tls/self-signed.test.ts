import { once } from 'node:events'
import { createPrivateKey, X509Certificate } from 'node:crypto'
import type { AddressInfo } from 'node:net'
import { connect, createServer, type ConnectionOptions } from 'node:tls'
import { describe, expect, it } from 'vitest'
import { EngineError } from '../../../engine/errors.js'
import { objectIdentifier, readChildren, readElement } from '../../../engine/tls/der.js'
import { certificateFingerprint, generateCertificateAuthority, issueCertificate, type CertificateAndKey } from '../../../engine/tls/self-signed.js'

const ca = generateCertificateAuthority({ commonName: 'layerbench test CA' })
const otherCa = generateCertificateAuthority({ commonName: 'someone else' })
const leaf = issueCertificate(ca, { commonName: 'api', dnsNames: ['api.example.test', '*.example.test'], ipAddresses: ['127.0.0.1', '::1'] })
const selfSigned = issueCertificate(undefined, { commonName: 'self', dnsNames: ['self.example.test'] })
const x509 = (c: CertificateAndKey): X509Certificate => new X509Certificate(c.cert)

/** Extension values by OID, with their critical flag, read straight from the DER. */
function extensions(c: CertificateAndKey): Map<string, { critical: boolean; value: Buffer }> {
  const tbs = readChildren(readChildren(readElement(x509(c).raw))[0]!)
  const container = tbs.find((e) => e.tag === 0xa3)!
  const out = new Map<string, { critical: boolean; value: Buffer }>()
  for (const ext of readChildren(readChildren(container)[0]!)) {
    const parts = readChildren(ext)
    out.set(parts[0]!.raw.toString('hex'), { critical: parts.length === 3, value: Buffer.from(parts[parts.length - 1]!.contents) })
  }
  return out
}
const ext = (c: CertificateAndKey, oid: string) => extensions(c).get(objectIdentifier(oid).toString('hex'))

describe('generated certificates, as node:crypto reads them', () => {
  it('a CA: self-issued, CA:true, dated from the given clock', () => {
    const now = new Date('2031-05-06T07:08:09.500Z')
    const dated = generateCertificateAuthority({ commonName: 'dated CA', days: 10, now })
    const cert = x509(dated)
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
    const cert = x509(leaf)
    expect(cert.subject).toBe('CN=api')
    expect(cert.issuer).toBe('CN=layerbench test CA')
    expect(cert.ca).toBe(false)
    expect(cert.subjectAltName).toBe('DNS:api.example.test, DNS:*.example.test, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1')
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1'])
    expect(cert.verify(x509(ca).publicKey)).toBe(true)
    expect(cert.verify(x509(otherCa).publicKey)).toBe(false)
    expect(cert.checkIssued(x509(ca))).toBe(true)
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
    const serials = [ca, otherCa, leaf, selfSigned].map((c) => x509(c).serialNumber)
    for (const s of serials) expect(s).toMatch(/^[4-7][0-9A-F]{31}$/)
    expect(new Set(serials).size).toBe(serials.length)
  })

  it.each<[string, CertificateAndKey, string, boolean, string]>([
    ['CA basicConstraints', ca, '2.5.29.19', true, '3006' + '0101ff' + '020100'],
    ['CA keyUsage', ca, '2.5.29.15', true, '030201' + '86'],
    ['leaf basicConstraints', leaf, '2.5.29.19', true, '3000'],
    ['leaf keyUsage', leaf, '2.5.29.15', true, '030207' + '80'],
    ['self-signed keyUsage', selfSigned, '2.5.29.15', true, '030207' + '80'],
    ['leaf extendedKeyUsage', leaf, '2.5.29.37', false, '300a' + '06082b06010505070301'],
  ])('%s', (_, c, oid, critical, valueHex) => {
    expect(ext(c, oid)).toEqual({ critical, value: Buffer.from(valueHex, 'hex') })
  })

  it('links each leaf to its issuer by key identifier', () => {
    const keyId = (c: CertificateAndKey, oid: string, tag: number): string => {
      const outer = readElement(ext(c, oid)!.value)
      const inner = oid === '2.5.29.14' ? outer : readChildren(outer)[0]!
      expect(inner.tag).toBe(tag)
      return inner.contents.toString('hex')
    }
    const subjectKey = (c: CertificateAndKey) => keyId(c, '2.5.29.14', 0x04)
    const authorityKey = (c: CertificateAndKey) => keyId(c, '2.5.29.35', 0x80)
    expect(subjectKey(ca)).toHaveLength(40)
    expect(authorityKey(ca)).toBe(subjectKey(ca))
    expect(authorityKey(leaf)).toBe(subjectKey(ca))
    expect(subjectKey(leaf)).not.toBe(subjectKey(ca))
    expect(authorityKey(selfSigned)).toBe(subjectKey(selfSigned))
  })

  it('leaves out subjectAltName when no names are given', () => {
    const bare = issueCertificate(ca, { commonName: 'bare' })
    expect(x509(bare).subjectAltName).toBeUndefined()
    expect(ext(bare, '2.5.29.17')).toBeUndefined()
  })

  it('fingerprints like node:crypto', () => {
    for (const c of [ca, leaf, selfSigned]) expect(certificateFingerprint(c.cert)).toBe(x509(c).fingerprint256)
    expect(() => certificateFingerprint('not a certificate')).toThrow(EngineError)
  })
})

describe('invalid options are reported together', () => {
  it('names every offending value', () => {
    let caught: unknown
    try {
      issueCertificate(ca, { commonName: '', dnsNames: ['ok.test', 'bad name'], ipAddresses: ['300.1.1.1', '::1'], days: -1 })
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
  ])('refuses %s', (_, badCa, path) => {
    expect(() => issueCertificate(badCa, { commonName: 'x' })).toThrow(EngineError)
    try {
      issueCertificate(badCa, { commonName: 'x' })
    } catch (e) {
      expect((e as EngineError).issues.map((i) => i.path)).toEqual([path])
    }
  })

  it.each([{ days: 0 }, { days: Number.NaN }, { commonName: 'x'.repeat(65) }, { now: new Date(Number.NaN) }])('refuses a CA with %o', (options) => {
    expect(() => generateCertificateAuthority(options)).toThrow(EngineError)
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

describe('TLS with generated certificates', () => {
  const hour = 3_600_000
  const expired = issueCertificate(ca, { commonName: 'old', dnsNames: ['api.example.test'], now: new Date(Date.now() - 40 * 24 * hour), days: 30 })
  const future = issueCertificate(ca, { commonName: 'new', dnsNames: ['api.example.test'], now: new Date(Date.now() + 48 * hour) })
  const noIp = issueCertificate(ca, { commonName: 'dns only', dnsNames: ['api.example.test'] })

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
