import { once } from 'node:events'
import { createServer, type AddressInfo } from 'node:net'
import { connect, type ConnectionOptions } from 'node:tls'

/**
 * The first TLS record a real Node client sends: a plain TCP listener on 127.0.0.1 accepts the
 * connection, keeps the raw bytes of that record and hangs up before any handshake happens.
 */
export async function captureClientHello(options: ConnectionOptions): Promise<Buffer> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  try {
    const captured = new Promise<Buffer>((resolve, reject) => {
      server.once('connection', (socket) => {
        let buf = Buffer.alloc(0)
        socket.on('data', (chunk: Buffer) => {
          buf = Buffer.concat([buf, chunk])
          if (buf.length < 5 || buf.length < 5 + buf.readUInt16BE(3)) return
          resolve(buf.subarray(0, 5 + buf.readUInt16BE(3)))
          socket.destroy()
        })
        socket.on('error', reject)
      })
    })
    const client = connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, ...options })
    // The listener hangs up mid-handshake on purpose.
    client.on('error', () => {})
    const hello = await captured
    client.destroy()
    return hello
  } finally {
    await new Promise((done) => server.close(done))
  }
}

/** A vector with a `lengthBytes`-byte big-endian length prefix. */
export function vec(lengthBytes: 1 | 2 | 3, ...parts: (Buffer | number[])[]): Buffer {
  const body = Buffer.concat(parts.map((p) => Buffer.from(p)))
  const head = Buffer.alloc(lengthBytes)
  head.writeUIntBE(body.length, 0, lengthBytes)
  return Buffer.concat([head, body])
}

/** One extension: type and length-prefixed data. */
export function ext(type: number, data: Buffer | number[]): Buffer {
  const head = Buffer.alloc(2)
  head.writeUInt16BE(type)
  return Buffer.concat([head, vec(2, data)])
}

/** server_name extension data for (name_type, name) entries; a bare string is a host_name. */
export function sniData(...names: (string | [number, string])[]): Buffer {
  const entries = names.map((n) => {
    const [type, name] = typeof n === 'string' ? [0, n] : n
    return Buffer.concat([Buffer.from([type]), vec(2, Buffer.from(name, 'latin1'))])
  })
  return vec(2, ...entries)
}

/** ALPN extension data. */
export function alpnData(...protocols: string[]): Buffer {
  return vec(2, ...protocols.map((p) => vec(1, Buffer.from(p, 'latin1'))))
}

export interface HelloParts {
  readonly type?: number
  readonly version?: number
  readonly sessionId?: Buffer
  readonly cipherSuites?: Buffer
  readonly compression?: Buffer
  /** Extension bytes (already framed); `null` leaves the extensions block out entirely. */
  readonly extensions?: Buffer | null
  readonly trailer?: Buffer
}

/** A handshake message shaped like a ClientHello, every field overridable. */
export function handshake(parts: HelloParts = {}): Buffer {
  const version = Buffer.alloc(2)
  version.writeUInt16BE(parts.version ?? 0x0303)
  const body = Buffer.concat([
    version,
    Buffer.alloc(32, 0xaa),
    parts.sessionId ?? vec(1, Buffer.alloc(32, 0xbb)),
    parts.cipherSuites ?? vec(2, [0x13, 0x01, 0x13, 0x02]),
    parts.compression ?? vec(1, [0]),
    parts.extensions === null ? Buffer.alloc(0) : vec(2, parts.extensions ?? ext(EXT_SNI, sniData('example.com'))),
    parts.trailer ?? Buffer.alloc(0),
  ])
  return Buffer.concat([Buffer.from([parts.type ?? 1]), vec(3, body)])
}

const EXT_SNI = 0

/** TLS records of `fragments` (each one record), all of content type `type` unless given per record. */
export function records(fragments: Buffer[], options: { type?: number; version?: number } = {}): Buffer {
  return Buffer.concat(
    fragments.map((f) => {
      const head = Buffer.alloc(5)
      head[0] = options.type ?? 22
      head.writeUInt16BE(options.version ?? 0x0301, 1)
      head.writeUInt16BE(f.length, 3)
      return Buffer.concat([head, f])
    }),
  )
}

/** The handshake bytes of a single-record hello re-framed as records split at `cuts`. */
export function reframe(singleRecord: Buffer, cuts: number[]): Buffer {
  const body = singleRecord.subarray(5)
  const bounds = [0, ...cuts, body.length]
  return records(bounds.slice(1).map((end, i) => body.subarray(bounds[i], end)), { version: singleRecord.readUInt16BE(1) })
}
