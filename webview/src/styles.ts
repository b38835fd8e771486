/**
 * The page's styles, adopted by the document as a constructable stylesheet (no <style> element, so
 * the CSP needs no 'unsafe-inline'). Colours are the theme's `--vscode-*` variables only.
 */

import { css } from 'lit';

export const pageStyles = css`
  html,
  body {
    margin: 0;
    padding: 0;
    height: 100%;
    overflow: hidden;
    color: var(--vscode-foreground);
    background: var(--vscode-editor-background);
    font-family: var(--vscode-font-family);
    font-size: var(--vscode-font-size);
  }
  replay-app {
    display: flex;
    flex-direction: column;
    height: 100vh;
    overflow: hidden;
  }
  /* The app's parts lay out as if their content stood in their place. */
  es-toolbar,
  es-find-bar,
  es-step-tabs {
    display: contents;
  }
  :focus-visible {
    outline: 1px solid var(--vscode-focusBorder);
    outline-offset: -1px;
  }
  button {
    font: inherit;
    color: inherit;
  }
  .icon {
    display: block;
  }
  code,
  pre,
  .mono {
    font-family: var(--vscode-editor-font-family);
    font-size: var(--vscode-editor-font-size);
  }

  /* Header */
  .top {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 4px 12px;
    padding: 8px 12px 4px;
  }
  .title {
    display: flex;
    flex-wrap: wrap;
    align-items: baseline;
    gap: 6px;
    min-width: 0;
    flex: 1;
  }
  .projection-name {
    font-weight: 600;
    font-size: 1.1em;
  }
  .kind {
    padding: 0 6px;
    border-radius: 8px;
    background: var(--vscode-badge-background);
    color: var(--vscode-badge-foreground);
    font-size: 0.85em;
  }
  .kind.generic {
    background: var(--vscode-statusBarItem-warningBackground, var(--vscode-badge-background));
    color: var(--vscode-statusBarItem-warningForeground, var(--vscode-badge-foreground));
  }
  .muted {
    color: var(--vscode-descriptionForeground);
  }
  .actions {
    display: flex;
    gap: 2px;
  }

  /* Icon buttons (toolbar and actions) */
  .ib {
    display: inline-flex;
    align-items: center;
    justify-content: center;
    gap: 4px;
    min-width: 26px;
    height: 26px;
    padding: 0 5px;
    border: 1px solid transparent;
    border-radius: 4px;
    background: transparent;
    color: var(--vscode-icon-foreground, var(--vscode-foreground));
    cursor: pointer;
  }
  .ib:hover:not(:disabled) {
    background: var(--vscode-toolbar-hoverBackground);
  }
  .ib:active:not(:disabled) {
    background: var(--vscode-toolbar-activeBackground);
  }
  .ib:disabled {
    opacity: 0.4;
    cursor: default;
  }
  .ib.pressed {
    background: var(--vscode-inputOption-activeBackground);
    border-color: var(--vscode-inputOption-activeBorder, transparent);
  }
  .ib .label {
    font-size: 0.95em;
  }

  /* Banners */
  .banners {
    padding: 0 12px;
  }
  .banner {
    display: flex;
    align-items: center;
    flex-wrap: wrap;
    gap: 8px;
    margin: 4px 0;
    padding: 5px 10px;
    border-left: 3px solid var(--vscode-notificationsInfoIcon-foreground, var(--vscode-focusBorder));
    background: var(--vscode-textBlockQuote-background, var(--vscode-editorWidget-background));
  }
  .banner .text {
    flex: 1;
    min-width: 200px;
  }
  .banner.warning {
    border-left-color: var(--vscode-notificationsWarningIcon-foreground, var(--vscode-editorWarning-foreground));
  }
  .banner.error {
    border-left-color: var(--vscode-notificationsErrorIcon-foreground, var(--vscode-errorForeground));
  }
  .banner .dismiss {
    min-width: 22px;
    height: 22px;
  }

  /* Toolbar */
  .toolbar {
    display: flex;
    align-items: center;
    gap: 2px;
    padding: 4px 12px;
    border-top: 1px solid var(--vscode-panel-border, transparent);
    border-bottom: 1px solid var(--vscode-panel-border, transparent);
  }
  .toolbar .sep {
    width: 1px;
    height: 18px;
    margin: 0 6px;
    background: var(--vscode-panel-border, var(--vscode-descriptionForeground));
  }
  .speed {
    height: 24px;
    color: var(--vscode-dropdown-foreground);
    background: var(--vscode-dropdown-background);
    border: 1px solid var(--vscode-dropdown-border, transparent);
    border-radius: 2px;
    font: inherit;
  }
  .slider-wrap {
    position: relative;
    flex: 1;
    min-width: 120px;
    margin: 0 8px;
  }
  .slider {
    width: 100%;
    margin: 0;
    accent-color: var(--vscode-button-background);
  }
  .strip {
    position: absolute;
    left: 0;
    right: 0;
    top: -3px;
    height: 4px;
    pointer-events: none;
  }
  .tick {
    position: absolute;
    top: 0;
    width: 2px;
    height: 4px;
  }
  .tick.error,
  .tick.failure {
    background: var(--vscode-errorForeground);
  }
  .tick.hit {
    background: var(--vscode-debugIcon-breakpointForeground, var(--vscode-charts-red));
  }
  .tick.found {
    background: var(--vscode-charts-purple, var(--vscode-focusBorder));
  }
  .counter {
    white-space: nowrap;
    font-variant-numeric: tabular-nums;
  }
  .keys-help {
    cursor: help;
    border-bottom: 1px dotted var(--vscode-descriptionForeground);
    margin-left: 8px;
  }

  /* Tools: find failure, breakpoints */
  .tools {
    display: flex;
    flex-wrap: wrap;
    gap: 6px 24px;
    padding: 6px 12px;
    border-bottom: 1px solid var(--vscode-panel-border, transparent);
  }
  .tool {
    display: flex;
    flex-wrap: wrap;
    align-items: center;
    gap: 6px;
    flex: 1;
    min-width: 300px;
  }
  .tool vscode-textfield {
    flex: 1;
    min-width: 160px;
  }
  .chips {
    display: flex;
    flex-wrap: wrap;
    gap: 4px;
    width: 100%;
  }
  .chip {
    display: inline-flex;
    align-items: center;
    gap: 4px;
    padding: 0 0 0 6px;
    border-radius: 10px;
    background: var(--vscode-badge-background);
    color: var(--vscode-badge-foreground);
  }
  .chip .bp {
    color: var(--vscode-debugIcon-breakpointForeground, var(--vscode-charts-red));
  }
  .chip .ib {
    min-width: 18px;
    height: 18px;
    color: inherit;
  }
  .problem {
    color: var(--vscode-errorForeground);
    width: 100%;
  }

  /* Main split */
  .main {
    flex: 1;
    display: flex;
    min-height: 0;
  }
  .left {
    width: 44%;
    min-width: 300px;
    max-width: 720px;
    display: flex;
    flex-direction: column;
    border-right: 1px solid var(--vscode-panel-border, transparent);
  }
  .filter-row {
    display: flex;
    align-items: center;
    gap: 8px;
    padding: 6px 8px;
  }
  .filter-row vscode-textfield {
    flex: 1;
  }
  .right {
    flex: 1;
    min-width: 0;
    display: flex;
    flex-direction: column;
  }
  vscode-tabs {
    flex: 1;
    min-height: 0;
    display: flex;
    flex-direction: column;
  }
  vscode-tab-panel:not([hidden]) {
    flex: 1;
    min-height: 0;
    overflow: auto;
  }
  .tab-body {
    padding: 8px 12px 16px;
  }
  .tab-tools {
    display: flex;
    align-items: center;
    gap: 8px;
    margin-bottom: 6px;
  }
  .step-heading {
    margin-bottom: 4px;
    overflow-wrap: anywhere;
  }
  .empty {
    padding: 24px 12px;
    color: var(--vscode-descriptionForeground);
  }

  /* Timeline */
  es-timeline {
    flex: 1;
    min-height: 0;
    display: flex;
    flex-direction: column;
  }
  .tl-head,
  .tl-row {
    display: flex;
    align-items: center;
    height: 22px;
    padding: 0 8px 0 4px;
    white-space: nowrap;
    gap: 8px;
  }
  .tl-head {
    color: var(--vscode-descriptionForeground);
    border-bottom: 1px solid var(--vscode-panel-border, transparent);
    font-size: 0.9em;
  }
  .tl-scroll {
    flex: 1;
    min-height: 0;
    overflow-y: auto;
    overflow-x: hidden;
    position: relative;
  }
  .tl-scroll:focus-visible {
    outline: 1px solid var(--vscode-focusBorder);
  }
  .tl-window {
    position: sticky;
    top: 0;
    overflow: hidden;
  }
  .tl-row {
    position: absolute;
    left: 0;
    right: 0;
    top: 0;
    cursor: pointer;
  }
  .tl-row:hover {
    background: var(--vscode-list-hoverBackground);
  }
  .tl-row.selected {
    background: var(--vscode-list-inactiveSelectionBackground);
    color: var(--vscode-list-inactiveSelectionForeground, inherit);
  }
  .tl-scroll:focus-within .tl-row.selected {
    background: var(--vscode-list-activeSelectionBackground);
    color: var(--vscode-list-activeSelectionForeground, inherit);
  }
  .tl-loading {
    color: var(--vscode-descriptionForeground);
  }
  .tl-mark {
    width: 12px;
    text-align: center;
    flex: none;
  }
  .mark-error .tl-mark,
  .mark-failure .tl-mark {
    color: var(--vscode-errorForeground);
  }
  .mark-hit .tl-mark {
    color: var(--vscode-debugIcon-breakpointForeground, var(--vscode-charts-red));
  }
  .mark-found .tl-mark {
    color: var(--vscode-charts-purple, var(--vscode-focusBorder));
  }
  .tl-num {
    width: 7ch;
    text-align: right;
    flex: none;
    color: var(--vscode-descriptionForeground);
    font-variant-numeric: tabular-nums;
  }
  .tl-type {
    flex: 1;
    min-width: 80px;
    overflow: hidden;
    text-overflow: ellipsis;
  }
  .tl-stream {
    width: 16ch;
    flex: none;
    overflow: hidden;
    text-overflow: ellipsis;
    font-family: var(--vscode-editor-font-family);
  }
  .tl-stream.tl-labelled {
    font-family: inherit;
  }
  .tl-rev {
    width: 4ch;
    text-align: right;
    flex: none;
    font-variant-numeric: tabular-nums;
  }
  .tl-aggregate {
    color: var(--vscode-descriptionForeground);
    font-size: 0.9em;
  }
  .tl-time {
    flex: 0 1 19ch;
    min-width: 0;
    color: var(--vscode-descriptionForeground);
    overflow: hidden;
  }

  /* JSON tree */
  .jt {
    font-family: var(--vscode-editor-font-family);
    font-size: var(--vscode-editor-font-size);
    line-height: 20px;
  }
  .jt-row {
    display: flex;
    align-items: center;
    gap: 4px;
    white-space: nowrap;
    min-height: 20px;
  }
  .jt-row.jt-changed {
    background: var(--vscode-diffEditor-insertedTextBackground, var(--vscode-editor-findMatchHighlightBackground));
  }
  .jt-toggle {
    display: inline-flex;
    width: 18px;
    height: 18px;
    padding: 0;
    border: none;
    background: transparent;
    cursor: pointer;
    color: var(--vscode-icon-foreground, var(--vscode-foreground));
    align-items: center;
    justify-content: center;
  }
  .jt-spacer {
    display: inline-block;
    width: 18px;
  }
  .jt-key {
    color: var(--vscode-symbolIcon-propertyForeground, var(--vscode-debugTokenExpression-name));
  }
  .jt-index {
    color: var(--vscode-descriptionForeground);
  }
  .jt-string {
    color: var(--vscode-debugTokenExpression-string);
    white-space: pre;
  }
  .jt-number {
    color: var(--vscode-debugTokenExpression-number);
  }
  .jt-boolean {
    color: var(--vscode-debugTokenExpression-boolean);
  }
  .jt-null,
  .jt-undefined {
    color: var(--vscode-debugTokenExpression-value, var(--vscode-descriptionForeground));
  }
  .jt-summary {
    color: var(--vscode-descriptionForeground);
  }
  .jt-tag {
    font-family: var(--vscode-font-family);
    font-size: 0.8em;
    padding: 0 4px;
    border-radius: 6px;
    border: 1px solid var(--vscode-descriptionForeground);
    color: var(--vscode-descriptionForeground);
  }
  .jt-more {
    display: block;
    border: none;
    background: transparent;
    color: var(--vscode-textLink-foreground);
    cursor: pointer;
    padding: 2px 0;
  }
  .jt-changed-note {
    color: var(--vscode-descriptionForeground);
    margin: 0 0 6px;
  }

  /* Diff */
  .diff {
    border-collapse: collapse;
    width: 100%;
    font-family: var(--vscode-editor-font-family);
    font-size: var(--vscode-editor-font-size);
  }
  .diff td {
    padding: 3px 8px;
    vertical-align: top;
    border-bottom: 1px solid var(--vscode-panel-border, transparent);
  }
  .diff .what {
    white-space: nowrap;
    font-family: var(--vscode-font-family);
    width: 1%;
  }
  .diff .path {
    overflow-wrap: anywhere;
  }
  .diff .values {
    width: 45%;
    overflow-wrap: anywhere;
  }
  .diff .short {
    white-space: nowrap;
  }
  .diff .added .what {
    color: var(--vscode-gitDecoration-addedResourceForeground, var(--vscode-charts-green));
  }
  .diff .removed .what {
    color: var(--vscode-gitDecoration-deletedResourceForeground, var(--vscode-errorForeground));
  }
  .diff .changed .what,
  .diff .moved .what,
  .diff .text .what {
    color: var(--vscode-gitDecoration-modifiedResourceForeground, var(--vscode-charts-yellow));
  }
  .before {
    background: var(--vscode-diffEditor-removedTextBackground);
    text-decoration: line-through;
    text-decoration-color: var(--vscode-descriptionForeground);
  }
  .after {
    background: var(--vscode-diffEditor-insertedTextBackground);
  }
  .arrow {
    color: var(--vscode-descriptionForeground);
    padding: 0 6px;
  }

  /* Event and output */
  .fields {
    display: grid;
    grid-template-columns: max-content 1fr;
    gap: 2px 12px;
    margin-bottom: 10px;
  }
  .fields dt {
    color: var(--vscode-descriptionForeground);
  }
  .fields dd {
    margin: 0;
    font-family: var(--vscode-editor-font-family);
    word-break: break-all;
  }
  h3 {
    font-size: 1em;
    font-weight: 600;
    margin: 12px 0 4px;
  }
  .raw {
    margin: 0;
    white-space: pre-wrap;
    word-break: break-all;
  }
  .error-text {
    color: var(--vscode-errorForeground);
  }
  .logs {
    margin: 0;
    padding: 6px 8px;
    background: var(--vscode-textCodeBlock-background);
    white-space: pre-wrap;
  }
  .emitted {
    margin: 4px 0 8px;
    padding: 4px 8px;
    border-left: 2px solid var(--vscode-panel-border, var(--vscode-descriptionForeground));
  }
  .progress {
    display: flex;
    align-items: center;
    gap: 8px;
  }
  .sr-only {
    position: absolute;
    width: 1px;
    height: 1px;
    overflow: hidden;
    clip: rect(0 0 0 0);
  }
`;
