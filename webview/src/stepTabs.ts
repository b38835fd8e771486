/**
 * The step's tabs: State (the state after the event, as a tree or raw JSON), Diff (what the event
 * changed), Event (its fields, data and metadata) and Output (logs and emitted events). "Raw JSON"
 * is one choice for all of them.
 */

import { html, nothing, type TemplateResult } from 'lit';
import { classMap } from 'lit/directives/class-map.js';
import { qualifiedName } from '../../src/core/events';
import { formatPath, type Change } from '../../src/shared/deltaPaths';
import { TAB_IDS, type TabId } from '../../src/shared/replayProtocol';
import type { ReplayActions } from './actions';
import { count, jsonText, shortJson, timeText } from './format';
import type { JsonTree } from './jsonTree';
import { LightElement } from './lightElement';
import type { ParsedStep, Phase } from './state';

const KIND_LABELS: Record<Change['kind'], string> = {
  added: '+ added',
  removed: '− removed',
  changed: '~ changed',
  moved: '↔ moved',
  text: '~ text',
};

/** A value of the Diff: one line (short ones never wrap), the whole value in its tooltip. */
function value(value: unknown, side: 'before' | 'after'): TemplateResult {
  const text = shortJson(value);
  return html`<span class=${classMap({ [side]: true, short: text.length <= 40 })} title=${jsonText(value, 2)}>${text}</span>`;
}

function changeValues(c: Change): TemplateResult {
  switch (c.kind) {
    case 'added':
      return value(c.after, 'after');
    case 'removed':
      return value(c.before, 'before');
    case 'changed':
      return html`${value(c.before, 'before')}<span class="arrow">→</span>${value(c.after, 'after')}`;
    case 'moved':
      return html`to index ${c.to}`;
    case 'text':
      return html`<span class="mono">${c.patch}</span>`;
  }
}

function stepHeading(step: ParsedStep): TemplateResult {
  const e = step.view.event;
  const stream = e.label === undefined ? e.streamId : `${e.label} (${e.streamId})`;
  return html`<div class="muted step-heading">
    Step ${count(step.view.index + 1)}: ${qualifiedName(e.type)} · stream ${stream} · revision ${e.revision}
  </div>`;
}

export class StepTabs extends LightElement {
  static override properties = {
    step: { attribute: false },
    tab: { attribute: false },
    phase: { attribute: false },
    steps: { attribute: false },
    actions: { attribute: false },
    raw: { state: true },
  };

  declare step: ParsedStep | undefined;
  declare tab: TabId;
  declare phase: Phase;
  /** The replay's steps (0 before its summary). */
  declare steps: number;
  declare actions: ReplayActions;
  /** "Raw JSON" is ticked. */
  declare raw: boolean;

  constructor() {
    super();
    this.step = undefined;
    this.tab = 'state';
    this.phase = 'waiting';
    this.steps = 0;
    this.raw = false;
  }

  protected override render(): TemplateResult {
    const step = this.step;
    const tabIndex = TAB_IDS.indexOf(this.tab);
    const changes = step?.changes.length ?? 0;
    const outputs = step ? step.output.emitted.length + step.output.logs.length + (step.view.error ? 1 : 0) : 0;
    return html`<vscode-tabs
      selected-index=${tabIndex}
      @vsc-tabs-select=${(e: CustomEvent<{ selectedIndex: number }>) => this.actions.setTab(TAB_IDS[e.detail.selectedIndex] ?? 'state')}
    >
      <vscode-tab-header data-tab="state">State</vscode-tab-header>
      <vscode-tab-header data-tab="diff">Diff${step ? ` (${changes})` : ''}</vscode-tab-header>
      <vscode-tab-header data-tab="event">Event</vscode-tab-header>
      <vscode-tab-header data-tab="output">Output${outputs ? ` (${outputs})` : ''}</vscode-tab-header>
      <vscode-tab-panel data-panel="state"><div class="tab-body">${this.renderState(step)}</div></vscode-tab-panel>
      <vscode-tab-panel data-panel="diff"><div class="tab-body">${this.renderDiff(step)}</div></vscode-tab-panel>
      <vscode-tab-panel data-panel="event"><div class="tab-body">${this.renderEvent(step)}</div></vscode-tab-panel>
      <vscode-tab-panel data-panel="output"><div class="tab-body">${this.renderOutput(step)}</div></vscode-tab-panel>
    </vscode-tabs>`;
  }

  private rawToggle(): TemplateResult {
    return html`<label class="muted"
      ><input type="checkbox" .checked=${this.raw} @change=${(e: Event) => (this.raw = (e.target as HTMLInputElement).checked)} /> Raw
      JSON</label
    >`;
  }

  private noStep(): TemplateResult {
    const text =
      this.phase === 'open'
        ? this.steps
          ? 'Loading the step…'
          : 'There are no events to replay.'
        : this.phase === 'failed'
          ? 'The replay did not run.'
          : this.phase === 'untrusted'
            ? 'The projection does not run in an untrusted workspace.'
            : 'Replaying…';
    return html`<div class="empty">${text}</div>`;
  }

  private renderState(step: ParsedStep | undefined): TemplateResult {
    if (!step) return this.noStep();
    const view = step.view;
    const tools = html`${stepHeading(step)}
      <div class="tab-tools">
        <span class="muted">${this.rawToggle()}</span>
        <button class="ib" title="Expand all" @click=${() => this.querySelector<JsonTree>('#state-tree')?.expandAll()}>Expand all</button>
        <button class="ib" title="Collapse all" @click=${() => this.querySelector<JsonTree>('#state-tree')?.collapseAll()}>
          Collapse all
        </button>
      </div>`;
    if (view.stateAfter === undefined) {
      return html`${tools}
        <div class="empty">
          The state after this step is ${count(Math.round(view.stateSize / 1024))} KB of JSON, too large to show here: use Export State.
        </div>`;
    }
    if (step.stateProblem)
      return html`${tools}
        <div class="error-text">The state could not be read: ${step.stateProblem}</div>`;
    return html`${tools}
      <div class="jt-changed-note">State after this event${step.changes.length ? '; what it changed is highlighted' : ''}.</div>
      ${
        this.raw
          ? html`<pre class="raw mono" id="state-raw">${view.stateAfter}</pre>`
          : html`<es-json-tree id="state-tree" label="state" .value=${step.state} .highlights=${step.highlights}></es-json-tree>`
      }`;
  }

  private renderDiff(step: ParsedStep | undefined): TemplateResult {
    if (!step) return this.noStep();
    const view = step.view;
    const head = html`${stepHeading(step)}
      <div class="tab-tools"><span class="muted">${this.rawToggle()}</span></div>`;
    const notes = html`${view.error ? html`<p class="error-text">The handler threw: ${view.error} (the state keeps what it changed before).</p>` : nothing}
    ${view.invariantFailure ? html`<p class="error-text" id="diff-invariant">The invariant fails after this event: ${view.invariantFailure}</p>` : nothing}`;
    if (this.raw)
      return html`${head}${notes}
        <pre class="raw mono" id="diff-raw">${jsonText(step.delta, 2)}</pre>`;
    if (!step.changes.length)
      return html`${head}${notes}
        <div class="empty" id="diff-empty">This event changed nothing in the state.</div>`;
    return html`${head}${notes}
      <table class="diff" id="diff-table" aria-label="What this event changed">
        <tbody>
          ${step.changes.map(
            (c) =>
              html`<tr class=${c.kind}>
                <td class="what">${KIND_LABELS[c.kind]}</td>
                <td class="path">${formatPath(c.path, 'state')}</td>
                <td class="values">${changeValues(c)}</td>
              </tr>`,
          )}
        </tbody>
      </table>`;
  }

  private renderEvent(step: ParsedStep | undefined): TemplateResult {
    if (!step) return this.noStep();
    const e = step.view.event;
    const dataKinds: Record<string, string> = step.view.kinds;
    return html`<dl class="fields" id="event-fields">
        <dt>Type</dt>
        <dd>${e.type}</dd>
        <dt>Stream</dt>
        <dd id="event-stream">
          ${e.label === undefined ? e.streamId : html`<span class="stream-label">${e.label}</span> <span class="muted mono">${e.streamId}</span>`}
        </dd>
        <dt>Revision</dt>
        <dd>${e.revision}</dd>
        <dt>Position</dt>
        <dd>${e.position}</dd>
        <dt>Time</dt>
        <dd title=${e.timestamp ?? ''}>${e.timestamp ? `${timeText(e.timestamp)} (${e.timestamp})` : '—'}</dd>
      </dl>
      <div class="tab-tools"><span class="muted">${this.rawToggle()}</span></div>
      ${
        this.raw
          ? html`<pre class="raw mono" id="event-raw">${step.view.eventJson}</pre>`
          : html`<h3>Data</h3>
              <es-json-tree id="event-data" label="data" .value=${step.event.data} .kinds=${dataKinds}></es-json-tree>
              <h3>Metadata</h3>
              <es-json-tree id="event-metadata" label="metadata" .value=${step.event.metadata}></es-json-tree>`
      }`;
  }

  private renderOutput(step: ParsedStep | undefined): TemplateResult {
    if (!step) return this.noStep();
    const { view, output } = step;
    return html`${stepHeading(step)}
      <dl class="fields">
        <dt>Handler time</dt>
        <dd>${view.elapsedMs < 1 ? '< 1 ms' : `${view.elapsedMs.toFixed(1)} ms`}</dd>
      </dl>
      ${
        view.error
          ? html`<h3>Error</h3>
              <p class="error-text" id="output-error">${view.error}</p>`
          : nothing
      }
      ${
        view.invariantFailure
          ? html`<h3>Invariant</h3>
              <p class="error-text" id="output-invariant">${view.invariantFailure}</p>`
          : nothing
      }
      <h3>Log (${output.logs.length})</h3>
      ${output.logs.length ? html`<pre class="logs mono" id="output-logs">${output.logs.join('\n')}</pre>` : html`<div class="muted">Nothing logged at this step (console.log and log() go here).</div>`}
      <h3>Emitted (${output.emitted.length})</h3>
      ${
        output.emitted.length
          ? output.emitted.map(
              (e) =>
                html`<div class="emitted">
                  <div>
                    <strong>${e.kind === 'link' ? 'linkTo' : e.kind === 'result' ? 'result' : 'emit'}</strong> ${e.type} → ${e.stream}
                  </div>
                  <es-json-tree label="data" .value=${e.data}></es-json-tree>
                  ${e.metadata !== undefined ? html`<es-json-tree label="metadata" .value=${e.metadata}></es-json-tree>` : nothing}
                </div>`,
            )
          : html`<div class="muted">No events emitted or linked at this step.</div>`
      }`;
  }
}

customElements.define('es-step-tabs', StepTabs);
