/**
 * The panel's keyboard shortcuts: one table of key -> action, and the document's keydown handler
 * that looks keys up in it. Keys typed into a text field stay there (Escape leaves the field for
 * the timeline); a key the panel handles does not reach VS Code (F5 would start debugging).
 */

import { TAB_IDS, type StepMove, type TabId } from '../../src/shared/replayProtocol';

export const KEYS_HELP = [
  '↓ / j / →: next step',
  '↑ / k / ←: previous step',
  'Home / End: first / last step',
  'Space: play / pause',
  'F5 or n: run to the next breakpoint hit; Shift+F5 or N: the previous one',
  'b or F9: toggle a breakpoint on this event’s type',
  'f: find the first failure',
  '/: filter the timeline; Escape: back to the timeline',
  '1–4: State, Diff, Event, Output',
].join('\n');

/** What the keys do. */
export interface KeyActions {
  move(to: StepMove): void;
  togglePlay(): void;
  runToHit(direction: 'forward' | 'backward'): void;
  toggleTypeBreakpoint(): void;
  findFailure(from: 'start' | 'next'): void;
  focusFilter(): void;
  focusTimeline(): void;
  setTab(tab: TabId): void;
}

interface Binding {
  run: (actions: KeyActions, e: KeyboardEvent) => void;
  /** Left to the focused element: arrows move between tab headers, Space presses a button or a tab. */
  notOn?: { tab?: boolean; button?: boolean };
}

const forward: Binding = { run: (a) => a.move('forward') };
const back: Binding = { run: (a) => a.move('back') };
const first: Binding = { run: (a) => a.move('first') };
const last: Binding = { run: (a) => a.move('last') };
const tab: Binding = { run: (a, e) => a.setTab(TAB_IDS[Number(e.key) - 1]) };
const typeBreakpoint: Binding = { run: (a) => a.toggleTypeBreakpoint() };

export const KEY_MAP: ReadonlyMap<string, Binding> = new Map([
  ['ArrowDown', forward],
  ['j', forward],
  ['ArrowUp', back],
  ['k', back],
  ['ArrowRight', { ...forward, notOn: { tab: true } }],
  ['l', { ...forward, notOn: { tab: true } }],
  ['ArrowLeft', { ...back, notOn: { tab: true } }],
  ['h', { ...back, notOn: { tab: true } }],
  ['Home', first],
  ['g', first],
  ['End', last],
  ['G', last],
  [' ', { run: (a) => a.togglePlay(), notOn: { tab: true, button: true } }],
  ['F5', { run: (a, e) => a.runToHit(e.shiftKey ? 'backward' : 'forward') }],
  ['n', { run: (a) => a.runToHit('forward') }],
  ['N', { run: (a) => a.runToHit('backward') }],
  ['b', typeBreakpoint],
  ['F9', typeBreakpoint],
  ['f', { run: (a) => a.findFailure('start') }],
  ['/', { run: (a) => a.focusFilter() }],
  ['1', tab],
  ['2', tab],
  ['3', tab],
  ['4', tab],
]);

const TEXT_TAGS = ['INPUT', 'TEXTAREA', 'SELECT', 'VSCODE-TEXTFIELD'];

/** The document's keydown listener for these actions. */
export function keyHandler(actions: KeyActions): (e: KeyboardEvent) => void {
  return (e) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const path = e.composedPath().filter((n): n is HTMLElement => n instanceof HTMLElement);
    const tags = new Set(path.map((n) => n.tagName));
    if (TEXT_TAGS.some((t) => tags.has(t))) {
      if (e.key === 'Escape') {
        (path.find((n) => n.tagName === 'VSCODE-TEXTFIELD') ?? path[0])?.blur();
        actions.focusTimeline();
        e.preventDefault();
        e.stopPropagation();
      }
      return;
    }
    const binding = KEY_MAP.get(e.key);
    const onButton = tags.has('BUTTON') || tags.has('VSCODE-BUTTON');
    const onTab = tags.has('VSCODE-TAB-HEADER');
    if (!binding || (binding.notOn?.tab && onTab) || (binding.notOn?.button && onButton)) return;
    binding.run(actions, e);
    // Keep VS Code from acting on the same key (F5 would start debugging).
    e.preventDefault();
    e.stopPropagation();
  };
}
