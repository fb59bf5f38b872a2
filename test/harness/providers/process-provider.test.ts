import { readdirSync, readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { createProvider } from '../../../harness/providers/index.js'
import { httpGet } from './clients.js'
import { providerConformance } from './provider-conformance.js'

providerConformance('process')

/** PIDs of backend processes configured with `host`. */
function backendsOn(host: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return readFileSync(`/proc/${pid}/environ`, 'utf8').includes(`"host":"${host}"`)
      } catch {
        return false
      }
    })
    .map(Number)
}

const BAD_TLS = {
  cert: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  key: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n',
}

describe('process provider specifics', () => {
  it('applies limits.cpuset through taskset and reports the limits it cannot apply', async () => {
    const provider = await createProvider('process', { runId: `process-limits-${process.pid}` })
    try {
      const [b] = await provider.start([{ id: 'pinned', group: 'g', protocols: ['http'], limits: { cpuset: '0', cpus: 0.5, memoryMb: 64 } }])
      expect((await httpGet(b!.host, b!.ports.http!)).headers['x-backend']).toBe('pinned')
      expect(provider.warnings.join('\n')).toMatch(/pinned: limits\.cpus and limits\.memoryMb not applied/)
      expect(readFileSync(`/proc/${b!.pid}/status`, 'utf8')).toMatch(/^Cpus_allowed_list:\s*0$/m)
    } finally {
      await provider.stopAll()
    }
  })

  it('reports a backend that exits before ready with the end of its stderr, and leaves nothing', async () => {
    const provider = await createProvider('process', { runId: `process-fail-${process.pid}` })
    try {
      // The certificate has the right shape for the schema but is not DER inside: the listener cannot start.
      const error = await provider.start([{ id: 'bad-tls', group: 'g', protocols: ['https'], tls: BAD_TLS }]).catch((e: unknown) => e as Error)
      expect(error).toBeInstanceOf(Error)
      expect((error as Error).message).toMatch(/backend bad-tls on 127\.[\d.]+: exited before ready \(code 3\); its stderr ends with:\n.*cannot listen/s)
    } finally {
      await provider.stopAll()
    }
  })

  it('gives up on a backend that is not ready in time and kills it', async () => {
    const provider = await createProvider('process', { runId: `process-slow-${process.pid}`, readyTimeoutMs: 30 })
    try {
      const error = await provider.start([{ id: 'slow', group: 'g', protocols: ['http'] }]).catch((e: unknown) => e as Error)
      expect((error as Error).message).toMatch(/backend slow on (127\.[\d.]+): not ready within 30 ms/)
      const host = /on (127\.[\d.]+):/.exec((error as Error).message)![1]!
      for (let i = 0; i < 50 && backendsOn(host).length > 0; i++) await new Promise((r) => setTimeout(r, 20))
      expect(backendsOn(host)).toEqual([])
    } finally {
      await provider.stopAll()
    }
  })

  it('stops the backends of a batch when the caller aborts', async () => {
    const provider = await createProvider('process', { runId: `process-abort-${process.pid}` })
    const controller = new AbortController()
    setTimeout(() => controller.abort(new Error('run cancelled')), 20)
    try {
      const error = await provider
        .start([{ id: 'a1', group: 'g', protocols: ['http'] }, { id: 'a2', group: 'g', protocols: ['http'] }], controller.signal)
        .catch((e: unknown) => e as Error)
      expect((error as Error).message).toBe('run cancelled')
    } finally {
      await provider.stopAll()
    }
  })
})
