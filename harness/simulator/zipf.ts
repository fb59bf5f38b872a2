/**
 * Zipf-distributed integers in [1, n] (P(k) ∝ 1/k^s) by rejection-inversion: Hörmann & Derflinger,
 * "Rejection-inversion to generate variates from monotone discrete distributions" (ACM TOMACS,
 * 1996), as Apache Commons implements it. O(1) time and memory whatever n: no table of n weights.
 */
export function zipfSampler(n: number, s: number, random: () => number): () => number {
  if (s === 0) return () => 1 + Math.floor(random() * n)
  // (e^x − 1)/x and ln(1 + x)/x, with their series near 0 where the quotients lose precision.
  const expm1OverX = (x: number) => (Math.abs(x) > 1e-8 ? Math.expm1(x) / x : 1 + x * 0.5 * (1 + (x / 3) * (1 + x * 0.25)))
  const log1pOverX = (x: number) => (Math.abs(x) > 1e-8 ? Math.log1p(x) / x : 1 - x * (0.5 - x * (1 / 3 - x * 0.25)))
  const h = (x: number) => Math.exp(-s * Math.log(x))
  const hIntegral = (x: number) => {
    const logX = Math.log(x)
    return expm1OverX((1 - s) * logX) * logX
  }
  const hIntegralInverse = (x: number) => {
    let t = x * (1 - s)
    if (t < -1) t = -1 // rounding can push it just past the domain
    return Math.exp(log1pOverX(t) * x)
  }
  const hIntegralX1 = hIntegral(1.5) - 1
  const hIntegralN = hIntegral(n + 0.5)
  const shortcut = 2 - hIntegralInverse(hIntegral(2.5) - h(2))
  return () => {
    for (;;) {
      const u = hIntegralN + random() * (hIntegralX1 - hIntegralN)
      const x = hIntegralInverse(u)
      let k = Math.floor(x + 0.5)
      if (k < 1) k = 1
      else if (k > n) k = n
      if (k - x <= shortcut || u >= hIntegral(k + 0.5) - h(k)) return k
    }
  }
}
