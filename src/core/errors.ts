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

/** A stream that is not in the store (its message names both). */
export class NoSuchStream extends EventscopeError {
  constructor(
    readonly streamId: string,
    location: string,
  ) {
    super(`There is no stream "${streamId}" in ${location}.`);
  }
}

/** Raised while decoding one stored event's state; the store adds where it happened. */
export class DecodeError extends EventscopeError {}

/**
 * A state that needs the cipher key, and none was given. The message says so without saying how
 * to give one: each face adds that (`--cipher-key` in a terminal, "Set Cipher Key…" in VS Code).
 */
export class MissingCipherKey extends DecodeError {
  constructor(message = 'the state looks encrypted and no cipher key was given', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Whether an error, or an error in its `cause` chain (a store wraps what it could not decode), is a MissingCipherKey. */
export function isMissingCipherKey(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let e = error; e instanceof Error && !seen.has(e); e = e.cause) {
    if (e instanceof MissingCipherKey) return true;
    seen.add(e);
  }
  return false;
}

/** A one-sentence message with a face's advice added: "<message without its full stop>; <advice>." */
export function withAdvice(message: string, advice: string): string {
  return `${message.replace(/\.$/, '')}; ${advice}.`;
}

/** An error as it crosses to or from a worker thread (classes do not survive structured cloning). */
export interface WireError {
  message: string;
  kind: 'missingCipherKey' | 'eventscope' | 'internal';
  stack?: string;
}

/** The wire form of any thrown value: its message, its kind, its stack. */
export function toWire(error: unknown): WireError {
  const kind = isMissingCipherKey(error) ? 'missingCipherKey' : error instanceof EventscopeError ? 'eventscope' : 'internal';
  return { message: messageOf(error), kind, ...(error instanceof Error && error.stack ? { stack: error.stack } : {}) };
}

/** The error a wire form stands for, of the same kind (a MissingCipherKey stays one). */
export function fromWire(wire: WireError): Error {
  const error =
    wire.kind === 'missingCipherKey'
      ? new MissingCipherKey(wire.message)
      : wire.kind === 'eventscope'
        ? new EventscopeError(wire.message)
        : new Error(wire.message);
  if (wire.stack) error.stack = wire.stack;
  return error;
}

/** The message of any thrown value, without a stack. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
