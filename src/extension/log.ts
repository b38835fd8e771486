/** The "Eventscope" log (a LogOutputChannel): details and stack traces go here, never to the user's face. */

import * as vscode from 'vscode';
import { messageOf } from '../core/errors';
import { userMessage } from './errors';

export class Log implements vscode.Disposable {
  private readonly channel = vscode.window.createOutputChannel('Eventscope', { log: true });

  info(message: string): void {
    this.channel.info(message);
  }

  /** Logs the message and the error's cause chain with stacks. */
  error(message: string, error?: unknown): void {
    this.channel.error(message);
    for (let cause = error; cause; cause = (cause as { cause?: unknown }).cause) {
      if (cause instanceof Error && cause.stack) this.channel.error(cause.stack);
      else if (cause !== error) this.channel.error(messageOf(cause));
    }
  }

  /** Logs "<doing> failed: <message>" with the error's causes and stacks. */
  failed(doing: string, error: unknown): void {
    this.error(`${doing} failed: ${messageOf(error)}`, error);
  }

  /**
   * Logs the failure (details, causes, stacks) and shows the user one sentence (`userMessage`)
   * with a "Show Log" button. Returns that sentence.
   */
  showError(error: unknown, doing: string): string {
    this.failed(doing, error);
    const message = userMessage(error, doing);
    void vscode.window.showErrorMessage(message, 'Show Log').then((choice) => {
      if (choice === 'Show Log') this.show();
    });
    return message;
  }

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
