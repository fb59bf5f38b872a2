/**
 * Throw-away X.509 certificates for the harness and the tests, made with node:crypto alone (no
 * openssl binary): a CA, and leaves issued by it or signed by themselves. ECDSA P-256 keys and
 * ecdsa-with-SHA256 signatures; the profile is the RFC 5280 subset that OpenSSL's verifier (and so
 * node:tls with `rejectUnauthorized`) checks.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, sign, X509Certificate } from 'node:crypto'
import type { KeyObject } from 'node:crypto'
import { EngineError } from '../errors.js'
import type { Issue } from '../errors.js'
import { parseIPv4, parseIPv6 } from '../proxy-protocol/ip-address.js'
import {
  bitString,
  boolean,
  explicit,
  implicit,
  integer,
  namedBits,
  objectIdentifier,
  octetString,
  readChildren,
  readElement,
  sequence,
  setOf,
  time,
  utf8String,
} from './der.js'
import type { DerElement } from './der.js'
import { normaliseHostName } from './host-name.js'

/** A certificate and its private key, both PEM (the key as PKCS#8). */
export interface CertificateAndKey {
  readonly cert: string
  readonly key: string
}

/** Options of {@link generateCertificateAuthority}. */
export interface CertificateAuthorityOptions {
  /** Default `layerbench test CA`. */
  readonly commonName?: string
  /** Validity after `now`; default 30. */
  readonly days?: number
  /** The clock reading to date the certificate from; default the current time. */
  readonly now?: Date
}

/** Options of {@link issueCertificate}. */
export interface LeafCertificateOptions {
  readonly commonName: string
  /** subjectAltName DNS entries; a leftmost `*` label is allowed. */
  readonly dnsNames?: readonly string[]
  /** subjectAltName IP entries, IPv4 or IPv6. */
  readonly ipAddresses?: readonly string[]
  /** Validity after `now`; default 30. */
  readonly days?: number
  /** The clock reading to date the certificate from; default the current time. */
  readonly now?: Date
}

const OID = {
  commonName: '2.5.4.3',
  ecPublicKey: '1.2.840.10045.2.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  authorityKeyIdentifier: '2.5.29.35',
  extKeyUsage: '2.5.29.37',
  serverAuth: '1.3.6.1.5.5.7.3.1',
} as const

const KEY_USAGE = { digitalSignature: 0, keyCertSign: 5, cRLSign: 6 } as const
const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
// Clients in the harness may run on clocks a little behind the one that issued the certificate.
const BACKDATE_MS = HOUR_MS

/** A new self-signed CA (basicConstraints CA:true, pathLen 0) for issuing test leaves. */
export function generateCertificateAuthority(options: CertificateAuthorityOptions = {}): CertificateAndKey {
  const commonName = options.commonName ?? 'layerbench test CA'
  const issues = [...checkCommon(commonName, options.days, options.now)]
  if (issues.length > 0) throw new EngineError('LB_ERR_INVALID_OPTIONS', 'invalid certificate authority options', issues)
  const { publicKey, privateKey } = newKeyPair()
  const keyId = keyIdentifier(publicKey)
  const name = distinguishedName(commonName)
  const cert = signCertificate({
    subject: name,
    issuer: name,
    subjectKey: publicKey,
    signingKey: privateKey,
    ...validity(options.days, options.now),
    extensions: [
      extension(OID.basicConstraints, true, sequence(boolean(true), integer(0))),
      extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature, KEY_USAGE.keyCertSign, KEY_USAGE.cRLSign])),
      extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
      extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, keyId))),
    ],
  })
  return { cert, key: exportKey(privateKey) }
}

/**
 * A server certificate for `commonName` and the given names, signed by `ca` — or by its own key
 * when `ca` is undefined, in which case a client trusts it by listing the certificate itself as CA.
 */
export function issueCertificate(ca: CertificateAndKey | undefined, options: LeafCertificateOptions): CertificateAndKey {
  const dnsNames = options.dnsNames ?? []
  const ipAddresses = options.ipAddresses ?? []
  const issues: Issue[] = [...checkCommon(options.commonName, options.days, options.now)]
  const dnsEntries = dnsNames.map((name, i) => {
    const host = normaliseHostName(name, { allowWildcard: true })
    if (host === undefined) issues.push({ path: `dnsNames[${i}]`, message: `${JSON.stringify(name)} is not a DNS name` })
    // dNSName is an IA5String under an implicit [2] tag; the name is ASCII once validated.
    return implicit(2, Buffer.from(host ?? '', 'latin1'))
  })
  const ipEntries = ipAddresses.map((address, i) => {
    const bytes = parseIPv4(address) ?? parseIPv6(address)
    if (bytes === undefined) issues.push({ path: `ipAddresses[${i}]`, message: `${JSON.stringify(address)} is not an IP address` })
    return implicit(7, bytes ?? Buffer.alloc(0))
  })
  const issuer = ca === undefined ? undefined : loadIssuer(ca, issues)
  if (issues.length > 0) throw new EngineError('LB_ERR_INVALID_OPTIONS', 'invalid certificate options', issues)

  const { publicKey, privateKey } = newKeyPair()
  const keyId = keyIdentifier(publicKey)
  const subject = distinguishedName(options.commonName)
  const names = [...dnsEntries, ...ipEntries]
  const cert = signCertificate({
    subject,
    issuer: issuer?.name ?? subject,
    subjectKey: publicKey,
    signingKey: issuer?.key ?? privateKey,
    ...validity(options.days, options.now),
    extensions: [
      extension(OID.basicConstraints, true, sequence()),
      extension(OID.keyUsage, true, namedBits([KEY_USAGE.digitalSignature])),
      extension(OID.extKeyUsage, false, sequence(objectIdentifier(OID.serverAuth))),
      ...(names.length > 0 ? [extension(OID.subjectAltName, false, sequence(...names))] : []),
      extension(OID.subjectKeyIdentifier, false, octetString(keyId)),
      extension(OID.authorityKeyIdentifier, false, sequence(implicit(0, issuer?.keyId ?? keyId))),
    ],
  })
  return { cert, key: exportKey(privateKey) }
}

/** SHA-256 of a PEM certificate's DER, as upper-case hex pairs joined by colons (as openssl and node print it). */
export function certificateFingerprint(pem: string): string {
  const hex = createHash('sha256').update(pemToDer(pem)).digest('hex').toUpperCase()
  return hex.match(/../g)!.join(':')
}

interface CertificateFields {
  readonly subject: Buffer
  readonly issuer: Buffer
  readonly subjectKey: KeyObject
  readonly signingKey: KeyObject
  readonly notBefore: Date
  readonly notAfter: Date
  readonly extensions: readonly Buffer[]
}

function signCertificate(fields: CertificateFields): string {
  const algorithm = sequence(objectIdentifier(OID.ecdsaWithSha256))
  const tbs = sequence(
    explicit(0, integer(2)), // v3
    integer(serialNumber()),
    algorithm,
    fields.issuer,
    sequence(time(fields.notBefore), time(fields.notAfter)),
    fields.subject,
    fields.subjectKey.export({ type: 'spki', format: 'der' }),
    explicit(3, sequence(...fields.extensions)),
  )
  // node:crypto encodes ECDSA signatures as the DER Ecdsa-Sig-Value X.509 expects.
  const signature = sign('sha256', tbs, fields.signingKey)
  return derToPem(sequence(tbs, algorithm, bitString(signature)), 'CERTIFICATE')
}

/** 16 random bytes with the top bit clear and the next set: positive, and always 16 octets long. */
function serialNumber(): Buffer {
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0]! & 0x7f) | 0x40
  return bytes
}

function validity(days = 30, now = new Date()): { notBefore: Date; notAfter: Date } {
  const seconds = Math.floor(now.getTime() / 1000) * 1000
  return { notBefore: new Date(seconds - BACKDATE_MS), notAfter: new Date(seconds + Math.round(days * DAY_MS)) }
}

function distinguishedName(commonName: string): Buffer {
  return sequence(setOf(sequence(objectIdentifier(OID.commonName), utf8String(commonName))))
}

function extension(oid: string, critical: boolean, value: Buffer): Buffer {
  // DER omits a DEFAULT FALSE critical flag.
  return sequence(objectIdentifier(oid), ...(critical ? [boolean(true)] : []), octetString(value))
}

function newKeyPair(): { publicKey: KeyObject; privateKey: KeyObject } {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
}

function exportKey(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString()
}

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. */
function keyIdentifier(publicKey: KeyObject): Buffer {
  const spki = readChildren(readElement(publicKey.export({ type: 'spki', format: 'der' })))
  const bits = spki[1]?.contents
  if (bits === undefined) throw new Error('SubjectPublicKeyInfo without a key')
  return createHash('sha1').update(bits.subarray(1)).digest()
}

interface Issuer {
  readonly name: Buffer
  readonly key: KeyObject
  readonly keyId: Buffer
}

/** The CA's exact subject bytes, its signing key and its key id, or undefined after noting why not. */
function loadIssuer(ca: CertificateAndKey, issues: Issue[]): Issuer | undefined {
  let certificate: X509Certificate
  let key: KeyObject
  try {
    certificate = new X509Certificate(ca.cert)
    key = createPrivateKey(ca.key)
  } catch (e) {
    issues.push({ path: 'ca', message: `unreadable certificate or key: ${(e as Error).message}` })
    return undefined
  }
  const details = key.asymmetricKeyDetails
  if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    issues.push({ path: 'ca.key', message: 'must be an ECDSA P-256 key' })
    return undefined
  }
  if (!certificate.checkPrivateKey(key)) {
    issues.push({ path: 'ca.key', message: 'does not belong to ca.cert' })
    return undefined
  }
  if (!certificate.ca) issues.push({ path: 'ca.cert', message: 'is not a CA certificate (basicConstraints CA:false)' })
  const tbs = readChildren(readChildren(readElement(certificate.raw))[0]!)
  // Field positions per RFC 5280 §4.1: [0] version, serial, signature, issuer, validity, subject.
  const first = tbs[0]?.tag === 0xa0 ? 1 : 0
  const subject = tbs[first + 4]
  if (subject === undefined) throw new Error('CA certificate without a subject')
  // Chain building matches our authorityKeyIdentifier against the CA's own subjectKeyIdentifier.
  const keyId = subjectKeyIdentifierOf(tbs) ?? keyIdentifier(createPublicKey(ca.cert))
  return { name: Buffer.from(subject.raw), key, keyId }
}

function subjectKeyIdentifierOf(tbs: readonly DerElement[]): Buffer | undefined {
  const container = tbs.find((e) => e.tag === 0xa3)
  if (container === undefined) return undefined
  const wanted = objectIdentifier(OID.subjectKeyIdentifier)
  for (const ext of readChildren(readChildren(container)[0]!)) {
    const parts = readChildren(ext)
    if (!parts[0]?.raw.equals(wanted)) continue
    const value = parts[parts.length - 1]!
    return Buffer.from(readElement(value.contents).contents)
  }
  return undefined
}

function checkCommon(commonName: string, days: number | undefined, now: Date | undefined): Issue[] {
  const issues: Issue[] = []
  // ub-common-name (RFC 5280 appendix A).
  if (typeof commonName !== 'string' || commonName.length < 1 || commonName.length > 64) {
    issues.push({ path: 'commonName', message: 'expected 1–64 characters' })
  }
  if (days !== undefined && !(Number.isFinite(days) && days > 0)) issues.push({ path: 'days', message: 'expected a positive number' })
  if (now !== undefined && !(now instanceof Date && Number.isFinite(now.getTime()))) issues.push({ path: 'now', message: 'expected a valid Date' })
  return issues
}

function derToPem(der: Buffer, label: string): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? []
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`
}

function pemToDer(pem: string): Buffer {
  const match = /-----BEGIN CERTIFICATE-----([\s\S]+?)-----END CERTIFICATE-----/.exec(pem)
  if (match === null) throw new EngineError('LB_ERR_INVALID_OPTIONS', 'expected a PEM "CERTIFICATE" block')
  return Buffer.from(match[1]!.replace(/\s+/g, ''), 'base64')
}
