/**
 * A JavaScript and TypeScript tokenizer, without a parser. It skips comments, strings, template
 * literals (nested) and regular expressions (told from a division by the token before), and
 * matches ( [ { brackets. The language server outlines projection files on its tokens
 * (server/projectionSource.ts); the plain projection loader finds the `import` and `export`
 * statements it rewrites with them (projection/plain.ts). Input being edited is often incomplete:
 * unbalanced brackets, or a string, template or comment left open, give tokens all the same, never
 * an error.
 *
 * Tokens are kept in typed arrays (a 200 KB file has some 50,000): a token is an index. Offsets
 * are UTF-16 code-unit offsets into the text; spans end exclusive.
 */

import { partitionPoint } from './sorted';

export interface Span {
  start: number;
  end: number;
}

/** The kinds of token. */
export const K = {
  None: 0,
  Word: 1,
  String: 2,
  Template: 3,
  Regex: 4,
  Number: 5,
  Punct: 6,
} as const;

export interface Comment extends Span {
  /** A line comment, or a block comment without its closing `*` `/`, holds the offset at its end too. */
  open: boolean;
}

export interface Scan {
  text: string;
  /** The number of tokens. */
  count: number;
  kind: Uint8Array;
  /** A punctuator's character code (C.Arrow, C.Spread, C.QuestionDot, C.Increment for `=>`, `...`, `?.`, `++` or `--`); 0 for other tokens. */
  code: Uint16Array;
  start: Int32Array;
  end: Int32Array;
  /** 1 for a string or template part whose closing delimiter is missing. */
  unclosed: Uint8Array;
  comments: Comment[];
  /**
   * For an opening bracket, the index of its closing one; for one left open, the index of the
   * closing bracket of an enclosing pair that ended it (or the token count). For a closing
   * bracket, its opening one's index (or -1).
   */
  pair: Int32Array;
  /** How many brackets are open around each token (0: the top level). */
  depth: Int32Array;
}

/** Character codes, and the codes of the punctuators of more than one character (above 0xff). */
export const C = {
  Tab: 9,
  LF: 10,
  CR: 13,
  Space: 32,
  Bang: 33,
  DoubleQuote: 34,
  Dollar: 36,
  Quote: 39,
  LParen: 40,
  RParen: 41,
  Star: 42,
  Plus: 43,
  Comma: 44,
  Minus: 45,
  Dot: 46,
  Slash: 47,
  Zero: 48,
  Nine: 57,
  Colon: 58,
  Semicolon: 59,
  Less: 60,
  Equals: 61,
  Greater: 62,
  Question: 63,
  UpperE: 69,
  LBracket: 91,
  Backslash: 92,
  RBracket: 93,
  Backtick: 96,
  LowerE: 101,
  LowerX: 120,
  LBrace: 123,
  RBrace: 125,
  // The punctuators of more than one character, as token codes.
  Arrow: 0x100,
  Spread: 0x101,
  QuestionDot: 0x102,
  Increment: 0x103,
} as const;

/** Words after which a `/` starts a regular expression rather than a division. */
const BEFORE_EXPRESSION = new Set([
  'return',
  'typeof',
  'instanceof',
  'in',
  'of',
  'new',
  'delete',
  'void',
  'throw',
  'case',
  'do',
  'else',
  'yield',
  'await',
  'extends',
]);
/** Words whose parenthesis may be followed by a regular expression (`if (x) /re/.test(y)`). */
const PAREN_KEYWORDS = new Set(['if', 'while', 'for', 'with']);

/** ASCII character classes: bits for white space, a word's first character and a digit. */
const SPACE = 1;
const WORD = 2;
const DIGIT = 4;
const ASCII = new Uint8Array(128);
for (let c = 0; c < 128; c++) {
  const ch = String.fromCharCode(c);
  if (c === C.Space || (c >= C.Tab && c <= C.CR)) ASCII[c] = SPACE;
  else if (/[A-Za-z_$#\\]/.test(ch)) ASCII[c] = WORD;
  else if (/\d/.test(ch)) ASCII[c] = DIGIT;
}

const isDigit = (c: number) => c >= C.Zero && c <= C.Nine;
const isLineBreak = (c: number) => c === C.LF || c === C.CR || c === 0x2028 || c === 0x2029;
/** White space beyond ASCII. */
const isWideSpace = (c: number) =>
  c === 0xa0 ||
  c === 0xfeff ||
  c === 0x1680 ||
  (c >= 0x2000 && c <= 0x200a) ||
  c === 0x2028 ||
  c === 0x2029 ||
  c === 0x202f ||
  c === 0x205f ||
  c === 0x3000;
/** A character of a word after its first (any non-space beyond ASCII counts). */
const isWordPart = (c: number) => (c < 0x80 ? (ASCII[c] & (WORD | DIGIT)) !== 0 : !isWideSpace(c));

function lineEnd(text: string, from: number): number {
  let j = from;
  while (j < text.length && !isLineBreak(text.charCodeAt(j))) j++;
  return j;
}

/** The tokens of `text` (past a `#!` line), its comments, and how its brackets pair. */
export function scan(text: string): Scan {
  const n = text.length;
  // A token is at least one character long.
  const kind = new Uint8Array(n + 1);
  const code = new Uint16Array(n + 1);
  const start = new Int32Array(n + 1);
  const end = new Int32Array(n + 1);
  const unclosed = new Uint8Array(n + 1);
  const comments: Comment[] = [];
  let count = 0;
  // What each open `{` is: a brace (0) or a template's `${` (1); and each open `(`: whether an
  // `if`/`while`/`for`/`with` precedes it.
  const braces: number[] = [];
  const parens: boolean[] = [];
  let regexAllowed = true;
  /** Whether the word at `t` is one like `return` (not as a property: `x.return / 2`). */
  const beforeExpression = (t: number) =>
    end[t] - start[t] <= 10 &&
    BEFORE_EXPRESSION.has(text.slice(start[t], end[t])) &&
    !(t > 0 && (code[t - 1] === C.Dot || code[t - 1] === C.QuestionDot));
  /** Scans a template's characters from `from` to its closing backtick or a `${` (which it opens). */
  const template = (first: number, from: number): number => {
    kind[count] = K.Template;
    start[count] = first;
    for (let j = from; j < n; j++) {
      const c = text.charCodeAt(j);
      if (c === C.Backslash) j++;
      else if (c === C.Backtick) {
        end[count++] = j + 1;
        regexAllowed = false;
        return j + 1;
      } else if (c === C.Dollar && text.charCodeAt(j + 1) === C.LBrace) {
        braces.push(1);
        end[count++] = j + 2;
        regexAllowed = true;
        return j + 2;
      }
    }
    unclosed[count] = 1;
    end[count++] = n;
    return n;
  };
  let i = text.startsWith('#!') ? lineEnd(text, 0) : 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    const ascii = c < 0x80 ? ASCII[c] : isWideSpace(c) ? SPACE : WORD;
    if (ascii === SPACE) {
      i++;
    } else if (ascii === WORD) {
      let j = i + 1;
      while (j < n && isWordPart(text.charCodeAt(j))) j++;
      // After a word a `/` divides, but for keywords like `return` (a `/` looks at the word).
      regexAllowed = false;
      kind[count] = K.Word;
      start[count] = i;
      end[count++] = j;
      i = j;
    } else if (c === C.Slash && text.charCodeAt(i + 1) === C.Slash) {
      const to = lineEnd(text, i);
      comments.push({ start: i, end: to, open: true });
      i = to;
    } else if (c === C.Slash && text.charCodeAt(i + 1) === C.Star) {
      const close = text.indexOf('*/', i + 2);
      const to = close < 0 ? n : close + 2;
      comments.push({ start: i, end: to, open: close < 0 });
      i = to;
    } else if (c === C.Quote || c === C.DoubleQuote) {
      let j = i + 1;
      let closed = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === c) {
          closed = true;
          j++;
          break;
        }
        if (d === C.LF || d === C.CR) break;
        // An escape, a line continuation (\ CR LF) included.
        j += d !== C.Backslash ? 1 : text.charCodeAt(j + 1) === C.CR && text.charCodeAt(j + 2) === C.LF ? 3 : 2;
      }
      j = Math.min(j, n);
      if (!closed) unclosed[count] = 1;
      kind[count] = K.String;
      start[count] = i;
      end[count++] = j;
      i = j;
      regexAllowed = false;
    } else if (c === C.Backtick) {
      i = template(i, i + 1);
    } else if (c === C.RBrace && braces[braces.length - 1] === 1) {
      braces.pop();
      i = template(i, i + 1);
    } else if (ascii === DIGIT || (c === C.Dot && isDigit(text.charCodeAt(i + 1)))) {
      const hex = c === C.Zero && (text.charCodeAt(i + 1) | 0x20) === C.LowerX;
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        const e = text.charCodeAt(j - 1);
        if (isWordPart(d) || d === C.Dot || (!hex && (d === C.Plus || d === C.Minus) && (e === C.LowerE || e === C.UpperE))) j++;
        else break;
      }
      kind[count] = K.Number;
      start[count] = i;
      end[count++] = j;
      i = j;
      regexAllowed = false;
    } else if (c === C.Slash && (regexAllowed || (kind[count - 1] === K.Word && beforeExpression(count - 1)))) {
      // A regular expression, unless it does not close on its line: then it was a division.
      let j = i + 1;
      let inClass = false;
      let closed = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (isLineBreak(d)) break;
        if (d === C.Backslash) j++;
        else if (d === C.LBracket) inClass = true;
        else if (d === C.RBracket) inClass = false;
        else if (d === C.Slash && !inClass) {
          closed = true;
          break;
        }
        j++;
      }
      if (closed) {
        j++;
        while (j < n && isWordPart(text.charCodeAt(j))) j++;
        kind[count] = K.Regex;
      } else {
        j = i + 1;
        kind[count] = K.Punct;
        code[count] = C.Slash;
      }
      regexAllowed = !closed;
      start[count] = i;
      end[count++] = j;
      i = j;
    } else {
      let to = i + 1;
      let token = c;
      const d = text.charCodeAt(i + 1);
      if (c === C.Equals && d === C.Greater) {
        to = i + 2;
        token = C.Arrow;
      } else if (c === C.Dot && d === C.Dot && text.charCodeAt(i + 2) === C.Dot) {
        to = i + 3;
        token = C.Spread;
      } else if (c === C.Question && d === C.Dot && !isDigit(text.charCodeAt(i + 2))) {
        to = i + 2;
        token = C.QuestionDot;
      } else if ((c === C.Plus || c === C.Minus) && d === c) {
        to = i + 2;
        token = C.Increment;
      }
      if (c === C.LParen) {
        const previous = count - 1;
        const length = end[previous] - start[previous];
        parens.push(
          kind[previous] === K.Word && length >= 2 && length <= 5 && PAREN_KEYWORDS.has(text.slice(start[previous], end[previous])),
        );
      } else if (c === C.LBrace) braces.push(0);
      else if (c === C.RBrace) braces.pop();
      kind[count] = K.Punct;
      code[count] = token;
      start[count] = i;
      end[count++] = to;
      // After `)` only an `if (…)`'s and the like; after `}` a block's end, so a statement may start;
      // after `x++` a division.
      if (token === C.Increment) {
        const k = kind[count - 2];
        const before = code[count - 2];
        regexAllowed = !(k === K.Word || k === K.Number || before === C.RParen || before === C.RBracket);
      } else regexAllowed = c === C.RParen ? parens.pop() === true : c !== C.RBracket;
      i = to;
    }
  }
  const pair = new Int32Array(count).fill(-1);
  const depth = new Int32Array(count);
  const stack: number[] = [];
  for (let t = 0; t < count; t++) {
    depth[t] = stack.length;
    const c = code[t];
    if (c === C.LParen || c === C.LBracket || c === C.LBrace) {
      stack.push(t);
      continue;
    }
    const open = c === C.RParen ? C.LParen : c === C.RBracket ? C.LBracket : c === C.RBrace ? C.LBrace : 0;
    if (!open) continue;
    // A closing bracket closes the innermost open one of its kind; those opened inside it and
    // left open end there too. One that closes nothing is left alone.
    let k = stack.length - 1;
    while (k >= 0 && code[stack[k]] !== open) k--;
    if (k < 0) continue;
    for (let m = stack.length - 1; m >= k; m--) pair[stack[m]] = t;
    pair[t] = stack[k];
    stack.length = k;
    depth[t] = k;
  }
  for (const open of stack) pair[open] = count;
  return { text, count, kind, code, start, end, unclosed, comments, pair, depth };
}

export const textOf = (s: Scan, i: number) => s.text.slice(s.start[i], s.end[i]);
/** Whether the token at `i` is the punctuator `code` (beyond the tokens, none is). */
export const isPunct = (s: Scan, i: number, code: number) => s.code[i] === code;
export const isWord = (s: Scan, i: number, text?: string) =>
  s.kind[i] === K.Word && (text === undefined || (s.end[i] - s.start[i] === text.length && s.text.startsWith(text, s.start[i])));
export const isDotAt = (s: Scan, i: number) => isPunct(s, i, C.Dot) || isPunct(s, i, C.QuestionDot);
const isOpening = (s: Scan, i: number) => {
  const c = s.code[i];
  return c === C.LParen || c === C.LBracket || c === C.LBrace;
};
export const isClosing = (s: Scan, i: number) => {
  const c = s.code[i];
  return c === C.RParen || c === C.RBracket || c === C.RBrace;
};
export const spanOf = (s: Scan, i: number): Span => ({ start: s.start[i], end: s.end[i] });

/** Whether the opening bracket at `open` has its own closing bracket. */
export const closes = (s: Scan, open: number) => s.pair[open] < s.count && s.pair[s.pair[open]] === open;

/** The index after the token at `i`, over a bracketed group whole (not past `limit`). */
export function skip(s: Scan, i: number, limit: number): number {
  if (!isOpening(s, i)) return i + 1;
  return Math.min(closes(s, i) ? s.pair[i] + 1 : s.pair[i], limit);
}

/** The index of the last token starting before `offset` (-1 when none). */
export function tokenBefore(s: Scan, offset: number): number {
  return partitionPoint(s.count, (i) => s.start[i] < offset) - 1;
}

/** The index of the token starting exactly at `offset` (-1 when none). */
export function tokenAt(s: Scan, offset: number): number {
  const i = tokenBefore(s, offset) + 1;
  return i < s.count && s.start[i] === offset ? i : -1;
}

/** A string literal's value: its escapes resolved. */
export function stringValue(s: Scan, i: number): string {
  const raw = s.text.slice(s.start[i] + 1, s.unclosed[i] ? s.end[i] : s.end[i] - 1);
  if (!raw.includes('\\')) return raw;
  return raw.replace(
    /\\(?:u\{([\da-fA-F]+)\}|u([\da-fA-F]{4})|x([\da-fA-F]{2})|(\r\n|[\r\n\u2028\u2029])|([\s\S]))/g,
    (_, braced, u, x, lineBreak, c) => {
      const code = braced ?? u ?? x;
      if (code !== undefined) {
        const point = parseInt(code, 16);
        return point <= 0x10ffff ? String.fromCodePoint(point) : '';
      }
      if (lineBreak !== undefined) return '';
      return ESCAPES[c as string] ?? (c as string);
    },
  );
}

const ESCAPES: Record<string, string | undefined> = { n: '\n', r: '\r', t: '\t', b: '\b', f: '\f', v: '\v', '0': '\0' };

/** Whether the offset is inside one of the comments (in text order); at the end of one left open counts. */
export function inComment(comments: Comment[], offset: number): boolean {
  const comment = comments[partitionPoint(comments.length, (i) => comments[i].start < offset) - 1] as Comment | undefined;
  return comment !== undefined && (offset < comment.end || (comment.open && offset === comment.end));
}
