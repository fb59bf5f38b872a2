import { totalmem } from 'node:os'
import { describe, expect, it } from 'vitest'
import { cgroupCpuUs, cgroupMemoryBytes, cgroupMemoryLimitBytes, parseProcCgroup, usageUsecOf } from '../../../harness/providers/container-cgroup.js'

const id = '/docker/ffc36608d79d'
const v1 = [`9:name=systemd:${id}`, `4:memory:${id}`, `2:cpuacct:${id}`, `1:cpu:${id}`, `0::${id}`].join('\n')
const v1Joined = [`4:memory:${id}`, `2:cpu,cpuacct:${id}`].join('\n')
const v2 = `0::/system.slice/docker-abc.scope\n`

/** A file system of the given files; anything else is missing. */
const fs = (files: Record<string, string>) => (f: string) => {
  if (!Object.hasOwn(files, f)) throw Object.assign(new Error(`ENOENT ${f}`), { code: 'ENOENT' })
  return files[f]!
}

describe('parseProcCgroup', () => {
  it('maps each controller to its path, the unified hierarchy to ""', () => {
    const m = parseProcCgroup(v1Joined + '\n0::/x\n')
    expect(m.get('cpu')).toBe(id)
    expect(m.get('cpuacct')).toBe(id)
    expect(m.get('memory')).toBe(id)
    expect(m.get('')).toBe('/x')
  })
  it('reads usage_usec of cpu.stat', () => {
    expect(usageUsecOf('usage_usec 1234\nuser_usec 1000\n')).toBe(1234)
    expect(usageUsecOf('user_usec 1000\n')).toBeUndefined()
  })
})

describe('a container’s CPU and memory from its cgroup', () => {
  it.each<{ what: string; files: Record<string, string>; cpuUs: number | undefined; memory: number | undefined; limit: number | undefined }>([
    {
      what: 'cgroup v1',
      files: { '/proc/7/cgroup': v1, [`/sys/fs/cgroup/cpuacct${id}/cpuacct.usage`]: '56833084\n', [`/sys/fs/cgroup/memory${id}/memory.usage_in_bytes`]: '6705152\n', [`/sys/fs/cgroup/memory${id}/memory.limit_in_bytes`]: '134217728\n' },
      cpuUs: 56833,
      memory: 6705152,
      limit: 128 * 2 ** 20,
    },
    {
      what: 'cgroup v1, cpu and cpuacct mounted together',
      files: { '/proc/7/cgroup': v1Joined, [`/sys/fs/cgroup/cpu,cpuacct${id}/cpuacct.usage`]: '2000\n', [`/sys/fs/cgroup/memory${id}/memory.usage_in_bytes`]: '10\n', [`/sys/fs/cgroup/memory${id}/memory.limit_in_bytes`]: '9223372036854771712\n' },
      cpuUs: 2,
      memory: 10,
      limit: totalmem(),
    },
    {
      what: 'cgroup v2',
      files: { '/proc/7/cgroup': v2, '/sys/fs/cgroup/system.slice/docker-abc.scope/cpu.stat': 'usage_usec 777\n', '/sys/fs/cgroup/system.slice/docker-abc.scope/memory.current': '4096\n', '/sys/fs/cgroup/system.slice/docker-abc.scope/memory.max': 'max\n' },
      cpuUs: 777,
      memory: 4096,
      limit: totalmem(),
    },
    { what: 'no such process', files: {}, cpuUs: undefined, memory: undefined, limit: undefined },
    { what: 'no readable cgroup files', files: { '/proc/7/cgroup': v1 }, cpuUs: undefined, memory: undefined, limit: undefined },
  ])('$what', ({ files, cpuUs, memory, limit }) => {
    const read = fs(files)
    expect(cgroupCpuUs(7, read)).toBe(cpuUs)
    expect(cgroupMemoryBytes(7, read)).toBe(memory)
    expect(cgroupMemoryLimitBytes(7, read)).toBe(limit)
  })
})
