import { afterEach, describe, expect, it } from 'vitest'
import { LatencyHistogram } from '../../../engine/stats/latency-histogram.js'
import { ThreadPacer } from '../../../harness/load/thread-pacer.js'

const now = () => process.hrtime.bigint()

describe('thread pacer', () => {
  let pacer: ThreadPacer | undefined
  afterEach(() => pacer?.close())

  it('never fires before its deadline, and always asynchronously', async () => {
    pacer = await ThreadPacer.start()
    const p = pacer
    const fireOnce = (deadline: bigint) =>
      new Promise<{ at: bigint; read: bigint; armedFirst: boolean }>((resolve) => {
        const armed = { done: false }
        p.at(deadline, (at) => resolve({ at, read: now(), armedFirst: armed.done }))
        armed.done = true
      })
    // One deadline already past, then up to 2.4 ms ahead, one after another (a pacer has one next send).
    for (let i = 0; i < 40; i++) {
      const deadline = now() + BigInt((i % 8) * 400_000 - 400_000)
      const fired = await fireOnce(deadline)
      expect(fired.armedFirst).toBe(true)
      expect(fired.at >= deadline && fired.read >= deadline).toBe(true)
    }
  })

  it('does not fire once cancelled, and arming again replaces the pending deadline', async () => {
    pacer = await ThreadPacer.start()
    const fired: string[] = []
    pacer.at(now() + 2_000_000n, () => fired.push('cancelled')).cancel()
    pacer.at(now() + 3_000_000n, () => fired.push('replaced'))
    await new Promise<void>((resolve) =>
      pacer!.at(now() + 4_000_000n, () => {
        fired.push('last')
        resolve()
      }),
    )
    await new Promise((r) => setTimeout(r, 10))
    expect(fired).toEqual(['last'])
  })

  it('still fires a deadline pending when it is closed, by polling', async () => {
    pacer = await ThreadPacer.start()
    const deadline = now() + 2_000_000n
    const fired = new Promise<bigint>((resolve) => pacer!.at(deadline, resolve))
    pacer.close()
    expect(await fired).toBeGreaterThanOrEqual(deadline)
  })

  it('keeps a deadline of 2000 per second later by less than a millisecond-timer pacer beside it', async () => {
    pacer = await ThreadPacer.start()
    const p = pacer
    const rate = 2000
    const n = 1000
    const periodNs = 1e9 / rate
    // The reference, in the same loop at the same time: the same due times, each waited for with
    // setTimeout as a millisecond-timer pacer does (re-armed when it wakes early).
    const plain = new LatencyHistogram()
    const threaded = new LatencyHistogram()
    const t0 = now() + 5_000_000n
    const due = (i: number) => t0 + BigInt(Math.round(i * periodNs))
    const byTimer = new Promise<void>((resolve) => {
      const wait = (i: number): void => {
        if (i === n) return resolve()
        const left = Number(due(i) - now()) / 1e6
        if (left > 0) return void setTimeout(() => wait(i), Math.max(1, Math.floor(left)))
        plain.record(-left * 1000)
        wait(i + 1)
      }
      wait(0)
    })
    const byThread = new Promise<void>((resolve) => {
      const wait = (i: number): void => {
        if (i === n) return resolve()
        p.at(due(i), (at) => {
          threaded.record(Number(at - due(i)) / 1e3)
          wait(i + 1)
        })
      }
      wait(0)
    })
    await Promise.all([byTimer, byThread])
    expect(threaded.count).toBe(n)
    expect(threaded.percentile(50)).toBeLessThan(plain.percentile(50))
  })
})
