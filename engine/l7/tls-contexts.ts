import { readFileSync } from 'node:fs'
import { X509Certificate } from 'node:crypto'
import tls, { type SecureContext } from 'node:tls'
import type { CertificateSource } from '../config/lb-config.js'
import { EngineError } from '../errors.js'
import { serverNameMatcher } from '../runtime/address.js'
import { issueCertificate } from '../tls/self-signed.js'

/** Certificates of an https listener, and the choice among them by SNI. */
export interface TlsContexts {
  /** The first certificate's context, for clients without SNI or with an unknown name. */
  readonly defaultContext: SecureContext
  /** The context whose certificate names `serverName` (exact or wildcard), or the default. */
  select(serverName: string | undefined): SecureContext
  /** PEM of each certificate, for tests and for clients that must trust a self-signed one. */
  readonly certificates: readonly string[]
}

/** Loads (or, for `selfSigned`, generates) the certificates and builds a context for each. */
export async function loadTlsContexts(sources: readonly CertificateSource[], listener: string): Promise<TlsContexts> {
  const loaded = await Promise.all(sources.map(async (source, i) => {
    let cert: string
    let key: string
    if ('certFile' in source) {
      try {
        cert = readFileSync(source.certFile, 'utf8')
        key = readFileSync(source.keyFile, 'utf8')
      } catch (e) {
        throw new EngineError('LB_ERR_CONFIG_UNREADABLE', `listener ${listener}: cannot read certificate ${i}: ${(e as Error).message}`)
      }
    } else if ('cert' in source) {
      cert = source.cert
      key = source.key
    } else {
      const made = await issueCertificate(undefined, { commonName: source.selfSigned.dnsNames[0]!, dnsNames: source.selfSigned.dnsNames, ipAddresses: source.selfSigned.ipAddresses })
      cert = made.cert
      key = made.key
    }
    let names: string[]
    try {
      names = (new X509Certificate(cert).subjectAltName ?? '')
        .split(', ')
        .filter((n) => n.startsWith('DNS:'))
        .map((n) => n.slice(4))
    } catch (e) {
      throw new EngineError('LB_ERR_INVALID_CONFIG', `listener ${listener}: certificate ${i} is not a valid PEM certificate: ${(e as Error).message}`)
    }
    return { cert, context: tls.createSecureContext({ cert, key }), matches: serverNameMatcher(names) }
  }))
  const defaultContext = loaded[0]!.context
  return {
    defaultContext,
    certificates: loaded.map((l) => l.cert),
    select: (name) => (name === undefined ? defaultContext : (loaded.find((l) => l.matches(name))?.context ?? defaultContext)),
  }
}
