import { describe, expect, it } from 'vitest'
import { seededRandom } from '../../engine/balancing/random.js'
import { SendOrder } from '../../harness/simulator/send-order.js'

describe('SendOrder', () => {
  it('always names the oldest request in flight, whatever order requests finish in, as it grows', () => {
    const order = new SendOrder(4)
    const random = seededRandom(7)
    // Reference: serial → slot of the requests in flight.
    const inFlight = new Map<number, number>()
    let headMoves = 0
    let expectedMoves = 0
    let sent = 0
    for (let step = 0; step < 20_000; step++) {
      // Sends outnumber finishes early on, so the ring must grow past its 16 entries.
      if (inFlight.size === 0 || random() < (step < 2_000 ? 0.7 : 0.5)) {
        const slot = step % 997
        const serial = order.push(slot)
        expect(serial).toBe(sent++)
        inFlight.set(serial, slot)
      } else {
        const serials = [...inFlight.keys()]
        const oldest = Math.min(...serials)
        // Now and then the oldest itself, as a timeout would, so the head moves often.
        const serial = random() < 0.2 ? oldest : serials[Math.floor(random() * serials.length)]!
        inFlight.delete(serial)
        if (serial === oldest) expectedMoves++
        if (order.finish(serial)) headMoves++
      }
      const oldest = inFlight.size === 0 ? -1 : inFlight.get(Math.min(...inFlight.keys()))!
      expect(order.oldest()).toBe(oldest)
    }
    expect(headMoves).toBe(expectedMoves)
    expect(headMoves).toBeGreaterThan(100)
  })

  it('hands out consecutive serials and is empty once every request finished', () => {
    const order = new SendOrder()
    expect(order.oldest()).toBe(-1)
    const serials = [10, 11, 12].map((slot) => order.push(slot))
    expect(serials).toEqual([0, 1, 2])
    expect(order.finish(1)).toBe(false)
    expect(order.oldest()).toBe(10)
    expect(order.finish(0)).toBe(true)
    // Serial 1 finished earlier: the head skips it.
    expect(order.oldest()).toBe(12)
    expect(order.span).toBe(1)
    expect(order.finish(2)).toBe(true)
    expect([order.oldest(), order.span]).toEqual([-1, 0])
  })
})
