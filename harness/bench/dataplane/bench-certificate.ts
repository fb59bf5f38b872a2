import 'reflect-metadata'
import * as x509 from '@peculiar/x509'
import { webcrypto } from 'node:crypto'
import type { webcrypto as wc } from 'node:crypto'
import type { CertificateAndKey } from '../../../engine/tls/self-signed.js'

/** The certificate types the TLS rows are measured with. */
export const CERTIFICATE_KINDS = ['ecdsa-p256', 'rsa-2048'] as const
export type CertificateKind = (typeof CERTIFICATE_KINDS)[number]

const ALGORITHMS: Record<CertificateKind, wc.EcKeyGenParams | wc.RsaHashedKeyGenParams> = {
  'ecdsa-p256': { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as wc.EcKeyGenParams,
  'rsa-2048': { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 },
}

const pem = (label: string, der: ArrayBuffer) => `-----BEGIN ${label}-----\n${Buffer.from(der).toString('base64').match(/.{1,64}/g)!.join('\n')}\n-----END ${label}-----\n`

/**
 * A self-signed certificate for bench.local and 127.0.0.1 with a key of the given kind, so the
 * engine, HAProxy, nginx and the floor all terminate TLS with the same key and signature type
 * (the handshake's cost depends on it: an RSA-2048 signature costs several times a P-256 one).
 */
export async function benchCertificate(kind: CertificateKind): Promise<CertificateAndKey> {
  x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0])
  const algorithm = ALGORITHMS[kind]
  const keys = (await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify'])) as wc.CryptoKeyPair
  const now = Date.now()
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: '01',
    name: 'CN=bench.local',
    notBefore: new Date(now - 3_600_000),
    notAfter: new Date(now + 7 * 86_400_000),
    keys,
    signingAlgorithm: algorithm,
    extensions: [new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'bench.local' }, { type: 'ip', value: '127.0.0.1' }])],
  })
  return { cert: cert.toString('pem') + '\n', key: pem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)) }
}
