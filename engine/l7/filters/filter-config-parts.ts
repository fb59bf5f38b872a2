import { z } from 'zod'

/** An HTTP header name (RFC 9110 token). */
export const headerName = z.string().regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected an HTTP header name')

/** A header value: no CR, LF or NUL, which would split the message. */
export const headerValue = z.string().min(1).regex(/^[^\r\n\0]*$/, 'header values cannot contain CR, LF or NUL')
