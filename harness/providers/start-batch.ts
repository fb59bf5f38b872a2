/**
 * The part of `start` both providers share: validate every spec, give each its own address, launch
 * them all at once, and leave nothing behind when one fails or the caller aborts.
 */
import { assertValidSpecs, boundPorts, portsFor } from './backend-launch.js'
import type { BackendSpec } from './types.js'

/** Rejects with the signal's reason once `signal` aborts. */
export function abortPromise(signal: AbortSignal | undefined): { promise: Promise<never>; dispose(): void } {
  if (signal === undefined) return { promise: new Promise<never>(() => {}), dispose: () => {} }
  let onAbort: () => void = () => {}
  const promise = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason instanceof Error ? signal.reason : new Error('aborted'))
    if (signal.aborted) onAbort()
    else signal.addEventListener('abort', onAbort, { once: true })
  })
  promise.catch(() => {})
  return { promise, dispose: () => signal.removeEventListener('abort', onAbort) }
}

/** Hands out an address per backend (the loopback allocator, or a swarm provider's placement). */
export interface AddressAllocator {
  allocate(ports: { tcp: number[]; udp: number[] }): Promise<string>
  release(host: string): void
}

/**
 * Allocates an address for each of `specs` and launches them all at once. `launch` must register
 * the backend with its provider before doing anything that can outlive it: when a launch fails or
 * `signal` aborts, this waits until every launch has settled and rethrows, and the provider then
 * stops and forgets the whole batch (half-started backends included).
 */
export async function startBatch<B>(
  specs: readonly BackendSpec[],
  allocator: AddressAllocator,
  launch: (spec: BackendSpec, host: string, signal: AbortSignal | undefined) => Promise<B>,
  signal: AbortSignal | undefined,
): Promise<B[]> {
  assertValidSpecs(specs)
  signal?.throwIfAborted()
  const hosts: string[] = []
  try {
    for (const spec of specs) hosts.push(await allocator.allocate(boundPorts(portsFor(spec))))
  } catch (e) {
    for (const host of hosts) allocator.release(host)
    throw e
  }
  const aborted = abortPromise(signal)
  const launches = specs.map((spec, i) => launch(spec, hosts[i]!, signal))
  try {
    const settled = await Promise.allSettled(launches.map((l) => Promise.race([l, aborted.promise])))
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected')
    if (failure === undefined) return settled.map((s) => (s as PromiseFulfilledResult<B>).value)
    // An abort does not stop launches in flight: let them settle so the provider can stop them all.
    await Promise.allSettled(launches)
    throw failure.reason
  } finally {
    aborted.dispose()
  }
}
