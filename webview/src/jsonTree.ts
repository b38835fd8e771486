/**
 * A collapsible JSON tree (light DOM, text only). Nodes the user opens or closes stay that way
 * from step to step (by path); nodes on the way to something this step changed open by themselves
 * and the changed ones are highlighted. Big containers show their first children, then "Show more".
 */

import { html, nothing, type TemplateResult } from 'lit';
import { classMap } from 'lit/directives/class-map.js';
import { pathKey, type PathPart } from '../../src/shared/deltaPaths';
import { leafClass, leafText, plural } from './format';
import { icons } from './icons';
import { LightElement } from './lightElement';
import { styleProps } from './styleProps';

export interface Highlights {
  exact: Set<string>;
  within: Set<string>;
}

const FIRST_CHILDREN = 200;
const MORE_CHILDREN = 1000;
/** Containers opened by default at depth 1 when they are this small. */
const SMALL = 25;

const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] => typeof v === 'object' && v !== null;

/** The JSON pointer of a path (kinds of exact values are keyed by it). */
function pointer(path: readonly PathPart[]): string {
  return path.map((p) => `/${String(p).replace(/~/g, '~0').replace(/\//g, '~1')}`).join('');
}

export class JsonTree extends LightElement {
  static override properties = {
    value: { attribute: false },
    label: {},
    highlights: { attribute: false },
    kinds: { attribute: false },
  };

  declare value: unknown;
  declare label: string;
  declare highlights: Highlights | undefined;
  declare kinds: Record<string, string> | undefined;
  private readonly opened = new Set<string>();
  private readonly closed = new Set<string>();
  private readonly shown = new Map<string, number>();

  constructor() {
    super();
    this.value = undefined;
    this.label = 'value';
    this.highlights = undefined;
    this.kinds = undefined;
  }

  private isOpen(key: string, depth: number, size: number): boolean {
    if (this.opened.has(key)) return true;
    if (this.closed.has(key)) return false;
    return depth === 0 || (depth === 1 && size <= SMALL) || (this.highlights?.within.has(key) ?? false);
  }

  private toggle(key: string, open: boolean): void {
    if (open) {
      this.opened.delete(key);
      this.closed.add(key);
    } else {
      this.closed.delete(key);
      this.opened.add(key);
    }
    this.requestUpdate();
  }

  /** Opens every container (up to a few thousand). */
  expandAll(): void {
    this.closed.clear();
    let budget = 5000;
    const visit = (value: unknown, path: PathPart[]) => {
      if (!isContainer(value) || budget-- <= 0) return;
      this.opened.add(pathKey(path));
      const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
      for (const [k, v] of entries.slice(0, FIRST_CHILDREN)) visit(v, [...path, k]);
    };
    visit(this.value, []);
    this.requestUpdate();
  }

  /** Closes everything below the root. */
  collapseAll(): void {
    this.opened.clear();
    const root = this.value;
    if (isContainer(root)) {
      const keys = Array.isArray(root) ? root.map((_, i) => i) : Object.keys(root);
      for (const k of keys) this.closed.add(pathKey([k]));
    }
    this.requestUpdate();
  }

  protected override render(): TemplateResult {
    return html`<div class="jt" role="tree" aria-label=${this.label}>${this.node(this.label, this.value, [], 0)}</div>`;
  }

  private node(name: PathPart, value: unknown, path: PathPart[], depth: number): TemplateResult {
    const key = pathKey(path);
    const changed = this.highlights?.exact.has(key) ?? false;
    const classes = classMap({
      'jt-row': true,
      'jt-changed': changed,
      'jt-within': !changed && (this.highlights?.within.has(key) ?? false),
    });
    const indent = styleProps({ 'padding-left': `${depth * 14 + 4}px` });
    const label = typeof name === 'number' ? html`<span class="jt-index">${name}</span>` : html`<span class="jt-key">${name}</span>`;
    if (!isContainer(value)) {
      const kind = this.kinds?.[pointer(path)];
      return html`<div class=${classes} ${indent} role="treeitem" data-path=${key}>
        <span class="jt-spacer"></span>${label}<span class="jt-colon">:</span>
        <span class=${leafClass(value)}>${leafText(value)}</span>${kind ? html`<span class="jt-tag">${kind}</span>` : nothing}
      </div>`;
    }
    const entries: (readonly [PathPart, unknown])[] = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
    const open = this.isOpen(key, depth, entries.length);
    const summary = Array.isArray(value) ? `[ ${plural(entries.length, 'item')} ]` : `{ ${plural(entries.length, 'key')} }`;
    const limit = this.shown.get(key) ?? FIRST_CHILDREN;
    return html`<div class=${classes} ${indent} role="treeitem" aria-expanded=${open ? 'true' : 'false'} data-path=${key}>
        <button
          class="jt-toggle"
          title=${open ? 'Collapse' : 'Expand'}
          aria-label=${`${open ? 'Collapse' : 'Expand'} ${String(name)}`}
          @click=${() => this.toggle(key, open)}
        >
          ${open ? icons.chevronDown : icons.chevronRight}
        </button>
        ${label}<span class="jt-colon">:</span> <span class="jt-summary">${summary}</span>
      </div>
      ${
        open
          ? html`${entries.slice(0, limit).map(([k, v]) => this.node(k, v, [...path, k], depth + 1))}
            ${
              entries.length > limit
                ? html`<button
                    class="jt-more"
                    ${styleProps({ 'margin-left': `${(depth + 1) * 14 + 22}px` })}
                    @click=${() => {
                      this.shown.set(key, limit + MORE_CHILDREN);
                      this.requestUpdate();
                    }}
                  >
                    Show ${Math.min(MORE_CHILDREN, entries.length - limit)} more of ${entries.length - limit}…
                  </button>`
                : nothing
            }`
          : nothing
      }`;
  }
}

customElements.define('es-json-tree', JsonTree);
