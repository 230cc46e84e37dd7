// Summary of repeated measurements: the median, and the spread as min–max.
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function summarize(samples: readonly number[]): Summary {
  if (samples.length === 0) throw new Error('no samples');
  const s = [...samples].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  const median = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { n: s.length, median, min: s[0]!, max: s[s.length - 1]! };
}

/** A confidence interval for the median of the population the samples come from. */
export interface MedianInterval {
  readonly low: number;
  readonly high: number;
  /** The interval's exact coverage (at least the confidence asked for). */
  readonly coverage: number;
}

/**
 * Distribution-free confidence interval for the median: the order statistics
 * x(k) and x(n+1−k) of the sorted samples, with the largest k for which
 * the number of samples below the median (binomial, n trials of ½) falls
 * short of k with probability at most (1 − confidence)/2. Undefined when
 * there are too few samples for that confidence (fewer than 6 at 95%).
 */
export function medianInterval(samples: readonly number[], confidence = 0.95): MedianInterval | undefined {
  const n = samples.length;
  const tail = (1 - confidence) / 2;
  let logPmf = n * Math.log(0.5); // log P(B = 0)
  let below = 0; // P(B ≤ j)
  let k = 0;
  let belowK = 0; // P(B ≤ k − 1)
  for (let j = 0; j < n; j++) {
    below += Math.exp(logPmf);
    if (below > tail) break;
    k = j + 1;
    belowK = below;
    logPmf += Math.log((n - j) / (j + 1));
  }
  if (k === 0) return undefined;
  const s = [...samples].sort((a, b) => a - b);
  return { low: s[k - 1]!, high: s[n - k]!, coverage: 1 - 2 * belowK };
}
