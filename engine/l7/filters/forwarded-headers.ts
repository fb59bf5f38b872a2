import { addForwardedHeaders } from '../header-edits.js'
import type { Filter } from './filter.js'

/** X-Forwarded-For (appended), X-Real-IP, X-Forwarded-Proto and X-Forwarded-Host on the way upstream. */
export const forwardedHeadersFilter: Filter = {
  name: 'forwarded-headers',
  onUpstreamRequest: (ctx, headers) => addForwardedHeaders(headers, { clientAddress: ctx.client.address, proto: ctx.proto, host: ctx.request.host }),
}
