import { createPrivateKey, X509Certificate } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { benchCertificate } from '../../../harness/bench/dataplane/bench-certificate.js'

describe('bench certificates', () => {
  it.each([
    ['ecdsa-p256', 'ec', { namedCurve: 'prime256v1' }],
    ['rsa-2048', 'rsa', { modulusLength: 2048 }],
  ] as const)('%s: a self-signed certificate for bench.local and 127.0.0.1 with its matching key', async (kind, type, details) => {
    const c = await benchCertificate(kind)
    const x = new X509Certificate(c.cert)
    expect(x.publicKey.asymmetricKeyType).toBe(type)
    expect(x.publicKey.asymmetricKeyDetails).toMatchObject(details)
    expect(x.subjectAltName).toBe('DNS:bench.local, IP Address:127.0.0.1')
    expect(x.checkPrivateKey(createPrivateKey(c.key))).toBe(true)
    expect(x.verify(x.publicKey)).toBe(true)
  })
})
