/**
 * The messages between the coordinator and a load agent: one JSON object per line, over the
 * agent's stdin and stdout. Clock readings are ns of the sender's monotonic clock, as strings
 * (they exceed 2^53).
 */
import type { IntervalSample, LoadPlan, LoadSummary } from '../load-types.js'
import type { MixAnswers, MixShare } from '../request-mix.js'

/** A plan an agent can be sent: the plan without its callbacks; with a mix, the agent's share of its indexes. */
export type AgentPlan = Omit<LoadPlan, 'headersPerRequest' | 'requestFor' | 'onResponse' | 'clientAbort'> & { readonly mixShare?: MixShare }

/** Coordinator → agent. */
export type ToAgent = { readonly t: 'ping'; readonly n: number } | { readonly t: 'start'; readonly plan: AgentPlan; readonly atNs: string } | { readonly t: 'stop' }

/** Agent → coordinator. */
export type FromAgent =
  | { readonly t: 'pong'; readonly n: number; readonly t1: string; readonly t2: string }
  | { readonly t: 'interval'; readonly sample: IntervalSample; readonly histogram?: string }
  | { readonly t: 'done'; readonly summary: LoadSummary; readonly mixAnswers?: MixAnswers }
  | { readonly t: 'error'; readonly message: string }

/** Reads newline-delimited JSON from `stream`, calling `onMessage` for each object. */
export function readLines(stream: NodeJS.ReadableStream, onMessage: (m: unknown) => void): void {
  let buffer = ''
  stream.setEncoding('utf8')
  stream.on('data', (chunk: string) => {
    buffer += chunk
    for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
      const line = buffer.slice(0, nl)
      buffer = buffer.slice(nl + 1)
      if (line.trim() === '') continue
      try {
        onMessage(JSON.parse(line))
      } catch {
        // Not a message (a stray line of output): ignored.
      }
    }
  })
}
