// One stage as a G/G/c queue in closed form: Erlang C for M/M/c, the Allen–Cunneen approximation for general arrivals and service, Whitt's departure variability.
import { gammaQuantile, type Dist } from './gamma.ts';

/** What the queueing formulas say of one stage at an arrival rate. */
export interface QueueMeasures {
  /** Offered load per server, λ E[S] / c: at or above 1 the queue grows without bound. */
  utilization: number;
  stable: boolean;
  /** Probability an arrival waits (Erlang C of the M/M/c with the same load). */
  pWait: number;
  /** Mean wait in the queue (same unit as the service time). */
  meanWait: number;
  /** Mean number waiting (Little: λ · meanWait). */
  meanQueue: number;
  /** Time in the stage (wait + service): its mean and the gamma matched to its mean and variance. */
  sojourn: Dist;
  /** p99 of the time in the stage, from `sojourn`. */
  p99: number;
  /** Squared coefficient of variation of the departures: the next stage's arrivals. */
  departureCv2: number;
}

/** Erlang C: the probability that an arrival waits in an M/M/c with offered load a = λ/μ (a < c), by the stable Erlang B recursion. */
export function erlangC(c: number, a: number): number {
  if (a <= 0) return 0;
  if (a >= c) return 1;
  let b = 1;
  for (let k = 1; k <= c; k++) b = (a * b) / (k + a * b);
  const rho = a / c;
  return b / (1 - rho * (1 - b));
}

/**
 * A stage with `c` servers, arrivals at `rate` per unit time with squared coefficient of variation
 * `arrivalCv2` (1 for Poisson) and service `service`. Exact for M/M/c (both cv² = 1); otherwise
 * Allen–Cunneen's Wq ≈ Wq(M/M/c) · (ca² + cs²) / 2, which is good at high load and for cv near 1
 * and drifts for c large with very low or very high variability. The wait is modeled as 0 with
 * probability 1 - pWait and exponential otherwise; the sojourn's p99 comes from the gamma
 * matched to wait + service (treated as independent).
 */
export function stageQueue(rate: number, service: Dist, c: number, arrivalCv2 = 1): QueueMeasures {
  const a = rate * service.mean;
  const utilization = a / c;
  const cs2 = service.cv * service.cv;
  if (!(utilization < 1)) {
    const inf = Number.POSITIVE_INFINITY;
    return { utilization, stable: false, pWait: 1, meanWait: inf, meanQueue: inf, sojourn: { mean: inf, cv: 0 }, p99: inf, departureCv2: arrivalCv2 };
  }
  const pWait = erlangC(c, a);
  const meanWaitMMc = service.mean > 0 ? pWait * service.mean / (c * (1 - utilization)) : 0;
  const meanWait = meanWaitMMc * (arrivalCv2 + cs2) / 2;
  // Wait: 0 w.p. 1 - p, else exponential with mean meanWait / p: E[W²] = 2 meanWait² / p.
  const waitVar = pWait > 0 ? 2 * meanWait * meanWait / pWait - meanWait * meanWait : 0;
  const mean = meanWait + service.mean;
  const sojourn = { mean, cv: mean > 0 ? Math.sqrt(waitVar + (service.cv * service.mean) ** 2) / mean : 0 };
  // Whitt (1983), the QNA linking equation for a c-server station.
  const departureCv2 = 1 + (1 - utilization * utilization) * (arrivalCv2 - 1) + (utilization * utilization * (cs2 - 1)) / Math.sqrt(c);
  return { utilization, stable: true, pWait, meanWait, meanQueue: rate * meanWait, sojourn, p99: gammaQuantile(sojourn, 0.99), departureCv2 };
}
