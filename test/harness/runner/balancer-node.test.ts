import { describe, expect, it } from 'vitest'
import { parseLbConfig } from '../../../engine/config/load-lb-config.js'
import { bindTo } from '../../../harness/runner/balancer-node.js'
import { layerbench } from '../../helpers/cli.js'

describe('the balancer on a node of its own', () => {
  it('binds every listener and the admin API to the node address, ports kept', () => {
    const config = parseLbConfig(
      {
        admin: { listen: '127.0.0.1:0' },
        listeners: [
          { name: 'web', protocol: 'http', bind: '127.0.0.1:8080', routes: [{ match: {}, pool: 'p' }] },
          { name: 'raw', protocol: 'tcp', bind: '127.0.0.1:0', pool: 'p' },
        ],
        pools: { p: { backends: [{ id: 'a', host: '198.18.102.2', port: 8080 }] } },
      },
      'test',
    )
    const moved = bindTo(config, '198.18.0.11')
    expect(moved.admin).toEqual({ listen: '198.18.0.11:0' })
    expect(moved.listeners.map((l) => l.bind)).toEqual(['198.18.0.11:8080', '198.18.0.11:0'])
    expect(moved.pools).toEqual(config.pools)
  })

  it('--balancer-node without the swarm provider is bad input', () => {
    const r = layerbench(['run', 'scenarios/failover.yaml', '--provider', 'process', '--balancer-node', 'node-1'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--balancer-node: needs --provider swarm/)
  })
})
