/**
 * The reference points the engine is compared with: the simplest Node proxies one would write.
 * `pipe`: net server piping each connection to a backend connection. `http`: the http module's
 * server forwarding through an http.Agent with keep-alive. Usage: node naive-proxies.js <kind>
 * <listenPort> <backendPort>. Prints "ready <port>".
 */
import http from 'node:http'
import net from 'node:net'

const [kind, listenPort, backendPort] = [process.argv[2], Number(process.argv[3] ?? 0), Number(process.argv[4])]

let server: net.Server
if (kind === 'pipe') {
  server = net.createServer({ noDelay: true }, (client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: backendPort, noDelay: true })
    client.pipe(upstream).pipe(client)
    client.on('error', () => upstream.destroy())
    upstream.on('error', () => client.destroy())
  })
} else {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256 })
  server = http.createServer((req, res) => {
    const up = http.request({ host: '127.0.0.1', port: backendPort, method: req.method, path: req.url, headers: req.headers, agent }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    up.on('error', () => {
      res.statusCode = 502
      res.end()
    })
    req.pipe(up)
  })
  ;(server as http.Server).keepAliveTimeout = 60_000
}
server.listen(listenPort, '127.0.0.1', () => process.stdout.write(`ready ${(server.address() as net.AddressInfo).port}\n`))
process.on('SIGTERM', () => process.exit(0))
