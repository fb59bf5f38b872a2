import { describe, expect, it } from 'vitest'
import type { LoadPlan } from '../../../harness/load/load-types.js'
import { clientAddresses, warmupPlan } from '../../../harness/runner/client-addresses.js'

const base: LoadPlan = {
  protocol: 'udp',
  target: { host: '127.0.0.1', port: 9000 },
  mode: 'closed',
  connections: 12,
  durationMs: 3000,
  warmupMs: 0,
  timeoutMs: 2000,
  intervalMs: 500,
  udpPayloadBytes: 64,
} as LoadPlan

describe('client addresses', () => {
  it('numbers measured clients from 127.0.1.1 and a warm-up block from 127.0.2.1', () => {
    expect(clientAddresses(3)).toEqual(['127.0.1.1', '127.0.1.2', '127.0.1.3'])
    expect(clientAddresses(2, 2)).toEqual(['127.0.2.1', '127.0.2.2'])
  })

  it('sends a UDP warm-up from addresses no measured socket uses, so no measured flow can be a warm-up one', () => {
    for (const measured of [base, { ...base, localAddresses: clientAddresses(4) }]) {
      const w = warmupPlan(measured, 500)
      expect(w.durationMs).toBe(500)
      expect(w.warmupMs).toBe(0)
      // As many warm-up clients as measured ones (one when the measured run has no addresses).
      expect(w.localAddresses).toEqual(clientAddresses(measured.localAddresses?.length ?? 1, 2))
      const used = new Set(measured.localAddresses ?? ['127.0.0.1'])
      expect(w.localAddresses!.some((a) => used.has(a))).toBe(false)
      // Everything else is the measured plan's.
      const { localAddresses: _w, durationMs: _d, ...rest } = w
      const { localAddresses: _m, durationMs: _md, ...measuredRest } = measured
      expect(rest).toEqual(measuredRest)
    }
  })

  it('leaves connection-oriented warm-ups on the measured clients (their connections end with the sockets)', () => {
    for (const protocol of ['tcp', 'http', 'https', 'tls'] as const) {
      const measured = { ...base, protocol, localAddresses: clientAddresses(2) }
      expect(warmupPlan(measured, 200)).toEqual({ ...measured, durationMs: 200, warmupMs: 0 })
      const anonymous = { ...base, protocol }
      expect(warmupPlan(anonymous, 200).localAddresses).toBeUndefined()
    }
  })
})
