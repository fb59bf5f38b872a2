/**
 * The WebSocket wire format (RFC 6455 §5.2) and opening-handshake key (§4.2.2), as far as the
 * backend's echo and the load generator need them: whole frames, masked or not, any length. Pure.
 */
import { createHash } from 'node:crypto'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** Opcodes the echo and the generator use. */
export const Opcode = { text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const

/** One frame as read off the wire, its payload unmasked. */
export interface WebSocketFrame {
  readonly fin: boolean
  readonly opcode: number
  readonly payload: Buffer
}

/** `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`. */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64')
}

/** One final frame; a client masks with `mask` (4 bytes), a server sends unmasked. */
export function encodeFrame(opcode: number, payload: Buffer, mask?: Buffer): Buffer {
  const n = payload.length
  const lengthBytes = n < 126 ? 0 : n < 65536 ? 2 : 8
  const headBytes = 2 + lengthBytes + (mask === undefined ? 0 : 4)
  const out = Buffer.allocUnsafe(headBytes + n)
  out[0] = 0x80 | opcode
  out[1] = (mask === undefined ? 0 : 0x80) | (lengthBytes === 0 ? n : lengthBytes === 2 ? 126 : 127)
  if (lengthBytes === 2) out.writeUInt16BE(n, 2)
  else if (lengthBytes === 8) out.writeBigUInt64BE(BigInt(n), 2)
  if (mask === undefined) payload.copy(out, headBytes)
  else {
    mask.copy(out, 2 + lengthBytes)
    for (let i = 0; i < n; i++) out[headBytes + i] = payload[i]! ^ mask[i & 3]!
  }
  return out
}

/** The frame starting at `pos`, and where the next begins; `undefined` while incomplete. */
export function decodeFrame(buf: Buffer, pos: number): { frame: WebSocketFrame; next: number } | undefined {
  if (buf.length - pos < 2) return undefined
  const b0 = buf[pos]!
  const b1 = buf[pos + 1]!
  const masked = (b1 & 0x80) !== 0
  const short = b1 & 0x7f
  const lengthBytes = short === 126 ? 2 : short === 127 ? 8 : 0
  const headBytes = 2 + lengthBytes + (masked ? 4 : 0)
  if (buf.length - pos < headBytes) return undefined
  const n = lengthBytes === 0 ? short : lengthBytes === 2 ? buf.readUInt16BE(pos + 2) : Number(buf.readBigUInt64BE(pos + 2))
  const end = pos + headBytes + n
  if (buf.length < end) return undefined
  const payload = Buffer.from(buf.subarray(pos + headBytes, end))
  if (masked) {
    const m = pos + 2 + lengthBytes
    for (let i = 0; i < n; i++) payload[i] = payload[i]! ^ buf[m + (i & 3)]!
  }
  return { frame: { fin: (b0 & 0x80) !== 0, opcode: b0 & 0x0f, payload }, next: end }
}
