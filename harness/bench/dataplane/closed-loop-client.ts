import net from 'node:net'
import { LatencyHistogram } from '../../../engine/stats/latency-histogram.js'

/** What a closed-loop run measured. */
export interface ClosedLoopResult {
  readonly requests: number
  readonly errors: number
  readonly elapsedMs: number
  readonly latencyUs: ReturnType<LatencyHistogram['summary']>
}

const REQUEST = Buffer.from('GET /bench HTTP/1.1\r\nHost: bench.local\r\nUser-Agent: layerbench\r\nAccept: */*\r\n\r\n')

/**
 * A minimal closed-loop HTTP/1.1 keep-alive client: `connections` sockets each send a request,
 * wait for the whole response (Content-Length framing), send the next, until `requests` responses
 * have come back in total. Latency per response in µs from `process.hrtime`.
 */
export function closedLoop(port: number, connections: number, requests: number, timeoutMs = 60_000): Promise<ClosedLoopResult> {
  return new Promise((resolve) => {
    const histogram = new LatencyHistogram()
    let sent = 0
    let done = 0
    let errors = 0
    let open = connections
    const started = process.hrtime.bigint()
    const sockets: net.Socket[] = []
    const finish = () => {
      clearTimeout(timer)
      for (const s of sockets) s.destroy()
      resolve({ requests: done, errors, elapsedMs: Number(process.hrtime.bigint() - started) / 1e6, latencyUs: histogram.summary() })
    }
    const timer = setTimeout(finish, timeoutMs)
    for (let c = 0; c < connections; c++) {
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true })
      sockets.push(socket)
      let sentAt = 0n
      let buffered: Buffer | undefined
      const sendNext = () => {
        if (sent >= requests) {
          socket.end()
          return
        }
        sent++
        sentAt = process.hrtime.bigint()
        socket.write(REQUEST)
      }
      socket.on('connect', sendNext)
      socket.on('data', (chunk: Buffer) => {
        buffered = buffered === undefined ? chunk : Buffer.concat([buffered, chunk])
        for (;;) {
          const headEnd: number = buffered.indexOf('\r\n\r\n')
          if (headEnd < 0) return
          const head = buffered.toString('latin1', 0, headEnd)
          const m = /content-length:\s*(\d+)/i.exec(head)
          const total: number = headEnd + 4 + (m === null ? 0 : Number(m[1]))
          if (buffered.length < total) return
          if (!head.startsWith('HTTP/1.1 200')) errors++
          histogram.record(Number(process.hrtime.bigint() - sentAt) / 1000)
          done++
          buffered = buffered.length === total ? undefined : buffered.subarray(total)
          if (done >= requests) return finish()
          sendNext()
          if (buffered === undefined) return
        }
      })
      socket.on('error', () => {
        errors++
      })
      socket.on('close', () => {
        if (--open === 0 && done < requests) finish()
      })
    }
  })
}
