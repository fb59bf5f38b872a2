import { once } from 'node:events'
import { createServer, connect, type AddressInfo, type Socket } from 'node:net'
import { describe, expect, it } from 'vitest'
import { encodeProxyV1, encodeProxyV2, parseProxyHeader, type ProxyHeader } from '../../../engine/proxy-protocol/proxy-protocol.js'

interface Received {
  readonly header: ProxyHeader
  readonly payload: Buffer
  readonly incompleteReads: number
}

/**
 * A listener that reads a PROXY header off each connection the way a data plane would: buffer until
 * the parser decides, then hand everything after the header to the application. It acknowledges
 * every read with one byte so the client can send in lock-step.
 */
async function proxyAwareServer(): Promise<{ port: number; received: Promise<Received>; close: () => Promise<void> }> {
  let resolve: (r: Received) => void = () => {}
  let reject: (e: Error) => void = () => {}
  const received = new Promise<Received>((ok, fail) => {
    resolve = ok
    reject = fail
  })
  const server = createServer((socket: Socket) => {
    let pending = Buffer.alloc(0)
    let header: ProxyHeader | undefined
    const payload: Buffer[] = []
    let incompleteReads = 0
    socket.on('data', (chunk: Buffer) => {
      if (header !== undefined) {
        payload.push(chunk)
        return
      }
      pending = Buffer.concat([pending, chunk])
      const result = parseProxyHeader(pending)
      if (result.status === 'incomplete') {
        incompleteReads++
        socket.write('.')
      } else if (result.status === 'invalid') {
        reject(new Error(`${result.code}: ${result.reason}`))
        socket.destroy()
      } else {
        header = result.header
        payload.push(pending.subarray(header.headerBytes))
      }
    })
    socket.on('end', () => {
      if (header === undefined) reject(new Error('connection ended before a complete header'))
      else resolve({ header, payload: Buffer.concat(payload), incompleteReads })
      socket.end()
    })
    socket.on('error', reject)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () => new Promise((done) => server.close(() => done())),
  }
}

/** Sends the header one byte per read (waiting for each acknowledgement), then its last byte glued to the payload. */
async function sendByteByByte(port: number, header: Buffer, payload: Buffer): Promise<void> {
  const socket = connect({ host: '127.0.0.1', port })
  socket.setNoDelay(true)
  await once(socket, 'connect')
  const acks = socket[Symbol.asyncIterator]()
  let acked = 0
  for (let i = 0; i < header.length - 1; i++) {
    socket.write(header.subarray(i, i + 1))
    // Acknowledgements may coalesce; wait until this byte's has arrived.
    while (acked <= i) {
      const next = await acks.next()
      if (next.done === true) throw new Error('server closed early')
      acked += (next.value as Buffer).length
    }
  }
  socket.end(Buffer.concat([header.subarray(header.length - 1), payload]))
  await once(socket, 'close')
}

describe('PROXY header over a real TCP connection', () => {
  const addresses = { family: 'tcp4', source: { address: '203.0.113.9', port: 51000 }, destination: { address: '127.0.0.1', port: 8443 } } as const
  const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 31 + 7) & 0xff))

  it.each([
    ['v2 with TLVs', encodeProxyV2(addresses, [{ type: 0x02, value: Buffer.from('api.example.test') }])],
    ['v1', encodeProxyV1(addresses)],
  ])('%s arriving byte by byte is split cleanly from the payload', async (_, header) => {
    const server = await proxyAwareServer()
    try {
      await sendByteByByte(server.port, header, payload)
      const got = await server.received
      expect(got.header.addresses).toEqual(addresses)
      expect(got.header.headerBytes).toBe(header.length)
      expect(got.incompleteReads).toBe(header.length - 1)
      expect(got.payload.equals(payload)).toBe(true)
    } finally {
      await server.close()
    }
  })
})
