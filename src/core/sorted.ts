/** Binary searches over sorted things: step indexes, marks, positions, line starts, ids. */

/**
 * The first index in [0, length) at which `before(index)` is false, given that it is true for a
 * run of indexes at the start and false after (the length when it is true throughout).
 */
export function partitionPoint(length: number, before: (index: number) => boolean): number {
  let lo = 0;
  let hi = length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (before(mid)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first element greater than `value` in a sorted array (its index), or the length. */
export function upperBound(sorted: ArrayLike<number>, value: number): number {
  return partitionPoint(sorted.length, (i) => sorted[i] <= value);
}

/** The index of `value` in a sorted array, or -1. */
export function indexIn(sorted: ArrayLike<number>, value: number): number {
  const i = upperBound(sorted, value) - 1;
  return i >= 0 && sorted[i] === value ? i : -1;
}
