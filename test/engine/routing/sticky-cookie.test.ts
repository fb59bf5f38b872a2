import { describe, expect, it } from 'vitest'
import { createStickyCodec, createStickyIndex, STICKY_TOKEN_LENGTH, stickyToken } from '../../../engine/routing/sticky-cookie.js'

const ids = ['api-1', 'api-2', 'api-3', '10.0.0.7:8080']

describe('sticky tokens', () => {
  it('are stable: the same secret and id give the same token across codecs and runs', () => {
    expect(createStickyCodec('s3cret').tokenFor('api-1')).toBe(createStickyCodec('s3cret').tokenFor('api-1'))
    // Pinned: a token change would break every sticky session on upgrade.
    expect(stickyToken('s3cret', 'api-1')).toBe('16c309a303ca161a')
  })

  it('are short, lower-case hex, and do not contain the backend id', () => {
    for (const id of ids) {
      const token = stickyToken('k', id)
      expect(token).toMatch(new RegExp(`^[0-9a-f]{${STICKY_TOKEN_LENGTH}}$`))
      expect(token).not.toContain(id)
    }
  })

  it('are distinct for 20,000 distinct ids', () => {
    const tokens = new Set(Array.from({ length: 20_000 }, (_, i) => stickyToken('k', `backend-${i}`)))
    expect(tokens.size).toBe(20_000)
  })

  it('depend on the secret', () => {
    expect(stickyToken('k1', 'api-1')).not.toBe(stickyToken('k2', 'api-1'))
    expect(stickyToken('ab', 'c')).not.toBe(stickyToken('a', 'bc'))
  })
})

describe('createStickyCodec', () => {
  const codec = createStickyCodec('k')

  it.each(ids)('resolves the token of %s back to it', (id) => {
    expect(codec.resolve(codec.tokenFor(id), ids)).toBe(id)
  })

  it.each<[string, string]>([
    ['a backend that left', createStickyCodec('k').tokenFor('api-9')],
    ['a token under another secret', createStickyCodec('other').tokenFor('api-1')],
    ['garbage', 'not-a-token'],
    ['the raw id', 'api-1'],
    ['empty', ''],
  ])('resolves %s to undefined', (_, token) => {
    expect(codec.resolve(token, ids)).toBeUndefined()
  })
})

describe('createStickyIndex', () => {
  it('maps every member token to its member, and nothing else', () => {
    const index = createStickyIndex('k', ids)
    for (const id of ids) expect(index.backendFor(index.tokenFor(id))).toBe(id)
    expect(index.backendFor(stickyToken('k', 'api-9'))).toBeUndefined()
    expect(index.backendFor('')).toBeUndefined()
    expect(index.backendIds).toEqual(ids)
  })

  it('agrees with the codec, and forgets a member once the membership is rebuilt without it', () => {
    const codec = createStickyCodec('k')
    const before = createStickyIndex('k', ids)
    const after = createStickyIndex('k', ids.filter((id) => id !== 'api-2'))
    const token = codec.tokenFor('api-2')
    expect(before.tokenFor('api-2')).toBe(token)
    expect(before.backendFor(token)).toBe('api-2')
    expect(after.backendFor(token)).toBeUndefined()
    expect(after.tokenFor('api-2')).toBe(token)
    expect(after.backendFor(codec.tokenFor('api-3'))).toBe('api-3')
  })

  it('accepts any iterable and ignores duplicate ids', () => {
    const index = createStickyIndex('k', new Set(['a', 'b']).values())
    expect(index.backendIds).toEqual(['a', 'b'])
    expect(createStickyIndex('k', ['a', 'a', 'b']).backendIds).toEqual(['a', 'b'])
  })
})
