/**
 * A deliberately cheap HTTP/1.1 keep-alive server for data-plane measurements: answers every
 * request head with a fixed 2-byte 200, so the backend's own CPU stays small beside the proxy's.
 * Usage (child process): node fixed-response-server.js <port>. Prints "ready" when listening.
 */
import net from 'node:net'

const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok')
const port = Number(process.argv[2] ?? 0)

/** The blank line that ends a request head, matched across chunk boundaries. */
const END = [13, 10, 13, 10]

const server = net.createServer({ noDelay: true }, (socket) => {
  let matched = 0
  socket.on('data', (chunk: Buffer) => {
    let answers = 0
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i]!
      if (b === END[matched]) matched++
      else matched = b === 13 ? 1 : 0
      if (matched === 4) {
        answers++
        matched = 0
      }
    }
    for (let k = 0; k < answers; k++) socket.write(RESPONSE)
  })
  socket.on('error', () => socket.destroy())
})
server.listen(port, '127.0.0.1', () => process.stdout.write(`ready ${(server.address() as net.AddressInfo).port}\n`))
process.on('SIGTERM', () => process.exit(0))
