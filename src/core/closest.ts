/** "Did you mean": how far a typed word is from the names it may have meant. */

/** Edit distance, a swap of two neighbouring letters counting as one edit. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
    }
  }
  return d[a.length][b.length];
}

/** The names, closest to `word` first (the same but for case, then containing it, then by edit distance; ties keep their order). */
export function closestFirst(word: string, names: readonly string[]): string[] {
  const w = word.toLowerCase();
  // A dotted name (`BankAccount.Debited`) is as close as its last part is.
  const score = (name: string) => {
    const n = name.toLowerCase();
    if (n === w) return -2;
    if (n.startsWith(w) || n.endsWith(w) || w.endsWith(n)) return -1;
    const last = n.slice(n.lastIndexOf('.') + 1);
    return Math.min(editDistance(w, n), editDistance(w, last));
  };
  return names
    .map((name, i) => ({ name, i, s: score(name) }))
    .sort((a, b) => a.s - b.s || a.i - b.i)
    .map((x) => x.name);
}
