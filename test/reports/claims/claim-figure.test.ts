import { describe, expect, it } from 'vitest'
import { claimFigure, formatFigure, judgeFigure, type ClaimFigure } from '../../../reports/claims/claim-figure.js'

const fig = (median: number, lower: number, upper: number, n = 5, confidence = 0.9375): ClaimFigure => ({ label: 'x', unit: 'ratio', median, lower, upper, n, confidence })

describe('a claim figure against its threshold', () => {
  it.each([
    ['clears above', fig(1.4, 1.2, 1.6), 'above'],
    ['clears below', fig(0.7, 0.6, 0.9), 'below'],
    ['straddles', fig(1.1, 0.9, 1.3), 'straddles'],
    ['touches the threshold: not cleared', fig(1.2, 1, 1.3), 'straddles'],
    ['clear but with too little coverage (3 repeats, 75%)', fig(1.4, 1.2, 1.6, 3, 0.75), 'straddles'],
  ] as const)('%s', (_, f, side) => {
    expect(judgeFigure(f, 1).side).toBe(side)
  })

  it('a straddle asks for more repeats, the more the closer the median sits to the threshold', () => {
    const far = judgeFigure(fig(1.2, 0.9, 1.5), 1).repeatsNeeded!
    const near = judgeFigure(fig(1.05, 0.9, 1.2), 1).repeatsNeeded!
    expect(far).toBeGreaterThan(5)
    expect(near).toBeGreaterThan(far)
    expect(judgeFigure(fig(1.4, 1.2, 1.6), 1).repeatsNeeded).toBeUndefined()
  })

  it('shows added latency with its sign and interval, never a bare negative number', () => {
    const f = claimFigure('L4 added p50', 'added-µs', [-113, -80, -150, 20, -90])
    expect(formatFigure(f)).toBe('L4 added p50 −90.0 µs [−150, +20.0] (93.7%, 5 repeats)')
    expect(formatFigure(claimFigure('r', 'ratio', [1.5]))).toBe('r ×1.50 [×1.50, ×1.50] (one repeat, no interval)')
  })

  it('widened: the full range whatever the count', () => {
    const values = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
    expect(claimFigure('x', 'µs', values)).toMatchObject({ lower: 2, upper: 9 })
    expect(claimFigure('x', 'µs', values, true)).toMatchObject({ lower: 1, upper: 10 })
  })
})
