/** Binary searches over ascending step indexes (the filter's matches, the breakpoints' hits). */

/** The first element greater than `value` in a sorted array (its index), or the length. */
export function upperBound(sorted: readonly number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The index of `value` in a sorted array, or -1. */
export function indexIn(sorted: readonly number[], value: number): number {
  const i = upperBound(sorted, value) - 1;
  return i >= 0 && sorted[i] === value ? i : -1;
}
