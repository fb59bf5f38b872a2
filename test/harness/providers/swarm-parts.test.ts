import { describe, expect, it } from 'vitest'
import { parseEndpoint } from '../../../harness/providers/swarm/swarm-engines.js'
import { backendNodes, freeAddress, spread, type SwarmNodeInfo } from '../../../harness/providers/swarm/swarm-nodes.js'
import { serviceName, serviceSpecFor, unappliedLimits } from '../../../harness/providers/swarm/swarm-service.js'

const node = (id: string, labels: Record<string, string>, state = 'ready', availability = 'active'): SwarmNodeInfo => ({ ID: id, Spec: { Labels: labels, Availability: availability }, Status: { State: state }, Description: { Hostname: 'vm' } })

describe('backendNodes', () => {
  it('keeps ready, active nodes with a backend subnet, sorted by their layerbench.node name', () => {
    const { nodes, problems } = backendNodes([
      node('c', { 'layerbench.node': 'node-3', 'layerbench.backend-subnet': '198.18.103.0/24', 'layerbench.engine': 'unix:///run/n3.sock' }),
      node('a', { 'layerbench.node': 'node-1', 'layerbench.backend-subnet': '198.18.101.0/24' }),
      node('x', { 'layerbench.node': 'node-9' }),
      node('d', { 'layerbench.node': 'node-4', 'layerbench.backend-subnet': '198.18.104.0/24' }, 'down'),
      node('e', { 'layerbench.node': 'node-5', 'layerbench.backend-subnet': '198.18.105.0/24' }, 'ready', 'drain'),
      node('f', { 'layerbench.node': 'node-6', 'layerbench.backend-subnet': '198.18.300.0/24' }),
    ])
    expect(nodes).toEqual([
      { id: 'a', name: 'node-1', prefix: '198.18.101' },
      { id: 'c', name: 'node-3', prefix: '198.18.103', engine: 'unix:///run/n3.sock' },
    ])
    expect(problems).toEqual([expect.stringMatching(/node-6: layerbench.backend-subnet=198.18.300.0\/24 is not an IPv4 \/24/)])
  })

  it('falls back to the host name when a node has no layerbench.node label', () => {
    expect(backendNodes([node('a', { 'layerbench.backend-subnet': '10.1.2.0/24' })]).nodes[0]?.name).toBe('vm')
  })
})

describe('spread', () => {
  const nodes = [
    { id: 'a', name: 'node-1', prefix: '198.18.101' },
    { id: 'b', name: 'node-2', prefix: '198.18.102' },
  ]
  it.each([
    [0, new Map(), []],
    [3, new Map(), ['a', 'b', 'a']],
    [2, new Map([['a', 2]]), ['b', 'b']],
    [3, new Map([['b', 1]]), ['a', 'a', 'b']],
  ])('%i backends with load %o go to %o', (count, load, expected) => {
    expect(spread(nodes, count, load).map((n) => n.id)).toEqual(expected)
  })

  it('places nothing when no node can host backends', () => {
    expect(spread([], 2)).toEqual([])
  })
})

describe('freeAddress', () => {
  it('hands out .2 upwards, skipping taken ones, and nothing once the /24 is full', () => {
    expect(freeAddress('198.18.101', new Set())).toBe('198.18.101.2')
    expect(freeAddress('198.18.101', new Set(['198.18.101.2', '198.18.101.3']))).toBe('198.18.101.4')
    const all = new Set(Array.from({ length: 253 }, (_, i) => `198.18.101.${i + 2}`))
    expect(freeAddress('198.18.101', all)).toBeUndefined()
  })
})

describe('parseEndpoint', () => {
  it.each([
    ['unix:///run/layerbench-lab/node-1/docker.sock', { socketPath: '/run/layerbench-lab/node-1/docker.sock' }],
    ['tcp://198.18.0.11:2376', { host: '198.18.0.11', port: 2376 }],
    ['tcp://manager:2375/', { host: 'manager', port: 2375 }],
    ['unix://relative.sock', undefined],
    ['tcp://manager', undefined],
    ['tcp://manager:70000', undefined],
    ['ssh://manager', undefined],
  ])('%s → %o', (endpoint, expected) => {
    expect(parseEndpoint(endpoint)).toEqual(expected)
  })
})

describe('serviceSpecFor', () => {
  const spec = { id: 'stable-0', group: 'stable', protocols: ['http'] as const, limits: { cpus: 0.25, memoryMb: 64 } }
  const built = serviceSpecFor({ spec, host: '198.18.102.2', node: { id: 'n2', name: 'node-2', prefix: '198.18.102' }, image: 'layerbench-backend:x', runId: 'r1', hostNetwork: 'hostnet', name: 'layerbench-r1-stable-0-abcd' }) as {
    Labels: Record<string, string>
    Mode: unknown
    TaskTemplate: { ContainerSpec: { Env: string[]; Labels: Record<string, string> }; Placement: unknown; Networks: unknown; Resources: unknown; RestartPolicy: unknown }
  }

  it('is one replica pinned to its node, on the host network, never restarted by Swarm itself', () => {
    expect(built.Mode).toEqual({ Replicated: { Replicas: 1 } })
    expect(built.TaskTemplate.Placement).toEqual({ Constraints: ['node.id==n2'] })
    expect(built.TaskTemplate.Networks).toEqual([{ Target: 'hostnet' }])
    expect(built.TaskTemplate.RestartPolicy).toEqual({ Condition: 'none' })
    expect(built.TaskTemplate.Resources).toEqual({ Limits: { NanoCPUs: 250_000_000, MemoryBytes: 64 * 2 ** 20 } })
  })

  it('labels the service and its container alike, and configures the app for its address', () => {
    expect(built.Labels).toMatchObject({ layerbench: '1', 'layerbench.run': 'r1', 'layerbench.backend': 'stable-0', 'layerbench.group': 'stable', 'layerbench.address': '198.18.102.2', 'layerbench.node': 'node-2', 'layerbench.owner': String(process.pid) })
    expect(built.TaskTemplate.ContainerSpec.Labels).toEqual(built.Labels)
    const env = built.TaskTemplate.ContainerSpec.Env.find((e) => e.startsWith('LAYERBENCH_BACKEND='))!
    expect(JSON.parse(env.slice('LAYERBENCH_BACKEND='.length))).toMatchObject({ id: 'stable-0', host: '198.18.102.2', http: { port: 8080 }, control: { port: 9900 } })
  })

  it('says which limits it cannot apply', () => {
    expect(unappliedLimits(spec)).toEqual([])
    expect(unappliedLimits({ ...spec, limits: { cpuset: '0' } })).toEqual([expect.stringMatching(/cpuset/)])
  })

  it('keeps service names within 63 characters and Swarm’s alphabet', () => {
    const name = serviceName('run-'.repeat(30), 'a/b c', 'wxyz')
    expect(name.length).toBeLessThanOrEqual(63)
    expect(name).toMatch(/^[a-zA-Z0-9][a-zA-Z0-9_.-]*-wxyz$/)
  })
})
