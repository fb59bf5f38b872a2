import { afterEach, describe, expect, it } from 'vitest'
import { nativeGenerator } from '../../../harness/load/native-generator.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'

afterEach(closeServers)

describe('open loop: every client keeps sending', () => {
  it('hands due requests to the slot idle longest, so a light load still comes from every client', async () => {
    const backend = await httpBackend('b1')
    const perClient = new Map<number, number>()
    // 200 requests/s over 20 clients: one request at a time would do, yet each client sends its share.
    const summary = await nativeGenerator.run({
      protocol: 'http',
      target: { host: '127.0.0.1', port: backend.port },
      mode: 'open',
      rate: 200,
      connections: 20,
      durationMs: 1000,
      onResponse: (r) => perClient.set(r.client, (perClient.get(r.client) ?? 0) + 1),
    })
    expect(summary.ok).toBeGreaterThanOrEqual(150)
    expect(perClient.size).toBe(20)
    const counts = [...perClient.values()]
    const mean = counts.reduce((a, b) => a + b, 0) / counts.length
    // In turn: every client near its share (a stack would leave all but a few clients idle; a
    // reply slowed by a busy machine costs its client a turn or two).
    expect(Math.min(...counts)).toBeGreaterThanOrEqual(mean / 2)
  })
})
