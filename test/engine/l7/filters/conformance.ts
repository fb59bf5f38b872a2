import { afterEach, describe, expect, it } from 'vitest'
import type { Filter, FilterContext } from '../../../../engine/l7/filters/filter.js'
import { engineFrom, listenerAddress, stopEngines } from '../../../helpers/engine.js'
import { closeServers, httpBackend } from '../../../helpers/test-servers.js'
import { destroyAgents, httpListener, poolOf, send, type SendOptions } from '../clients.js'

/** The hooks of a filter, in stage order. */
const HOOKS = ['onRequest', 'onUpstreamRequest', 'onResponseHead', 'onResponseStream', 'onResponseBody', 'onDone'] as const
type Hook = (typeof HOOKS)[number]
/** Hooks whose failure the client sees as a coded 500 (nothing was sent to it yet). */
const BEFORE_RESPONSE: readonly Hook[] = ['onRequest', 'onUpstreamRequest', 'onResponseHead', 'onResponseStream']

/** A filter that records every hook call as `tag.hook`; `answer` makes its onRequest answer 418. */
export function recorder(tag: string, log: string[], answer = false): Filter {
  return {
    name: `recorder-${tag}`,
    onRequest: () => {
      log.push(`${tag}.onRequest`)
      return answer ? { status: 418, headers: [{ name: 'x-answered-by', value: tag }], body: 'short\n' } : undefined
    },
    onUpstreamRequest: () => void log.push(`${tag}.onUpstreamRequest`),
    onResponseHead: (_ctx, _status, _headers, own) => void log.push(`${tag}.onResponseHead${own ? '(own)' : ''}`),
    onResponseStream: (_ctx, _status, _headers, own) => void log.push(`${tag}.onResponseStream${own ? '(own)' : ''}`),
    onResponseBody: () => void log.push(`${tag}.onResponseBody`),
    onDone: (_ctx, outcome) => void log.push(`${tag}.onDone(${outcome.status})`),
  }
}

/** `filter` with each of its own hooks recorded as `F.hook` before it runs; `failIn` throws there instead. */
function observed(filter: Filter, log: string[], failIn?: Hook): Filter {
  const wrapped: { -readonly [K in keyof Filter]: Filter[K] } = { name: filter.name }
  for (const hook of HOOKS) {
    const original = filter[hook] as ((ctx: FilterContext, ...rest: unknown[]) => unknown) | undefined
    if (original === undefined) continue
    ;(wrapped as Record<string, unknown>)[hook] = (ctx: FilterContext, ...rest: unknown[]) => {
      log.push(`F.${hook}`)
      if (hook === failIn) throw new Error(`injected failure in ${hook}`)
      return original.call(filter, ctx, ...rest)
    }
  }
  return wrapped
}

/** What a filter's conformance run needs to know about it. */
export interface ConformanceOptions {
  /** A request the filter lets through to the backend (default: GET / with no headers). */
  readonly passing?: SendOptions & { readonly path?: string }
  /** A request the filter answers itself, and the status it answers with. */
  readonly answered?: SendOptions & { readonly path?: string; readonly status: number }
}

/**
 * The shared conformance suite every filter runs: in a real engine, between two recording filters,
 * its hooks run in chain order at their stage; a filter earlier in the chain answering keeps it
 * from the request stage (and the backend from the request) while it still sees the answer's head;
 * a filter answering stops the filters after it; a throw in any of its hooks becomes a coded 500
 * (`LB_ERR_FILTER`) when nothing was sent yet, a cut once the body started, and is counted in /stats.
 */
export function filterConformance(name: string, make: () => Filter, options: ConformanceOptions = {}): void {
  describe(`filter conformance: ${name}`, () => {
    afterEach(async () => {
      destroyAgents()
      await stopEngines()
      await closeServers()
    })

    const has = (hook: Hook) => make()[hook] !== undefined

    async function setUp(filters: Filter[]) {
      const backend = await httpBackend('b1')
      const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend]) } }, { filters })
      return { backend, engine, address: listenerAddress(engine, 'web') }
    }
    const passing = options.passing ?? {}

    it('has a name and at least one hook', () => {
      const f = make()
      expect(f.name).toMatch(/^[a-z][a-z0-9-]*$/)
      expect(HOOKS.some((h) => f[h] !== undefined)).toBe(true)
    })

    it('runs each of its hooks at its stage, after the filters before it and before the ones after it', async () => {
      const log: string[] = []
      const { address } = await setUp([recorder('before', log), observed(make(), log), recorder('after', log)])
      const r = await send(address, passing.path ?? '/', passing)
      expect(r.status).toBeLessThan(500)
      for (const hook of HOOKS) {
        const at = (tag: string) => log.findIndex((e) => e.startsWith(`${tag}.${hook}`))
        expect(at('before'), hook).toBeGreaterThanOrEqual(0)
        if (!has(hook)) continue
        expect(at('F'), hook).toBeGreaterThan(at('before'))
        expect(at('after'), hook).toBeGreaterThan(at('F'))
      }
      // Stages in order, each filter told once that the request is over.
      expect(log.filter((e) => e.startsWith('before.onDone'))).toHaveLength(1)
      expect(log.indexOf('before.onRequest')).toBeLessThan(log.indexOf('before.onUpstreamRequest'))
      expect(log.indexOf('before.onUpstreamRequest')).toBeLessThan(log.indexOf('before.onResponseHead'))
    })

    it('is skipped at the request stage when an earlier filter answers, and sees that answer as the balancer’s own', async () => {
      const log: string[] = []
      const { address, backend } = await setUp([recorder('before', log, true), observed(make(), log), recorder('after', log)])
      const r = await send(address, passing.path ?? '/', passing)
      expect(r.status).toBe(418)
      expect(r.headers['x-answered-by']).toBe('before')
      expect(r.text).toBe('short\n')
      expect(backend.seen.requests).toBe(0)
      expect(log).not.toContain('F.onRequest')
      expect(log).not.toContain('F.onUpstreamRequest')
      expect(log).not.toContain('after.onRequest')
      if (has('onResponseHead')) expect(log).toContain('F.onResponseHead')
      expect(log).toContain('after.onResponseHead(own)')
      expect(log.filter((e) => e === 'after.onDone(418)')).toHaveLength(1)
    })

    if (options.answered !== undefined) {
      const answered = options.answered
      it('answers by itself: the filters after it and the backend never see the request', async () => {
        const log: string[] = []
        const { address, backend } = await setUp([recorder('before', log), observed(make(), log), recorder('after', log)])
        const r = await send(address, answered.path ?? '/', answered)
        expect(r.status).toBe(answered.status)
        expect(backend.seen.requests).toBe(0)
        expect(log).toContain('F.onRequest')
        expect(log).not.toContain('after.onRequest')
        expect(log).toContain('after.onResponseHead(own)')
        expect(log).toContain(`after.onDone(${answered.status})`)
      })
    }

    for (const hook of HOOKS) {
      if (!has(hook)) continue
      it(`a throw in ${hook} is ${BEFORE_RESPONSE.includes(hook) ? 'a coded 500' : 'contained'} and counted in /stats`, async () => {
        const log: string[] = []
        const { address, engine } = await setUp([observed(make(), log, hook)])
        const outcome = await send(address, passing.path ?? '/', passing).then(
          (r) => r,
          (e: Error) => e,
        )
        if (BEFORE_RESPONSE.includes(hook)) {
          expect(outcome).not.toBeInstanceOf(Error)
          const r = outcome as Exclude<typeof outcome, Error>
          expect(r.status).toBe(500)
          expect(r.headers['x-layerbench-error']).toBe('LB_ERR_FILTER')
        } else if (hook === 'onResponseBody') {
          // The head already left: all the client can learn is a cut.
          expect(outcome).toBeInstanceOf(Error)
        } else {
          expect(outcome).not.toBeInstanceOf(Error)
        }
        const web = engine.stats().listeners.find((l) => l.name === 'web')!
        expect(web.errors['LB_ERR_FILTER']).toBe(1)
        if (BEFORE_RESPONSE.includes(hook)) {
          // Counted per request, and the engine goes on answering.
          expect((await send(address, passing.path ?? '/', passing)).status).toBe(500)
          expect(engine.stats().listeners.find((l) => l.name === 'web')!.errors['LB_ERR_FILTER']).toBe(2)
        }
      })
    }
  })
}
