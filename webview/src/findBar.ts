/**
 * The find bar: "Find first failure" with its expression, and the breakpoints (a field to add one,
 * the hit count, a chip per breakpoint, the problems of conditions that could not run).
 */

import { html, nothing, type TemplateResult } from 'lit';
import { live } from 'lit/directives/live.js';
import type { Breakpoint } from '../../src/shared/replayProtocol';
import type { ReplayActions } from './actions';
import { plural } from './format';
import { icons } from './icons';
import { LightElement } from './lightElement';

/** A condition typed as a breakpoint, or an event type (letters, digits, dots, colons). */
export function breakpointFrom(text: string): Breakpoint | undefined {
  const t = text.trim();
  if (!t) return undefined;
  return /^[\w.:$-]+$/.test(t) && !/^(true|false|null|\d+)$/.test(t) ? { kind: 'type', type: t } : { kind: 'condition', expression: t };
}

function describeBreakpoint(b: Breakpoint): string {
  return b.kind === 'type' ? `type ${b.type}` : `when ${b.expression}`;
}

export class FindBar extends LightElement {
  static override properties = {
    open: { attribute: false },
    hasInvariant: { attribute: false },
    python: { attribute: false },
    expression: { attribute: false },
    breakpoints: { attribute: false },
    hits: { attribute: false },
    hitsTruncated: { attribute: false },
    problems: { attribute: false },
    actions: { attribute: false },
    breakpointText: { state: true },
  };

  /** The replay is open (its summary arrived). */
  declare open: boolean;
  declare hasInvariant: boolean;
  /** A Python replay: expressions are Python, over `aggregate` too. */
  declare python: boolean;
  declare expression: string;
  declare breakpoints: Breakpoint[];
  declare hits: number;
  declare hitsTruncated: boolean;
  declare problems: string[];
  declare actions: ReplayActions;
  /** What is typed in the new breakpoint's field. */
  declare breakpointText: string;

  constructor() {
    super();
    this.open = false;
    this.hasInvariant = false;
    this.python = false;
    this.expression = '';
    this.breakpoints = [];
    this.hits = 0;
    this.hitsTruncated = false;
    this.problems = [];
    this.breakpointText = '';
  }

  private addBreakpoint(): void {
    const b = breakpointFrom(this.breakpointText);
    if (!b) return;
    if (!this.breakpoints.some((x) => describeBreakpoint(x) === describeBreakpoint(b)))
      this.actions.setBreakpoints([...this.breakpoints, b]);
    this.breakpointText = '';
  }

  protected override render(): TemplateResult {
    const open = this.open;
    const a = this.actions;
    const over = this.python ? 'a Python expression over aggregate, state, event, before' : 'an expression over state, event, before';
    const invariantHint = this.hasInvariant
      ? `Empty: the projection’s invariant. Or ${over} that must stay true`
      : `${over[0].toUpperCase()}${over.slice(1)} that must stay true (this projection has no invariant)`;
    return html`<div class="tools">
      <div class="tool">
        <vscode-textfield
          id="expression"
          placeholder=${invariantHint}
          aria-label="Invariant expression for Find first failure"
          title=${invariantHint}
          .value=${live(this.expression)}
          @input=${(e: Event) => a.setExpression((e.target as HTMLInputElement).value)}
          @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && a.findFailure('start')}
        ></vscode-textfield>
        <vscode-button
          id="find-failure"
          ?disabled=${!open}
          title="Find the first step that breaks the invariant (f)"
          @click=${() => a.findFailure('start')}
        >
          Find first failure
        </vscode-button>
        <vscode-button
          secondary
          id="find-next"
          ?disabled=${!open}
          title="The next step after this one where the invariant breaks (goes from holding to failing)"
          @click=${() => a.findFailure('next')}
          >Next</vscode-button
        >
      </div>
      <div class="tool">
        <vscode-textfield
          id="breakpoint-input"
          placeholder=${
            this.python
              ? 'Breakpoint: an event type (Debited) or a Python condition (aggregate.balance < 0)'
              : 'Breakpoint: an event type (Debited) or a condition (state.count > 3)'
          }
          aria-label="New breakpoint: an event type or a condition"
          .value=${live(this.breakpointText)}
          @input=${(e: Event) => (this.breakpointText = (e.target as HTMLInputElement).value)}
          @keydown=${(e: KeyboardEvent) => e.key === 'Enter' && this.addBreakpoint()}
        ></vscode-textfield>
        <vscode-button secondary id="add-breakpoint" ?disabled=${!open} @click=${() => this.addBreakpoint()}>Add breakpoint</vscode-button>
        ${
          this.breakpoints.length
            ? html`<span class="muted" id="hit-count">${plural(this.hits, 'hit')}${this.hitsTruncated ? '+' : ''}</span>`
            : nothing
        }
        ${
          this.breakpoints.length
            ? html`<div class="chips">
                ${this.breakpoints.map(
                  (b) =>
                    html`<span class="chip"
                      ><span class="bp">${icons.breakpoint}</span>${describeBreakpoint(b)}<button
                        class="ib"
                        title="Remove this breakpoint"
                        aria-label=${`Remove the breakpoint ${describeBreakpoint(b)}`}
                        @click=${() => a.setBreakpoints(this.breakpoints.filter((x) => x !== b))}
                      >
                        ${icons.close}
                      </button></span
                    >`,
                )}
              </div>`
            : nothing
        }
        ${this.problems.map((p) => html`<div class="problem">${p}</div>`)}
      </div>
    </div>`;
  }
}

customElements.define('es-find-bar', FindBar);
