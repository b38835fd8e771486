/**
 * The pure modules the replay panel and its host share (src/shared): the jsondiffpatch delta as a
 * list of changed paths (the Diff tab), and the checks the host applies to what the page sends.
 */

import * as assert from 'node:assert/strict';
import { create } from 'jsondiffpatch';
import { changedKeys, flattenDelta, formatPath, pathKey } from '../../src/shared/deltaPaths';
import { filterMatches } from '../../src/core/events';
import { describeScope } from '../../src/core/projection/source';
import { isScope, isWebviewMessage, readPanelState } from '../../src/shared/replayProtocol';

// The same options as the replay engine (src/core/projection/replay.ts): array items matched by id.
const differ = create({ objectHash: (item: object, index?: number) => String((item as { id?: unknown }).id ?? `$$index:${index}`) });

describe('replay panel: delta paths (the Diff tab)', () => {
  it('lists added, changed and removed object paths with their values', () => {
    const delta = differ.diff({ a: 1, b: { c: 2, d: 'x' }, gone: true }, { a: 1, b: { c: 3, e: [1] }, fresh: null });
    const changes = flattenDelta(delta);
    const byPath = (rows: unknown[][]) => rows.sort((x, y) => String(x[1]).localeCompare(String(y[1])));
    assert.deepEqual(
      byPath(changes.map((c) => [c.kind, formatPath(c.path, 'state'), c.before, c.after])),
      byPath([
        ['changed', 'state.b.c', 2, 3],
        ['removed', 'state.b.d', 'x', undefined],
        ['added', 'state.b.e', undefined, [1]],
        ['removed', 'state.gone', true, undefined],
        ['added', 'state.fresh', undefined, null],
      ]),
    );
    assert.equal(changes.length, 5);
  });

  it('walks array deltas: additions at new indexes, removals at old ones, moves, nested changes', () => {
    const before = {
      items: [
        { id: 'a', n: 1 },
        { id: 'b', n: 2 },
        { id: 'c', n: 3 },
      ],
    };
    const after = {
      items: [
        { id: 'c', n: 3 },
        { id: 'a', n: 10 },
        { id: 'd', n: 4 },
      ],
    };
    const changes = flattenDelta(differ.diff(before, after));
    const summary = changes.map((c) => `${c.kind} ${formatPath(c.path)}`).sort();
    assert.ok(summary.includes('removed items[1]'), summary.join(', '));
    assert.ok(summary.includes('added items[2]'), summary.join(', '));
    assert.ok(
      summary.some((s) => /^changed items\[\d\]\.n$/.test(s)),
      summary.join(', '),
    );
    const added = changes.find((c) => c.kind === 'added')!;
    assert.deepEqual(added.after, { id: 'd', n: 4 });
  });

  it('keeps bigints and reports no change for an undefined delta', () => {
    assert.deepEqual(flattenDelta(undefined), []);
    assert.deepEqual(flattenDelta(null), []);
    const [change] = flattenDelta({ total: [9007199254740993n, 9007199254740995n] });
    assert.equal(change.after, 9007199254740995n);
  });

  it('formats paths as JavaScript would reach them', () => {
    assert.equal(
      formatPath(['balances', '8b79390a-067d', 3, 'ok_1', 'with space'], 'state'),
      'state.balances["8b79390a-067d"][3].ok_1["with space"]',
    );
    assert.equal(formatPath([]), '(the whole state)');
    assert.equal(formatPath([], 'state'), 'state');
  });

  it('marks changed paths and their ancestors for the State tab', () => {
    const { exact, within } = changedKeys(flattenDelta({ a: { b: [1, 2] } }));
    assert.ok(exact.has(pathKey(['a', 'b'])));
    assert.ok(within.has(pathKey([])) && within.has(pathKey(['a'])));
    assert.ok(!within.has(pathKey(['a', 'b'])));
  });
});

describe('replay panel: the messages and state the host accepts', () => {
  it('accepts well-formed page messages and rejects anything else', () => {
    assert.ok(isWebviewMessage({ type: 'ready' }));
    assert.ok(isWebviewMessage({ type: 'select', index: 3 }));
    assert.ok(isWebviewMessage({ type: 'step', to: 'last' }));
    assert.ok(isWebviewMessage({ type: 'findFailure', from: 'next', expression: 'state.x > 0' }));
    assert.ok(isWebviewMessage({ type: 'setBreakpoints', breakpoints: [{ kind: 'type', type: 'Debited' }] }));
    assert.ok(isWebviewMessage({ type: 'requestRows', from: 0, count: 100, version: 1 }));
    for (const bad of [
      null,
      'ready',
      { type: 'select', index: -1 },
      { type: 'select', index: 1.5 },
      { type: 'step', to: 'sideways' },
      { type: 'setBreakpoints', breakpoints: [{ kind: 'type', type: '' }] },
      { type: 'findFailure', from: 'somewhere' },
      { type: 'evaluate', code: 'process.exit()' },
    ]) {
      assert.equal(isWebviewMessage(bad), false, JSON.stringify(bad));
    }
  });

  it('reads a saved panel state defensively', () => {
    const target = { source: { kind: 'eventsFile', path: '/x.events' }, projection: { kind: 'generic' } };
    const state = readPanelState({ target, cursor: -4, tab: 'nope', breakpoints: 'x', speed: 1e9 });
    assert.deepEqual(state, { version: 1, target, cursor: 0, tab: 'state', filter: '', breakpoints: [], expression: '', speed: 5 });
    assert.equal(
      readPanelState({ target: { source: { kind: 'connection', connection: 'x', scope: {} }, projection: { kind: 'generic' } } }),
      undefined,
    );
    assert.equal(readPanelState(undefined), undefined);
  });

  it('filters timeline rows by every word, in the type or the stream id', () => {
    assert.ok(filterMatches('debited 8b79', 'bank:BankAccount.Debited', '8b79390a-067d'));
    assert.ok(filterMatches('  ', 'x', 'y'));
    assert.ok(!filterMatches('credited 8b79', 'bank:BankAccount.Debited', '8b79390a-067d'));
  });
});

describe('replay scopes: a stream named by its label', () => {
  it('describes a labelled stream by its label and short id, and accepts only a text label', () => {
    const id = '8b79390a-067d-4256-b73f-49fc19028af3';
    assert.equal(describeScope({ stream: id, label: 'Dana Whitfield' }), 'stream Dana Whitfield (8b79390a…)');
    assert.equal(describeScope({ stream: id }), `stream ${id}`);
    assert.equal(isScope({ stream: id, label: 'Dana Whitfield' }), true);
    assert.equal(isScope({ stream: id, label: 42 }), false);
  });
});
