/**
 * What the user can do in the panel (the toolbar, the find bar, the tabs and the keys call these):
 * each changes the store or asks the host, as a message. Playing lives here too: a timer that asks
 * for the next step once the last move is answered, and stops where a step needs attention.
 */

import { qualifiedName } from '../../src/core/events';
import type { Breakpoint, StepMove, TabId, WebviewMessage } from '../../src/shared/replayProtocol';
import type { KeyActions } from './keys';
import type { ReplayStore } from './state';
import type { EventTimeline } from './timeline';
import { post } from './vscode';

export class ReplayActions implements KeyActions {
  private playTimer: number | undefined;
  private awaitingMove = false;
  private filterTimer: number | undefined;

  /** `root`: where the filter field and the timeline are. */
  constructor(
    private readonly store: ReplayStore,
    private readonly root: ParentNode,
  ) {}

  private get open(): boolean {
    return this.store.state.phase === 'open';
  }

  send(message: WebviewMessage): void {
    post(message);
  }

  move(to: StepMove): void {
    if (!this.open) return;
    this.send({ type: 'step', to });
  }

  select(index: number): void {
    if (!this.open) return;
    this.send({ type: 'select', index });
  }

  togglePlay(): void {
    if (this.store.state.playing) this.pause();
    else this.play();
  }

  private play(): void {
    if (!this.open || !this.store.state.summary?.steps) return;
    this.awaitingMove = false;
    this.playTimer = window.setInterval(() => {
      if (this.awaitingMove) return;
      this.awaitingMove = true;
      this.move('forward');
    }, 1000 / this.store.state.speed);
    this.store.set({ playing: true });
  }

  pause(): void {
    if (this.playTimer !== undefined) window.clearInterval(this.playTimer);
    this.playTimer = undefined;
    this.store.set({ playing: false });
  }

  /** The host moved the cursor: a playing panel moves on, or stops at the end or a marked step. */
  onCursor(atEnd: boolean): void {
    const { playing, cursor, marks } = this.store.state;
    if (!playing) return;
    this.awaitingMove = false;
    // The end, or a step already known to need attention (the step's record may come later, or not
    // at all when playing fast: the host sends only the latest). A cursor that did not move for
    // another reason (an earlier click answered late) does not stop playing.
    if (atEnd || marks.byIndex.has(cursor.index)) this.pause();
  }

  /**
   * Playing stops at a breakpoint hit, a handler error or an invariant break (not at the steps that
   * stay broken after one; past the breaks kept, at any step the invariant fails after).
   */
  onStep(): void {
    const { playing, step, hitSet, marks, summary } = this.store.state;
    if (!playing || !step) return;
    const { index, error, invariantFailure } = step.view;
    const unlisted = summary?.breaksTruncated === true && index > (summary.breaks.at(-1)?.index ?? -1);
    const broke = invariantFailure !== undefined && (marks.byIndex.has(index) || unlisted);
    if (hitSet.has(index) || error !== undefined || broke) this.pause();
  }

  setSpeed(speed: number): void {
    this.store.set({ speed });
    if (this.store.state.playing) {
      this.pause();
      this.play();
    }
  }

  runToHit(direction: 'forward' | 'backward'): void {
    if (!this.open) return;
    this.send({ type: 'runToBreakpoint', direction });
  }

  findFailure(from: 'start' | 'next'): void {
    if (!this.open) return;
    const expression = this.store.state.expression.trim();
    this.send({ type: 'findFailure', from, ...(expression ? { expression } : {}) });
  }

  setExpression(expression: string): void {
    this.store.set({ expression });
  }

  setBreakpoints(breakpoints: Breakpoint[]): void {
    this.store.set({ breakpoints });
    this.send({ type: 'setBreakpoints', breakpoints });
  }

  /** Adds (or removes) a breakpoint on the current event's type. */
  toggleTypeBreakpoint(): void {
    const { step, breakpoints } = this.store.state;
    const type = step?.view.event.type;
    if (!type) return;
    const name = qualifiedName(type);
    const existing = breakpoints.find((b) => b.kind === 'type' && b.type === name);
    this.setBreakpoints(existing ? breakpoints.filter((b) => b !== existing) : [...breakpoints, { kind: 'type', type: name }]);
  }

  setFilter(text: string): void {
    this.store.set({ filterText: text });
    window.clearTimeout(this.filterTimer);
    this.filterTimer = window.setTimeout(() => this.send({ type: 'filter', text }), 250);
  }

  setTab(tab: TabId): void {
    this.store.set({ tab });
  }

  dismissNotice(): void {
    this.store.set({ notice: undefined });
  }

  focusFilter(): void {
    (this.root.querySelector('#filter') as HTMLElement | null)?.focus();
  }

  focusTimeline(): void {
    this.root.querySelector<EventTimeline>('es-timeline')?.focusList();
  }
}
