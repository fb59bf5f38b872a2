/**
 * The language floor: the least an HTTP/1.1 keep-alive proxy written in Node can do, to measure
 * what the engine costs over what Node itself costs. Raw sockets, no features: each client
 * connection gets one kept-alive backend connection; a request head is found by its blank line,
 * an `X-Forwarded-For` is appended (the engine and the peers add one too), and bodies and responses
 * are framed by Content-Length only (no chunked encoding, no pipelining checks, no timeouts).
 * `https` terminates TLS first (node:tls). Usage: node floor-proxy.js <http|https> <listenPort>
 * <backendPort> [certFile keyFile]. Prints "ready <port>".
 */
import { readFileSync } from 'node:fs'
import net from 'node:net'
import tls from 'node:tls'
import { fileURLToPath } from 'node:url'

const HEAD_END = Buffer.from('\r\n\r\n')

/** Content-Length of a head (latin1 text), 0 when absent. */
function contentLength(head: string): number {
  const m = /\r\ncontent-length:[ \t]*(\d+)/i.exec(head)
  return m === null ? 0 : Number(m[1])
}

/**
 * A reader of HTTP/1.1 messages from a byte stream: `onHead` gets each head (up to and without its
 * blank line) and returns the bytes to send in its place; body bytes pass as they come.
 */
function framer(out: net.Socket, onHead: (head: Buffer) => Buffer[]): (chunk: Buffer) => void {
  let pending: Buffer | undefined
  let bodyLeft = 0
  return (chunk) => {
    let data = pending === undefined ? chunk : Buffer.concat([pending, chunk])
    pending = undefined
    while (data.length > 0) {
      if (bodyLeft > 0) {
        const n = Math.min(bodyLeft, data.length)
        out.write(n === data.length ? data : data.subarray(0, n))
        bodyLeft -= n
        data = data.subarray(n)
        continue
      }
      const end = data.indexOf(HEAD_END)
      if (end < 0) {
        pending = data
        return
      }
      const head = data.subarray(0, end)
      bodyLeft = contentLength(head.toString('latin1'))
      const parts = onHead(head)
      // One write for the head and as much of the body as is here.
      const bodyHere = Math.min(bodyLeft, data.length - end - 4)
      parts.push(data.subarray(end + 4, end + 4 + bodyHere))
      out.write(Buffer.concat(parts))
      bodyLeft -= bodyHere
      data = data.subarray(end + 4 + bodyHere)
    }
  }
}

function relayHttp(client: net.Socket, backendPort: number): void {
  client.setNoDelay(true)
  const upstream = net.connect({ host: '127.0.0.1', port: backendPort, noDelay: true })
  const forwarded = Buffer.from(`\r\nX-Forwarded-For: ${client.remoteAddress ?? ''}\r\n\r\n`)
  const END = HEAD_END
  client.on('data', framer(upstream, (head) => [head, forwarded]))
  upstream.on('data', framer(client, (head) => [head, END]))
  const close = () => {
    client.destroy()
    upstream.destroy()
  }
  client.on('error', close)
  client.on('close', close)
  upstream.on('error', close)
  upstream.on('close', close)
}

/**
 * Starts the floor proxy in front of `backendPort` on 127.0.0.1:`listenPort` (0: any), terminating
 * TLS when a certificate is given.
 */
export function startFloorProxy(listenPort: number, backendPort: number, certificate?: { readonly cert: string | Buffer; readonly key: string | Buffer }): Promise<net.Server> {
  const onConnection = (client: net.Socket) => relayHttp(client, backendPort)
  const server = certificate === undefined ? net.createServer({ noDelay: true }, onConnection) : tls.createServer({ ...certificate, ALPNProtocols: ['http/1.1'] }, onConnection)
  return new Promise((resolve) => server.listen(listenPort, '127.0.0.1', () => resolve(server)))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [kind, listenPort, backendPort, certFile, keyFile] = [process.argv[2], Number(process.argv[3] ?? 0), Number(process.argv[4]), process.argv[5], process.argv[6]]
  const server = await startFloorProxy(listenPort, backendPort, kind === 'https' ? { cert: readFileSync(certFile!), key: readFileSync(keyFile!) } : undefined)
  process.stdout.write(`ready ${(server.address() as net.AddressInfo).port}\n`)
  process.on('SIGTERM', () => process.exit(0))
}
