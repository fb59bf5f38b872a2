import { describe, expect, it } from 'vitest'
import { normalizeHost } from '../../../engine/routing/host-match.js'
import { queryParam, requestPath, targetAuthority } from '../../../engine/routing/request-target.js'

describe('requestPath', () => {
  it.each([
    ['/', '/'],
    ['/api/v1/users', '/api/v1/users'],
    ['/api/v1/users?id=7&x', '/api/v1/users'],
    ['/a?', '/a'],
    ['/a#frag', '/a'],
    ['/a/%2F/b?q=/x', '/a/%2F/b'],
    ['//double', '//double'],
    ['http://example.com/a/b?c=d', '/a/b'],
    ['https://user:pw@Example.COM:8443/x', '/x'],
    ['http://example.com', '/'],
    ['http://example.com?q=1', '/'],
    ['HTTP://example.com/', '/'],
    ['*', '*'],
    ['example.com:443', ''],
    ['1http://x/y', ''],
  ])('%j → %j', (target, path) => {
    expect(requestPath(target)).toBe(path)
  })

  it('returns an origin-form path without a query as the same string', () => {
    const target = '/no/query/here'
    expect(requestPath(target)).toBe(target)
  })
})

describe('targetAuthority', () => {
  it.each<[string, string | undefined]>([
    ['/a', undefined],
    ['*', undefined],
    ['example.com:443', undefined],
    ['http://example.com/a', 'example.com'],
    ['http://Example.com:8080?x', 'Example.com:8080'],
    ['https://user:pw@api.example.com/x', 'api.example.com'],
    ['http://[::1]:80/x', '[::1]:80'],
    ['http:///x', ''],
  ])('%j → %j', (target, authority) => {
    expect(targetAuthority(target)).toBe(authority)
  })
})

describe('queryParam', () => {
  it.each<[string, string, string | undefined]>([
    ['/p?a=1&b=2', 'b', '2'],
    ['/p?a=1&a=2', 'a', '1'],
    ['/p?debug', 'debug', ''],
    ['/p?debug=', 'debug', ''],
    ['/p?debug&x=1', 'debug', ''],
    ['/p?debugger=1', 'debug', undefined],
    ['/p?xdebug=1', 'debug', undefined],
    ['/p?Debug=1', 'debug', undefined],
    ['/p?a=x=y', 'a', 'x=y'],
    ['/p?q=a%20b+c', 'q', 'a%20b+c'],
    ['/p?a=1#b=2', 'b', undefined],
    // Found by the route property test: a '?' in a fragment starts no query, and a name ends at its first '='.
    ['/p#f?a=1', 'a', undefined],
    ['/p#?a', 'a', undefined],
    ['/p?a=b=1', 'a=b', undefined],
    ['/p?&&a=1', 'a', '1'],
    ['/p', 'a', undefined],
    ['http://h/p?a=1', 'a', '1'],
    ['http://h?a=1', 'a', '1'],
  ])('%j, %j → %j', (target, name, value) => {
    expect(queryParam(target, name)).toBe(value)
  })
})

describe('normalizeHost', () => {
  it.each<[string | undefined, string]>([
    [undefined, ''],
    ['', ''],
    ['api.example.com', 'api.example.com'],
    ['API.Example.COM', 'api.example.com'],
    ['api.example.com:8443', 'api.example.com'],
    ['API.EXAMPLE.COM:80', 'api.example.com'],
    ['[::1]:8080', '[::1]'],
    ['[::1]', '[::1]'],
    ['[2001:DB8::1]', '[2001:db8::1]'],
  ])('%j → %j', (raw, host) => {
    expect(normalizeHost(raw)).toBe(host)
  })
})
