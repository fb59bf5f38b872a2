import type { DataplaneTarget } from './dataplane-model.js'

const CLOSED_AND_LOW: DataplaneTarget['modes'] = ['keep-alive', 'low-rate']

/**
 * The engine's targets, as ratios to HAProxy started by the same bench (absolute figures are the
 * host's; a ratio measured in one interleaved run is the engine's). Low rate takes the keep-alive
 * targets: a quiet proxy should not cost more per request than a busy one does, relatively.
 */
export const DATAPLANE_TARGETS: readonly DataplaneTarget[] = [
  { modes: CLOSED_AND_LOW, subject: 'engine-l4', reference: 'haproxy-l4', metric: 'cpu', maxRatio: 1.15 },
  { modes: CLOSED_AND_LOW, subject: 'engine-l7', reference: 'haproxy-l7', metric: 'cpu', maxRatio: 1.4 },
  { modes: ['new-connection'], subject: 'engine-l4', reference: 'haproxy-l4', metric: 'cpu', maxRatio: 1.4 },
  { modes: ['new-connection'], subject: 'engine-l7', reference: 'haproxy-l7', metric: 'cpu', maxRatio: 1.6 },
  { modes: ['keep-alive', 'new-connection', 'low-rate'], subject: 'engine-l4', reference: 'haproxy-l4', metric: 'p99', maxRatio: 1.5 },
  { modes: ['keep-alive', 'new-connection', 'low-rate'], subject: 'engine-l7', reference: 'haproxy-l7', metric: 'p99', maxRatio: 1.5 },
  // TLS termination, a handshake per request included in the new-connection mode.
  { modes: ['keep-alive', 'new-connection'], subject: 'engine-https', reference: 'haproxy-https', metric: 'cpu', maxRatio: 1.5 },
  // Over the floor (the least a Node proxy can do) is what the engine's own code costs. Not with a
  // new connection per request: the floor opens a backend connection per client, the engine reuses.
  { modes: CLOSED_AND_LOW, subject: 'engine-l7', reference: 'floor-http', metric: 'cpu', maxRatio: 1.3 },
  { modes: CLOSED_AND_LOW, subject: 'engine-https', reference: 'floor-https', metric: 'cpu', maxRatio: 1.3 },
]
