import { describe, expect, it } from 'vitest'
import { getCookie, parseCookies, serializeSetCookie, type SetCookieOptions } from '../../../engine/routing/cookies.js'
import { RouteError } from '../../../engine/routing/route-errors.js'

describe('getCookie', () => {
  it.each<[string | undefined, string, string | undefined]>([
    [undefined, 'a', undefined],
    ['', 'a', undefined],
    ['a=1', 'a', '1'],
    ['a=1; b=2', 'b', '2'],
    ['a=1;b=2', 'b', '2'],
    ['  a = 1 ;\tb=2  ', 'a', '1'],
    ['  a = 1 ;\tb=2  ', 'b', '2'],
    ['a=1; a=2', 'a', '1'],
    ['A=1', 'a', undefined],
    ['ab=1; a=2', 'a', '2'],
    ['ba=1', 'a', undefined],
    ['a=', 'a', ''],
    ['a=""', 'a', ''],
    ['a="v 1"', 'a', 'v 1'],
    ['a="', 'a', '"'],
    ['a=x=y', 'a', 'x=y'],
    ['flag; a=1', 'a', '1'],
    ['flag; a=1', '', 'flag'],
    [';;a=1;;', 'a', '1'],
    ['a=1; ', 'a', '1'],
    ['b=1; session id=7', 'session id', '7'],
    ['sid=abc; beta=1', 'beta', '1'],
  ])('%j, %j → %j', (header, name, value) => {
    expect(getCookie(header, name)).toBe(value)
  })
})

describe('parseCookies', () => {
  it('parses every pair, first value of a repeated name kept', () => {
    expect([...parseCookies(' a=1; b = "two" ;a=3; flag; c=')]).toEqual([
      ['a', '1'],
      ['b', 'two'],
      ['', 'flag'],
      ['c', ''],
    ])
  })

  it.each([undefined, '', ';', ' ; ; '])('is empty for %j', (header) => {
    expect(parseCookies(header).size).toBe(0)
  })

  it.each(['a=1; b=2; a=3', ' x = y ;z', 'flag; q="v"', 'k=v=w; ;; k2=  '])('agrees with getCookie on %j', (header) => {
    for (const [name, value] of parseCookies(header)) expect(getCookie(header, name)).toBe(value)
  })
})

describe('serializeSetCookie', () => {
  it.each<[string, string, SetCookieOptions, string]>([
    ['sid', 'abc', {}, 'sid=abc'],
    ['sid', '', {}, 'sid='],
    ['sid', '"quoted"', {}, 'sid="quoted"'],
    ['lb', '0123abcd', { path: '/', httpOnly: true, sameSite: 'Lax' }, 'lb=0123abcd; Path=/; HttpOnly; SameSite=Lax'],
    ['lb', 'x', { path: '/app', domain: '.example.com', maxAgeS: 3600, secure: true, httpOnly: true, sameSite: 'None' }, 'lb=x; Path=/app; Domain=.example.com; Max-Age=3600; Secure; HttpOnly; SameSite=None'],
    ['lb', 'x', { maxAgeS: 0 }, 'lb=x; Max-Age=0'],
    ['lb', 'x', { maxAgeS: -5 }, 'lb=x; Max-Age=0'],
    ['lb', 'x', { secure: false, httpOnly: false, sameSite: 'Strict' }, 'lb=x; SameSite=Strict'],
    ["a!#$%&'*+-.^_`|~9", 'v', {}, "a!#$%&'*+-.^_`|~9=v"],
  ])('%j=%j %j → %j', (name, value, opts, header) => {
    expect(serializeSetCookie(name, value, opts)).toBe(header)
  })

  it.each<[string, string, string, SetCookieOptions]>([
    ['empty name', '', 'v', {}],
    ['name with space', 'a b', 'v', {}],
    ['name with =', 'a=b', 'v', {}],
    ['name with ;', 'a;', 'v', {}],
    ['value with ;', 'a', 'v;x', {}],
    ['value with space', 'a', 'v x', {}],
    ['value with comma', 'a', 'v,x', {}],
    ['value with backslash', 'a', 'v\\x', {}],
    ['value with a lone quote', 'a', 'v"', {}],
    ['value with non-ASCII', 'a', 'café', {}],
    ['value with CR LF', 'a', 'v\r\nSet-Cookie: evil=1', {}],
    ['path with ;', 'a', 'v', { path: '/; Domain=evil' }],
    ['empty path', 'a', 'v', { path: '' }],
    ['domain with space', 'a', 'v', { domain: 'a b.com' }],
    ['fractional Max-Age', 'a', 'v', { maxAgeS: 1.5 }],
    ['infinite Max-Age', 'a', 'v', { maxAgeS: Infinity }],
    ['SameSite=None without Secure', 'a', 'v', { sameSite: 'None' }],
  ])('rejects %s', (_, name, value, opts) => {
    expect(() => serializeSetCookie(name, value, opts)).toThrow(expect.objectContaining({ code: 'ROUTE_ERR_BAD_COOKIE' }))
    expect(() => serializeSetCookie(name, value, opts)).toThrow(RouteError)
  })

  it('round-trips through getCookie', () => {
    const header = serializeSetCookie('lb', 'deadbeef', { path: '/' })
    expect(getCookie(header.split(';')[0], 'lb')).toBe('deadbeef')
  })
})
