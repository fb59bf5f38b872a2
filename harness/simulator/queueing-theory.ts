/**
 * Closed forms of the queueing models the simulator is validated against. Rates are per unit of
 * time (any unit, used consistently); results are mean times in system (waiting + service), the
 * quantity a balancer's latency measures. All models need a load below 1.
 */

function stable(rho: number, what: string): void {
  if (!(rho >= 0 && rho < 1)) throw new RangeError(`${what}: the load must be in [0, 1), got ${rho}`)
}

/** M/M/1 (Kleinrock, Queueing Systems vol. 1, §3.2): W = 1/(μ − λ). */
export function mm1Sojourn(lambda: number, mu: number): number {
  stable(lambda / mu, 'M/M/1')
  return 1 / (mu - lambda)
}

/**
 * Erlang's C formula: the probability that an arrival to M/M/c with offered load a = λ/μ waits.
 * Computed through the Erlang B recursion B(k) = a·B(k−1)/(k + a·B(k−1)), then
 * C = c·B / (c − a·(1 − B)), which never overflows for large c.
 */
export function erlangC(c: number, a: number): number {
  stable(a / c, 'Erlang C')
  let b = 1
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b)
  return (c * b) / (c - a * (1 - b))
}

/** M/M/c (Kleinrock §3.5): W = C(c, λ/μ)/(cμ − λ) + 1/μ. The floor any dispatcher of c single servers can reach. */
export function mmcSojourn(lambda: number, mu: number, c: number): number {
  return erlangC(c, lambda / mu) / (c * mu - lambda) + 1 / mu
}

/**
 * The root σ in (0, 1) of σ = A*(μ(1 − σ)) for E_k/M/1, whose interarrival time is Erlang with k
 * phases of rate kλ (mean 1/λ): A*(s) = (kλ/(kλ + s))^k. GI/M/1 theory (Kleinrock §6.4): the queue
 * an arrival finds is geometric with parameter σ. Iterating from 0 converges monotonically to it.
 */
export function ekm1Sigma(k: number, lambda: number, mu: number): number {
  stable(lambda / mu, 'E_k/M/1')
  const phase = k * lambda
  let sigma = 0
  for (let i = 0; i < 100_000; i++) {
    const next = (phase / (phase + mu * (1 - sigma))) ** k
    if (Math.abs(next - sigma) < 1e-15) return next
    sigma = next
  }
  return sigma
}

/** E_k/M/1: W = 1/(μ(1 − σ)). Round robin over k servers fed by a Poisson stream of rate kλ gives each this queue. */
export function ekm1Sojourn(k: number, lambda: number, mu: number): number {
  return 1 / (mu * (1 - ekm1Sigma(k, lambda, mu)))
}

/**
 * The supermarket model (Mitzenmacher, "The power of two choices in randomized load balancing",
 * IEEE TPDS 12(10), 2001; Vvedenskaya, Dobrushin & Karpelevich 1996): N → ∞ servers of rate μ,
 * Poisson arrivals of rate λN, each joining the shortest of d queues chosen uniformly at random.
 * The fraction of queues holding at least i jobs is s_i = ρ^((d^i − 1)/(d − 1)), ρ = λ/μ, and the
 * mean time in system is T = (1/μ) Σ_{i≥1} ρ^((d^i − d)/(d − 1)). d = 1 gives M/M/1.
 */
export function supermarketSojourn(lambda: number, mu: number, d: number): number {
  const rho = lambda / mu
  stable(rho, 'supermarket model')
  if (d === 1) return mm1Sojourn(lambda, mu)
  let sum = 0
  for (let i = 1; i < 64; i++) {
    const term = rho ** ((d ** i - d) / (d - 1))
    sum += term
    if (term < 1e-16) break
  }
  return sum / mu
}

/** The supermarket model's tail: the fraction of queues with at least `i` jobs, ρ^((d^i − 1)/(d − 1)). */
export function supermarketTail(rho: number, d: number, i: number): number {
  return d === 1 ? rho ** i : rho ** ((d ** i - 1) / (d - 1))
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9): accurate to ~1e-13, enough to invert Γ. */
function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7]
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x)
  x -= 1
  let a = c[0]!
  const t = x + 7.5
  for (let i = 1; i < 9; i++) a += c[i]! / (x + i)
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a)
}

/**
 * Balls into bins, one choice: n balls thrown uniformly into n bins. The maximum load is
 * Γ⁻¹(n)(1 + o(1)) ~ ln n / ln ln n (Gonnet, "Expected length of the longest probe sequence in
 * hash code searching", JACM 28(2), 1981: its expectation is Γ⁻¹(n) − 3/2 + o(1)). Returns
 * Γ⁻¹(n) − 3/2, the sharper estimate.
 */
export function oneChoiceMaxLoad(n: number): number {
  const target = Math.log(n)
  let lo = 1
  let hi = 2
  while (logGamma(hi) < target) hi *= 2
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2
    if (logGamma(mid) < target) lo = mid
    else hi = mid
  }
  return (lo + hi) / 2 - 1.5
}

/**
 * Balls into bins, d ≥ 2 choices (Azar, Broder, Karlin & Upfal, "Balanced allocations", SIAM J.
 * Comput. 29(1), 1999): each ball goes to the least loaded of d bins chosen at random; the maximum
 * load is ln ln n / ln d + O(1) with high probability. Returns the leading term.
 */
export function dChoiceMaxLoad(n: number, d: number): number {
  return Math.log(Math.log(n)) / Math.log(d)
}
