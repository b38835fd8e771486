/**
 * The VS Code extension's entry point. The explorer (connections, streams tree, event documents)
 * arrives with its own issue; for now activation only registers what exists and opens nothing.
 */

import type * as vscode from 'vscode';

export function activate(_context: vscode.ExtensionContext): void {
  // Activation stays cheap: no store is opened until a view asks for one.
}

export function deactivate(): void {}
