/**
 * Byte classes of RFC 9110/9112 as 256-entry lookup tables: one indexed load per byte is what keeps
 * the scanners free of regexes and branches on ranges.
 */

/** Horizontal tab, one of the two OWS bytes. */
export const HTAB = 0x09
/** Line feed; valid only after CR. */
export const LF = 0x0a
/** Carriage return; valid only before LF. */
export const CR = 0x0d
/** Space, the start-line separator and an OWS byte. */
export const SP = 0x20
/** Opens and closes a quoted-string. */
export const DQUOTE = 0x22
/** Ends a field name. */
export const COLON = 0x3a
/** Starts a parameter or chunk extension. */
export const SEMICOLON = 0x3b
/** Separates a parameter or chunk-extension name from its value. */
export const EQUALS = 0x3d
/** Starts a quoted-pair inside a quoted-string. */
export const BACKSLASH = 0x5c

function table(fill: (b: number) => number): Uint8Array {
  const t = new Uint8Array(256)
  for (let b = 0; b < 256; b++) t[b] = fill(b)
  return t
}

const isAlnum = (b: number): boolean => (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a)
const tcharSymbols = "!#$%&'*+-.^_`|~"

/** 1 for RFC 9110 `tchar`: the bytes of a token (method, header name, coding). */
export const TCHAR: Uint8Array = table((b) => (isAlnum(b) || tcharSymbols.includes(String.fromCharCode(b)) ? 1 : 0))

/** Field-value bytes: 1 for OWS (SP, HTAB), 2 for `field-vchar` (VCHAR, obs-text), 0 for anything else. */
export const FIELD: Uint8Array = table((b) => (b === SP || b === HTAB ? 1 : (b >= 0x21 && b <= 0x7e) || b >= 0x80 ? 2 : 0))

/** 1 for bytes allowed in a request-target: VCHAR (no CTLs, no space, no obs-text). */
export const TARGET: Uint8Array = table((b) => (b >= 0x21 && b <= 0x7e ? 1 : 0))

/** 1 for `qdtext` inside a quoted-string (RFC 9110 §5.6.4). */
export const QDTEXT: Uint8Array = table((b) =>
  b === HTAB || b === SP || b === 0x21 || (b >= 0x23 && b <= 0x5b) || (b >= 0x5d && b <= 0x7e) || b >= 0x80 ? 1 : 0,
)

/** 1 for bytes of a Host value: reg-name or IP-literal characters, `%`, and the port's `:`. */
export const HOST: Uint8Array = table((b) => (isAlnum(b) || "-._~!$&'()*+,;=%:[]".includes(String.fromCharCode(b)) ? 1 : 0))

/** Hex digit values, -1 for non-hex bytes. */
export const HEX: Int8Array = (() => {
  const t = new Int8Array(256).fill(-1)
  for (let d = 0; d < 10; d++) t[0x30 + d] = d
  for (let d = 0; d < 6; d++) t[0x41 + d] = t[0x61 + d] = 10 + d
  return t
})()

/** True if `s` is a non-empty RFC 9110 token. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff || TCHAR[c] !== 1) return false
  }
  return true
}

/** True if `s` may be sent as a field value: field-vchar and OWS only, no leading or trailing OWS. */
export function isFieldValue(s: string): boolean {
  const n = s.length
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c > 0xff || FIELD[c] === 0) return false
  }
  return n === 0 || (FIELD[s.charCodeAt(0)] === 2 && FIELD[s.charCodeAt(n - 1)] === 2)
}
