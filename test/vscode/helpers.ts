/** What the extension-host tests share. */

import type { Ctx } from '../../src/extension/ctx';

/** Polls `probe` until it gives a value (not undefined or false), or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 30_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** What `work` answers, and the sentences the extension showed as error notifications meanwhile (`Log.showError`). */
export async function errorsShownBy<T>(ctx: Ctx, work: () => Thenable<T>): Promise<[T, string[]]> {
  const shown: string[] = [];
  const showError = ctx.log.showError.bind(ctx.log);
  ctx.log.showError = (error, doing) => {
    const message = showError(error, doing);
    shown.push(message);
    return message;
  };
  try {
    return [await work(), shown];
  } finally {
    ctx.log.showError = showError;
  }
}
