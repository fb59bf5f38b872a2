import type { HttpHeader } from '../http/http-head.js'
import { statusText } from '../http/status-text.js'

/** Header carrying the stable code of an error the balancer itself answered with. */
export const ERROR_CODE_HEADER = 'x-layerbench-error'

/** Readable explanations of the codes the L7 proxy answers with. */
export const l7ErrorMessages: Readonly<Record<string, string>> = {
  LB_ERR_NO_ROUTE: 'no route matches this request',
  LB_ERR_NO_HEALTHY_BACKEND: 'no healthy backend in the pool',
  LB_ERR_UPSTREAM_CONNECT: 'could not connect to a backend',
  LB_ERR_UPSTREAM_CONNECT_TIMEOUT: 'timed out connecting to a backend',
  LB_ERR_UPSTREAM_TIMEOUT: 'the backend did not answer in time',
  LB_ERR_UPSTREAM_RESET: 'the backend closed the connection before answering',
  LB_ERR_UPSTREAM_BAD_RESPONSE: 'the backend sent an invalid response',
  LB_ERR_REQUEST_HEAD_TIMEOUT: 'the request head did not arrive in time',
  LB_ERR_METHOD_NOT_ALLOWED: 'this balancer is a reverse proxy: CONNECT is not served',
  LB_ERR_DRAINING: 'the balancer is shutting down',
  LB_ERR_FILTER: 'a filter failed while handling this request',
}

/**
 * A complete error response the balancer sends itself: a short text body saying what happened and
 * the stable code, also in the `x-layerbench-error` header so clients and tests can tell the
 * balancer's own errors from a backend's.
 */
export function errorResponse(status: number, code: string, detail: string | undefined, keepAlive: boolean, extra = ''): string {
  const body = errorBody(status, code, detail)
  return (
    `HTTP/1.1 ${status} ${statusText(status)}\r\n` +
    `content-type: text/plain; charset=utf-8\r\n` +
    `content-length: ${body.length}\r\n` +
    `${ERROR_CODE_HEADER}: ${code}\r\n` +
    extra +
    `connection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n` +
    body
  )
}

/**
 * The body of an error answer, as latin1: the result is written as latin1 (one byte per
 * character), so the UTF-8 text travels as its bytes, one character each, and its length is the
 * length on the wire.
 */
export function errorBody(status: number, code: string, detail: string | undefined): string {
  return Buffer.from(`${status} ${statusText(status)}: ${detail ?? l7ErrorMessages[code] ?? code} (${code})\n`, 'utf8').toString('latin1')
}

/** The same error as {@link errorResponse}, as headers and a body, for filters to see before it is encoded. */
export function errorAnswer(status: number, code: string, detail: string | undefined): { headers: HttpHeader[]; body: string } {
  return {
    headers: [
      { name: 'content-type', value: 'text/plain; charset=utf-8' },
      { name: ERROR_CODE_HEADER, value: code },
    ],
    body: errorBody(status, code, detail),
  }
}
