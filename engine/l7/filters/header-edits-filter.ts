import { applyEdits, type HeaderEdits } from '../header-edits.js'
import type { Filter } from './filter.js'

/** A route's header edits (listener edits merged in): request edits upstream, response edits on the backend's answers. */
export function headerEditsFilter(edits: { readonly request: HeaderEdits; readonly response: HeaderEdits }): Filter {
  return {
    name: 'header-edits',
    onUpstreamRequest: (_ctx, headers) => applyEdits(headers, edits.request),
    onResponseHead: (_ctx, _status, headers, own) => {
      // The balancer's own answers keep their headers: edits are about what backends send.
      if (!own) applyEdits(headers, edits.response)
    },
  }
}
