import { createHash, randomBytes } from 'node:crypto'
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http'
import type { Duplex } from 'node:stream'
import { afterEach, describe, expect, it } from 'vitest'
import { engineFrom, eventually, listenerAddress, stopEngines } from '../../helpers/engine.js'
import { closeServers, httpBackend } from '../../helpers/test-servers.js'
import { httpListener, poolOf, RawClient } from './clients.js'

afterEach(async () => {
  await stopEngines()
  await closeServers()
})

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'
const acceptFor = (key: string) => createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64')

/**
 * A backend that completes the WebSocket opening handshake by hand (RFC 6455 §4.2.2) and then
 * echoes every byte; it refuses upgrades to anything but websocket with a plain 426.
 */
async function websocketBackend() {
  const upgrades: IncomingHttpHeaders[] = []
  const sockets: Duplex[] = []
  const backend = await httpBackend('ws')
  backend.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    upgrades.push(req.headers)
    sockets.push(socket)
    socket.on('error', () => {})
    const key = req.headers['sec-websocket-key']
    if (req.headers.upgrade?.toLowerCase() !== 'websocket' || typeof key !== 'string') {
      socket.end('HTTP/1.1 426 Upgrade Required\r\ncontent-length: 0\r\nconnection: close\r\n\r\n')
      return
    }
    socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptFor(key)}\r\n\r\n`)
    if (head.length > 0) socket.write(head)
    socket.pipe(socket)
  })
  const engine = await engineFrom({ listeners: [httpListener([{ pool: 'app' }])], pools: { app: poolOf([backend]) } })
  return { engine, address: listenerAddress(engine, 'web'), upgrades, sockets, backend }
}

const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='
const upgradeRequest = (extra = '') =>
  `GET /chat HTTP/1.1\r\nHost: chat.test\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`

describe('WebSocket upgrade', () => {
  it('the client gets the 101 with Upgrade, Connection and the right accept key, then bytes flow both ways', async () => {
    const { engine, address, upgrades } = await websocketBackend()
    const client = await RawClient.connect(address.port)
    client.write(upgradeRequest())
    const [r] = await client.until((b) => b.includes('\r\n\r\n')).then(() => client.responses(1))
    expect(r!.status).toBe(101)
    expect(r!.header('upgrade')).toBe('websocket')
    expect(r!.header('connection')).toBe('Upgrade')
    expect(r!.header('sec-websocket-accept')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
    const headLength = client.received.indexOf('\r\n\r\n') + 4

    // The backend saw the upgrade headers and the forwarding headers.
    expect(upgrades).toHaveLength(1)
    expect(upgrades[0]!.upgrade).toBe('websocket')
    expect(upgrades[0]!.connection).toBe('Upgrade')
    expect(upgrades[0]!['sec-websocket-key']).toBe(KEY)
    expect(upgrades[0]!['x-forwarded-for']).toBe('127.0.0.1')

    // A masked text frame "hello", as a browser would send it, then a large binary payload.
    const frame = Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58])
    client.write(frame)
    await client.until((b) => b.length >= headLength + frame.length)
    expect(client.received.subarray(headLength)).toEqual(frame)

    const payload = randomBytes(1024 * 1024)
    client.write(payload)
    await client.until((b) => b.length >= headLength + frame.length + payload.length)
    expect(client.received.subarray(headLength + frame.length).equals(payload)).toBe(true)
    expect(engine.stats().listeners[0]!.responses['1xx']).toBe(1)
    client.destroy()
  })

  it('bytes sent right after the upgrade request reach the backend after the 101', async () => {
    const { address } = await websocketBackend()
    const client = await RawClient.connect(address.port)
    client.write(upgradeRequest() + 'early-bytes')
    await client.until((b) => b.includes('early-bytes'))
    const text = client.received.toString('latin1')
    expect(text.indexOf('early-bytes')).toBeGreaterThan(text.indexOf('\r\n\r\n'))
    client.destroy()
  })

  it('closing the client closes the backend side of the tunnel, and the reverse', async () => {
    const { address, sockets } = await websocketBackend()
    const first = await RawClient.connect(address.port)
    first.write(upgradeRequest())
    await first.responses(1)
    first.destroy()
    await eventually(() => expect(sockets[0]!.destroyed || sockets[0]!.writableEnded).toBe(true))

    const second = await RawClient.connect(address.port)
    second.write(upgradeRequest())
    await second.responses(1)
    sockets[1]!.destroy()
    await second.waitClosed(5000)
  })

  it('a refused upgrade comes back as an ordinary response and the connection stays HTTP', async () => {
    const { address } = await websocketBackend()
    const client = await RawClient.connect(address.port)
    client.write('GET /chat HTTP/1.1\r\nHost: t\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n')
    const [r] = await client.responses(1)
    expect(r!.status).toBe(426)
    client.write('GET /plain HTTP/1.1\r\nHost: t\r\n\r\n')
    const [, next] = await client.responses(2)
    expect(next!.status).toBe(200)
    expect((JSON.parse(next!.body.toString()) as { url: string }).url).toBe('/plain')
    client.destroy()
  })

  it('an HTTP/1.0 request cannot upgrade: Upgrade is dropped and it is served as plain HTTP', async () => {
    const { address, upgrades, backend } = await websocketBackend()
    const client = await RawClient.connect(address.port)
    client.write(`GET /chat HTTP/1.0\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${KEY}\r\n\r\n`)
    await client.waitClosed(5000)
    const [r] = await client.responses(1)
    expect(r!.status).toBe(200)
    expect(upgrades).toHaveLength(0)
    expect(backend.seen.requests).toBe(1)
  })
})
