import net from 'node:net'
import { describe, expect, it } from 'vitest'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import { Unsupported } from '../../../harness/runner/balancer-process.js'
import { directBalancer, directTargets } from '../../../harness/runner/direct-balancer.js'
import { withFreeTargetPorts } from '../../../harness/runner/target-ports.js'
import { balancerSectionSchema } from '../../../harness/scenario/scenario-schema.js'

const config = parseLbConfig(
  {
    listeners: [
      { name: 'l4', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'db' },
      { name: 'l7', protocol: 'http', bind: '127.0.0.1:0', routes: [{ match: { path: { prefix: '/a' } }, pool: 'web' }, { pool: 'db' }] },
    ],
    pools: {
      db: { backends: [{ id: 'db-b', host: '127.0.0.9', port: 7000, backup: true }, { id: 'db-0', host: '127.0.0.7', port: 7001 }] },
      web: { backends: [{ id: 'web-0', host: '127.0.0.8', port: 8000 }] },
    },
  },
  'test',
)

describe('directTargets', () => {
  it('points each listener at the first backend (not a backup) of the pool it would send to', () => {
    expect(Object.fromEntries([...directTargets(config)].map(([name, l]) => [name, `${l.protocol} L${l.layer} ${l.host}:${l.port}`]))).toEqual({
      l4: 'tcp L4 127.0.0.7:7001',
      l7: 'http L7 127.0.0.8:8000',
    })
  })
})

describe('directBalancer', () => {
  it('runs nothing: zero CPU, no events or stats, runtime changes unsupported', async () => {
    const b = directBalancer(config)
    expect(b.implementation).toBe('direct')
    expect(b.cpuUs()).toBe(0)
    expect(await b.pollEvents()).toEqual([])
    expect(await b.stats()).toBeUndefined()
    await expect(b.setWeight('db', 'db-0', 2)).rejects.toBeInstanceOf(Unsupported)
    await b.stop()
  })
})

describe('withFreeTargetPorts', () => {
  it('gives targeted listeners that say port 0 distinct free ports, and leaves the others alone', async () => {
    const section = balancerSectionSchema.parse({
      listeners: [
        { name: 'edge', protocol: 'tcp', pool: 'tier-a' },
        { name: 'a', protocol: 'http', routes: [{ pool: 'svc' }] },
        { name: 'b', protocol: 'http', routes: [{ pool: 'svc' }] },
      ],
      pools: { 'tier-a': { backends: { listener: 'a' } }, 'tier-b': { backends: { listener: 'b' } }, svc: { backends: 'svc' } },
    })
    const fixed = await withFreeTargetPorts(section)
    const [edge, a, b] = fixed.listeners.map((l) => l.bind)
    expect(edge).toBe('127.0.0.1:0')
    const ports = [a, b].map((x) => Number(/:(\d+)$/.exec(x!)![1]))
    expect(ports[0]).toBeGreaterThan(0)
    expect(ports[0]).not.toBe(ports[1])
    // The port was released: the balancer can bind it.
    const server = net.createServer()
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(ports[0], '127.0.0.1', () => resolve()))
    server.close()
  })
})
