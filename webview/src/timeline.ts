/**
 * The event timeline: a virtualized list that stays smooth at a million steps. Only the rows in
 * view are in the DOM; rows come from the host in blocks of 100 as they scroll into view (a few
 * hundred blocks are cached). Beyond what a browser can scroll, the scrollbar maps proportionally.
 */

import { html, nothing, type TemplateResult } from 'lit';
import { classMap } from 'lit/directives/class-map.js';
import { qualifiedName, shortTypeName } from '../../src/core/events';
import type { MarkKind, StepMark } from '../../src/shared/replayMarks';
import type { TimelineRow } from '../../src/shared/replayProtocol';
import { count, shortId, timeText } from './format';
import { LightElement } from './lightElement';
import { styleProps } from './styleProps';

export const ROW_HEIGHT = 22;
const BLOCK = 100;
const MAX_BLOCKS = 300;
/** Tallest scroll area used (browsers cap element heights around 16–33 million px). */
const MAX_SCROLL_PX = 15_000_000;
/** Rows fetched beyond the view, each way. */
const OVERSCAN = 60;
/** A request not answered after this long is sent again. */
const RETRY_MS = 3000;

/** "BankAccount" of "bank.domain:BankAccount.Debited" (what the short type name leaves out). */
function aggregateOf(type: string): string {
  const name = qualifiedName(type);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? name.slice(0, dot) : '';
}

const GLYPHS: Record<MarkKind, string> = { error: '✖', failure: '▲', found: '◆', hit: '●' };

export class EventTimeline extends LightElement {
  static override properties = {
    total: { attribute: false },
    version: { attribute: false },
    selectedRow: { attribute: false },
    selectedIndex: { attribute: false },
    marks: { attribute: false },
    filtered: { attribute: false },
  };

  declare total: number;
  declare version: number;
  /** The cursor's line in the list (-1: not in the list). */
  declare selectedRow: number;
  declare selectedIndex: number;
  /** The marked steps, by index. */
  declare marks: ReadonlyMap<number, StepMark>;
  declare filtered: boolean;
  requestRows: (from: number, count: number, version: number) => void = () => undefined;
  selectIndex: (index: number) => void = () => undefined;

  private readonly blocks = new Map<number, TimelineRow[]>();
  private readonly pending = new Map<number, number>();
  private cacheVersion = -1;
  private viewHeight = 0;
  private scrollTopPx = 0;
  private resize: ResizeObserver | undefined;
  private scroller: HTMLElement | null = null;

  constructor() {
    super();
    this.total = 0;
    this.version = -1;
    this.selectedRow = -1;
    this.selectedIndex = -1;
    this.marks = new Map();
    this.filtered = false;
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.resize?.disconnect();
    this.resize = undefined;
  }

  /** Rows the host sent (ignored when they belong to an older filter). */
  addRows(from: number, rows: TimelineRow[], version: number): void {
    if (version !== this.version) return;
    this.checkVersion();
    for (let i = 0; i < rows.length; i += BLOCK) {
      const block = Math.floor((from + i) / BLOCK);
      this.blocks.delete(block);
      this.blocks.set(block, rows.slice(i, i + BLOCK));
      this.pending.delete(block);
    }
    while (this.blocks.size > MAX_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    this.requestUpdate();
  }

  /** The row at a line of the list, when loaded. */
  rowAt(line: number): TimelineRow | undefined {
    return this.blocks.get(Math.floor(line / BLOCK))?.[line % BLOCK];
  }

  focusList(): void {
    this.scroller?.focus();
  }

  private checkVersion(): void {
    if (this.cacheVersion === this.version) return;
    this.cacheVersion = this.version;
    this.blocks.clear();
    this.pending.clear();
  }

  private geometry() {
    const contentPx = this.total * ROW_HEIGHT;
    const scrollPx = Math.min(contentPx, MAX_SCROLL_PX);
    const view = this.viewHeight;
    const maxScroll = Math.max(0, scrollPx - view);
    const maxVirtual = Math.max(0, contentPx - view);
    const virtualTop = maxScroll > 0 ? (Math.min(this.scrollTopPx, maxScroll) / maxScroll) * maxVirtual : 0;
    return { scrollPx, view, maxScroll, maxVirtual, virtualTop };
  }

  /** Scrolls the least needed to show a line. */
  private reveal(line: number): void {
    if (!this.scroller || line < 0 || line >= this.total || this.viewHeight === 0) return;
    const { view, maxScroll, maxVirtual, virtualTop } = this.geometry();
    const top = line * ROW_HEIGHT;
    let target = virtualTop;
    if (top >= virtualTop && top + ROW_HEIGHT <= virtualTop + view) return;
    // One line past an edge (stepping): scroll by that line; a jump: bring the line to the middle.
    if (top < virtualTop - ROW_HEIGHT || top > virtualTop + view) target = top + ROW_HEIGHT / 2 - view / 2;
    else if (top < virtualTop) target = top;
    else target = top + ROW_HEIGHT - view;
    target = Math.max(0, Math.min(target, maxVirtual));
    const scrollTop = maxVirtual > 0 ? (target / maxVirtual) * maxScroll : 0;
    this.scroller.scrollTop = scrollTop;
    this.scrollTopPx = this.scroller.scrollTop;
    this.requestUpdate();
  }

  protected override willUpdate(): void {
    this.checkVersion();
  }

  protected override firstUpdated(): void {
    this.scroller = this.querySelector('.tl-scroll');
    if (this.scroller) {
      this.resize = new ResizeObserver(() => {
        const height = this.scroller?.clientHeight ?? 0;
        if (height !== this.viewHeight) {
          this.viewHeight = height;
          this.requestUpdate();
        }
      });
      this.resize.observe(this.scroller);
    }
  }

  protected override updated(changed: Map<PropertyKey, unknown>): void {
    if (changed.has('selectedRow') || changed.has('version')) this.reveal(this.selectedRow);
    this.fetchMissing();
  }

  private visibleLines(): { first: number; last: number } {
    const { view, virtualTop } = this.geometry();
    const first = Math.max(0, Math.floor(virtualTop / ROW_HEIGHT));
    const last = Math.min(this.total - 1, Math.floor((virtualTop + Math.max(view, ROW_HEIGHT)) / ROW_HEIGHT));
    return { first, last };
  }

  private fetchMissing(): void {
    if (this.total === 0 || this.version < 0) return;
    const { first, last } = this.visibleLines();
    const from = Math.floor(Math.max(0, first - OVERSCAN) / BLOCK);
    const to = Math.floor(Math.min(this.total - 1, last + OVERSCAN) / BLOCK);
    const now = Date.now();
    let runStart = -1;
    const flush = (end: number) => {
      if (runStart < 0) return;
      const start = runStart * BLOCK;
      this.requestRows(start, Math.min((end - runStart + 1) * BLOCK, this.total - start), this.version);
      runStart = -1;
    };
    for (let block = from; block <= to; block++) {
      const sent = this.pending.get(block);
      const missing = !this.blocks.has(block) && (sent === undefined || now - sent > RETRY_MS);
      if (missing) {
        this.pending.set(block, now);
        if (runStart < 0) runStart = block;
      } else flush(block - 1);
    }
    flush(to);
  }

  private onScroll = (event: Event) => {
    this.scrollTopPx = (event.target as HTMLElement).scrollTop;
    this.requestUpdate();
  };

  protected override render(): TemplateResult {
    const { scrollPx, view, virtualTop } = this.geometry();
    const { first, last } = this.visibleLines();
    const lines: TemplateResult[] = [];
    for (let line = first; line <= last && this.total > 0; line++) lines.push(this.line(line, line * ROW_HEIGHT - virtualTop));
    const active = this.selectedRow >= 0 ? `tl-row-${this.selectedIndex}` : '';
    return html`
      <div class="tl-head" aria-hidden="true">
        <span class="tl-mark"></span><span class="tl-num">#</span><span class="tl-type">Type</span><span class="tl-stream">Stream</span
        ><span class="tl-rev">Rev</span><span class="tl-time">Time</span>
      </div>
      <div
        class="tl-scroll"
        tabindex="0"
        role="listbox"
        aria-label=${`Events of the replay${this.filtered ? ' (filtered)' : ''}: ${count(this.total)}`}
        aria-activedescendant=${active || nothing}
        @scroll=${this.onScroll}
      >
        <div class="tl-window" ${styleProps({ height: `${view}px` })}>${lines}</div>
        <div class="tl-spacer" ${styleProps({ height: `${Math.max(0, scrollPx - view)}px` })}></div>
      </div>
    `;
  }

  private line(line: number, y: number): TemplateResult {
    const row = this.rowAt(line);
    const place = styleProps({ transform: `translateY(${y}px)` });
    if (!row) {
      return html`<div class="tl-row tl-loading" ${place} role="option" aria-selected="false">
        <span class="tl-mark"></span><span class="tl-num">${this.filtered ? '' : line + 1}</span><span class="tl-type">…</span>
      </div>`;
    }
    const mark = this.marks.get(row.index);
    const selected = row.index === this.selectedIndex;
    return html`<div
      id=${`tl-row-${row.index}`}
      class=${classMap({ 'tl-row': true, selected, [`mark-${mark?.kind}`]: mark !== undefined })}
      ${place}
      role="option"
      aria-selected=${selected ? 'true' : 'false'}
      data-index=${row.index}
      @click=${() => this.selectIndex(row.index)}
    >
      <span class="tl-mark" title=${mark?.title ?? ''}>${mark ? GLYPHS[mark.kind] : ''}</span>
      <span class="tl-num">${row.index + 1}</span>
      <span class="tl-type" title=${row.type}>${shortTypeName(row.type)} <span class="tl-aggregate">${aggregateOf(row.type)}</span></span>
      ${
        row.label === undefined
          ? html`<span class="tl-stream" title=${row.streamId}>${shortId(row.streamId)}</span>`
          : html`<span class="tl-stream tl-labelled" title=${`${row.label}\n${row.streamId}`}>${row.label}</span>`
      }
      <span class="tl-rev">${row.revision}</span>
      <span class="tl-time" title=${row.timestamp ?? ''}>${timeText(row.timestamp)}</span>
    </div>`;
  }
}

customElements.define('es-timeline', EventTimeline);
