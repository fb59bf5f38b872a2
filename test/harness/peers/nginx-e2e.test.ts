import { requirePeer } from './peer-fixtures.js'
import dgram from 'node:dgram'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import { peerAvailable } from '../../../harness/peers/registry.js'
import { startPeer } from '../../../harness/peers/start-peer.js'
import { Unsupported } from '../../../harness/runner/balancer-process.js'
import { closeServers, udpEcho } from '../../helpers/test-servers.js'
import { sharedEndToEnd } from './peer-e2e.js'

const available = await peerAvailable('nginx')
requirePeer('nginx', available)

describe.skipIf(!available.available)(`nginx ${available.version ?? ''} end to end`, () => {
  describe('shared scenarios', () => {
    sharedEndToEnd('nginx')
  })

  describe('control', () => {
    const dir = mkdtempSync(join(tmpdir(), 'layerbench-nginx-control-'))
    afterAll(() => rmSync(dir, { recursive: true, force: true }))

    it('throws Unsupported for every runtime change, reports no events', async () => {
      const config = parseLbConfig({ listeners: [{ name: 'web', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'p' }] }], pools: { p: { backends: [{ id: 'a', host: '127.0.0.1', port: 9 }] } } }, 'nginx control')
      const balancer = await startPeer('nginx', config, dir)
      try {
        for (const change of [
          () => balancer.setWeight('p', 'a', 2),
          () => balancer.setDraining('p', 'a', true),
          () => balancer.addBackend('p', { id: 'b', host: '127.0.0.1', port: 10, weight: 1 }),
          () => balancer.removeBackend('p', 'a'),
        ]) {
          await expect(change()).rejects.toBeInstanceOf(Unsupported)
        }
        await expect(balancer.setWeight('p', 'a', 2)).rejects.toThrow('nginx open source has no runtime API: weights and membership change only on reload')
        expect(await balancer.pollEvents()).toEqual([])
        expect(await balancer.stats()).toBeUndefined()
      } finally {
        await balancer.stop()
      }
    })

    it('udp: proxies datagrams, a session per client address, round robin', async () => {
      const [u1, u2] = await Promise.all([udpEcho('u1'), udpEcho('u2')])
      const config = parseLbConfig({ listeners: [{ name: 'dns', protocol: 'udp', bind: '127.0.0.1:0', pool: 'u' }], pools: { u: { backends: [u1, u2].map((u) => ({ id: u.id, host: '127.0.0.1', port: u.port })) } } }, 'nginx udp')
      const balancer = await startPeer('nginx', config, dir)
      try {
        const ask = (text: string) =>
          new Promise<string>((resolve, reject) => {
            const s = dgram.createSocket('udp4')
            s.once('message', (m) => {
              s.close()
              resolve(m.toString())
            })
            s.once('error', reject)
            s.send(text, balancer.listeners.get('dns')!.port, '127.0.0.1')
          })
        const answers = []
        for (let i = 0; i < 4; i++) answers.push(await ask(`q${i}`))
        expect(answers.map((a) => a.split(':')[1])).toEqual(['q0', 'q1', 'q2', 'q3'])
        expect(new Set(answers.map((a) => a.split(':')[0]))).toEqual(new Set(['u1', 'u2']))
      } finally {
        await balancer.stop()
        await closeServers()
      }
    })

    it('refuses a configuration it cannot run, saying why', async () => {
      const config = parseLbConfig({ listeners: [{ name: 'web', protocol: 'http', bind: '127.0.0.1:0', routes: [{ pool: 'p' }] }], pools: { p: { algorithm: 'maglev', backends: [{ host: '127.0.0.1', port: 9 }] } } }, 'nginx maglev')
      await expect(startPeer('nginx', config, dir)).rejects.toThrow('nginx has no maglev: pools.p.algorithm')
    })
  })
})
