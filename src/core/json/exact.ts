/**
 * JSON that keeps what JavaScript numbers lose: integers beyond 2^53 become `bigint`, and the
 * non-standard `NaN`, `Infinity` and `-Infinity` that Python's json module writes are accepted.
 */

import { DecodeError } from '../errors';

type Reviver = (this: unknown, key: string, value: unknown, context?: { source?: string }) => unknown;

const LONG_DIGITS = /\d{16}/;
const INTEGER_TEXT = /^-?\d+$/;

const reviveBigInts: Reviver = (_key, value, context) => {
  if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source !== undefined) {
    if (INTEGER_TEXT.test(context.source)) return BigInt(context.source);
  }
  return value;
};

/** Whether a parsed value holds an integer JSON.parse may have rounded. */
function hasUnsafeInteger(value: unknown): boolean {
  if (typeof value === 'number') return Number.isInteger(value) && !Number.isSafeInteger(value);
  if (value === null || typeof value !== 'object') return false;
  for (const v of Array.isArray(value) ? value : Object.values(value)) if (hasUnsafeInteger(v)) return true;
  return false;
}

/**
 * Parses JSON text exactly. The fast path is the engine's own JSON.parse; only text whose result
 * holds an integer beyond 2^53 is parsed again with a reviver that reads the digits, and only
 * text JSON.parse rejects (NaN, Infinity) goes through the tolerant parser below, which throws a
 * JsonSyntaxError (where and what) for text that is not JSON.
 */
export function parseExactJson(text: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return new TolerantParser(text).parseDocument();
  }
  if (!LONG_DIGITS.test(text) || !hasUnsafeInteger(value)) return value;
  return parseWithBigInts(text);
}

/**
 * JSON.parse that keeps integers beyond 2^53 as bigint (for text known to hold one: it costs a
 * reviver call per value).
 */
export function parseWithBigInts(text: string): unknown {
  return (JSON.parse as (text: string, reviver: Reviver) => unknown)(text, reviveBigInts);
}

/**
 * Text that is not JSON, and where: `offset` (UTF-16 code units into the text; its length when the
 * text ends too soon) and `reason` (what was expected or found there).
 */
export class JsonSyntaxError extends DecodeError {
  constructor(
    readonly reason: string,
    readonly offset: number,
    readonly atEnd: boolean,
  ) {
    super(`invalid JSON ${atEnd ? 'at the end (truncated?)' : `at character ${offset}`}: ${reason}`);
  }
}

class TolerantParser {
  private i = 0;
  constructor(private readonly text: string) {}

  parseDocument(): unknown {
    const value = this.value();
    this.space();
    if (this.i < this.text.length) this.fail('unexpected text after the JSON value');
    return value;
  }

  private fail(what: string): never {
    throw new JsonSyntaxError(what, Math.min(this.i, this.text.length), this.i >= this.text.length);
  }

  private space(): void {
    const t = this.text;
    while (this.i < t.length) {
      const c = t.charCodeAt(this.i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) this.i++;
      else break;
    }
  }

  private value(): unknown {
    this.space();
    const t = this.text;
    const c = t[this.i];
    switch (c) {
      case '{':
        return this.object();
      case '[':
        return this.array();
      case '"':
        return this.string();
      case 't':
        return this.word('true', true);
      case 'f':
        return this.word('false', false);
      case 'n':
        return this.word('null', null);
      case 'N':
        return this.word('NaN', NaN);
      case 'I':
        return this.word('Infinity', Infinity);
      case undefined:
        return this.fail('expected a value');
      default:
        if (c === '-' && t.startsWith('-Infinity', this.i)) return this.word('-Infinity', -Infinity);
        if (c === '-' || (c >= '0' && c <= '9')) return this.number();
        return this.fail(`unexpected ${JSON.stringify(c)}`);
    }
  }

  private word<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.i)) this.fail(`expected ${word}`);
    this.i += word.length;
    return value;
  }

  private number(): number | bigint {
    const match = /^-?(?:0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.text.slice(this.i, this.i + 400));
    if (!match) return this.fail('malformed number');
    this.i += match[0].length;
    const n = Number(match[0]);
    if (!match[1] && !match[2] && !Number.isSafeInteger(n)) return BigInt(match[0]);
    return n;
  }

  private string(): string {
    const t = this.text;
    const start = this.i;
    this.i++;
    for (;;) {
      const end = t.indexOf('"', this.i);
      if (end < 0) {
        this.i = t.length;
        this.fail('unterminated string');
      }
      let backslashes = 0;
      for (let k = end - 1; k > start && t[k] === '\\'; k--) backslashes++;
      this.i = end + 1;
      if (backslashes % 2 === 0) break;
    }
    try {
      return JSON.parse(t.slice(start, this.i)) as string;
    } catch {
      this.i = start;
      return this.fail('malformed string');
    }
  }

  private array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    this.space();
    if (this.text[this.i] === ']') {
      this.i++;
      return out;
    }
    for (;;) {
      out.push(this.value());
      this.space();
      const c = this.text[this.i++];
      if (c === ']') return out;
      if (c !== ',') {
        this.i--;
        this.fail('expected , or ]');
      }
    }
  }

  private object(): Record<string, unknown> {
    this.i++;
    const out: Record<string, unknown> = {};
    this.space();
    if (this.text[this.i] === '}') {
      this.i++;
      return out;
    }
    for (;;) {
      this.space();
      if (this.text[this.i] !== '"') this.fail('expected a key');
      const key = this.string();
      this.space();
      if (this.text[this.i++] !== ':') {
        this.i--;
        this.fail('expected :');
      }
      Object.defineProperty(out, key, { value: this.value(), enumerable: true, writable: true, configurable: true });
      this.space();
      const c = this.text[this.i++];
      if (c === '}') return out;
      if (c !== ',') {
        this.i--;
        this.fail('expected , or }');
      }
    }
  }
}

type Replacer = (this: unknown, key: string, value: unknown) => unknown;
const rawJSON = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON;

const exactReplacer: Replacer = (_key, value) => {
  if (typeof value === 'bigint') return rawJSON(value.toString());
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
};

/**
 * JSON text for output: integers beyond 2^53 printed exactly, NaN/Infinity as the strings
 * "NaN", "Infinity", "-Infinity" (JSON has no such numbers).
 *
 * A replacer makes JSON.stringify several times slower, and it is needed only for those values,
 * so the engine's own JSON.stringify goes first: a bigint makes it throw, and a non-finite number
 * can only have become a `null`, so text without one is already exact (text with one is checked).
 */
export function stringifyExact(value: unknown, indent?: number): string {
  let text: string | undefined;
  try {
    text = JSON.stringify(value, undefined, indent);
  } catch {
    return JSON.stringify(value, exactReplacer, indent); // a bigint (or a cycle, which throws again)
  }
  if (text === undefined || !text.includes('null') || !mayHoldNonFinite(value, 0)) return text;
  return JSON.stringify(value, exactReplacer, indent);
}

/**
 * Whether JSON.stringify may have printed a non-finite number as null in this value: false only
 * when a walk of what it prints finds none (a `toJSON` method, or a very deep value, says maybe).
 */
function mayHoldNonFinite(value: unknown, depth: number): boolean {
  if (typeof value === 'number') return !Number.isFinite(value);
  if (value === null || typeof value !== 'object') return false;
  if (depth > 100 || typeof (value as { toJSON?: unknown }).toJSON === 'function') return true;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (mayHoldNonFinite(value[i], depth + 1)) return true;
    return false;
  }
  for (const key of Object.keys(value)) if (mayHoldNonFinite((value as Record<string, unknown>)[key], depth + 1)) return true;
  return false;
}
