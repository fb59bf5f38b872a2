/**
 * The bodies and heads the backend answers HTTP requests with: what a client (or a balancer test)
 * learns from one answer is the backend's id, what it received, and from whom.
 */
import type { RequestHead } from '../../engine/http/index.js'
import { responseHeadString, statusText } from '../../engine/http/index.js'
import type { ClientVia } from './backend-state.js'
import type { ClientEndpoint } from './stream-listener.js'

/** JSON with every character outside printable ASCII escaped: one character is one byte. */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
}

// Characters that JSON must escape, and those asciiJson escapes on top.
const NEEDS_ESCAPE = /["\\\u0000-\u001f\u007f-\uffff]/

/** A JSON string literal for `s` in printable ASCII; the common case skips JSON.stringify. */
function jsonString(s: string): string {
  return NEEDS_ESCAPE.test(s) ? asciiJson(s) : `"${s}"`
}

/** The body of a 200, in this key order. */
export interface ServedBody {
  backend: string
  method: string
  /** The request-target as received, query included. */
  path: string
  clientAddress: string
  clientPort: number
  proxied: boolean
  xForwardedFor: string | null
  xRealIp: string | null
  /** This request's ordinal among the HTTP requests the backend has received. */
  served: number
  /** Filler present when `responseBytes` is set. */
  pad?: string
}

/** What a 200's body tells of its request: the HTTP/1.x head, or an HTTP/2 stream's headers. */
export type AnsweredRequest = Pick<RequestHead, 'method' | 'target' | 'get'>

/**
 * The {@link ServedBody} of a 200 as ASCII JSON, exactly `responseBytes` bytes when given: padded
 * with `x` in a `pad` field, or — when even the unpadded document is longer — the document cut to
 * that length (no longer valid JSON; the size is what such a setting is for). Built by hand rather
 * than by JSON.stringify: it runs for every request.
 */
export function servedBody(id: string, head: AnsweredRequest, client: ClientEndpoint, served: number, responseBytes: number | undefined): string {
  const xff = head.get('x-forwarded-for')
  const realIp = head.get('x-real-ip')
  const doc =
    `{"backend":${jsonString(id)},"method":${jsonString(head.method)},"path":${jsonString(head.target)},` +
    `"clientAddress":${jsonString(client.address)},"clientPort":${client.port},"proxied":${client.proxied},` +
    `"xForwardedFor":${xff === undefined ? 'null' : jsonString(xff)},"xRealIp":${realIp === undefined ? 'null' : jsonString(realIp)},` +
    `"served":${served}`
  if (responseBytes === undefined) return `${doc}}`
  const base = `${doc},"pad":""}`
  if (base.length > responseBytes) return base.slice(0, responseBytes)
  // The filler goes between the quotes of the empty pad.
  return `${doc},"pad":"${'x'.repeat(responseBytes - base.length)}"}`
}

/**
 * The client a request is attributed to: X-Forwarded-For's first (leftmost, original) entry, else
 * X-Real-IP, else the PROXY header's source, else the connection's peer — and which it was.
 */
export function attributeClient(xForwardedFor: string | undefined, xRealIp: string | undefined, client: ClientEndpoint): { address: string; via: ClientVia } {
  if (xForwardedFor !== undefined) {
    const comma = xForwardedFor.indexOf(',')
    const first = (comma < 0 ? xForwardedFor : xForwardedFor.slice(0, comma)).trim()
    if (first !== '') return { address: first, via: 'x-forwarded-for' }
  }
  if (xRealIp !== undefined && xRealIp.trim() !== '') return { address: xRealIp.trim(), via: 'x-real-ip' }
  return { address: client.address, via: client.proxied ? 'proxy-protocol' : 'peer' }
}

/** How the connection is left after an answer. */
export interface Persistence {
  readonly version: '1.0' | '1.1'
  /** False when the connection is closed after this answer. */
  readonly keepAlive: boolean
}

/** Framing of an answer's body. */
export type AnswerFraming = { readonly contentLength: number } | { readonly chunked: true }

/**
 * Response heads of one backend: status line, `x-backend`, content-type, optionally
 * `x-backend-served`, framing, and whatever `Connection` the request's version needs to keep or end
 * the connection. The constant part is serialised (and checked) by the codec once per status.
 */
export class AnswerHeads {
  private readonly prefixes = new Map<number, string>()

  constructor(private readonly id: string) {}

  head(status: number, served: number | undefined, framing: AnswerFraming, persistence: Persistence): string {
    let out = this.prefix(status)
    if (served !== undefined) out += `x-backend-served: ${served}\r\n`
    out += 'chunked' in framing ? 'transfer-encoding: chunked\r\n' : `content-length: ${framing.contentLength}\r\n`
    if (!persistence.keepAlive) out += 'connection: close\r\n'
    else if (persistence.version === '1.0') out += 'connection: keep-alive\r\n'
    return `${out}\r\n`
  }

  /** The status line and constant headers, without the blank line that ends the head. */
  private prefix(status: number): string {
    let p = this.prefixes.get(status)
    if (p === undefined) {
      const headers = [
        { name: 'x-backend', value: this.id },
        { name: 'content-type', value: 'application/json' },
      ]
      p = responseHeadString(status, statusText(status), headers).slice(0, -2)
      this.prefixes.set(status, p)
    }
    return p
  }
}

/** The body of an injected error. */
export function errorBody(id: string, status: number, served: number): string {
  return asciiJson({ backend: id, status, served })
}

/** The body of a health answer. */
export function healthBody(id: string, healthy: boolean): string {
  return asciiJson({ backend: id, healthy })
}

/** The body of the answer to a request the codec refused. */
export function protocolErrorBody(id: string, code: string, reason: string): string {
  return asciiJson({ backend: id, code, reason })
}

/** True for `/health` and `/healthz`, with or without a query. */
export function isHealthPath(target: string): boolean {
  const q = target.indexOf('?')
  const path = q < 0 ? target : target.slice(0, q)
  return path === '/health' || path === '/healthz'
}
