import { describe, expect, it } from 'vitest'
import { negotiateContentCoding } from '../../../engine/http/accept-encoding.js'

// RFC 9110 §12.5.3, with the server offering brotli then gzip (its order of preference).
describe('negotiateContentCoding (RFC 9110 §12.5.3)', () => {
  const offered = ['br', 'gzip'] as const
  it.each([
    // [Accept-Encoding, chosen (undefined: identity), why]
    [undefined, undefined, 'no header: the client asked for no coding'],
    ['', undefined, 'empty value: identity only'],
    ['gzip', 'gzip', 'the one coding named'],
    ['gzip, br', 'br', 'a tie at q=1: the server’s preference'],
    ['br;q=0.5, gzip', 'gzip', 'the heavier coding wins'],
    ['gzip;q=0.8, br;q=0.8', 'br', 'a tie below 1: the server’s preference'],
    ['br;q=0, gzip;q=0.1', 'gzip', 'q=0: not acceptable'],
    ['br;q=0, gzip;q=0', undefined, 'nothing acceptable: identity'],
    ['*', 'br', '* stands for every coding not named'],
    ['*;q=0.5, gzip', 'gzip', 'a named coding outweighs *'],
    ['gzip;q=0, *', 'br', '* leaves out what is named with q=0'],
    ['*;q=0', undefined, 'nothing acceptable, identity included: identity is still sent'],
    ['identity', undefined, 'identity only'],
    ['gzip;q=0.5, identity', undefined, 'identity weighs more: no coding'],
    ['gzip;q=0.5, identity;q=0.5', 'gzip', 'a tie with identity: compress'],
    ['gzip, identity;q=0', 'gzip', 'identity refused'],
    ['GZIP;Q=1', 'gzip', 'names and parameters are case-insensitive'],
    ['x-gzip', 'gzip', 'x-gzip is gzip (§8.4.1.3)'],
    ['deflate, compress', undefined, 'nothing offered is asked for'],
    ['br;q=1.5, gzip', 'gzip', 'an unreadable weight: the element is ignored'],
    ['br;q=0.1234, gzip;q=0.2', 'gzip', 'more than three decimals is not a weight'],
    [' gzip ; q=0.3 ,, br ; q=0.2 ', 'gzip', 'whitespace and empty elements'],
    ['gzip;q=0.9;level=1, br;q=0.5', 'gzip', 'other parameters are ignored'],
  ] as const)('%j → %s (%s)', (accept, chosen, _why) => {
    expect(negotiateContentCoding(accept, offered)).toBe(chosen)
  })

  it('follows the server’s order of preference on ties, whatever it is', () => {
    expect(negotiateContentCoding('br, gzip', ['gzip', 'br'])).toBe('gzip')
    expect(negotiateContentCoding('br, gzip', ['gzip'])).toBe('gzip')
    expect(negotiateContentCoding('br', ['gzip'])).toBeUndefined()
  })
})
