// Timing for the benchmarks: the median of repeated runs (a noisy shared machine makes single runs meaningless).

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
export const now = (): number => performance.now();

/** The median milliseconds of `n` runs of `fn`, after `warmup` runs not counted. */
export function medianMs(fn: () => void, n: number, warmup = 0): number {
  for (let i = 0; i < warmup; i++) fn();
  const xs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = now();
    fn();
    xs.push(now() - t0);
  }
  return median(xs);
}
