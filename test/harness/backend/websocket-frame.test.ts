import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { acceptKey, decodeFrame, encodeFrame, Opcode } from '../../../harness/backend/websocket-frame.js'

describe('WebSocket frames', () => {
  it('computes the accept key of RFC 6455 §1.3', () => {
    expect(acceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=')
  })

  it('reads the masked "Hello" of RFC 6455 §5.7', () => {
    const r = decodeFrame(Buffer.from([0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58]), 0)
    expect(r?.frame).toEqual({ fin: true, opcode: Opcode.text, payload: Buffer.from('Hello') })
    expect(r?.next).toBe(11)
  })

  it.each([0, 1, 125, 126, 65_535, 65_536])('round-trips a %i-byte payload, masked and not, and waits for the whole frame', (n) => {
    const payload = randomBytes(n)
    for (const mask of [undefined, randomBytes(4)]) {
      const wire = encodeFrame(Opcode.binary, payload, mask)
      const two = Buffer.concat([wire, encodeFrame(Opcode.ping, Buffer.from('p'))])
      const r = decodeFrame(two, 0)!
      expect(r.frame.opcode).toBe(Opcode.binary)
      expect(r.frame.payload.equals(payload)).toBe(true)
      expect(r.next).toBe(wire.length)
      expect(decodeFrame(two, r.next)?.frame.opcode).toBe(Opcode.ping)
      expect(decodeFrame(wire.subarray(0, wire.length - 1), 0)).toBeUndefined()
    }
  })
})
