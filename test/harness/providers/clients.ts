/** Minimal clients for reaching a backend directly, each bounded by a timeout. */
import dgram from 'node:dgram'
import http from 'node:http'
import net from 'node:net'

export interface HttpAnswer {
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
  readonly ms: number
}

/** One GET on a fresh connection; rejects with the socket error (e.g. ECONNREFUSED) or on timeout. */
export function httpGet(host: string, port: number, path = '/', timeoutMs = 5000): Promise<HttpAnswer> {
  const started = performance.now()
  return new Promise((resolve, reject) => {
    const req = http.get({ host, port, path, agent: false }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (c: string) => (body += c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body, ms: performance.now() - started }))
      res.on('error', reject)
    })
    req.setTimeout(timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'TIMEOUT' })))
    req.on('error', reject)
  })
}

/** Sends one line over TCP and resolves with the first line answered. */
export function tcpLine(host: string, port: number, line: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port })
    let buf = ''
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    socket.on('connect', () => socket.write(`${line}\n`))
    socket.on('data', (d: Buffer) => {
      buf += d.toString('utf8')
      const nl = buf.indexOf('\n')
      if (nl >= 0) {
        socket.end()
        resolve(buf.slice(0, nl))
      }
    })
    socket.on('error', reject)
  })
}

/** Sends one datagram and resolves with the first answer. */
export function udpExchange(host: string, port: number, message: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = dgram.createSocket('udp4')
    const timer = setTimeout(() => {
      socket.close()
      reject(new Error(`no answer within ${timeoutMs} ms`))
    }, timeoutMs)
    socket.on('message', (msg) => {
      clearTimeout(timer)
      socket.close()
      resolve(msg.toString('utf8'))
    })
    socket.on('error', (e) => {
      clearTimeout(timer)
      socket.close()
      reject(e)
    })
    socket.send(message, port, host)
  })
}

/** The error code of a rejected request (`ECONNREFUSED`, `TIMEOUT`, …). */
export async function failureCode(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (e) {
    return (e as NodeJS.ErrnoException).code ?? (e as Error).message
  }
  return 'answered'
}
