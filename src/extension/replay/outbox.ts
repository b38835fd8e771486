/**
 * What the host sends a replay panel. The panel's page lives only while it is visible
 * (`retainContextWhenHidden` is off): messages posted to a hidden panel are lost, so the outbox
 * keeps the latest message of each lasting kind (summary, timeline, hits, cursor, step…) and sends
 * them again when the page says it is ready — after it was hidden, or reloaded.
 */

import type { HostMessage } from '../../shared/replayProtocol';

type Kind = HostMessage['type'];

/** Kinds worth re-sending to a new page. */
const LASTING: readonly Kind[] = ['untrusted', 'failed', 'progress', 'summary', 'timeline', 'hits', 'cursor', 'step', 'notice'];

/** A kind that makes earlier messages of other kinds stale. */
const CLEARS: Partial<Record<Kind, readonly Kind[]>> = {
  summary: ['untrusted', 'failed', 'progress'],
  failed: ['progress', 'untrusted'],
  progress: ['failed', 'untrusted'],
  untrusted: ['failed', 'progress'],
};

export class Outbox {
  private readonly latest = new Map<Kind, HostMessage>();
  private ready = false;
  /** The messages sent or buffered, newest last: for tests (the panel's `testApi`), off (0) unless a test asks for it. */
  readonly history: HostMessage[] = [];

  constructor(
    private readonly deliver: (message: HostMessage) => void,
    private readonly historyLimit = 0,
  ) {}

  send(message: HostMessage): void {
    if (this.historyLimit > 0) {
      this.history.push(message);
      if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    }
    for (const kind of CLEARS[message.type] ?? []) this.latest.delete(kind);
    if (LASTING.includes(message.type)) {
      // Kept in the order they were last sent: a new page sees them in the order the old one did.
      this.latest.delete(message.type);
      this.latest.set(message.type, message);
    }
    if (this.ready) this.deliver(message);
  }

  /** The page went away (hidden or disposed): hold messages until it is ready again. */
  pause(): void {
    this.ready = false;
  }

  /** The page is (again) ready: `first` (its init), then the latest of each lasting kind, oldest first. */
  resume(first: HostMessage): void {
    this.ready = true;
    this.deliver(first);
    for (const message of this.latest.values()) this.deliver(message);
  }

  /** The last message of a kind that was sent (tests): from the history, else the lasting ones. */
  last<K extends Kind>(kind: K): Extract<HostMessage, { type: K }> | undefined {
    for (let i = this.history.length - 1; i >= 0; i--) {
      const message = this.history[i];
      if (message.type === kind) return message as Extract<HostMessage, { type: K }>;
    }
    return this.latest.get(kind) as Extract<HostMessage, { type: K }> | undefined;
  }
}
