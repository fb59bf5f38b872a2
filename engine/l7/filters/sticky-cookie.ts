import { getCookie, serializeSetCookie } from '../../routing/cookies.js'
import { cookieHeaderOf } from '../l7-settings.js'
import { stickyOf } from '../sticky-state.js'
import type { Filter } from './filter.js'

/**
 * Cookie stickiness of the request's pool: the cookie's pin is read before the pick, and a response
 * from a backend other than the pinned one sets a cookie pinning it. In a chain only for routes
 * whose pools are sticky.
 */
export const stickyCookieFilter: Filter = {
  name: 'sticky-cookie',
  onRequest: (ctx) => {
    const sticky = stickyOf(ctx.pool)
    if (sticky === undefined) return undefined
    const token = getCookie(cookieHeaderOf(ctx.request), sticky.cookie.cookie)
    ctx.pinned = token === undefined ? undefined : sticky.pinned(token)
    return undefined
  },
  onResponseHead: (ctx, _status, headers, own) => {
    const backend = ctx.backend
    if (own || backend === undefined || backend.id === ctx.pinned) return
    const sticky = stickyOf(ctx.pool)
    if (sticky === undefined) return
    const st = sticky.cookie
    headers.push({ name: 'Set-Cookie', value: serializeSetCookie(st.cookie, sticky.tokenFor(backend.id), { path: '/', httpOnly: st.httpOnly, ...(st.maxAgeS === undefined ? {} : { maxAgeS: st.maxAgeS }) }) })
  },
}
