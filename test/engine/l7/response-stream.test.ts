import http from 'node:http'
import { Transform } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import type { Filter, FilterOutcome } from '../../../engine/l7/filters/filter.js'
import { engineFrom, eventually, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { destroyAgents, httpListener, keepAliveAgent, poolOf, send } from './clients.js'

afterEach(async () => {
  destroyAgents()
  await stopEngines()
  await closeServers()
})

const upper = () =>
  new Transform({
    transform(chunk: Buffer, _e, done) {
      done(null, Buffer.from(chunk.toString('latin1').toUpperCase(), 'latin1'))
    },
  })

/** A backend answering `/length` with a Content-Length body and `/chunked` with a chunked one. */
async function backend(body: string) {
  return httpBackend('b', (req, res) => {
    if (req.url === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write(body.slice(0, 5))
      res.end(body.slice(5))
    } else {
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length })
      res.end(body)
    }
    return true
  })
}

async function engineWith(filters: Filter[], body = 'hello stream') {
  const b = await backend(body)
  const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([b]) } }, { filters })
  return { engine, address: listenerAddress(engine, 'web') }
}

describe('the response body stage', () => {
  it('transforms in chain order, a tap between them reading the first one’s output, re-framed chunked', async () => {
    const seen: string[] = []
    const sent: number[] = []
    const filters: Filter[] = [
      { name: 'upper', onResponseStream: () => upper(), onDone: (_c, o) => void sent.push(o.bodyBytes) },
      { name: 'tap', onResponseStream: () => ({ observe: (c) => void seen.push(c.toString()) }) },
      {
        name: 'exclaim',
        onResponseStream: () =>
          new Transform({
            transform: (c: Buffer, _e, done) => done(null, c),
            flush: (done) => done(null, Buffer.from('!')),
          }),
      },
    ]
    const { address } = await engineWith(filters)
    for (const path of ['/length', '/chunked']) {
      seen.length = 0
      const r = await send(address, path)
      expect(r.text).toBe('HELLO STREAM!')
      expect(r.headers['content-length']).toBeUndefined()
      expect(r.headers['transfer-encoding']).toBe('chunked')
      expect(seen.join('')).toBe('HELLO STREAM')
    }
    // What the client received, after the transforms: what an access log reports.
    expect(sent).toEqual([13, 13])
  })

  it('taps alone leave the bytes as they came: Content-Length kept, the tap reading the content without the chunk framing', async () => {
    const seen: string[] = []
    const { address } = await engineWith([{ name: 'tap', onResponseStream: () => ({ observe: (c) => void seen.push(c.toString()) }) }])
    const r = await send(address, '/length')
    expect(r.headers['content-length']).toBe('12')
    expect(seen.join('')).toBe('hello stream')
    seen.length = 0
    const c = await send(address, '/chunked')
    expect(c.headers['transfer-encoding']).toBe('chunked')
    expect(c.text).toBe('hello stream')
    expect(seen.join('')).toBe('hello stream')
  })

  it('transforms the balancer’s own answers too, and a kept-alive connection goes on after each', async () => {
    const filters: Filter[] = [
      { name: 'answer', onRequest: (ctx) => (ctx.request.target === '/own' ? { status: 200, headers: [{ name: 'content-type', value: 'text/plain' }], body: 'own answer' } : undefined) },
      { name: 'upper', onResponseStream: () => upper(), onDone: (_c, o) => void sent.push(o.bodyBytes) },
    ]
    const sent: number[] = []
    const { address } = await engineWith(filters)
    const agent = keepAliveAgent()
    expect((await send(address, '/own', { agent })).text).toBe('OWN ANSWER')
    expect((await send(address, '/length', { agent })).text).toBe('HELLO STREAM')
    expect((await send(address, '/own', { agent })).text).toBe('OWN ANSWER')
    expect(sent).toEqual([10, 12, 10])
  })

  it('a transform failing mid-body cuts the client, is counted as LB_ERR_FILTER, and the engine goes on', async () => {
    let fail = true
    const filters: Filter[] = [
      {
        name: 'breaks',
        onResponseStream: () =>
          fail
            ? new Transform({
                transform: (_c: Buffer, _e, done) => done(new Error('broken transform')),
              })
            : undefined,
      },
    ]
    const { engine, address } = await engineWith(filters)
    await expect(send(address, '/length')).rejects.toThrow()
    expect(engine.stats().listeners[0]!.errors['LB_ERR_FILTER']).toBe(1)
    fail = false
    expect((await send(address, '/length')).text).toBe('hello stream')
  })

  it('a tap throwing mid-body cuts the client, is counted as LB_ERR_FILTER alone, and the engine goes on', async () => {
    let fail = true
    const filters: Filter[] = [
      {
        name: 'tap-breaks',
        onResponseStream: () => ({
          observe: () => {
            if (fail) throw new Error('broken tap')
          },
        }),
      },
    ]
    const { engine, address } = await engineWith(filters)
    await expect(send(address, '/chunked')).rejects.toThrow()
    const web = engine.stats().listeners[0]!
    expect(web.errors).toEqual({ LB_ERR_FILTER: 1 })
    fail = false
    expect((await send(address, '/chunked')).text).toBe('hello stream')
  })

  it('a client leaving mid-stream ends the request once, not ok, and leaves nothing behind', async () => {
    const outcomes: FilterOutcome[] = []
    const big = 'x'.repeat(8 * 1024 * 1024)
    const filters: Filter[] = [{ name: 'upper', onResponseStream: () => upper(), onDone: (_c, o) => void outcomes.push(o) }]
    const { engine, address } = await engineWith(filters, big)
    await new Promise<void>((resolve) => {
      const req = http.request({ ...address, path: '/length', agent: false }, (res) => {
        res.once('data', () => {
          req.destroy()
          resolve()
        })
      })
      req.on('error', () => {})
      req.end()
    })
    await eventually(() => expect(outcomes).toHaveLength(1))
    expect(outcomes[0]!.ok).toBe(false)
    await eventually(() => expect(engine.stats().listeners[0]!.connections.active).toBe(0))
  })
})
