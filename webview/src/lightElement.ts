/**
 * The base of the panel's elements: they render into their own light DOM, so the page's one
 * stylesheet (styles.ts, adopted by the document) styles them and selectors reach their content.
 */

import { LitElement } from 'lit';

export class LightElement extends LitElement {
  protected override createRenderRoot(): HTMLElement {
    return this;
  }
}
