import http from 'node:http'
import { connect, type AddressInfo, type Socket } from 'node:net'

/** What llhttp made of some bytes: accepted (with the body and trailers it read), rejected (a client error), or neither in time. */
export type LlhttpVerdict = { kind: 'accepted'; body: Buffer; trailers: string[] } | { kind: 'rejected' } | { kind: 'undecided' }

/** A node:http server on 127.0.0.1 used as a reference parser: `judge` sends it bytes on a fresh connection. */
export interface LlhttpServer {
  judge(bytes: Buffer): Promise<LlhttpVerdict>
  close(): Promise<void>
}

/**
 * Starts Node's own HTTP server (llhttp) as a reference. `acceptAt`: a request counts as accepted
 * once its head is parsed (`head`), or once its whole body has been read (`end`).
 */
export async function startLlhttpServer(acceptAt: 'head' | 'end'): Promise<LlhttpServer> {
  const verdicts = new Map<number, (v: LlhttpVerdict) => void>()
  const server = http.createServer({ requireHostHeader: false }, (req, res) => {
    const port = req.socket.remotePort!
    const accept = (body: Buffer) => {
      const t = req.rawTrailers
      verdicts.get(port)?.({ kind: 'accepted', body, trailers: Array.from({ length: t.length / 2 }, (_, i) => `${t[2 * i]}:${t[2 * i + 1]}`) })
      res.end()
      req.socket.destroy()
    }
    if (acceptAt === 'head') return accept(Buffer.alloc(0))
    const parts: Buffer[] = []
    req.on('data', (c: Buffer) => parts.push(c))
    req.on('end', () => accept(Buffer.concat(parts)))
    req.on('error', () => {})
  })
  server.on('clientError', (_e, socket) => {
    verdicts.get((socket as Socket).remotePort!)?.({ kind: 'rejected' })
    socket.destroy()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    judge: (bytes) =>
      new Promise((resolve) => {
        const socket = connect(port, '127.0.0.1')
        let done = false
        const finish = (v: LlhttpVerdict) => {
          if (done) return
          done = true
          clearTimeout(timer)
          verdicts.delete(socket.localPort!)
          socket.destroy()
          resolve(v)
        }
        const timer = setTimeout(() => finish({ kind: 'undecided' }), 1000)
        socket.on('connect', () => {
          verdicts.set(socket.localPort!, finish)
          socket.end(bytes)
        })
        socket.on('error', () => {})
        socket.on('close', () => setTimeout(() => finish({ kind: 'undecided' }), 50))
      }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
