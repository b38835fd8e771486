/**
 * Inline style properties set through the CSSOM only. Lit's `styleMap` writes its first render as
 * a `style="…"` attribute, which a CSP without 'unsafe-inline' blocks (style-src-attr); setting
 * `element.style` properties from script is allowed. Use on an element: `<div ${styleProps({…})}>`.
 */

import { noChange } from 'lit';
import { Directive, directive, PartType, type ElementPart, type PartInfo } from 'lit/directive.js';

/** CSS property names in kebab-case (`padding-left`) to values. */
export type StyleProps = Record<string, string>;

class StylePropsDirective extends Directive {
  private previous = new Set<string>();

  constructor(part: PartInfo) {
    super(part);
    if (part.type !== PartType.ELEMENT) throw new Error('styleProps() goes on an element, not in an attribute');
  }

  render(_props: StyleProps): unknown {
    return noChange;
  }

  override update(part: ElementPart, [props]: [StyleProps]): unknown {
    const style = (part.element as HTMLElement).style;
    for (const name of this.previous) if (!(name in props)) style.removeProperty(name);
    for (const [name, value] of Object.entries(props)) if (style.getPropertyValue(name) !== value) style.setProperty(name, value);
    this.previous = new Set(Object.keys(props));
    return noChange;
  }
}

export const styleProps = directive(StylePropsDirective);
