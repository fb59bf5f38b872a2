/**
 * Throw-away X.509 certificates for the harness and the tests: a CA, and leaves issued by it or
 * signed by themselves, built by @peculiar/x509 on node's WebCrypto. ECDSA P-256 keys and
 * ecdsa-with-SHA256 signatures; the profile is the RFC 5280 subset that OpenSSL's verifier (and so
 * node:tls with `rejectUnauthorized`) checks. WebCrypto is asynchronous, so these are too.
 */
import 'reflect-metadata'
import { createPrivateKey, KeyObject, randomBytes, webcrypto, X509Certificate } from 'node:crypto'
import * as x509 from '@peculiar/x509'
import { EngineError } from '../errors.js'
import type { Issue } from '../errors.js'
import { parseIPv4, parseIPv6 } from '../proxy-protocol/ip-address.js'
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

const ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const
const crypto = webcrypto
x509.cryptoProvider.set(crypto)
type CryptoKey = webcrypto.CryptoKey
type CryptoKeyPair = webcrypto.CryptoKeyPair

const HOUR_MS = 3_600_000
const DAY_MS = 86_400_000
// Clients in the harness may run on clocks a little behind the one that issued the certificate.
const BACKDATE_MS = HOUR_MS

/** A new self-signed CA (basicConstraints CA:true, pathLen 0) for issuing test leaves. */
export async function generateCertificateAuthority(options: CertificateAuthorityOptions = {}): Promise<CertificateAndKey> {
  const commonName = options.commonName ?? 'layerbench test CA'
  const issues = [...checkCommon(commonName, options.days, options.now)]
  if (issues.length > 0) throw new EngineError('LB_ERR_INVALID_OPTIONS', 'invalid certificate authority options', issues)
  const keys = await newKeyPair()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialNumber(),
    name: distinguishedName(commonName),
    keys,
    signingAlgorithm: ALGORITHM,
    ...validity(options.days, options.now),
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey),
    ],
  })
  return { cert: toPem(cert), key: exportKey(keys.privateKey) }
}

/**
 * A server certificate for `commonName` and the given names, signed by `ca` — or by its own key
 * when `ca` is undefined, in which case a client trusts it by listing the certificate itself as CA.
 */
export async function issueCertificate(ca: CertificateAndKey | undefined, options: LeafCertificateOptions): Promise<CertificateAndKey> {
  const dnsNames = options.dnsNames ?? []
  const ipAddresses = options.ipAddresses ?? []
  const issues: Issue[] = [...checkCommon(options.commonName, options.days, options.now)]
  const names: x509.JsonGeneralName[] = []
  dnsNames.forEach((name, i) => {
    const host = normaliseHostName(name, { allowWildcard: true })
    if (host === undefined) issues.push({ path: `dnsNames[${i}]`, message: `${JSON.stringify(name)} is not a DNS name` })
    else names.push({ type: 'dns', value: host })
  })
  ipAddresses.forEach((address, i) => {
    if ((parseIPv4(address) ?? parseIPv6(address)) === undefined) issues.push({ path: `ipAddresses[${i}]`, message: `${JSON.stringify(address)} is not an IP address` })
    else names.push({ type: 'ip', value: address })
  })
  const issuer = ca === undefined ? undefined : await loadIssuer(ca, issues)
  if (issues.length > 0) throw new EngineError('LB_ERR_INVALID_OPTIONS', 'invalid certificate options', issues)

  const keys = await newKeyPair()
  const subject = distinguishedName(options.commonName)
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialNumber(),
    subject,
    issuer: issuer?.name ?? subject,
    publicKey: keys.publicKey,
    signingKey: issuer?.key ?? keys.privateKey,
    signingAlgorithm: ALGORITHM,
    ...validity(options.days, options.now),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      ...(names.length > 0 ? [new x509.SubjectAlternativeNameExtension(names)] : []),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      issuer === undefined ? await x509.AuthorityKeyIdentifierExtension.create(keys.publicKey) : new x509.AuthorityKeyIdentifierExtension(issuer.keyId),
    ],
  })
  return { cert: toPem(cert), key: exportKey(keys.privateKey) }
}

/** SHA-256 of a PEM certificate's DER, as upper-case hex pairs joined by colons (as openssl and node print it). */
export function certificateFingerprint(pem: string): string {
  try {
    return new X509Certificate(pem).fingerprint256
  } catch {
    throw new EngineError('LB_ERR_INVALID_OPTIONS', 'expected a PEM "CERTIFICATE" block')
  }
}

/** 16 random bytes with the top bit clear and the next set: positive, and always 16 octets long. */
function serialNumber(): string {
  const bytes = randomBytes(16)
  bytes[0] = (bytes[0]! & 0x7f) | 0x40
  return bytes.toString('hex')
}

function validity(days = 30, now = new Date()): { notBefore: Date; notAfter: Date } {
  const seconds = Math.floor(now.getTime() / 1000) * 1000
  return { notBefore: new Date(seconds - BACKDATE_MS), notAfter: new Date(seconds + Math.round(days * DAY_MS)) }
}

/** A one-attribute name, the common name as a UTF8String (any character, no escaping rules). */
function distinguishedName(commonName: string): x509.JsonName {
  return [{ CN: [commonName] }]
}

function newKeyPair(): Promise<CryptoKeyPair> {
  return crypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify']) as Promise<CryptoKeyPair>
}

function exportKey(key: CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString()
}

function toPem(cert: x509.X509Certificate): string {
  const pem = cert.toString('pem')
  return pem.endsWith('\n') ? pem : `${pem}\n`
}

interface Issuer {
  /** The CA's subject exactly as encoded in its certificate, for chain building by name. */
  readonly name: x509.Name
  readonly key: CryptoKey
  /** The CA's subjectKeyIdentifier (hex), for chain building by key. */
  readonly keyId: string
}

/** The CA's exact subject, its signing key and its key id, or undefined after noting why not. */
async function loadIssuer(ca: CertificateAndKey, issues: Issue[]): Promise<Issuer | undefined> {
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
  const parsed = new x509.X509Certificate(ca.cert)
  const keyId =
    parsed.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId ??
    (await x509.SubjectKeyIdentifierExtension.create(await parsed.publicKey.export(ALGORITHM, ['verify']))).keyId
  const signing = await crypto.subtle.importKey('pkcs8', key.export({ type: 'pkcs8', format: 'der' }), ALGORITHM, false, ['sign'])
  return { name: parsed.subjectName, key: signing, keyId }
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
