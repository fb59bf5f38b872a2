/** The status a server answers with when a message fails to parse with a given code. */
export type HttpErrorStatus = 400 | 431 | 501 | 505

const error = (status: HttpErrorStatus, meaning: string) => ({ status, meaning }) as const

/**
 * Stable error codes of the HTTP/1.1 codec, each with the status a server answers with and a one-line
 * meaning. Codes never change meaning; reasons attached to a failure may improve. For a response
 * received from upstream the status is nominal: a proxy answers its client with 502 instead.
 */
export const httpErrors = {
  HTTP_ERR_BAD_REQUEST_LINE: error(400, 'request line is not `method SP request-target SP HTTP/x.y` CRLF'),
  HTTP_ERR_BAD_TARGET: error(400, 'request-target has a forbidden byte or a form the method does not allow'),
  HTTP_ERR_BAD_STATUS_LINE: error(400, 'status line is not `HTTP/x.y SP 3DIGIT [SP reason]` CRLF'),
  HTTP_ERR_VERSION: error(505, 'well-formed HTTP version other than 1.0 or 1.1'),
  HTTP_ERR_BAD_HEADER: error(400, 'header line is not `token ":" OWS value OWS` or its value has a forbidden byte'),
  HTTP_ERR_OBS_FOLD: error(400, 'line starts with whitespace (obsolete line folding)'),
  HTTP_ERR_BARE_LF: error(400, 'LF not preceded by CR'),
  HTTP_ERR_BARE_CR: error(400, 'CR not followed by LF'),
  HTTP_ERR_HEADERS_TOO_LARGE: error(431, 'head longer than maxHeadBytes'),
  HTTP_ERR_TOO_MANY_HEADERS: error(431, 'more header lines than maxHeaders'),
  HTTP_ERR_MISSING_HOST: error(400, 'HTTP/1.1 request without a Host header'),
  HTTP_ERR_DUPLICATE_HOST: error(400, 'more than one Host header'),
  HTTP_ERR_BAD_HOST: error(400, 'Host value is not `host [":" port]`'),
  HTTP_ERR_CONFLICTING_FRAMING: error(400, 'both Transfer-Encoding and Content-Length are present'),
  HTTP_ERR_BAD_CONTENT_LENGTH: error(400, 'Content-Length is not one decimal number ≤ 2^53−1 (repeats must be identical)'),
  HTTP_ERR_BAD_TRANSFER_ENCODING: error(400, 'Transfer-Encoding is malformed, repeats chunked, lacks a final chunked, or comes with HTTP/1.0'),
  HTTP_ERR_UNSUPPORTED_TRANSFER_CODING: error(501, 'Transfer-Encoding names a coding other than chunked, gzip, deflate, compress or identity'),
  HTTP_ERR_BAD_CHUNK_SIZE: error(400, 'chunk-size line does not start with hex digits'),
  HTTP_ERR_CHUNK_SIZE_OVERFLOW: error(400, 'chunk size above 2^53−1'),
  HTTP_ERR_CHUNK_LINE_TOO_LONG: error(400, 'chunk-size line (with extensions) longer than maxChunkSizeLine'),
  HTTP_ERR_BAD_CHUNK_EXTENSION: error(400, 'chunk extension is not `;name[=token|quoted-string]`'),
  HTTP_ERR_BAD_CHUNK_END: error(400, 'chunk data not followed by CRLF'),
  HTTP_ERR_BAD_TRAILER: error(400, 'trailer line is not a valid header line'),
  HTTP_ERR_TRAILERS_TOO_LARGE: error(400, 'trailer section longer than maxTrailerBytes'),
} as const

/** One of the HTTP codec's stable error codes. */
export type HttpErrorCode = keyof typeof httpErrors

/** An HTTP framing or serialisation error with a stable code. */
export class HttpError extends Error {
  override readonly name: string = 'HttpError'
  constructor(
    readonly code: HttpErrorCode,
    message: string = httpErrors[code].meaning,
  ) {
    super(message)
  }

  /** The status a server answers with (nominal for upstream responses, see {@link httpErrors}). */
  get httpStatus(): HttpErrorStatus {
    return httpErrors[this.code].status
  }
}

/** Malformed chunked framing, thrown by `ChunkedTracker.feed`. The connection cannot be reused. */
export class ChunkedError extends HttpError {
  override readonly name: string = 'ChunkedError'
}
