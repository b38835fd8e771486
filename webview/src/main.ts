/**
 * The replay panel's page (bundled by scripts/build.mjs into dist/webview/replay.js, an ES module
 * for the browser). Only the @vscode-elements components the panel uses are imported.
 */

import '@vscode-elements/elements/dist/vscode-button/index.js';
import '@vscode-elements/elements/dist/vscode-progress-ring/index.js';
import '@vscode-elements/elements/dist/vscode-tab-header/index.js';
import '@vscode-elements/elements/dist/vscode-tab-panel/index.js';
import '@vscode-elements/elements/dist/vscode-tabs/index.js';
import '@vscode-elements/elements/dist/vscode-textfield/index.js';
import { pageStyles } from './styles';
import './jsonTree';
import './timeline';
import './app';

// The page's own styles, as a constructable stylesheet (CSP-safe: no <style> element).
if (pageStyles.styleSheet) document.adoptedStyleSheets = [...document.adoptedStyleSheets, pageStyles.styleSheet];
