/** The client connection preface of HTTP/2 (RFC 9113 §3.4), which h2c with prior knowledge opens with. */
export const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1')

/**
 * What the first bytes of a cleartext connection are: `h2` once the whole preface is there,
 * `incomplete` while they are a strict prefix of it, `http1` as soon as they differ. An HTTP/1.1
 * request never starts with the preface (`PRI` is no method a client sends), so one port serves
 * both, and an HTTP/1.1 client is told apart at its first byte.
 */
export function prefaceVerdict(buf: Buffer): 'h2' | 'http1' | 'incomplete' {
  const n = Math.min(buf.length, H2_PREFACE.length)
  for (let i = 0; i < n; i++) if (buf[i] !== H2_PREFACE[i]) return 'http1'
  return n === H2_PREFACE.length ? 'h2' : 'incomplete'
}
