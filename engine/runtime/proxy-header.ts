import net from 'node:net'
import { encodeProxyV1, encodeProxyV2, type ProxyAddresses } from '../proxy-protocol/proxy-protocol.js'

/** Who the client really is: from the socket, or from a trusted downstream's PROXY header. */
export interface ClientOrigin {
  readonly address: string
  readonly port: number
  /** The address the client connected to (the listener's, or the downstream tier's). */
  readonly localAddress: string
  readonly localPort: number
}

/** The PROXY header a pool sends to its backends, describing the client. */
export function proxyHeaderFor(version: 'v1' | 'v2', origin: ClientOrigin, transport: 'tcp' | 'udp' = 'tcp'): Buffer {
  const v6 = net.isIPv6(origin.address) || net.isIPv6(origin.localAddress)
  const addresses: ProxyAddresses = {
    family: `${transport}${v6 ? '6' : '4'}` as ProxyAddresses['family'],
    source: { address: v6 && net.isIPv4(origin.address) ? `::ffff:${origin.address}` : origin.address, port: origin.port },
    destination: { address: v6 && net.isIPv4(origin.localAddress) ? `::ffff:${origin.localAddress}` : origin.localAddress, port: origin.localPort },
  }
  return version === 'v1' ? encodeProxyV1(addresses) : encodeProxyV2(addresses)
}

