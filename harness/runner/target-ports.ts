/**
 * Fixed ports for the listeners a pool sends to (a tier behind a tier in one balancer): the pool
 * must know the address before the balancer starts, so a targeted listener that binds port 0 gets
 * a free port on its host now. Each port is held until all are chosen, so two never coincide; the
 * balancer binds it a moment later (the short race is the one every "pick a free port" has).
 */
import dgram from 'node:dgram'
import net, { type AddressInfo } from 'node:net'
import { parseEndpoint } from '../../engine/config/lb-config.js'
import { targetedListeners, withTargetPorts } from '../scenario/resolve-balancer.js'
import type { BalancerSection } from '../scenario/scenario-schema.js'

/** A free port on `host` for a stream (or UDP) listener, held open until `release`. */
async function holdPort(host: string, udp: boolean): Promise<{ port: number; release: () => Promise<void> }> {
  if (udp) {
    const s = dgram.createSocket(net.isIPv6(host) ? 'udp6' : 'udp4')
    await new Promise<void>((resolve, reject) => s.once('error', reject).bind(0, host, () => resolve()))
    return { port: s.address().port, release: () => new Promise((r) => s.close(() => r())) }
  }
  const s = net.createServer()
  await new Promise<void>((resolve, reject) => s.once('error', reject).listen(0, host, () => resolve()))
  return { port: (s.address() as AddressInfo).port, release: () => new Promise((r) => s.close(() => r())) }
}

/** The section with every targeted listener that says port 0 bound at a free port of its host. */
export async function withFreeTargetPorts(section: BalancerSection): Promise<BalancerSection> {
  const targeted = targetedListeners(section)
  const held: { name: string; port: number; release: () => Promise<void> }[] = []
  try {
    for (const l of section.listeners) {
      const at = parseEndpoint(l.bind)
      if (!targeted.has(l.name) || at === undefined || at.port !== 0) continue
      held.push({ name: l.name, ...(await holdPort(at.host, l.protocol === 'udp')) })
    }
  } finally {
    await Promise.all(held.map((h) => h.release()))
  }
  const ports = new Map(held.map((h) => [h.name, h.port]))
  return held.length === 0 ? section : withTargetPorts(section, (name) => ports.get(name)!)
}
