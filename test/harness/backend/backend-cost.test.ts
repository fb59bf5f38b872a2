import { readFileSync } from 'node:fs'
import { afterAll, describe, expect, it } from 'vitest'
import { config, killBackends, RawConnection, request, spawnBackend } from './backend-harness.js'

afterAll(() => killBackends())

/** User + system CPU time of a process in ms (Linux: /proc/<pid>/stat, 100 ticks a second); undefined elsewhere. */
function cpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return undefined
  }
}

/** Sends `n` keep-alive requests on each of `connections` connections, one at a time per connection. */
async function load(port: number, connections: number, n: number): Promise<void> {
  await Promise.all(
    Array.from({ length: connections }, async () => {
      const c = await RawConnection.open(port)
      const req = request('GET', '/bench', { 'user-agent': 'bench', accept: '*/*' })
      for (let i = 0; i < n; i++) {
        c.write(req)
        await c.response()
      }
      c.close()
    }),
  )
}

describe('backend cost', () => {
  it('a fixed-response HTTP request costs the backend tens of microseconds of CPU, not hundreds', async () => {
    const b = await spawnBackend(config('cost-1'))
    if (cpuMs(b.ready.pid) === undefined) return
    await load(b.ready.http!, 4, 500) // warm up the JIT
    const before = cpuMs(b.ready.pid)!
    await load(b.ready.http!, 4, 5000)
    const perRequestUs = ((cpuMs(b.ready.pid)! - before) * 1000) / 20_000
    // Measured at about 20–40 µs on a loaded 2-core machine; an order of magnitude above that
    // means per-request timers, logging or copying crept in.
    expect(perRequestUs).toBeLessThan(300)
  })
})
