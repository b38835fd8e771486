/**
 * The panel's icons as inline SVG (16×16, `currentColor`), instead of the codicon font: the font
 * (@vscode/codicons) is not a dependency, and inline SVG needs no font-src or stylesheet in the CSP.
 */

import { svg, type SVGTemplateResult } from 'lit';

const icon = (body: SVGTemplateResult) =>
  svg`<svg class="icon" viewBox="0 0 16 16" width="16" height="16" aria-hidden="true" focusable="false" fill="currentColor">${body}</svg>`;

export const icons = {
  first: icon(svg`<rect x="3" y="3" width="1.6" height="10"/><path d="M13 3v10L5.5 8z"/>`),
  back: icon(svg`<path d="M11 3v10L3.5 8z"/>`),
  forward: icon(svg`<path d="M5 3v10l7.5-5z"/>`),
  last: icon(svg`<path d="M3 3v10l7.5-5z"/><rect x="11.4" y="3" width="1.6" height="10"/>`),
  play: icon(svg`<path d="M4 2.5v11l9-5.5z"/>`),
  pause: icon(svg`<rect x="4" y="3" width="3" height="10"/><rect x="9" y="3" width="3" height="10"/>`),
  nextHit: icon(svg`<path d="M2 3v10l7.5-5z"/><circle cx="12.5" cy="8" r="2.5"/>`),
  previousHit: icon(svg`<path d="M14 3v10L6.5 8z"/><circle cx="3.5" cy="8" r="2.5"/>`),
  breakpoint: icon(svg`<circle cx="8" cy="8" r="4.5"/>`),
  search: icon(
    svg`<path d="M6.5 1.5a5 5 0 0 1 3.96 8.05l3.75 3.75-1.06 1.06-3.75-3.75A5 5 0 1 1 6.5 1.5zm0 1.5a3.5 3.5 0 1 0 0 7 3.5 3.5 0 0 0 0-7z"/>`,
  ),
  export: icon(
    svg`<path d="M7.25 1.5h1.5v7.19l2.47-2.47 1.06 1.06L8 11.56 3.72 7.28l1.06-1.06 2.47 2.47z"/><rect x="2" y="12.5" width="12" height="1.5"/>`,
  ),
  file: icon(svg`<path d="M3 1.5h6.5L13 5v9.5H3zm1.5 1.5v10h7V6H8.5V3z"/>`),
  rerun: icon(
    svg`<path d="M8 2.5a5.5 5.5 0 1 0 5.32 6.9l-1.45-.38A4 4 0 1 1 8 4h.06L6.7 5.36l1.06 1.06L10.94 3.25 7.76.07 6.7 1.13l1.37 1.37z"/>`,
  ),
  close: icon(svg`<path d="M4.2 3.1 8 6.9l3.8-3.8 1.1 1.1L9.1 8l3.8 3.8-1.1 1.1L8 9.1l-3.8 3.8-1.1-1.1L6.9 8 3.1 4.2z"/>`),
  chevronRight: icon(svg`<path d="M6 3.5 10.5 8 6 12.5 5 11.5 8.5 8 5 4.5z"/>`),
  chevronDown: icon(svg`<path d="M3.5 6 8 10.5 12.5 6l-1-1L8 8.5 4.5 5z"/>`),
};
