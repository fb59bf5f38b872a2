import { describe, expect, it } from 'vitest'
import { isHostPort } from '../../../engine/http/authority.js'
import { contentLengthValue, TE_CHUNKED, TE_CHUNKED_UNKNOWN_CODING, TE_MALFORMED, TE_NOT_CHUNKED, transferEncodingVerdict } from '../../../engine/http/framing-fields.js'
import { lowerCaseListElements } from '../../../engine/http/list-tokens.js'
import { bytes } from './wire.js'

describe('contentLengthValue', () => {
  it.each([
    ['0', 0],
    ['42', 42],
    ['0042', 42],
    ['9007199254740991', 2 ** 53 - 1],
    ['7,7', 7],
    ['7 ,\t7 , 7', 7],
    ['9007199254740992', -1],
    ['18446744073709551621', -1],
    ['', -1],
    ['+1', -1],
    ['-1', -1],
    ['1.0', -1],
    ['0x1', -1],
    ['1 2', -1],
    ['7,8', -1],
    ['7,', -1],
    [',7', -1],
  ])('%j → %i', (value, expected) => {
    expect(contentLengthValue(bytes(value), 0, value.length)).toBe(expected)
  })
})

describe('transferEncodingVerdict', () => {
  it.each([
    ['chunked', TE_CHUNKED],
    ['Chunked', TE_CHUNKED],
    ['gzip, chunked', TE_CHUNKED],
    ['gzip;level=9, chunked', TE_CHUNKED],
    ['gzip ; q=1 , chunked', TE_CHUNKED],
    [',,chunked,', TE_CHUNKED],
    ['br, chunked', TE_CHUNKED_UNKNOWN_CODING],
    ['chunked, gzip', TE_NOT_CHUNKED],
    ['gzip', TE_NOT_CHUNKED],
    ['xchunked', TE_NOT_CHUNKED],
    ['chunked, chunked', TE_MALFORMED],
    ['chunked;a=b', TE_MALFORMED],
    ['', TE_MALFORMED],
    [' , ', TE_MALFORMED],
    ['"chunked"', TE_MALFORMED],
    ['chunked x', TE_MALFORMED],
    ['gzip;q="a,chunked"', TE_MALFORMED],
    [';a=b, chunked', TE_MALFORMED],
  ])('%j → %i', (value, expected) => {
    expect(transferEncodingVerdict(value)).toBe(expected)
  })
})

describe('isHostPort', () => {
  it.each([
    ['example.com', false, true],
    ['example.com:80', false, true],
    ['example.com:', false, true],
    ['', false, true],
    ['127.0.0.1:8080', false, true],
    ['[::1]', false, true],
    ['[::1]:443', true, true],
    ['xn--bcher-kva.example', false, true],
    ['a%20b', false, true],
    ['example.com', true, false],
    ['example.com:', true, false],
    ['', true, false],
    [':80', false, false],
    ['a:b', false, false],
    ['a@b', false, false],
    ['a/b', false, false],
    ['a b', false, false],
    ['[::1', false, false],
    ['[]', false, false],
    ['::1', false, false],
    ['[::1]x', false, false],
    ['a]', false, false],
    ['\u00e9', false, false],
    ['[::1]:8', true, true],
  ])('%j (port required: %s) → %s', (value, requirePort, expected) => {
    expect(isHostPort(bytes(value), 0, value.length, requirePort)).toBe(expected)
  })
})

describe('lowerCaseListElements', () => {
  it.each([
    ['close', ['close']],
    ['Keep-Alive, Upgrade', ['keep-alive', 'upgrade']],
    [' ,a ,\t, B b ,', ['a', 'b b']],
    ['', []],
  ])('%j → %j', (value, expected) => {
    expect(lowerCaseListElements(value)).toEqual(expected)
  })
})
