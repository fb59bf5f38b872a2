import { readFileSync } from 'node:fs'
import type { LbConfig } from '../../engine/config/lb-config.js'
import { issueCertificate, type CertificateAndKey } from '../../engine/tls/self-signed.js'

/**
 * Every https listener's certificates as PEM text, in configuration order: files read, inline
 * ones as given, `selfSigned` ones generated as the engine generates them.
 */
export async function resolveCertificates(config: LbConfig): Promise<Record<string, CertificateAndKey[]>> {
  const out: Record<string, CertificateAndKey[]> = {}
  for (const l of config.listeners) {
    if (l.tls === undefined) continue
    out[l.name] = await Promise.all(l.tls.certificates.map(async (c) => {
      if ('certFile' in c) return { cert: readFileSync(c.certFile, 'utf8'), key: readFileSync(c.keyFile, 'utf8') }
      if ('cert' in c) return { cert: c.cert, key: c.key }
      const s = c.selfSigned
      return issueCertificate(undefined, { commonName: s.dnsNames[0]!, dnsNames: s.dnsNames, ipAddresses: s.ipAddresses })
    }))
  }
  return out
}
