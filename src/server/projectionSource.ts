/**
 * What the language server reads in a projection file (docs/architecture.md, "Projection files"),
 * without a parser: bundling TypeScript's would be too big. On the tokens of core/jsScan.ts
 * (comments, strings, template literals and regular expressions skipped, ( [ { brackets matched)
 * the module's default export (`export default`, `module.exports`, through `satisfies`, `as`, a
 * wrapping call or a `const` of the same file) or a KurrentDB script's `fromXxx(…)…when({…})` is
 * found, and the handlers of its `when` object with their keys, spans and parameters. Files being
 * edited are often incomplete: unbalanced input gives what could be found, never an error.
 *
 * Offsets are UTF-16 code-unit offsets into the text; spans end exclusive.
 */

import {
  C,
  closes,
  inComment,
  isClosing,
  isDotAt,
  isPunct,
  isWord,
  K,
  scan,
  type Scan as Tokens,
  skip,
  type Span,
  spanOf,
  stringValue,
  textOf,
  tokenAt,
  tokenBefore,
} from '../core/jsScan';

export type { Span };

export interface ProjectionHandler {
  /** The event type key as written (quotes removed, escapes resolved). */
  key: string;
  /** The key's span as written, quotes included. */
  keySpan: Span;
  quoted: boolean;
  /**
   * The handler's function: from the value after the key's `:` (or the method's parameters) to its
   * closing brace or the end of the arrow's expression. A value naming a function of the same file
   * (`Credited: onCredited`, or the shorthand `Credited,`) gives that function's span.
   */
  body: Span;
  /** The handler's parameters' names in order when simple identifiers; a destructured parameter gives undefined at its place. */
  params: (string | undefined)[];
}

export interface ProjectionOutline {
  style: 'module' | 'kurrentdb';
  /** Where to show CodeLenses: `export default`, `module.exports` (or `export =`), or the first `fromXxx(` call's name and parenthesis. */
  anchor: Span;
  /**
   * The object literal holding the handlers (`when: {…}` in ours, `.when({…})` in KurrentDB's),
   * braces included. An object whose closing brace is missing ends where its enclosing brackets
   * (or the text) end.
   */
  when?: Span;
  /** The event type handlers in source order (in a KurrentDB script, the keys not starting with `$`). */
  handlers: ProjectionHandler[];
  /** The special `$` keys of a KurrentDB `when` (`$init`, `$initShared`, `$any`, `$deleted`, `$created`), in source order. */
  specialKeys: string[];
  /** Whether the projection has an `invariant` property (ours; always false in a KurrentDB script). */
  hasInvariant: boolean;
}

/** What the cursor is completing, if anything a store catalog can help with. */
export type ProjectionCompletion =
  | {
      kind: 'handlerKey';
      /** The span of the partial key already typed (quotes included, may be empty). */
      replace: Span;
      /** The quote the partial key opens with, when it is a string. */
      quote?: "'" | '"';
    }
  | {
      kind: 'dataField';
      /** The handler key whose body the cursor is in. */
      handlerKey: string;
      /** The property names between the event's data and the one being typed: `event.data.a.b.|` gives ['a', 'b']. */
      path: string[];
      /** The span of the partial name being typed (may be empty). */
      replace: Span;
    };

// ---------------------------------------------------------------------------------------------
// Tokens (core/jsScan.ts), and the declarations found on them.

interface Scan extends Tokens {
  /** Declarations by name (`const`, `let`, `var`, `function`), found on first use. */
  declared?: Map<string, Declaration[]>;
}

interface Declaration {
  /** The index of `const` / `let` / `var` / `function`. */
  keyword: number;
  /** The index of the declared name. */
  name: number;
}

/**
 * The index of the first comma from `from` outside brackets, or `close`. With `angles`, a
 * generic function's type parameters (`A: <T, U>(…) =>`, `A<T, U>(…) {}`) are skipped too.
 * (The loop the outline spends its time in, written out.)
 */
function commaAfter(s: Scan, from: number, close: number, angles: boolean): number {
  const { code, pair, count } = s;
  let j = from;
  while (j < close) {
    const c = code[j];
    if (c === C.Comma) break;
    if (c === C.LParen || c === C.LBracket || c === C.LBrace) {
      const m = pair[j];
      j = Math.min(m < count && pair[m] === j ? m + 1 : m, close);
    } else if (angles && c === C.Less && j > from && (j === from + 1 || code[j - 1] === C.Colon || isWord(s, j - 1, 'async'))) {
      j = skipAngles(s, j, close);
    } else j++;
  }
  return j;
}

// ---------------------------------------------------------------------------------------------
// Objects, properties, functions.

interface Property {
  key: string;
  /** The key's token (a string's, for a computed `['Type']`). */
  keyIndex: number;
  quoted: boolean;
  form: 'value' | 'method' | 'shorthand';
  /** The value's tokens (`value`), or the method's from its parameters (`method`); empty for `shorthand`. */
  from: number;
  to: number;
}

const isModifier = (s: Scan, i: number) => isWord(s, i, 'async') || isWord(s, i, 'get') || isWord(s, i, 'set');

/** The properties of the object literal opening at `open`. */
function properties(s: Scan, open: number): Property[] {
  const close = s.pair[open];
  const found: Property[] = [];
  let i = open + 1;
  while (i < close) {
    const j = commaAfter(s, i, close, true);
    for (let a = i; a < j;) {
      const property = propertyOf(s, a, j);
      if (!property) break;
      found.push(property);
      // A key being typed before the next property, with no comma yet: the rest is a property too.
      if (property.form !== 'shorthand') break;
      a = property.from;
    }
    i = j + 1;
  }
  return found;
}

/** The property of the tokens from `a` to `b` (a spread, a computed key of no string, or nothing: undefined). */
function propertyOf(s: Scan, a: number, b: number): Property | undefined {
  let k = a;
  // `async`, `get`, `set` and `*` before a method's name.
  while (k + 1 < b && ((isModifier(s, k) && isKeyStart(s, k + 1)) || isPunct(s, k, C.Star))) k++;
  if (k >= b) return undefined;
  let keyIndex = k;
  let after = k + 1;
  let key: string;
  let quoted = false;
  if (s.kind[k] === K.Word || s.kind[k] === K.Number) key = textOf(s, k);
  else if (s.kind[k] === K.String) {
    key = stringValue(s, k);
    quoted = true;
  } else if (isPunct(s, k, C.LBracket) && s.kind[k + 1] === K.String && closes(s, k) && s.pair[k] === k + 2) {
    keyIndex = k + 1;
    key = stringValue(s, k + 1);
    quoted = true;
    after = k + 3;
  } else return undefined;
  // TypeScript's optional method (`Closed?()`).
  if (isPunct(s, after, C.Question) && after + 1 < b) after++;
  if (after < b && isPunct(s, after, C.Colon)) return { key, keyIndex, quoted, form: 'value', from: after + 1, to: b };
  if (after < b && (isPunct(s, after, C.LParen) || isPunct(s, after, C.Less)))
    return { key, keyIndex, quoted, form: 'method', from: after, to: b };
  return { key, keyIndex, quoted, form: 'shorthand', from: after, to: after };
}

const isKeyStart = (s: Scan, i: number) =>
  s.kind[i] === K.Word || s.kind[i] === K.String || s.kind[i] === K.Number || isPunct(s, i, C.LBracket) || isPunct(s, i, C.Star);

/** The index after a TypeScript type parameter or argument list opening with `<` at `i`. */
function skipAngles(s: Scan, i: number, limit: number): number {
  let level = 0;
  let k = i;
  while (k < limit) {
    if (isPunct(s, k, C.Less)) level++;
    else if (isPunct(s, k, C.Greater) && --level === 0) return k + 1;
    else if (isPunct(s, k, C.Semicolon) || isClosing(s, k)) return k;
    k = skip(s, k, limit);
  }
  return k;
}

interface Head {
  params: (string | undefined)[];
  /** Each parameter's tokens, [from, to). */
  groups: [number, number][];
  /** The index of the parameters' closing parenthesis (or of the one parameter of `e => …`). */
  last: number;
}

/** The head of a function starting at token `i`: `function (…)`, `async (…) =>`, `e =>`, `<T>(…)`, or a method's `(…) {`. */
function functionHead(s: Scan, i: number, limit: number, hops = 0): Head | undefined {
  let k = i;
  if (isWord(s, k, 'async') && k + 1 < limit && (isWord(s, k + 1) || isPunct(s, k + 1, C.LParen) || isPunct(s, k + 1, C.Less))) k++;
  if (isWord(s, k, 'function')) {
    k++;
    if (isPunct(s, k, C.Star)) k++;
    if (isWord(s, k)) k++;
    if (isPunct(s, k, C.Less)) k = skipAngles(s, k, limit);
    return isPunct(s, k, C.LParen) && k < limit ? parameters(s, k) : undefined;
  }
  if (isWord(s, k) && isPunct(s, k + 1, C.Arrow) && k + 1 < limit) return { params: [textOf(s, k)], groups: [[k, k + 1]], last: k };
  if (isPunct(s, k, C.Less)) k = skipAngles(s, k, limit);
  if (!isPunct(s, k, C.LParen) || k >= limit) return undefined;
  const close = s.pair[k];
  if (!closes(s, k) || isPunct(s, close + 1, C.Arrow) || isPunct(s, close + 1, C.Colon) || isPunct(s, close + 1, C.LBrace))
    return parameters(s, k);
  // A parenthesized function: `((state, event) => …) as Handler`.
  return hops < 4 ? functionHead(s, k + 1, close, hops + 1) : undefined;
}

function parameters(s: Scan, open: number): Head {
  const close = s.pair[open];
  const params: (string | undefined)[] = [];
  const groups: [number, number][] = [];
  let a = open + 1;
  while (a < close) {
    const b = commaAfter(s, a, close, false);
    let k = a;
    if (isPunct(s, k, C.Spread)) k++;
    // TypeScript's `this: T` is no parameter.
    if (k < b && !(isWord(s, k, 'this') && isPunct(s, k + 1, C.Colon))) {
      params.push(isWord(s, k) ? textOf(s, k) : undefined);
      groups.push([k, b]);
    }
    a = b + 1;
  }
  return { params, groups, last: close };
}

const STATEMENT_WORDS = new Set(['const', 'let', 'var', 'function', 'class', 'export', 'import', 'if', 'for', 'while', 'return']);

/** The index of the last token of the function starting at `i` (its body's `}` or its arrow's expression's end). */
function functionEnd(s: Scan, i: number, head: Head): number {
  const n = s.count;
  let k = head.last + 1;
  // Over a return type to the body (`{`) or the arrow.
  while (k < n && !isPunct(s, k, C.LBrace) && !isPunct(s, k, C.Arrow) && !isPunct(s, k, C.Semicolon) && !isClosing(s, k)) k = skip(s, k, n);
  if (isPunct(s, k, C.Arrow)) {
    k++;
    if (!isPunct(s, k, C.LBrace)) {
      // An expression: to the end of the statement or of the brackets around it.
      const first = k;
      let last = k - 1;
      while (
        k < n &&
        !isPunct(s, k, C.Semicolon) &&
        !isPunct(s, k, C.Comma) &&
        !isClosing(s, k) &&
        !(k > first && isWord(s, k) && STATEMENT_WORDS.has(textOf(s, k)))
      ) {
        last = skip(s, k, n) - 1;
        k = last + 1;
      }
      return Math.max(last, i);
    }
  }
  if (!isPunct(s, k, C.LBrace)) return Math.max(k - 1, i);
  return closes(s, k) ? s.pair[k] : Math.max(s.pair[k] - 1, i);
}

/** The declarations of `name` in the file, the outermost first. */
function declarationsOf(s: Scan, name: string): Declaration[] {
  if (!s.declared) {
    const declared = new Map<string, Declaration[]>();
    for (let k = 0; k + 1 < s.count; k++) {
      if (s.kind[k] !== K.Word || (k > 0 && isDotAt(s, k - 1))) continue;
      let at = -1;
      if (isWord(s, k, 'const') || isWord(s, k, 'let') || isWord(s, k, 'var')) at = k + 1;
      else if (isWord(s, k, 'function')) at = isPunct(s, k + 1, C.Star) ? k + 2 : k + 1;
      if (at < 0 || !isWord(s, at)) continue;
      const declaredName = textOf(s, at);
      const list = declared.get(declaredName) ?? [];
      list.push({ keyword: k, name: at });
      declared.set(declaredName, list);
    }
    for (const list of declared.values()) list.sort((x, y) => s.depth[x.keyword] - s.depth[y.keyword]);
    s.declared = declared;
  }
  return s.declared.get(name) ?? [];
}

/** The index of the value a `const`/`let`/`var` gives `name` (after its `=`, over a type annotation), or -1. */
function initializerOf(s: Scan, name: string): number {
  for (const { keyword, name: at } of declarationsOf(s, name)) {
    if (isWord(s, keyword, 'function')) continue;
    let k = at + 1;
    if (isPunct(s, k, C.Colon)) {
      while (k < s.count && !isPunct(s, k, C.Equals) && !isPunct(s, k, C.Semicolon) && !isClosing(s, k)) k = skip(s, k, s.count);
    }
    if (isPunct(s, k, C.Equals) && k + 1 < s.count) return k + 1;
  }
  return -1;
}

/** The function a name stands for in the file (a `function` declaration, or a `const` bound to a function): its start and head. */
function functionNamed(s: Scan, name: string): { start: number; head: Head } | undefined {
  for (const { keyword } of declarationsOf(s, name)) {
    if (!isWord(s, keyword, 'function')) continue;
    const start = isWord(s, keyword - 1, 'async') ? keyword - 1 : keyword;
    const head = functionHead(s, start, s.count);
    if (head) return { start, head };
  }
  const value = initializerOf(s, name);
  const head = value < 0 ? undefined : functionHead(s, value, s.count);
  return head && { start: value, head };
}

const NOT_AN_OBJECT = new Set(['function', 'class', 'async', 'new', 'await', 'typeof', 'void']);

/**
 * The index of the object literal an expression starting at `i` stands for: `{…}`, `({…})`, a
 * call's first argument (`defineProjection({…})`, `define<State>({…})`), or a name bound to one
 * in the file; -1 when none.
 */
function objectAt(s: Scan, i: number, hops = 0): number {
  if (i >= s.count || hops > 8) return -1;
  if (isPunct(s, i, C.LBrace)) return i;
  if (isPunct(s, i, C.LParen)) return objectAt(s, i + 1, hops + 1);
  if (!isWord(s, i) || NOT_AN_OBJECT.has(textOf(s, i))) return -1;
  let j = i;
  while (isDotAt(s, j + 1) && isWord(s, j + 2)) j += 2;
  let k = j + 1;
  if (isPunct(s, k, C.Less)) k = skipAngles(s, k, s.count);
  if (isPunct(s, k, C.LParen)) return objectAt(s, k + 1, hops + 1);
  if (j > i) return -1;
  const value = initializerOf(s, textOf(s, i));
  return value < 0 ? -1 : objectAt(s, value, hops + 1);
}

/** The span of the object literal opening at `open`, braces included (one left open ends where its enclosing brackets or the text end). */
function objectSpan(s: Scan, open: number): Span {
  const start = s.start[open];
  if (closes(s, open)) return { start, end: s.end[s.pair[open]] };
  return { start, end: s.pair[open] < s.count ? s.start[s.pair[open]] : s.text.length };
}

// ---------------------------------------------------------------------------------------------
// The outline.

interface Found {
  outline: ProjectionOutline;
  /** The index of the `when` object's `{`. */
  open: number;
}

const FROM = new Set(['fromAll', 'fromStream', 'fromStreams', 'fromCategory', 'fromCategories', 'fromStreamsMatching']);

/**
 * The projection in a file: its default export's (`export default`, `module.exports =`,
 * `export =`) handlers, or a KurrentDB script's. Undefined when the default export (or the
 * script) has no `when` object. In a module every key of `when` is a handler; in a KurrentDB
 * script the keys starting with `$` are `specialKeys` instead.
 */
export function outlineProjection(text: string): ProjectionOutline | undefined {
  return find(scan(text))?.outline;
}

function find(s: Scan): Found | undefined {
  for (let i = 0; i + 1 < s.count; i++) {
    if (s.kind[i] !== K.Word || (i > 0 && isDotAt(s, i - 1))) continue;
    let value: number;
    let anchorEnd: number;
    if (isWord(s, i, 'export') && (isWord(s, i + 1, 'default') || isPunct(s, i + 1, C.Equals))) {
      value = i + 2;
      anchorEnd = s.end[i + 1];
    } else if (
      isWord(s, i, 'module') &&
      isPunct(s, i + 1, C.Dot) &&
      isWord(s, i + 2, 'exports') &&
      isPunct(s, i + 3, C.Equals) &&
      !isPunct(s, i + 4, C.Equals)
    ) {
      value = i + 4;
      anchorEnd = s.end[i + 2];
    } else continue;
    return moduleOutline(s, objectAt(s, value), { start: s.start[i], end: anchorEnd });
  }
  for (let i = 0; i + 1 < s.count; i++) {
    if (
      s.kind[i] !== K.Word ||
      !isPunct(s, i + 1, C.LParen) ||
      !FROM.has(textOf(s, i)) ||
      (i > 0 && (isDotAt(s, i - 1) || isWord(s, i - 1, 'function')))
    )
      continue;
    // Along the chain of calls (`.foreachStream()`, `.partitionBy(…)`) to `.when(…)`.
    let k = skip(s, i + 1, s.count);
    while (isPunct(s, k, C.Dot) && isWord(s, k + 1) && isPunct(s, k + 2, C.LParen)) {
      if (isWord(s, k + 1, 'when')) return kurrentOutline(s, objectAt(s, k + 3), { start: s.start[i], end: s.end[i + 1] });
      k = skip(s, k + 2, s.count);
    }
    return undefined;
  }
  return undefined;
}

function moduleOutline(s: Scan, object: number, anchor: Span): Found | undefined {
  if (object < 0) return undefined;
  let open = -1;
  let hasInvariant = false;
  for (const property of properties(s, object)) {
    if (property.key === 'invariant') hasInvariant = true;
    if (property.key !== 'when' || open >= 0) continue;
    if (property.form === 'value' && property.from < property.to) open = objectAt(s, property.from);
    else if (property.form === 'shorthand' && !property.quoted) {
      const value = initializerOf(s, 'when');
      if (value >= 0) open = objectAt(s, value);
    }
  }
  if (open < 0) return undefined;
  const handlers = properties(s, open).map((property) => handlerOf(s, property));
  return { outline: { style: 'module', anchor, when: objectSpan(s, open), handlers, specialKeys: [], hasInvariant }, open };
}

function kurrentOutline(s: Scan, open: number, anchor: Span): Found | undefined {
  if (open < 0) return undefined;
  const handlers: ProjectionHandler[] = [];
  const specialKeys: string[] = [];
  for (const property of properties(s, open)) {
    if (property.key.startsWith('$')) specialKeys.push(property.key);
    else handlers.push(handlerOf(s, property));
  }
  return { outline: { style: 'kurrentdb', anchor, when: objectSpan(s, open), handlers, specialKeys, hasInvariant: false }, open };
}

function handlerOf(s: Scan, property: Property): ProjectionHandler {
  const keySpan = spanOf(s, property.keyIndex);
  const handler = { key: property.key, keySpan, quoted: property.quoted };
  const { form, from, to } = property;
  if (form !== 'shorthand' && from < to) {
    const body = { start: s.start[from], end: s.end[to - 1] };
    const head = functionHead(s, from, to);
    if (head) return { ...handler, body, params: head.params };
    // A name: the function it stands for in the file.
    const named = to - from === 1 && isWord(s, from) ? namedHandler(s, textOf(s, from)) : undefined;
    return { ...handler, body: named?.body ?? body, params: named?.params ?? [] };
  }
  if (form === 'shorthand' && !property.quoted) {
    const named = namedHandler(s, property.key);
    if (named) return { ...handler, ...named };
  }
  // `Credited:` with no value yet (empty at the colon's end), or a shorthand naming no function.
  const body = form === 'shorthand' ? keySpan : { start: s.end[from - 1], end: s.end[from - 1] };
  return { ...handler, body, params: [] };
}

function namedHandler(s: Scan, name: string): { body: Span; params: (string | undefined)[] } | undefined {
  const named = functionNamed(s, name);
  if (!named) return undefined;
  const end = functionEnd(s, named.start, named.head);
  return { body: { start: s.start[named.start], end: s.end[end] }, params: named.head.params };
}

/** The handler whose key contains the offset (its end included), for hover and go to definition. */
export function handlerKeyAt(outline: ProjectionOutline, offset: number): ProjectionHandler | undefined {
  return outline.handlers.find((handler) => handler.keySpan.start <= offset && offset <= handler.keySpan.end);
}

// ---------------------------------------------------------------------------------------------
// Completion.

/**
 * What the cursor at `offset` is completing: a handler key (at a property's start in the `when`
 * object, over a partial name or inside a string key being typed) or a field of the event's data
 * (after `event.data.`, `event.data?.a.`, in a KurrentDB script `e.body.` too, or `data.` when
 * the handler destructures `{ data }`). Nothing inside comments, strings or template text.
 * `outline`, when given, is this text's (it saves outlining again).
 */
export function completionAt(text: string, offset: number, outline?: ProjectionOutline): ProjectionCompletion | undefined {
  if (offset < 0 || offset > text.length) return undefined;
  const s = scan(text);
  if (inComment(s.comments, offset)) return undefined;
  const before = tokenBefore(s, offset);
  // The word or string the cursor is in or at the end of; inside template text, a regular
  // expression, a number or an operator, nothing.
  let partial = -1;
  if (before >= 0 && (offset < s.end[before] || (offset === s.end[before] && (s.kind[before] === K.Word || s.unclosed[before])))) {
    if (s.kind[before] !== K.Word && s.kind[before] !== K.String) return undefined;
    partial = before;
  }
  const found = outline ? { outline, open: outline.when ? tokenAt(s, outline.when.start) : -1 } : find(s);
  if (!found) return undefined;
  const previous = partial >= 0 ? partial - 1 : before;
  const key = handlerKeyCompletion(s, found.open, partial, previous, offset);
  if (key || (partial >= 0 && s.kind[partial] === K.String)) return key;
  return dataFieldCompletion(s, found.outline, partial, previous, offset);
}
function handlerKeyCompletion(s: Scan, open: number, partial: number, previous: number, offset: number): ProjectionCompletion | undefined {
  if (open < 0 || !isPunct(s, open, C.LBrace)) return undefined;
  const close = s.pair[open];
  // The first token at or after the cursor (the partial one, if any).
  const target = partial >= 0 ? partial : previous + 1;
  if (target <= open || target > close) return undefined;
  // Along the object's top level to the cursor: one inside brackets is in a value.
  let last = open;
  let beforeLast = -1;
  for (let i = open + 1; i < target;) {
    const next = skip(s, i, close + 1);
    if (next > target) return undefined;
    beforeLast = last;
    last = next - 1;
    i = next;
  }
  if (last !== previous) return undefined;
  const startsProperty = (i: number) => i === open || isPunct(s, i, C.Comma);
  const modifier = isModifier(s, last) || isPunct(s, last, C.Star);
  if (!startsProperty(last) && !(modifier && beforeLast >= 0 && startsProperty(beforeLast))) return undefined;
  if (partial < 0) return { kind: 'handlerKey', replace: { start: offset, end: offset } };
  if (s.kind[partial] === K.String)
    return { kind: 'handlerKey', replace: spanOf(s, partial), quote: s.text[s.start[partial]] as "'" | '"' };
  return { kind: 'handlerKey', replace: spanOf(s, partial) };
}

function dataFieldCompletion(
  s: Scan,
  outline: ProjectionOutline,
  partial: number,
  previous: number,
  offset: number,
): ProjectionCompletion | undefined {
  // The chain before the cursor, `a.b?.c!.`, whose last dot is in a handler.
  if (previous < 0 || !isDotAt(s, previous) || s.end[previous] > offset) return undefined;
  let handler: ProjectionHandler | undefined;
  for (const h of outline.handlers) {
    const inside = h.body.start <= s.start[previous] && s.end[previous] <= h.body.end;
    if (inside && (!handler || h.body.end - h.body.start < handler.body.end - handler.body.start)) handler = h;
  }
  if (!handler || handler.params.length < 2) return undefined;
  // Back to the chain's first name.
  const names: string[] = [];
  let k = previous - 1;
  while (k >= 0 && names.length < 64) {
    if (isPunct(s, k, C.Bang)) k--;
    if (!isWord(s, k)) return undefined;
    names.unshift(textOf(s, k));
    if (!isDotAt(s, k - 1)) break;
    k -= 2;
  }
  const fields = outline.style === 'kurrentdb' ? ['data', 'body'] : ['data'];
  const event = handler.params[1];
  let path: string[] | undefined;
  if (event !== undefined) {
    if (names[0] === event && names.length >= 2 && fields.includes(names[1])) path = names.slice(2);
  } else if (destructured(s, handler, fields).includes(names[0])) path = names.slice(1);
  if (!path) return undefined;
  const replace = partial >= 0 ? spanOf(s, partial) : { start: offset, end: offset };
  return { kind: 'dataField', handlerKey: handler.key, path, replace };
}

/** The local names a handler's destructured event parameter gives its data (`{ data }`, `{ data: d }`). */
function destructured(s: Scan, handler: ProjectionHandler, fields: string[]): string[] {
  const start = tokenAt(s, handler.body.start);
  const group = start < 0 ? undefined : functionHead(s, start, s.count)?.groups[1];
  if (!group || !isPunct(s, group[0], C.LBrace)) return [];
  const locals: string[] = [];
  for (const property of properties(s, group[0])) {
    if (!fields.includes(property.key)) continue;
    if (property.form === 'shorthand' && !property.quoted) locals.push(property.key);
    else if (
      property.form === 'value' &&
      isWord(s, property.from) &&
      (property.to === property.from + 1 || isPunct(s, property.from + 1, C.Equals))
    ) {
      locals.push(textOf(s, property.from));
    }
  }
  return locals;
}
