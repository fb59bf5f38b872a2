import { headerIndex, type HttpHeader } from '../../http/http-head.js'
import type { SecurityHeadersConfig } from './filter-config.js'
import type { Filter } from './filter.js'

/** One header of the preset, with its lower-case name. */
export interface Preset {
  readonly lower: string
  readonly header: HttpHeader
}

/** The headers a configuration sets, precomputed: over plain HTTP and over TLS (peers render the same set). */
export function securityHeaderPresets(c: SecurityHeadersConfig): { plain: readonly Preset[]; tls: readonly Preset[] } {
  const plain: Preset[] = []
  const add = (name: string, value: string) => plain.push({ lower: name.toLowerCase(), header: { name, value } })
  if (c.contentTypeOptions) add('X-Content-Type-Options', 'nosniff')
  if (c.frameOptions !== false) add('X-Frame-Options', c.frameOptions)
  if (c.referrerPolicy !== false) add('Referrer-Policy', c.referrerPolicy)
  if (c.contentSecurityPolicy !== undefined) add('Content-Security-Policy', c.contentSecurityPolicy)
  const tls = [...plain]
  if (c.hsts !== false) {
    const value = `max-age=${c.hsts.maxAgeS}${c.hsts.includeSubDomains ? '; includeSubDomains' : ''}${c.hsts.preload ? '; preload' : ''}`
    tls.unshift({ lower: 'strict-transport-security', header: { name: 'Strict-Transport-Security', value } })
  }
  return { plain, tls }
}

/**
 * A preset of response security headers on every response, the balancer's own errors included (and
 * its rejections of heads it could not read, 400 and 408, when configured on the listener): what the
 * backend set stays unless `override`, nothing is ever set twice, and HSTS only over TLS.
 */
export function securityHeadersFilter(config: SecurityHeadersConfig): Filter {
  const { plain, tls } = securityHeaderPresets(config)
  const override = config.override
  const apply = (proto: 'http' | 'https', headers: HttpHeader[]) => {
    const set = proto === 'https' ? tls : plain
    for (let i = 0; i < set.length; i++) {
      const p = set[i]!
      const at = headerIndex(headers, p.lower)
      if (at < 0) headers.push(p.header)
      else if (override) {
        headers[at] = p.header
        // Any further lines of the same field go: one value, the configured one.
        for (let j = headers.length - 1; j > at; j--) if (headers[j]!.name.toLowerCase() === p.lower) headers.splice(j, 1)
      }
    }
  }
  return {
    name: 'security-headers',
    onResponseHead: (ctx, _status, headers) => apply(ctx.proto, headers),
    onRejectHead: (proto, _status, headers) => apply(proto, headers),
  }
}
