/** The "Eventscope" log (a LogOutputChannel): details and stack traces go here, never to the user's face. */

import * as vscode from 'vscode';
import { messageOf } from '../core/errors';

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

  show(): void {
    this.channel.show(true);
  }

  dispose(): void {
    this.channel.dispose();
  }
}
