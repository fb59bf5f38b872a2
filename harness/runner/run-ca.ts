import type { CertificateAndKey } from '../../engine/tls/self-signed.js'
import { generateCertificateAuthority, issueCertificate } from '../../engine/tls/self-signed.js'
import type { BalancerSection } from '../scenario/scenario-schema.js'

/** The throw-away PKI of one run: a CA the load generator trusts, and what it issued. */
export interface RunPki {
  readonly ca: CertificateAndKey
  /** For https backends: every name the scenario may send as SNI or Host, and 127/8 addresses. */
  readonly backend: CertificateAndKey
}

/** Every server name a balancer section mentions (SNI rules, host routes, self-signed listener names). */
export function serverNamesOf(balancer: BalancerSection): string[] {
  const names = new Set<string>(['localhost', 'backend.test'])
  for (const l of balancer.listeners) {
    for (const s of l.sni ?? []) for (const n of s.serverNames) names.add(n)
    for (const r of l.routes ?? []) {
      const h = r.match.host
      for (const n of h === undefined ? [] : Array.isArray(h) ? h : [h]) if (n !== '*') names.add(n)
    }
    for (const c of l.tls?.certificates ?? []) if ('selfSigned' in c) for (const n of c.selfSigned.dnsNames) names.add(n)
  }
  return [...names]
}

/** Creates the run's CA and the backend certificate. */
export async function createRunPki(balancer: BalancerSection): Promise<RunPki> {
  const ca = await generateCertificateAuthority({ commonName: 'layerbench run CA' })
  const backend = await issueCertificate(ca, { commonName: 'backend.test', dnsNames: serverNamesOf(balancer), ipAddresses: ['127.0.0.1'] })
  return { ca, backend }
}

/**
 * The balancer section with every `selfSigned` certificate replaced by one the run's CA issued for
 * the same names, so clients verify the balancer's certificate like any other.
 */
export async function withRunCertificates(balancer: BalancerSection, pki: RunPki): Promise<BalancerSection> {
  const listeners = await Promise.all(
    balancer.listeners.map(async (l) =>
      l.tls === undefined
        ? l
        : {
            ...l,
            tls: {
              certificates: await Promise.all(
                l.tls.certificates.map(async (c) => {
                  if (!('selfSigned' in c)) return c
                  const issued = await issueCertificate(pki.ca, { commonName: c.selfSigned.dnsNames[0]!, dnsNames: c.selfSigned.dnsNames, ipAddresses: c.selfSigned.ipAddresses })
                  return { cert: issued.cert, key: issued.key }
                }),
              ),
            },
          },
    ),
  )
  return { ...balancer, listeners }
}
