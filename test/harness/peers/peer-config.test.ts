import { requirePeer } from './peer-fixtures.js'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { LbConfig } from '../../../engine/config/lb-config.js'
import { issueCertificate } from '../../../engine/tls/self-signed.js'
import { findPeer } from '../../../harness/peers/peer-binaries.js'
import { PEER_NAMES, peerAvailable, peerDrivers, peerSupport, type PeerName } from '../../../harness/peers/registry.js'
import { resolveCertificates } from '../../../harness/peers/peer-certificates.js'
import { checkConfig } from '../../../harness/peers/peer-process.js'
import type { PeerConfigOutput } from '../../../harness/peers/peer-types.js'
import { ALGORITHMS, featureFixtures, HASH_KEYS, l4, l7 } from './peer-fixtures.js'

const cert = await issueCertificate(undefined, { commonName: 'a.test', dnsNames: ['a.test'] })
const cert2 = await issueCertificate(undefined, { commonName: 'b.test', dnsNames: ['b.test', '*.b.test'] })
const features = featureFixtures(cert, cert2)

const PORTS = { web: 18080, db: 15432, tls: 18443, dns: 15353 }

async function generate(peer: PeerName, config: LbConfig, dir: string, streamModule?: string): Promise<PeerConfigOutput> {
  const ports = Object.fromEntries(config.listeners.map((l) => [l.name, PORTS[l.name as keyof typeof PORTS]]))
  const input = { config, dir, ports, certificates: await resolveCertificates(config), adminPort: 12_019 }
  return peerDrivers[peer].render(input, { binary: peer, version: '', ...(streamModule === undefined ? {} : { modules: [streamModule] }) })
}

describe('generated configurations (snapshots)', () => {
  const SNAPSHOTS = [
    'routes: hosts, methods, paths, headers, cookies, query, edits',
    'tls passthrough by SNI',
    'https with two certificates',
    'backups and weights',
    'http health check',
    'sticky cookie',
    'udp listener',
    'gateway filters: security headers, rate limit, access log',
    'auth: JWT and API keys, rate limit by identity',
    'auth: API keys by header or query, rate limit by identity',
    'access log to a file, combined',
  ]
  for (const name of SNAPSHOTS) {
    // A peer that cannot run a configuration has no configuration for it.
    for (const peer of PEER_NAMES.filter((p) => peerSupport(p, features[name]!).runnable)) {
      it(`${name} on ${peer}`, async () => {
        expect((await generate(peer, features[name]!, '/run/layerbench', '/usr/lib/nginx/modules/ngx_stream_module.so')).text).toMatchSnapshot()
      })
    }
  }
  it('HAProxy gets the certificate and its key in one PEM, nginx in two files, keys private', async () => {
    const h = await generate('haproxy', features['https with two certificates']!, '/run/lb')
    const pems = h.files.filter((f) => f.path.endsWith('.pem'))
    expect(pems).toHaveLength(2)
    expect(pems[0]!.content).toContain('BEGIN CERTIFICATE')
    expect(pems[0]!.content).toContain('PRIVATE KEY')
    expect(pems.every((f) => f.secret === true)).toBe(true)
    const n = await generate('nginx', features['https with two certificates']!, '/run/lb')
    expect(n.files.filter((f) => f.path.endsWith('.pem'))).toHaveLength(4)
    expect(n.text).toContain('server_name b.test *.b.test;')
  })
  it('every file a peer reads or writes is inside the run directory', async () => {
    const directive = /(?:\bpid|lock_file|_temp_path|stats socket|\bcrt|ssl_certificate(?:_key)?|map\(|"(?:certificate|key|root)":) *"?([^\s";)]+)/g
    for (const config of Object.values(features)) {
      for (const peer of PEER_NAMES) {
        if (!peerSupport(peer, config).runnable) continue
        const out = await generate(peer, config, '/run/lb')
        for (const f of out.files) expect(f.path.startsWith('/run/lb/')).toBe(true)
        for (const m of out.text.matchAll(directive)) expect(m[1]!.startsWith('/run/lb/'), m[0]).toBe(true)
      }
    }
  })
})

/** Every configuration a peer says it can run, with what it is called in the test list. */
function runnableMatrix(peer: PeerName): [string, LbConfig][] {
  const out: [string, LbConfig][] = []
  for (const algorithm of ALGORITHMS) {
    const keyed = ['ring-hash', 'maglev', 'rendezvous'].includes(algorithm)
    out.push([`${algorithm} (l4)`, l4({ algorithm, ...(keyed ? { hashKey: { source: 'source-address' } } : {}) })])
    out.push([`${algorithm} (l7)`, l7({ algorithm, backends: [{ id: 'x', host: '127.0.0.1', port: 9101, weight: 3 }, { id: 'y', host: '127.0.0.1', port: 9102 }] })])
    if (keyed) for (const [key, hashKey] of Object.entries(HASH_KEYS)) out.push([`${algorithm} by ${key}`, l7({ algorithm, hashKey })])
  }
  for (const [name, config] of Object.entries(features)) out.push([name, config])
  return out.filter(([, config]) => peerSupport(peer, config).runnable)
}

const work = mkdtempSync(join(tmpdir(), 'layerbench-peer-config-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

for (const peer of PEER_NAMES) {
  const available = await peerAvailable(peer)
  requirePeer(peer, available)
  describe.skipIf(!available.available)(`every runnable configuration passes ${peer}'s own check`, () => {
    const matrix = runnableMatrix(peer)
    it('the matrix holds every algorithm a peer runs and most features', () => {
      expect(matrix.length).toBeGreaterThan(peer === 'caddy' ? 15 : 30)
    })
    matrix.forEach(([name, config], i) => {
      it(name, async () => {
        const install = await findPeer(peerDrivers[peer])
        const dir = join(work, `${peer}-${i}`)
        mkdirSync(join(dir, 'temp'), { recursive: true })
        const out = await generate(peer, config, dir, install.modules?.[0])
        for (const f of out.files) writeFileSync(f.path, f.content)
        await checkConfig(install.binary, peerDrivers[peer].checkArgs(out.configPath, dir), name)
      })
    })
  })
}
