/**
 * A strict HTTP/1.1 message codec for a proxy on raw sockets: stateless head parsing over received
 * bytes, response framing, a pass-through chunked-body tracker, and head serialisation.
 */
export type { BodyFraming, HttpHeader, RequestHead, ResponseHead } from './http-head.js'
export { CHUNKED, headerValue, NO_BODY, TUNNEL, UNTIL_CLOSE } from './http-head.js'
export {
  defaultHeadLimits,
  parseRequestHead,
  parseResponseHead,
  responseFraming,
  type HeadLimits,
  type ParseFailure,
  type ParseResult,
} from './http-parser.js'
export { ChunkedTracker, type ChunkedLimits } from './chunked.js'
export { requestHeadString, responseHeadString } from './http-writer.js'
export { HOP_BY_HOP, hopByHopNames } from './hop-by-hop.js'
export { statusText } from './status-text.js'
export { ChunkedError, HttpError, httpErrors, type HttpErrorCode, type HttpErrorStatus } from './http-errors.js'
export { isFieldValue, isToken } from './char-classes.js'
