import { requirePeer } from './peer-fixtures.js'
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import type { LbConfig } from '../../../engine/config/lb-config.js'
import { findPeer } from '../../../harness/peers/peer-binaries.js'
import { TIMELINE_ACTIONS } from '../../../harness/peers/peer-driver.js'
import { checkConfig } from '../../../harness/peers/peer-process.js'
import { PEER_NAMES, peerAvailable, peerDrivers, peerSupport } from '../../../harness/peers/registry.js'
import { writePeerFiles } from '../../../harness/peers/peer-files.js'
import { startPeer, type RunningPeer } from '../../../harness/peers/start-peer.js'
import { Unsupported } from '../../../harness/runner/balancer-process.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { backendOf } from './peer-e2e.js'
import { l4, l7 } from './peer-fixtures.js'

/**
 * One suite every peer driver passes: its configuration passes the peer's own checker, the peer
 * starts, serves through both backends and says its version, applies each timeline action it
 * declares (and refuses the others with its reason), and refuses what its capabilities leave out,
 * naming why.
 */

async function spreadOf(port: number, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {}
  for (let i = 0; i < n; i++) {
    const b = await backendOf(port)
    counts[b] = (counts[b] ?? 0) + 1
  }
  return counts
}

const work = mkdtempSync(join(tmpdir(), 'layerbench-conformance-'))
afterAll(async () => {
  await closeServers()
  rmSync(work, { recursive: true, force: true })
})

for (const name of PEER_NAMES) {
  const driver = peerDrivers[name]
  const available = await peerAvailable(name)
  requirePeer(name, available)

  describe(`${name}: what it cannot do is refused with its reason`, () => {
    for (const protocol of ['tcp', 'udp', 'tls'] as const) {
      if (driver.capabilities.protocols.includes(protocol)) continue
      it(`${protocol} listeners`, () => {
        const config = protocol === 'tls' ? l4({}, { protocol: 'tls' }) : l4({}, { protocol })
        const s = peerSupport(name, config)
        expect(s.runnable).toBe(false)
        expect(s.unsupported.join('\n')).toContain(driver.capabilities.reasons[`protocol:${protocol}`]!)
      })
    }
    for (const [algorithm, mapping] of Object.entries(driver.capabilities.algorithms)) {
      if (!('unsupported' in mapping)) continue
      it(`algorithm ${algorithm}`, async () => {
        const config = l7({ algorithm, hashKey: { source: 'source-ip' } })
        expect(peerSupport(name, config).unsupported).toContain(`${mapping.unsupported}: pools.p.algorithm`)
        await expect(startPeer(name, config, work)).rejects.toThrow(mapping.unsupported)
      })
    }
    if (!driver.capabilities.healthChecks.active) {
      it('active health checks', () => {
        expect(peerSupport(name, l7({ healthCheck: { type: 'http' } })).unsupported.join()).toContain(driver.capabilities.reasons['healthChecks.active']!)
      })
    }
    if (!driver.capabilities.stickiness) {
      it('cookie stickiness', () => {
        expect(peerSupport(name, l7({ stickySession: { cookie: 's' } })).unsupported.join()).toContain(driver.capabilities.reasons.stickiness!)
      })
    }
  })

  describe.skipIf(!available.available)(`${name}: conformance`, () => {
    let balancer: RunningPeer
    let config: LbConfig
    const ports: Record<string, number> = {}
    beforeAll(async () => {
      for (const id of ['a', 'b', 'c']) ports[id] = (await httpBackend(id)).port
      config = parseLbConfig(
        {
          listeners: [{ name: 'web', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'p' }] }],
          pools: {
            p: {
              algorithm: 'round-robin',
              retries: { attempts: 0 },
              backends: [
                { id: 'a', host: '127.0.0.1', port: ports.a! },
                { id: 'b', host: '127.0.0.1', port: ports.b! },
              ],
            },
          },
        },
        'conformance',
      )
      balancer = await startPeer(name, config, work)
    })
    afterAll(async () => {
      await balancer?.stop()
    })

    it("renders configurations its own checker accepts (layer 7, and layer 4 where it runs it)", async () => {
      const install = await findPeer(driver)
      const layers = [l7({}), ...(driver.capabilities.protocols.includes('tcp') && install.lacks?.layer !== 4 ? [l4({})] : [])]
      for (const [i, c] of layers.entries()) {
        const dir = join(work, `${name}-check-${i}`)
        mkdirSync(dir, { recursive: true })
        const out = driver.render({ config: c, dir, ports: Object.fromEntries(c.listeners.map((l, k) => [l.name, 18_000 + k])), adminPort: 18_999 }, install)
        driver.prepare?.(dir)
        writePeerFiles(out.files)
        await checkConfig(install.binary, driver.checkArgs(out.configPath, dir), `${name} ${c.listeners[0]!.protocol}`)
      }
    })

    it('starts, serves through both backends, says its version and has a CPU time', async () => {
      expect(balancer.implementation).toBe(name)
      expect(balancer.version).toMatch(/^\d+\.\d+/)
      expect(balancer.version).toBe(available.version)
      const counts = await spreadOf(balancer.listeners.get('web')!.port, 8)
      expect(counts).toEqual({ a: 4, b: 4 })
      expect(typeof balancer.cpuUs()).toBe('number')
    })

    for (const action of TIMELINE_ACTIONS) {
      const supported = driver.capabilities.runtime.includes(action)
      it(supported ? `applies ${action}` : `refuses ${action} with its reason`, async () => {
        const port = balancer.listeners.get('web')!.port
        if (!supported) {
          const attempt =
            action === 'set-weight'
              ? balancer.setWeight('p', 'a', 2)
              : action === 'drain'
                ? balancer.setDraining('p', 'a', true)
                : action === 'add-backend'
                  ? balancer.addBackend('p', { id: 'c', host: '127.0.0.1', port: ports.c!, weight: 1 })
                  : balancer.removeBackend('p', 'b')
          await expect(attempt).rejects.toBeInstanceOf(Unsupported)
          await expect(attempt).rejects.toThrow(driver.capabilities.reasons.runtime!)
          return
        }
        // Each action changes who answers; the next one undoes it, so the order of the table does not matter.
        if (action === 'set-weight') {
          await balancer.setWeight('p', 'a', 0)
          expect(await spreadOf(port, 6)).toEqual({ b: 6 })
          await balancer.setWeight('p', 'a', 1)
        } else if (action === 'drain') {
          await balancer.setDraining('p', 'b', true)
          expect(await spreadOf(port, 6)).toEqual({ a: 6 })
          await balancer.setDraining('p', 'b', false)
        } else if (action === 'add-backend') {
          await balancer.addBackend('p', { id: 'c', host: '127.0.0.1', port: ports.c!, weight: 1 })
          expect(Object.keys(await spreadOf(port, 9)).sort()).toEqual(['a', 'b', 'c'])
          await balancer.removeBackend('p', 'c')
        } else {
          await balancer.removeBackend('p', 'b')
          expect(await spreadOf(port, 6)).toEqual({ a: 6 })
          await balancer.addBackend('p', { id: 'b', host: '127.0.0.1', port: ports.b!, weight: 1 })
        }
        const back = await spreadOf(port, 8)
        expect(Object.keys(back).sort()).toEqual(['a', 'b'])
      })
    }

    it('reloads a new configuration in place, where the peer can', async (ctx) => {
      if (balancer.reload === undefined) return ctx.skip()
      const port = balancer.listeners.get('web')!.port
      const only = (ids: string[]) => ({ ...config, pools: { p: { ...config.pools.p!, backends: config.pools.p!.backends.filter((b) => ids.includes(b.id!)) } } })
      const cpuBefore = balancer.cpuUs()!
      await balancer.reload(only(['a']))
      expect(await spreadOf(port, 6)).toEqual({ a: 6 })
      await balancer.reload(only(['a', 'b']))
      expect(Object.keys(await spreadOf(port, 8)).sort()).toEqual(['a', 'b'])
      // The same process is measured across reloads; the CPU of replaced workers stays counted.
      expect(balancer.cpuUs()!).toBeGreaterThanOrEqual(cpuBefore)
      // Runtime changes follow the reloaded configuration.
      if (driver.capabilities.runtime.includes('drain')) {
        await balancer.setDraining('p', 'b', true)
        expect(await spreadOf(port, 6)).toEqual({ a: 6 })
        await balancer.setDraining('p', 'b', false)
      }
    })
  })
}
