import { PEER_NAMES } from '../../harness/peers/peer-names.js'
import type { RunResult } from '../result/result-model.js'
import { formatFigure, judgeFigure, type ClaimFigure } from './claim-figure.js'
import type { ClaimDefinition } from './claim-types.js'
import { addedOver, figureOf, withNote } from './layer-claims.js'
import { runsWhere } from './measured-runs.js'

/** Every message of the run echoed: sent, none failed. */
const relayed = (r: RunResult) => r.summary.requests.sent > 0 && r.summary.requests.failed === 0
const statuses = (r: RunResult) => Object.values(r.observed?.responses ?? {}).reduce((a, b) => a + b, 0)
/** The L7 proxy answered each connection's upgrade as an HTTP exchange: a 101 (1xx) per connection at least. */
const upgradedAtL7 = (r: RunResult) => (r.observed?.responses['1xx'] ?? 0) >= r.load.connections
/** The L4 relay never read HTTP: no status counted. */
const blindAtL4 = (r: RunResult) => r.observed !== undefined && statuses(r) === 0

/**
 * "WebSocket is native at L4 and needs specific support at L7", from the websocket scenario: the
 * engine's L4 relay — no WebSocket code at all — must echo every message with its /stats seeing
 * no HTTP, and its L7 proxy must echo every message having answered each upgrade (its 101s in
 * /stats: the upgrade handling a plain request/response proxy lacks). The verdict rests on those
 * facts in every repeat; repeats that disagree leave it inconclusive. The message round trip each
 * layer adds over direct is shown with its interval, and says whether L7, once upgraded, relays at
 * L4's cost.
 */
export const websocketClaim: ClaimDefinition = {
  id: 'websocket',
  claim: 'WebSocket is native at layer 4 (bytes are relayed); layer 7 needs specific support for the upgrade.',
  scenario: 'websocket',
  judge(result) {
    const direct = runsWhere(result, { balancer: 'direct' })
    const l4 = runsWhere(result, { balancer: 'engine', layer: 'l4' })
    const l7 = runsWhere(result, { balancer: 'engine', layer: 'l7' })
    if (l4.length === 0 || l7.length === 0) return { verdict: 'not measured', measured: '—', why: 'needs WebSocket load through the engine at L4 and at L7' }
    const p4 = addedOver(l4, direct, 'p50')
    const p7 = addedOver(l7, direct, 'p50')
    const gap = addedOver(l7, l4, 'p50')
    const figures = [
      figureOf('engine L4 added echo p50', 'added-µs', p4),
      figureOf('engine L7 added echo p50', 'added-µs', p7),
      figureOf('L7 − L4 echo p50', 'added-µs', gap),
      ...PEER_NAMES.flatMap((peer) => (['l4', 'l7'] as const).map((layer) => figureOf(`${peer} ${layer.toUpperCase()} added echo p50`, 'added-µs', addedOver(runsWhere(result, { balancer: peer, layer }), direct, 'p50')))),
    ].filter((f): f is ClaimFigure => f !== undefined)
    const echoed = (runs: readonly RunResult[]) => `${runs.filter(relayed).length}/${runs.length}`
    const peers = PEER_NAMES.flatMap((peer) => (['l4', 'l7'] as const).flatMap((layer) => {
      const runs = runsWhere(result, { balancer: peer, layer })
      return runs.length === 0 ? [] : [`${peer} ${layer.toUpperCase()} ${echoed(runs)}`]
    }))
    const facts = `runs with every message echoed: engine L4 ${echoed(l4)}, L7 ${echoed(l7)}${peers.length === 0 ? '' : `, ${peers.join(', ')}`}; L7 answered every upgrade (101s in /stats) in ${l7.filter(upgradedAtL7).length}/${l7.length}; L4 counted no HTTP status in ${l4.filter(blindAtL4).length}/${l4.length}`
    const measured = figures.length === 0 ? facts : `${facts}; over direct, medians of per-repeat differences: ${figures.map(formatFigure).join('; ')}`
    const l4Native = l4.every((r) => relayed(r) && blindAtL4(r))
    const l7Supported = l7.every((r) => relayed(r) && upgradedAtL7(r))
    const l4Fails = l4.every((r) => !relayed(r))
    const l7Fails = l7.every((r) => !relayed(r))
    const note = (why: string) => withNote(why, p4, p7, gap)
    const gapFigure = figureOf('L7 − L4 echo p50', 'added-µs', gap)
    const cost = gapFigure === undefined ? '' : ({ above: '; once upgraded, L7 still adds more per message than L4, beyond the interval', below: '; once upgraded, L7 relays messages faster than L4 here, beyond the interval', straddles: '; once upgraded, L7 relays messages at L4’s cost (the L7 − L4 interval straddles 0)' } as const)[judgeFigure(gapFigure, 0).side]
    if (l4Native && l7Supported) return { verdict: 'holds', measured, figures, why: note(`the L4 relay, which has no WebSocket code and read no HTTP, echoed every message; the L7 proxy did so through its upgrade handling, answering each 101 before tunnelling${cost}`) }
    if (l4Fails || l7Fails) return { verdict: 'does not hold here', measured, figures, why: note(l4Fails ? 'the L4 relay lost messages in every repeat' : 'the L7 proxy lost messages in every repeat, upgrade handling included') }
    return { verdict: 'inconclusive', measured, figures, why: note('the repeats disagree: some relayed every message at both layers, some did not') }
  },
}
