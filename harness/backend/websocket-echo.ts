/**
 * WebSocket on the backend's HTTP listener: a GET with `Upgrade: websocket` and a
 * `Sec-WebSocket-Key` is answered `101 Switching Protocols` (with `x-backend`, so a load generator
 * knows who answered), and from then on every text or binary message is echoed back unmasked, pings
 * are answered, and a close is returned. Each echoed message counts as one request served. The
 * behaviour's latency and faults apply to HTTP requests only: a message is echoed at once.
 */
import type { Socket } from 'node:net'
import type { RequestHead } from '../../engine/http/index.js'
import type { BackendState } from './backend-state.js'
import { attributeClient } from './http-answers.js'
import type { AcceptedConnection } from './stream-listener.js'
import { acceptKey, decodeFrame, encodeFrame, Opcode } from './websocket-frame.js'

/** The client key when `head` asks for a WebSocket upgrade, else undefined. */
export function websocketKey(head: RequestHead): string | undefined {
  if (head.method !== 'GET' || head.upgrade?.toLowerCase() !== 'websocket') return undefined
  return head.get('sec-websocket-key')
}

/**
 * Switches the connection to WebSocket after `head` (whose key is `key`): writes the 101, then
 * echoes. `rest` are the bytes read past the head; the function returned takes every later chunk.
 */
export function startWebSocketEcho(state: BackendState, accepted: AcceptedConnection, head: RequestHead, key: string, rest: Buffer): (chunk: Buffer) => void {
  const socket: Socket = accepted.socket
  const seen = attributeClient(head.get('x-forwarded-for'), head.get('x-real-ip'), accepted.client)
  socket.write(`HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ${acceptKey(key)}\r\nx-backend: ${state.id}\r\n\r\n`, 'latin1')
  let buf: Buffer = Buffer.alloc(0)
  const onData = (chunk: Buffer) => {
    buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
    let pos = 0
    for (let r = decodeFrame(buf, pos); r !== undefined; r = decodeFrame(buf, pos)) {
      pos = r.next
      const { opcode, payload } = r.frame
      if (opcode === Opcode.text || opcode === Opcode.binary) {
        state.served.http.requests++
        state.see(accepted.tls, seen.address, seen.via, accepted.peer)
        socket.write(encodeFrame(opcode, payload))
      } else if (opcode === Opcode.ping) socket.write(encodeFrame(Opcode.pong, payload))
      else if (opcode === Opcode.close) {
        socket.end(encodeFrame(Opcode.close, payload.subarray(0, 2)))
        return
      }
    }
    buf = pos >= buf.length ? Buffer.alloc(0) : buf.subarray(pos)
  }
  if (rest.length > 0) onData(rest)
  return onData
}
