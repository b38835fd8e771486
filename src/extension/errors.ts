/** What the user reads when something fails in VS Code: one sentence, with the advice VS Code can give. */

import { EventscopeError, isMissingCipherKey, messageOf, withAdvice } from '../core/errors';

/** How VS Code gives the cipher key the core says is missing (the Quick Pick of "Edit Connection…"). */
export const CIPHER_KEY_ADVICE = 'give it with "Eventscope: Edit Connection…" › "Set Cipher Key…"';

/**
 * One sentence for the user: an EventscopeError's message (with the cipher-key advice when that is
 * what is missing), or for any other error "<doing> failed (<its first line>); details are in the Eventscope log."
 */
export function userMessage(error: unknown, doing: string): string {
  if (error instanceof EventscopeError) return isMissingCipherKey(error) ? withAdvice(error.message, CIPHER_KEY_ADVICE) : error.message;
  const [line] = messageOf(error).trim().split('\n');
  return `${doing} failed (${line.trim()}); details are in the Eventscope log.`;
}
