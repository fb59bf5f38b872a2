import type { GeneratorCpu } from './load-types.js'

/** CPU use of this process over `wallUs` of wall time, shared among `requests`. */
export function generatorCpu(usage: NodeJS.CpuUsage, wallUs: number, requests: number): GeneratorCpu {
  const cpuUs = usage.user + usage.system
  return {
    userUs: usage.user,
    systemUs: usage.system,
    perRequestUs: requests > 0 ? cpuUs / requests : 0,
    utilisation: wallUs > 0 ? cpuUs / wallUs : 0,
  }
}

/**
 * Starts measuring this process's CPU time (`process.cpuUsage`, all threads). `stop` reports it
 * shared among the requests sent; anything else running in the process is included.
 */
export function startCpuMeter(): { stop(requests: number): GeneratorCpu } {
  const cpu = process.cpuUsage()
  const wall = process.hrtime.bigint()
  return {
    stop: (requests) => generatorCpu(process.cpuUsage(cpu), Number(process.hrtime.bigint() - wall) / 1000, requests),
  }
}
