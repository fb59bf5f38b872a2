import { RouteError } from './route-errors.js'

/**
 * Cookie parsing (RFC 6265 §5.4, tolerant as browsers and servers are in practice) and Set-Cookie
 * serialisation (strict: what we emit must be valid RFC 6265 §4.1 syntax).
 */

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09
}

function skipSpaces(s: string, from: number, to: number): number {
  while (from < to && isSpace(s.charCodeAt(from))) from++
  return from
}

function trimEnd(s: string, from: number, to: number): number {
  while (to > from && isSpace(s.charCodeAt(to - 1))) to--
  return to
}

/** Index of the first '=' in [from, to), or -1. */
function equalsIn(s: string, from: number, to: number): number {
  for (let i = from; i < to; i++) if (s.charCodeAt(i) === 0x3d) return i
  return -1
}

/** The value in [start, end), trimmed, with one pair of surrounding double quotes removed. */
function cookieValue(header: string, start: number, end: number): string {
  start = skipSpaces(header, start, end)
  end = trimEnd(header, start, end)
  if (end - start >= 2 && header.charCodeAt(start) === 0x22 && header.charCodeAt(end - 1) === 0x22) {
    start++
    end--
  }
  return header.slice(start, end)
}

/**
 * The value of cookie `name` (case-sensitive) in a Cookie header, or `undefined`. The first pair
 * with that name wins (browsers send the most specific path first). Pairs are separated by ';'
 * with any spaces around names and values; a quoted value is returned without its quotes; a pair
 * without '=' has the empty name (RFC 6265bis §5.6). Scans the header in place and copies only
 * the value found.
 */
export function getCookie(cookieHeader: string | undefined, name: string): string | undefined {
  if (cookieHeader === undefined) return undefined
  const len = cookieHeader.length
  let i = 0
  while (i < len) {
    let end = cookieHeader.indexOf(';', i)
    if (end < 0) end = len
    const eq = equalsIn(cookieHeader, i, end)
    if (eq < 0) {
      if (name === '' && skipSpaces(cookieHeader, i, end) < end) return cookieValue(cookieHeader, i, end)
    } else {
      const ns = skipSpaces(cookieHeader, i, eq)
      if (trimEnd(cookieHeader, ns, eq) - ns === name.length && cookieHeader.startsWith(name, ns)) {
        return cookieValue(cookieHeader, eq + 1, end)
      }
    }
    i = end + 1
  }
  return undefined
}

/** Every cookie in a Cookie header, by name, parsed as `getCookie` does (a repeated name keeps its first value). */
export function parseCookies(cookieHeader: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>()
  if (cookieHeader === undefined) return cookies
  const len = cookieHeader.length
  let i = 0
  while (i < len) {
    let end = cookieHeader.indexOf(';', i)
    if (end < 0) end = len
    const eq = equalsIn(cookieHeader, i, end)
    let name = ''
    if (eq >= 0) {
      const ns = skipSpaces(cookieHeader, i, eq)
      name = cookieHeader.slice(ns, trimEnd(cookieHeader, ns, eq))
    }
    if ((eq >= 0 || skipSpaces(cookieHeader, i, end) < end) && !cookies.has(name)) {
      cookies.set(name, cookieValue(cookieHeader, eq < 0 ? i : eq + 1, end))
    }
    i = end + 1
  }
  return cookies
}

/** Attributes of a Set-Cookie header. */
export interface SetCookieOptions {
  readonly path?: string
  /** Seconds until expiry; 0 or less expires the cookie now. An integer. */
  readonly maxAgeS?: number
  readonly httpOnly?: boolean
  readonly secure?: boolean
  /** 'None' requires `secure`: browsers drop SameSite=None cookies that are not Secure. */
  readonly sameSite?: 'Lax' | 'Strict' | 'None'
  readonly domain?: string
}

// token (RFC 9110 §5.6.2) and cookie-octet (RFC 6265 §4.1.1: visible ASCII except " , ; \).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const COOKIE_VALUE = /^(?:[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*|"[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]*")$/
// av-octet: any CHAR except CTLs and ';'.
const ATTRIBUTE_VALUE = /^[\x20-\x3a\x3c-\x7e]+$/
const DOMAIN = /^\.?[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*$/

function badCookie(message: string): RouteError {
  return new RouteError('ROUTE_ERR_BAD_COOKIE', message)
}

/**
 * A Set-Cookie header value: `name=value` then Path, Domain, Max-Age, Secure, HttpOnly, SameSite.
 * Throws a `RouteError` (ROUTE_ERR_BAD_COOKIE) for a name that is not a token, a value with
 * characters outside cookie-octet, an attribute value with ';' or control characters, a
 * non-integer Max-Age, or SameSite=None without Secure.
 */
export function serializeSetCookie(name: string, value: string, opts: SetCookieOptions = {}): string {
  if (!TOKEN.test(name)) throw badCookie(`cookie name ${JSON.stringify(name)} is not a token`)
  if (!COOKIE_VALUE.test(value)) throw badCookie(`cookie value ${JSON.stringify(value)} has characters outside cookie-octet`)
  let out = `${name}=${value}`
  if (opts.path !== undefined) {
    if (!ATTRIBUTE_VALUE.test(opts.path)) throw badCookie(`Path ${JSON.stringify(opts.path)} is empty or has ';' or control characters`)
    out += `; Path=${opts.path}`
  }
  if (opts.domain !== undefined) {
    if (!DOMAIN.test(opts.domain)) throw badCookie(`Domain ${JSON.stringify(opts.domain)} is not a host name`)
    out += `; Domain=${opts.domain}`
  }
  if (opts.maxAgeS !== undefined) {
    if (!Number.isSafeInteger(opts.maxAgeS)) throw badCookie(`Max-Age ${opts.maxAgeS} is not an integer`)
    out += `; Max-Age=${Math.max(opts.maxAgeS, 0)}`
  }
  if (opts.secure === true) out += '; Secure'
  if (opts.httpOnly === true) out += '; HttpOnly'
  if (opts.sameSite !== undefined) {
    if (opts.sameSite === 'None' && opts.secure !== true) throw badCookie('SameSite=None requires Secure')
    out += `; SameSite=${opts.sameSite}`
  }
  return out
}
