import assert from 'node:assert/strict';
import { pagesOf, type Page } from '../src/core/stores/types';

/** A paged source of 0..n-1 that caps its pages at `cap` and records what it was asked. */
function numbers(n: number, cap: number) {
  const asked: [number | undefined, number | undefined][] = [];
  const read = async (from: number | undefined, size: number | undefined): Promise<Page<number, number>> => {
    asked.push([from, size]);
    const start = from ?? 0;
    const end = Math.min(n, start + Math.min(size ?? 10, cap));
    const items = Array.from({ length: end - start }, (_, i) => start + i);
    return end < n ? { items, next: end } : { items };
  };
  return { read, asked };
}

async function collect<T>(pages: AsyncIterable<T[]>): Promise<T[][]> {
  const out: T[][] = [];
  for await (const page of pages) out.push(page);
  return out;
}

describe('paging: one loop for every paged read', () => {
  it('reads all there are, page by page, following each page’s cursor', async () => {
    const { read, asked } = numbers(25, 10);
    const pages = await collect(pagesOf(read, { pageSize: 10 }));
    assert.deepEqual(
      pages.flat(),
      Array.from({ length: 25 }, (_, i) => i),
    );
    assert.deepEqual(asked, [
      [undefined, 10],
      [10, 10],
      [20, 10],
    ]);
  });

  it('gives exactly `limit` items, asking for no more than it needs, past the store’s page cap', async () => {
    const { read, asked } = numbers(100, 7);
    const pages = await collect(pagesOf(read, { from: 3, limit: 20, pageSize: 50 }));
    assert.deepEqual(
      pages.flat(),
      Array.from({ length: 20 }, (_, i) => i + 3),
    );
    assert.deepEqual(asked, [
      [3, 20],
      [10, 13],
      [17, 6],
    ]);
  });

  it('stops at the end when `limit` is more than there are, and leaves the page size to the store without one', async () => {
    const { read, asked } = numbers(4, 10);
    assert.deepEqual((await collect(pagesOf(read, { limit: 1000 }))).flat(), [0, 1, 2, 3]);
    assert.deepEqual(asked, [[undefined, 1000]]);
    const unsized = numbers(12, 100);
    assert.deepEqual((await collect(pagesOf(unsized.read))).flat().length, 12);
    assert.deepEqual(unsized.asked, [
      [undefined, undefined],
      [10, undefined],
    ]);
  });
});
