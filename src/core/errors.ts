/**
 * An error a user can hit: its message is one sentence that names the file/URL/stream and the
 * problem, fit to show as it is. The underlying cause (with its stack) stays in `cause` for logs.
 */
export class EventscopeError extends Error {
  override readonly name = 'EventscopeError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Raised while decoding one stored event's state; the store adds where it happened. */
export class DecodeError extends EventscopeError {}

/** The message of any thrown value, without a stack. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
