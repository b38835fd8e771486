/**
 * The stepping toolbar: first / back / play / forward / last, the speed, the breakpoint runs, the
 * slider with ticks where the marked steps are, the step counter and the keys' help.
 */

import { html, nothing, type TemplateResult } from 'lit';
import { classMap } from 'lit/directives/class-map.js';
import { live } from 'lit/directives/live.js';
import type { ReplayActions } from './actions';
import { count } from './format';
import { icons } from './icons';
import { KEYS_HELP } from './keys';
import { LightElement } from './lightElement';
import { styleProps } from './styleProps';
import type { MarkKind, Marks } from '../../src/shared/replayMarks';

const SPEEDS = [1, 2, 5, 10, 20, 50];

export class ReplayToolbar extends LightElement {
  static override properties = {
    open: { attribute: false },
    steps: { attribute: false },
    index: { attribute: false },
    playing: { attribute: false },
    speed: { attribute: false },
    hasBreakpoints: { attribute: false },
    marks: { attribute: false },
    actions: { attribute: false },
  };

  /** The replay is open (its summary arrived). */
  declare open: boolean;
  declare steps: number;
  /** The cursor's step. */
  declare index: number;
  declare playing: boolean;
  declare speed: number;
  declare hasBreakpoints: boolean;
  declare marks: Marks['steps'];
  declare actions: ReplayActions;

  constructor() {
    super();
    this.open = false;
    this.steps = 0;
    this.index = 0;
    this.playing = false;
    this.speed = 5;
    this.hasBreakpoints = false;
    this.marks = [];
  }

  protected override render(): TemplateResult {
    const steps = this.steps;
    const open = this.open && steps > 0;
    const index = this.index;
    const a = this.actions;
    const button = (id: string, label: string, keys: string, icon: TemplateResult, action: () => void, disabled = !open) =>
      html`<button
        class="ib"
        id=${id}
        title=${`${label} (${keys})`}
        aria-label=${label}
        aria-keyshortcuts=${keys}
        ?disabled=${disabled}
        @click=${action}
      >
        ${icon}
      </button>`;
    return html`<div class="toolbar" role="toolbar" aria-label="Stepping">
      ${button('first', 'First step', 'Home', icons.first, () => a.move('first'))}
      ${button('back', 'Previous step', 'ArrowUp k', icons.back, () => a.move('back'))}
      <button
        class=${classMap({ ib: true, pressed: this.playing })}
        id="play"
        title=${`${this.playing ? 'Pause' : 'Play'} (Space)`}
        aria-label=${this.playing ? 'Pause' : 'Play'}
        aria-pressed=${this.playing ? 'true' : 'false'}
        ?disabled=${!open}
        @click=${() => a.togglePlay()}
      >
        ${this.playing ? icons.pause : icons.play}
      </button>
      ${button('forward', 'Next step', 'ArrowDown j', icons.forward, () => a.move('forward'))}
      ${button('last', 'Last step', 'End', icons.last, () => a.move('last'))}
      <select
        class="speed"
        aria-label="Playing speed"
        title="Steps per second while playing"
        @change=${(e: Event) => a.setSpeed(Number((e.target as HTMLSelectElement).value))}
      >
        ${SPEEDS.map((s) => html`<option value=${s} ?selected=${s === this.speed}>${s}/s</option>`)}
      </select>
      <span class="sep"></span>
      ${button('previous-hit', 'Run back to the previous breakpoint hit', 'Shift+F5 N', icons.previousHit, () => a.runToHit('backward'), !open || !this.hasBreakpoints)}
      ${button('next-hit', 'Run to the next breakpoint hit', 'F5 n', icons.nextHit, () => a.runToHit('forward'), !open || !this.hasBreakpoints)}
      <div class="slider-wrap">
        <input
          class="slider"
          id="slider"
          type="range"
          min="0"
          max=${Math.max(0, steps - 1)}
          .value=${live(String(index))}
          ?disabled=${!open}
          aria-label="Step"
          aria-valuetext=${`Step ${index + 1} of ${steps}`}
          @input=${(e: Event) => a.select(Number((e.target as HTMLInputElement).value))}
        />
        ${this.renderStrip(steps)}
      </div>
      <span class="counter" id="step-counter" aria-live="polite">${open ? `Step ${count(index + 1)} of ${count(steps)}` : 'No step'}</span>
      <span class="keys-help" tabindex="0" title=${KEYS_HELP} aria-label=${`Keyboard shortcuts: ${KEYS_HELP}`}>Keys</span>
    </div>`;
  }

  /** Ticks above the slider where errors, failures and hits are (at most a few hundred). */
  private renderStrip(steps: number): TemplateResult | typeof nothing {
    if (steps < 2) return nothing;
    const ticks = new Map<number, MarkKind>();
    for (const [i, kind] of this.marks) {
      const pct = Math.round((i / (steps - 1)) * 400);
      if (!ticks.has(pct)) ticks.set(pct, kind);
    }
    return html`<div class="strip" aria-hidden="true">
      ${[...ticks].map(([pct, kind]) => html`<span class=${`tick ${kind}`} ${styleProps({ left: `calc(${pct / 4}% - 1px)` })}></span>`)}
    </div>`;
  }
}

customElements.define('es-toolbar', ReplayToolbar);
