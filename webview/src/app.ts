/**
 * The replay panel: header and banners, the stepping toolbar, the find bar ("Find first failure"
 * and breakpoints), the event timeline, and the State / Diff / Event / Output tabs. It holds no
 * replay logic: every move is a message to the host (src/extension/replay/replayPanel.ts), the host's
 * answers are folded into the state (state.ts), and the page is drawn from that state.
 * Everything from the events and the projection is rendered as text (Lit text bindings).
 */

import { html, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import type { HostMessage } from '../../src/shared/replayProtocol';
import { ReplayActions } from './actions';
import './findBar';
import { count, plural } from './format';
import { renderBanners, renderHeader } from './header';
import { keyHandler } from './keys';
import { LightElement } from './lightElement';
import { ReplayStore } from './state';
import './stepTabs';
import type { EventTimeline } from './timeline';
import './toolbar';
import { onHostMessage } from './vscode';

export class ReplayApp extends LightElement {
  private readonly store = new ReplayStore(this);
  private readonly actions = new ReplayActions(this.store, this);

  override connectedCallback(): void {
    super.connectedCallback();
    onHostMessage((message) => this.onMessage(message));
    document.addEventListener('keydown', keyHandler(this.actions));
    document.addEventListener('securitypolicyviolation', (e) =>
      this.actions.send({ type: 'cspViolation', directive: e.violatedDirective, blocked: e.blockedURI || e.sample || '' }),
    );
    window.addEventListener('error', (e) => this.actions.send({ type: 'pageError', message: e.message }));
    window.addEventListener('unhandledrejection', (e) => this.actions.send({ type: 'pageError', message: String(e.reason) }));
    this.actions.send({ type: 'ready' });
  }

  private onMessage(message: HostMessage): void {
    if (message.type === 'rows') {
      this.querySelector<EventTimeline>('es-timeline')?.addRows(message.from, message.rows, message.version);
      return;
    }
    this.store.apply(message);
    if (message.type === 'failed') this.actions.pause();
    else if (message.type === 'cursor') this.actions.onCursor(message.atEnd === true);
    else if (message.type === 'step') this.actions.onStep();
  }

  protected override render(): TemplateResult {
    const s = this.store.state;
    const a = this.actions;
    const open = s.phase === 'open';
    return html`${renderHeader(s, a)} ${renderBanners(s, a)}
      <es-toolbar
        .open=${open}
        .steps=${s.summary?.steps ?? 0}
        .index=${s.cursor.index}
        .playing=${s.playing}
        .speed=${s.speed}
        .hasBreakpoints=${s.breakpoints.length > 0}
        .marks=${s.marks.steps}
        .actions=${a}
      ></es-toolbar>
      <es-find-bar
        .open=${open}
        .hasInvariant=${s.summary?.hasInvariant ?? false}
        .python=${s.summary?.projection.kind === 'python'}
        .expression=${s.expression}
        .breakpoints=${s.breakpoints}
        .hits=${s.hits.length}
        .hitsTruncated=${s.hitsTruncated}
        .problems=${s.problems}
        .actions=${a}
      ></es-find-bar>
      <div class="main">
        <div class="left">
          <div class="filter-row">
            <vscode-textfield
              id="filter"
              placeholder="Filter the timeline: event type, stream id or label ( / )"
              aria-label="Filter the timeline by event type, stream id or stream label"
              .value=${live(s.filterText)}
              @input=${(e: Event) => a.setFilter((e.target as HTMLInputElement).value)}
            ></vscode-textfield>
            <span class="muted" id="filter-count">${this.filterCount()}</span>
          </div>
          <es-timeline
            .total=${open ? s.timeline.total : 0}
            .version=${s.timeline.version}
            .selectedRow=${s.cursor.row}
            .selectedIndex=${s.cursor.index}
            .marks=${s.marks.byIndex}
            .filtered=${s.timeline.filter !== ''}
            .requestRows=${(from: number, n: number, version: number) => a.send({ type: 'requestRows', from, count: n, version })}
            .selectIndex=${(index: number) => a.select(index)}
          ></es-timeline>
        </div>
        <div class="right">
          <es-step-tabs .step=${s.step} .tab=${s.tab} .phase=${s.phase} .steps=${s.summary?.steps ?? 0} .actions=${a}></es-step-tabs>
        </div>
      </div>`;
  }

  private filterCount(): string {
    const { phase, summary, timeline } = this.store.state;
    if (phase !== 'open' || !summary) return '';
    if (!timeline.filter) return plural(summary.steps, 'event');
    return `${count(timeline.total)} of ${count(summary.steps)}${timeline.filtering ? ' (filtering…)' : ''}`;
  }
}

customElements.define('replay-app', ReplayApp);
