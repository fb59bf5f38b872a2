import http2 from 'node:http2'
import net from 'node:net'
import { hostHeader, probeSocket, tlsConnect, type ProbeResult, type ProbeTarget, type ProbeTimeout, type ProbeTlsOptions } from './probes.js'

/** Options of the gRPC probe. */
export interface GrpcProbeOptions extends ProbeTimeout {
  /** The service asked about; '' (the default) is the server as a whole. */
  readonly service?: string
  /** Speak gRPC over TLS (ALPN h2). */
  readonly tls?: ProbeTlsOptions
}

/** SERVING in grpc.health.v1.HealthCheckResponse.ServingStatus. */
const SERVING = 1
const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']

/** A HealthCheckRequest { string service = 1 } in one uncompressed gRPC message frame. */
export function healthCheckRequestFrame(service: string): Buffer {
  const name = Buffer.from(service, 'utf8')
  if (name.length > 127) throw new RangeError('service names over 127 bytes are not probed')
  const message = name.length === 0 ? Buffer.alloc(0) : Buffer.concat([Buffer.from([0x0a, name.length]), name])
  const head = Buffer.alloc(5)
  head.writeUInt32BE(message.length, 1)
  return Buffer.concat([head, message])
}

/**
 * The serving status in a HealthCheckResponse { ServingStatus status = 1 } frame: 0 (UNKNOWN) when
 * the message is empty, undefined when the bytes are not one such frame.
 */
export function servingStatusOf(frame: Buffer): number | undefined {
  if (frame.length < 5 || frame[0] !== 0) return undefined
  const length = frame.readUInt32BE(1)
  if (frame.length !== 5 + length) return undefined
  const m = frame.subarray(5)
  if (m.length === 0) return 0
  return m.length === 2 && m[0] === 0x08 && m[1]! < 0x80 ? m[1] : undefined
}

/**
 * Passes when `grpc.health.v1.Health/Check` answers OK with SERVING, on a fresh HTTP/2 connection
 * (h2c, or TLS with ALPN h2). Detail: the serving status, or the gRPC status when the call failed.
 */
export function grpcProbe(target: ProbeTarget, options: GrpcProbeOptions = {}, signal?: AbortSignal): Promise<ProbeResult> {
  const t = options.tls
  const body = healthCheckRequestFrame(options.service ?? '')
  return probeSocket(
    options.timeoutMs ?? 1000,
    signal,
    () => (t === undefined ? net.connect({ host: target.host, port: target.port }) : tlsConnect(target, t, ['h2'])),
    (socket, finish) => {
      const session = http2.connect(`${t === undefined ? 'http' : 'https'}://${hostHeader(target)}`, { createConnection: () => socket })
      session.on('error', () => finish(false, 'HTTP/2 session failed'))
      const stream = session.request({
        ':method': 'POST',
        ':path': '/grpc.health.v1.Health/Check',
        'content-type': 'application/grpc',
        te: 'trailers',
        'user-agent': 'layerbench-health-check',
      })
      const chunks: Buffer[] = []
      let grpcStatus: string | undefined
      stream.on('response', (h) => (grpcStatus = h['grpc-status'] as string | undefined))
      stream.on('trailers', (h) => (grpcStatus = h['grpc-status'] as string | undefined))
      stream.on('data', (c: Buffer) => chunks.push(c))
      stream.on('error', () => finish(false, 'stream reset'))
      stream.on('end', () => {
        if (grpcStatus !== '0') return finish(false, `grpc-status ${grpcStatus ?? 'missing'}`)
        const serving = servingStatusOf(Buffer.concat(chunks))
        if (serving === undefined) return finish(false, 'malformed HealthCheckResponse')
        finish(serving === SERVING, STATUS_NAMES[serving] ?? `status ${serving}`)
        session.close()
      })
      stream.end(body)
    },
  )
}
