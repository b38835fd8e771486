/** The webview's side of VS Code: typed messages to the host, and the state VS Code keeps for the panel. */

import type { HostMessage, PanelState, WebviewMessage } from '../../src/shared/replayProtocol';

interface VsCodeApi {
  postMessage(message: WebviewMessage): void;
  getState(): unknown;
  setState(state: PanelState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const api: VsCodeApi = acquireVsCodeApi();

export function post(message: WebviewMessage): void {
  api.postMessage(message);
}

export function savedState(): unknown {
  return api.getState();
}

export function saveState(state: PanelState): void {
  api.setState(state);
}

export function onHostMessage(handler: (message: HostMessage) => void): void {
  window.addEventListener('message', (event: MessageEvent<HostMessage>) => {
    // Only the host posts to this page; VS Code delivers its messages as MessageEvents of the window.
    if (event.data && typeof event.data === 'object' && typeof event.data.type === 'string') handler(event.data);
  });
}
