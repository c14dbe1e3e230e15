// The gamma distribution fitted by moments (mean, coefficient of variation): the one family the planner uses for service times and latencies.
//
// Why gamma: task times are positive and right-skewed; a gamma with cv = 1 is the exponential
// (so M/M/c results come out exact), cv -> 0 tends to a constant, and sums of independent stage
// times stay close to gamma, which the latency percentiles rely on.

/** A service-time (or latency) distribution: mean and coefficient of variation (sd / mean). cv = 0 (below 1e-6) is a constant. */
export interface Dist { mean: number; cv: number }

const LN_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Below this cv a distribution is taken as a constant: the gamma's shape 1/cv² would overflow the samplers and the CDF. */
const CONSTANT_CV = 1e-6;
const constant = (d: Dist): boolean => d.cv < CONSTANT_CV || d.mean === 0;

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms: about 15 digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return LN_SQRT_2PI + (x + 0.5) * Math.log(t) - t + Math.log(a);
}

/** The regularized lower incomplete gamma P(k, x): a series below k + 1, a continued fraction above (Numerical Recipes' gammp). */
function gammaP(k: number, x: number): number {
  if (x <= 0) return 0;
  const lnPre = k * Math.log(x) - x - lnGamma(k);
  if (x < k + 1) {
    let term = 1 / k, sum = term;
    for (let n = 1; n < 500; n++) {
      term *= x / (k + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return Math.min(1, sum * Math.exp(lnPre));
  }
  const tiny = 1e-300;
  let b = x + 1 - k, c = 1 / tiny, d = 1 / b, h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - k);
    b += 2;
    d = an * d + b; if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c; if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.max(0, 1 - Math.exp(lnPre) * h);
}

/** P(X <= x) for the gamma of `d`. */
export function gammaCdf(d: Dist, x: number): number {
  if (constant(d)) return x >= d.mean ? 1 : 0;
  const k = 1 / (d.cv * d.cv);
  return gammaP(k, (x * k) / d.mean);
}

/** The q-quantile (0 < q < 1) of the gamma of `d`, by bisection on the CDF (60 halvings: exact to double precision). */
export function gammaQuantile(d: Dist, q: number): number {
  if (constant(d)) return d.mean;
  let lo = 0, hi = d.mean;
  for (let i = 0; i < 200 && gammaCdf(d, hi) < q; i++) hi *= 2;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (gammaCdf(d, mid) < q) lo = mid; else hi = mid;
  }
  return (lo + hi) / 2;
}

/** A standard normal sample (Box–Muller) from uniforms of `rng`. */
function normal(rng: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** A sampler of the gamma of `d` (Marsaglia–Tsang; shape below 1 boosted by U^(1/k)), deterministic for a seeded `rng`. */
export function gammaSampler(d: Dist, rng: () => number): () => number {
  if (constant(d)) return () => d.mean;
  const k = 1 / (d.cv * d.cv);
  const theta = d.mean / k;
  const shape = k < 1 ? k + 1 : k;
  const dd = shape - 1 / 3, c = 1 / Math.sqrt(9 * dd);
  const draw = (): number => {
    for (;;) {
      const z = normal(rng);
      const v0 = 1 + c * z;
      if (v0 <= 0) continue;
      const v = v0 * v0 * v0, u = rng();
      if (Math.log(u) < 0.5 * z * z + dd - dd * v + dd * Math.log(v)) return dd * v;
    }
  };
  return k < 1 ? () => draw() * Math.pow(1 - rng(), 1 / k) * theta : () => draw() * theta;
}

/** The gamma matching the sum of independent variables of these distributions (means and variances add). */
export function sumDist(parts: readonly Dist[]): Dist {
  const mean = parts.reduce((s, p) => s + p.mean, 0);
  const variance = parts.reduce((s, p) => s + (p.cv * p.mean) ** 2, 0);
  return { mean, cv: mean > 0 ? Math.sqrt(variance) / mean : 0 };
}
