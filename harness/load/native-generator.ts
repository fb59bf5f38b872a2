import { connectionFactory } from './connections/connection-factory.js'
import { resolvePlan, type GeneratorAbilities } from './load-plan.js'
import type { IntervalListener } from './load-recorder.js'
import type { LoadGenerator, LoadPlan, LoadSummary } from './load-types.js'
import { NativeRun, type Clock } from './native-run.js'

/** What the native generator speaks. */
export const NATIVE_ABILITIES: GeneratorAbilities = { protocols: ['http', 'https', 'h2', 'grpc', 'tcp', 'tls', 'udp', 'websocket'], newConnectionPerRequest: true, clients: true }

/** Options of {@link createNativeGenerator}. */
export interface NativeGeneratorOptions {
  /** Monotonic ns clock; default `process.hrtime.bigint`. */
  readonly clock?: Clock
}

/**
 * Our own generator, `layerbench`: HTTP/1.1 keep-alive over raw TCP or TLS sockets (responses read
 * with the engine's codec, any framing), the TCP line protocol over TCP or TLS, UDP, and WebSocket
 * messages echoed after an upgrade, in a closed or an open loop, timed in µs with
 * `process.hrtime.bigint()`. The same pool, pacing and
 * recording serve every protocol, so L4 and L7 runs are measured by one instrument.
 */
export function createNativeGenerator(options: NativeGeneratorOptions = {}): LoadGenerator {
  const clock = options.clock ?? process.hrtime.bigint
  return {
    name: 'layerbench',
    run(plan: LoadPlan, signal?: AbortSignal, onSample?: IntervalListener): Promise<LoadSummary> {
      try {
        const resolved = resolvePlan(plan, NATIVE_ABILITIES)
        return new NativeRun(resolved, connectionFactory(resolved), clock, signal, onSample).run()
      } catch (e) {
        return Promise.reject(e)
      }
    },
  }
}

/** The native generator with the process clock. */
export const nativeGenerator: LoadGenerator = createNativeGenerator()
