import http2, { type ClientHttp2Session, type IncomingHttpHeaders, type IncomingHttpStatusHeader, type SecureClientSessionOptions } from 'node:http2'

/** A complete HTTP/2 response as a `node:http2` client saw it. */
export interface H2Reply {
  readonly status: number
  readonly headers: IncomingHttpHeaders & IncomingHttpStatusHeader
  readonly trailers: IncomingHttpHeaders
  readonly body: Buffer
  readonly text: string
}

const sessions = new Set<ClientHttp2Session>()

/** One HTTP/2 connection (h2c with prior knowledge for `http://`, ALPN for `https://`), closed by {@link closeH2Sessions}. */
export async function h2Connect(authority: string, options: SecureClientSessionOptions = {}): Promise<ClientHttp2Session> {
  const session = http2.connect(authority, options)
  sessions.add(session)
  session.on('error', () => {})
  await new Promise<void>((resolve, reject) => {
    session.once('connect', () => resolve())
    session.once('error', reject)
  })
  return session
}

/** Destroys every session made by {@link h2Connect} (call in afterEach). */
export function closeH2Sessions(): void {
  for (const s of sessions) s.destroy()
  sessions.clear()
}

/** One request on `session`, read to its end (trailers included). */
export function h2Request(session: ClientHttp2Session, path: string, options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {}): Promise<H2Reply> {
  return new Promise((resolve, reject) => {
    const stream = session.request({ ':method': options.method ?? 'GET', ':path': path, ...options.headers }, { endStream: options.body === undefined })
    const chunks: Buffer[] = []
    let headers: (IncomingHttpHeaders & IncomingHttpStatusHeader) | undefined
    let trailers: IncomingHttpHeaders = {}
    stream.setTimeout(options.timeoutMs ?? 10_000, () => stream.destroy(new Error(`no response to ${path}`)))
    stream.on('response', (h) => (headers = h))
    stream.on('trailers', (t) => (trailers = t))
    stream.on('data', (c: Buffer) => chunks.push(c))
    stream.on('end', () => {
      const body = Buffer.concat(chunks)
      resolve({ status: Number(headers?.[':status'] ?? 0), headers: headers ?? {}, trailers, body, text: body.toString('utf8') })
    })
    stream.on('error', reject)
    if (options.body !== undefined) stream.end(options.body)
  })
}
