/**
 * The panel's header (the projection, the source, the summary, the export buttons) and its banners
 * (progress, trust, failures, notices), drawn from the state.
 */

import { html, nothing, type TemplateResult } from 'lit';
import { classMap } from 'lit/directives/class-map.js';
import { describeBreaks } from '../../src/core/projection/breaks';
import type { Mark, NoticeLevel } from '../../src/shared/replayProtocol';
import type { ReplayActions } from './actions';
import { plural } from './format';
import { icons } from './icons';
import type { ReplayState } from './state';

export function renderHeader(state: ReplayState, actions: ReplayActions): TemplateResult {
  const s = state.summary;
  const kind = s?.projection.kind;
  const name = s ? (kind === 'generic' ? 'Generic (built-in)' : s.projection.name) : state.projectionLabel;
  const kindLabel =
    kind === 'generic'
      ? 'built-in · fields merged per stream, events counted by type'
      : kind === 'kurrentdb'
        ? 'KurrentDB script'
        : kind === 'module'
          ? 'module'
          : '';
  const isFile = state.target?.projection.kind === 'file';
  return html`<div class="top">
    <div class="title">
      <span class="projection-name" id="projection-name">${name}</span>
      ${kindLabel ? html`<span class=${classMap({ kind: true, generic: kind === 'generic' })} id="projection-kind">${kindLabel}</span>` : nothing}
      <span class="muted">over</span>
      <span id="source-label">${s?.source ?? state.sourceLabel}</span>
      ${
        s
          ? html`<span class="muted" id="summary-line"
              >${plural(s.steps, 'step')} · replayed in ${Math.round(s.elapsedMs)}
              ms${s.errors.length ? ` · ${plural(s.errors.length, 'handler error')}` : ''}${
                s.breaks.length
                  ? ` · ${describeBreaks(s.breaks, s.breaksTruncated)}${s.partitioning ? ` ${s.partitioning === 'stream' ? 'per stream' : 'per partition'}` : ''}`
                  : ''
              }${s.marksTruncated ? ' (the first ones are marked)' : ''}</span
            >`
          : nothing
      }
    </div>
    <div class="actions">
      ${
        isFile
          ? html`<button
                class="ib"
                title="Open the projection file"
                aria-label="Open the projection file"
                @click=${() => actions.send({ type: 'openProjection' })}
              >
                ${icons.file}
              </button>
              <button
                class="ib"
                title="Re-run (also happens when you save the projection)"
                aria-label="Re-run the replay"
                @click=${() => actions.send({ type: 'rerun' })}
              >
                ${icons.rerun}
              </button>`
          : nothing
      }
      <button
        class="ib"
        id="export-state"
        title="Export the state at this step as JSON"
        ?disabled=${state.phase !== 'open'}
        @click=${() => actions.send({ type: 'exportState' })}
      >
        ${icons.export}<span class="label">State</span>
      </button>
      <button
        class="ib"
        id="export-session"
        title="Export the session (events, states, diffs) as JSON"
        ?disabled=${state.phase !== 'open'}
        @click=${() => actions.send({ type: 'exportSession' })}
      >
        ${icons.export}<span class="label">Session</span>
      </button>
    </div>
  </div>`;
}

function banner(
  level: NoticeLevel,
  body: TemplateResult | string,
  id: string,
  extra: TemplateResult | typeof nothing = nothing,
): TemplateResult {
  return html`<div class=${classMap({ banner: true, [level]: true })} id=${id} role=${level === 'info' ? 'status' : 'alert'}>
    <span class="text">${body}</span>${extra}
  </div>`;
}

export function renderBanners(state: ReplayState, actions: ReplayActions): TemplateResult {
  const s = state.summary;
  const parts: TemplateResult[] = [];
  const goTo = (mark: Mark, label = 'Go to step') =>
    html`<vscode-button secondary @click=${() => actions.select(mark.index)}>${label} ${mark.index + 1}</vscode-button>`;
  if (state.phase === 'waiting')
    parts.push(
      banner('info', html`<span class="progress"><vscode-progress-ring></vscode-progress-ring> Starting…</span>`, 'progress-banner'),
    );
  if (state.phase === 'opening') {
    parts.push(
      banner(
        'info',
        html`<span class="progress"
          ><vscode-progress-ring></vscode-progress-ring> ${state.rerunning ? 'Re-running' : 'Replaying'}…
          ${plural(state.progress, 'step')}</span
        >`,
        'progress-banner',
      ),
    );
  }
  if (state.phase === 'untrusted') {
    parts.push(
      banner(
        'warning',
        state.untrustedMessage,
        'untrusted-banner',
        html`<vscode-button id="manage-trust" @click=${() => actions.send({ type: 'manageTrust' })}>Manage Workspace Trust</vscode-button>`,
      ),
    );
  } else if (!state.trusted && state.target?.projection.kind === 'generic') {
    parts.push(
      banner(
        'info',
        'Restricted Mode: the built-in generic projection runs (it is Eventscope’s own code); projection files from this workspace need it trusted.',
        'restricted-banner',
      ),
    );
  }
  if (state.phase === 'failed') {
    parts.push(
      banner(
        'error',
        state.failedMessage,
        'failed-banner',
        html`<vscode-button secondary @click=${() => actions.send({ type: 'showLog' })}>Show Log</vscode-button>
          <vscode-button @click=${() => actions.send({ type: 'rerun' })}>Try Again</vscode-button>`,
      ),
    );
  }
  if (state.phase === 'open' && s) {
    if (s.stopped) parts.push(banner('warning', s.stopped, 'stopped-banner'));
    if (s.firstFailure) {
      const isError = s.errors[0]?.index === s.firstFailure.index;
      parts.push(
        banner(
          'error',
          `${isError ? 'A handler first throws' : 'The invariant first fails'} at step ${s.firstFailure.index + 1}: ${s.firstFailure.message}`,
          'failure-banner',
          goTo(s.firstFailure),
        ),
      );
    }
    if (s.steps === 0) parts.push(banner('info', 'There are no events to replay.', 'empty-banner'));
  }
  if (state.notice) {
    const n = state.notice;
    parts.push(
      banner(
        n.level,
        n.message,
        'notice-banner',
        html`<button class="ib dismiss" title="Dismiss" aria-label="Dismiss" @click=${() => actions.dismissNotice()}>
          ${icons.close}
        </button>`,
      ),
    );
  }
  if (state.busy)
    parts.push(
      banner('info', html`<span class="progress"><vscode-progress-ring></vscode-progress-ring> ${state.busy}</span>`, 'busy-banner'),
    );
  return html`<div class="banners" aria-live="polite">${parts}</div>`;
}
