/** The replay panel's page: one module script (dist/webview/replay.js) under a strict CSP. */

import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';

/** The folder the panel may load from (`localResourceRoots`): the built webview, nothing else. */
export function webviewRoot(extensionUri: vscode.Uri): vscode.Uri {
  return vscode.Uri.joinPath(extensionUri, 'dist', 'webview');
}

/**
 * The Content-Security-Policy: no network, no images, no inline or eval'd script (only our script,
 * by nonce), styles and fonts only from the extension. Lit and @vscode-elements style their shadow
 * roots and the page through constructable stylesheets (`adoptedStyleSheets`), which CSP does not
 * govern, so no `'unsafe-inline'` is needed; inline style properties are set through the CSSOM
 * (webview/src/styleProps.ts), never as `style="…"` markup. VS Code injects its theme stylesheet
 * before this policy. The page reports any violation to the host (the tests check there is none).
 */
export function contentSecurityPolicy(webview: vscode.Webview, nonce: string): string {
  return ["default-src 'none'", `script-src 'nonce-${nonce}'`, `style-src ${webview.cspSource}`, `font-src ${webview.cspSource}`].join(
    '; ',
  );
}

export function replayHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(18).toString('base64url');
  const script = webview.asWebviewUri(vscode.Uri.joinPath(webviewRoot(extensionUri), 'replay.js'));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview, nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>Eventscope Replay</title>
</head>
<body>
<replay-app></replay-app>
<script type="module" nonce="${nonce}" src="${script.toString()}"></script>
</body>
</html>`;
}
