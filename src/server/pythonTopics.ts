/**
 * Eventsourcing topics and the Python classes they name, for Go to Definition. A topic is the
 * library's `get_topic(cls)`: `f"{cls.__module__}:{cls.__qualname__}"`, so
 * `bankapp.domainmodel:BankAccount.Opened` is the class `Opened` nested in `BankAccount` of the
 * module `bankapp.domainmodel`. The module file is found under the workspace folders as Python's
 * import system would find it from there; the class by reading the file: nested classes by
 * indentation, and the event classes the library's `@event` decorator makes from methods (no
 * `class` line of their own) at their decorator or method.
 */

import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { upperBound } from '../core/sorted';

/** A topic's place in a text (UTF-16 offsets, end exclusive). */
export interface TopicSpan {
  topic: string;
  start: number;
  end: number;
}

const IDENTIFIER = /^[\p{ID_Start}_]\p{ID_Continue}*$/u;

/**
 * A topic candidate: a module of dotted identifiers, a colon, then the qualified name's characters
 * (checked apart, `<locals>` being one of its parts in functions' classes). Not after a character
 * that would make it the tail of something else: a word, a dotted name, a URL (`//user:pass@`), a
 * Windows path, a `a:b:c` chain or a hyphenated word.
 */
const CANDIDATE =
  /(?<![\p{ID_Continue}.:/\\@$-])([\p{ID_Start}_]\p{ID_Continue}*(?:\.[\p{ID_Start}_]\p{ID_Continue}*)*):([\p{ID_Start}_][\p{ID_Continue}.<>]*)/gu;

/** What may not follow a topic: the rest of a URL (`user:pass@host`, `host:owner/repo`), a path or another colon. */
const NOT_AFTER = new Set([':', '/', '@', '\\']);

/** The qualified name a candidate's tail spells (trailing dots, as at a sentence's end, left out), or undefined. */
function qualifiedNameOf(raw: string): string | undefined {
  const name = raw.replace(/\.+$/, '');
  const parts = name.split('.');
  const valid = parts.every(
    (part, i) => IDENTIFIER.test(part) || (part === '<locals>' && i > 0 && i < parts.length - 1 && parts[i - 1] !== '<locals>'),
  );
  return valid ? name : undefined;
}

/**
 * The topics written in a text: `a.b:C.D` where the module is dotted Python identifiers and the
 * qualified name dotted identifiers (a single-segment module, `bank:Account`, is a topic too). Found
 * anywhere, JSON strings included; URLs (`http://x:80`, `postgres://user:pass@host`), times
 * (`10:00:00`, identifiers don't start with a digit), Windows paths and `urn:a:b` chains are not topics.
 */
export function topicsIn(text: string): TopicSpan[] {
  const spans: TopicSpan[] = [];
  for (const m of text.matchAll(CANDIDATE)) {
    const next = text[m.index + m[0].length];
    if (next !== undefined && NOT_AFTER.has(next)) continue;
    const qualname = qualifiedNameOf(m[2]);
    if (qualname === undefined) continue;
    const topic = `${m[1]}:${qualname}`;
    spans.push({ topic, start: m.index, end: m.index + topic.length });
  }
  return spans;
}

/** The topic under the offset, if any: one that contains it or ends at it (the cursor just after a topic). */
export function topicAt(text: string, offset: number): TopicSpan | undefined {
  if (offset < 0 || offset > text.length) return undefined;
  const start = Math.max(text.lastIndexOf('\n', offset - 1), text.lastIndexOf('\r', offset - 1)) + 1;
  let end = text.length;
  for (const lineBreak of ['\n', '\r']) {
    const i = text.indexOf(lineBreak, offset);
    if (i >= 0 && i < end) end = i;
  }
  const span = topicsIn(text.slice(start, end)).find((s) => s.start <= offset - start && offset - start <= s.end);
  return span && { topic: span.topic, start: span.start + start, end: span.end + start };
}

export interface PythonLocation {
  file: string;
  /** 0-based */
  line: number;
  /** 0-based, UTF-16 */
  character: number;
  endCharacter: number;
}

/** A logical line of Python: from its first character (after the indentation) to the line break that ends it. */
interface Statement {
  start: number;
  end: number;
  /** Its indentation's width (a tab to the next multiple of 8, as Python's tokenizer counts). */
  indent: number;
}

interface ParsedModule {
  text: string;
  lineStarts: number[];
  statements: Statement[];
}

/** The length of the line break at `i` (`\r\n`, `\r` or `\n`), 0 when none is there. */
function lineBreakAt(text: string, i: number): number {
  const c = text[i];
  if (c === '\n') return 1;
  if (c === '\r') return text[i + 1] === '\n' ? 2 : 1;
  return 0;
}

/**
 * The logical lines of a Python file, as its tokenizer sees them: a statement goes on over
 * brackets and backslashes to the line break that ends it; blank and comment lines are not
 * statements; strings (triple-quoted ones over lines, and what looks like code in them) are skipped.
 */
function parsePython(text: string): ParsedModule {
  const lineStarts = [0];
  const statements: Statement[] = [];
  const n = text.length;
  let depth = 0;
  let continued = false;
  let current: Statement | undefined;
  let i = 0;
  let atLineStart = true;
  const newLine = (at: number, length: number) => {
    lineStarts.push(at + length);
    atLineStart = true;
    return at + length;
  };
  while (i < n) {
    if (atLineStart) {
      atLineStart = false;
      if (depth === 0 && !continued) {
        let indent = 0;
        let j = i;
        for (; j < n; j++) {
          const c = text[j];
          if (c === ' ') indent++;
          else if (c === '\t') indent += 8 - (indent % 8);
          else if (c === '\f') indent = 0;
          else break;
        }
        i = j;
        if (j < n && text[j] !== '#' && !lineBreakAt(text, j)) {
          current = { start: j, end: n, indent };
          statements.push(current);
        }
        continue;
      }
      continued = false;
    }
    const c = text[i];
    const lineBreak = lineBreakAt(text, i);
    if (lineBreak) {
      if (depth === 0 && current) {
        current.end = i;
        current = undefined;
      }
      i = newLine(i, lineBreak);
    } else if (c === '#') {
      while (i < n && !lineBreakAt(text, i)) i++;
    } else if (c === '\\') {
      const after = lineBreakAt(text, i + 1);
      if (after) {
        continued = true;
        i = newLine(i + 1, after);
      } else i++;
    } else if (c === '"' || c === "'") {
      const triple = text[i + 1] === c && text[i + 2] === c;
      i += triple ? 3 : 1;
      while (i < n) {
        if (text[i] === '\\') {
          const after = lineBreakAt(text, i + 1);
          i = after ? newLine(i + 1, after) : i + 2;
          atLineStart = false;
          continue;
        }
        if (triple ? text.startsWith(c.repeat(3), i) : text[i] === c) {
          i += triple ? 3 : 1;
          break;
        }
        const inString = lineBreakAt(text, i);
        if (inString) {
          // An unterminated one-line string ends with its line.
          if (!triple) break;
          i = newLine(i, inString);
          atLineStart = false;
        } else i++;
      }
    } else {
      if (c === '(' || c === '[' || c === '{') depth++;
      else if ((c === ')' || c === ']' || c === '}') && depth > 0) depth--;
      i++;
    }
  }
  return { text, lineStarts, statements };
}

/** The index after a statement's block: the next statement indented no deeper. */
function blockEnd(parsed: ParsedModule, index: number, to: number): number {
  const { statements } = parsed;
  let j = index + 1;
  while (j < to && statements[j].indent > statements[index].indent) j++;
  return j;
}

/** A name defined in a scope, at `at` (an offset in the file). */
interface Member {
  kind: 'class' | 'def' | 'other';
  name: string;
  at: number;
  index: number;
  decorators: Statement[];
  /** At the scope's own indentation, not inside one of its `if`, `try` or `with` blocks. */
  direct: boolean;
}

const CLASS_LINE = /^class\s+([\p{ID_Start}_]\p{ID_Continue}*)/u;
const DEF_LINE = /^(?:async\s+)?def\s+([\p{ID_Start}_]\p{ID_Continue}*)/u;

/**
 * The classes and functions a scope (statements [from, to)) defines, and its other statements:
 * those of its blocks too (`if`, `try`, `with`…), not those of its classes' and functions' bodies.
 * A class or function carries the decorators written above it.
 */
function membersOf(parsed: ParsedModule, from: number, to: number): Member[] {
  const { text, statements } = parsed;
  const members: Member[] = [];
  const scopeIndent = from < to ? statements[from].indent : 0;
  let decorators: Statement[] = [];
  let k = from;
  while (k < to) {
    const s = statements[k];
    const line = text.slice(s.start, s.end);
    if (line.startsWith('@')) {
      decorators.push(s);
      k++;
      continue;
    }
    const classLine = CLASS_LINE.exec(line);
    const m = classLine ?? DEF_LINE.exec(line);
    const direct = s.indent === scopeIndent;
    if (m) {
      const kind = classLine ? 'class' : 'def';
      members.push({ kind, name: m[1], at: s.start + m[0].length - m[1].length, index: k, decorators, direct });
      k = blockEnd(parsed, k, to);
    } else {
      members.push({ kind: 'other', name: '', at: s.start, index: k, decorators: [], direct });
      k++;
    }
    decorators = [];
  }
  return members;
}

/** The body of a class or function: the statements of its block, [from, to). */
function bodyOf(parsed: ParsedModule, member: Member): [number, number] {
  return [member.index + 1, blockEnd(parsed, member.index, parsed.statements.length)];
}

/**
 * A name in a file (an offset and a length), and whether it is the whole qualified name asked for;
 * the file is named when it is another module's (an import was followed).
 */
interface Found {
  at: number;
  length: number;
  exact: boolean;
  file?: string;
  parsed?: ParsedModule;
}

type Located = Required<Found>;

/**
 * The event class name the library's `@event` decorator gives a decorated method
 * (CommandMethodDecorator.__init__ in eventsourcing/domain.py, 9.2.22): the name given
 * (`@event("Opened")`, also `@event(arg="Opened")`), the given class's name (`@event(Opened)`, the
 * library makes a subclass of that name on the aggregate), or with no argument (`@event`,
 * `@event()`) the method's name made CamelCase:
 * `"".join([s.capitalize() for s in original_method_name.split("_")])`, so `credit_account` gives
 * `CreditAccount`, `_number_updated` gives `NumberUpdated` and `creditAccount` gives
 * `Creditaccount`. A bare `@event` on `__init__` names nothing (the library refuses it: "Decorator
 * on __init__ has neither event name nor class"); `triggers` is the same decorator.
 */
export function decoratedEventName(decorator: string, methodName: string): { name: string; at?: number } | undefined {
  const head = /^@\s*(?:[\p{ID_Start}_]\p{ID_Continue}*\s*\.\s*)*(?:event|triggers)(?!\p{ID_Continue})\s*/u.exec(decorator);
  if (!head) return undefined;
  const rest = decorator.slice(head[0].length);
  const inferred = methodName === '__init__' ? undefined : { name: inferredEventName(methodName) };
  if (rest === '' || rest.startsWith('#')) return inferred;
  const arg =
    /^\(\s*(?:arg\s*=\s*)?(?:[rRuU]?(["'])(?<name>(?:(?!\1)[^\\\r\n])+)\1|(?:[\p{ID_Start}_]\p{ID_Continue}*\s*\.\s*)*(?<cls>[\p{ID_Start}_]\p{ID_Continue}*))?\s*,?\s*\)/du.exec(
      rest,
    );
  if (!arg) return undefined;
  const group = arg.groups!.name !== undefined ? 'name' : arg.groups!.cls !== undefined ? 'cls' : undefined;
  if (!group) return inferred;
  return { name: arg.groups![group], at: head[0].length + arg.indices!.groups![group]![0] };
}

/** A method's name as an event class's: `credit_account` -> `CreditAccount` (Python's `str.capitalize` on each part). */
function inferredEventName(methodName: string): string {
  return methodName
    .split('_')
    .map((s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase())
    .join('');
}

/** Where a qualified name is in another module (an import followed there), when all of it is found there. */
type FollowImport = (module: string, qualname: string) => Promise<Located | undefined>;

/**
 * The absolute name of the module a `from` statement names, relative ones from the module's
 * package (itself when it is a package's `__init__.py`): `.models` in `pkg/__init__.py` is
 * `pkg.models`, `..base` in `pkg/sub/mod.py` is `pkg.base`; undefined above the top package.
 */
function absoluteModule(module: string, isPackage: boolean, from: string): string | undefined {
  const dots = /^\.*/.exec(from)![0].length;
  const rest = from.slice(dots);
  if (!dots) return rest;
  const pkg = module.split('.');
  if (!isPackage) pkg.pop();
  if (dots - 1 > pkg.length) return undefined;
  const parts = [...pkg.slice(0, pkg.length - (dots - 1)), ...(rest ? rest.split('.') : [])];
  return parts.length ? parts.join('.') : undefined;
}

/** The names a `from … import …` statement binds: each with the name it imports and the offset of the bound name in the statement. */
function importedNames(statement: string): { module: string; names: { name: string; imported: string; at: number }[] } | undefined {
  const m = /^from\s+([\p{ID_Continue}.]+)\s+import(?!\p{ID_Continue})/u.exec(statement);
  if (!m) return undefined;
  const names: { name: string; imported: string; at: number }[] = [];
  const tokens = [...statement.slice(m[0].length).matchAll(/#[^\r\n]*|[\p{ID_Start}_]\p{ID_Continue}*|,/gu)].filter(
    (t) => !t[0].startsWith('#'),
  );
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t[0] === ',') continue;
    const alias = tokens[i + 1]?.[0] === 'as' ? tokens[i + 2] : undefined;
    const bound = alias ?? t;
    if (bound[0] !== ',') names.push({ name: bound[0], imported: t[0], at: m[0].length + bound.index });
    if (alias) i += 2;
  }
  return { module: m[1], names };
}

/**
 * Where a qualified name is in a module: classes by name, scope in scope (and functions, for the
 * `<locals>` of a function's classes); in a class, the events of its decorated methods, and its
 * created event (`created_event_name="Opened"` in its header or decorator; `Created`, the
 * library's default, at `__init__`); then names assigned (`Opened = BankAccount.Opened`) or
 * imported, following `from … import` to the module the name comes from. When a part is not
 * found, the last part that was (not exact); undefined when not even the first was.
 */
async function findIn(
  parsed: ParsedModule,
  module: string,
  isPackage: boolean,
  qualname: string,
  follow: FollowImport,
): Promise<Found | undefined> {
  const { text, statements } = parsed;
  const parts = qualname.split('.');
  let scope: [number, number] = [0, statements.length];
  let found: Found | undefined;
  let inClass: Member | undefined;
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k];
    if (part === '<locals>') continue;
    const last = k === parts.length - 1;
    const kind = parts[k + 1] === '<locals>' ? 'def' : 'class';
    const members = membersOf(parsed, scope[0], scope[1]);
    const named = members.filter((m) => m.kind === kind && m.name === part);
    const member = named.find((m) => m.direct) ?? named[0];
    if (member) {
      found = { at: member.at, length: part.length, exact: last };
      scope = bodyOf(parsed, member);
      inClass = kind === 'class' ? member : undefined;
      continue;
    }
    const event = inClass && kind === 'class' ? eventOf(parsed, inClass, members, part) : undefined;
    if (event) return { ...event, exact: last };
    for (const m of members) {
      if (m.kind !== 'other') continue;
      const statement = text.slice(m.at, statements[m.index].end);
      const assigned = /^([\p{ID_Start}_]\p{ID_Continue}*)\s*(?::[^=]*)?=(?!=)/u.exec(statement);
      if (assigned?.[1] === part) return { at: m.at, length: part.length, exact: last };
      const imported = importedNames(statement);
      const name = imported?.names.find((i) => i.name === part);
      if (imported && name) {
        const from = absoluteModule(module, isPackage, imported.module);
        const there = from === undefined ? undefined : await follow(from, [name.imported, ...parts.slice(k + 1)].join('.'));
        return there?.exact ? there : { at: m.at + name.at, length: part.length, exact: false };
      }
    }
    return found && { ...found, exact: false };
  }
  return found;
}

/** An event class the library makes on a class that has no `class` line: from a decorated method, or the created event. */
function eventOf(parsed: ParsedModule, owner: Member, members: Member[], name: string): Omit<Found, 'exact'> | undefined {
  const { text, statements } = parsed;
  for (const m of members) {
    if (m.kind !== 'def') continue;
    for (const d of m.decorators) {
      const event = decoratedEventName(text.slice(d.start, d.end), m.name);
      if (event?.name !== name) continue;
      return event.at === undefined ? { at: m.at, length: m.name.length } : { at: d.start + event.at, length: name.length };
    }
  }
  for (const s of [...owner.decorators, statements[owner.index]]) {
    const header = text.slice(s.start, s === statements[owner.index] ? headerEnd(text, s) : s.end);
    const named = /(?<!\p{ID_Continue})created_event_name\s*=\s*[rRuU]?(["'])(.*?)\1/du.exec(header);
    if (named) return named[2] === name ? { at: s.start + named.indices![2][0], length: name.length } : undefined;
  }
  if (name !== 'Created') return undefined;
  const init = members.find((m) => m.kind === 'def' && m.name === '__init__');
  if (!init || init.decorators.some((d) => decoratedEventName(text.slice(d.start, d.end), '__init__'))) return undefined;
  return { at: init.at, length: init.name.length };
}

/** Where a class statement's header ends: its colon outside brackets (the statement's end at worst). */
function headerEnd(text: string, s: Statement): number {
  let depth = 0;
  for (let i = s.start; i < s.end; i++) {
    const c = text[i];
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (c === ':' && depth <= 0) return i;
  }
  return s.end;
}

/** Directories the root scan never enters (besides dot-directories): virtual environments are read last, apart. */
const SKIPPED = new Set(['node_modules', '__pycache__', 'site-packages', 'venv']);
/** How deep under a root a directory holding a module's top package may be. */
const SCAN_DEPTH = 3;
/** How many `from … import` a lookup follows. */
const MAX_IMPORTS = 8;

/**
 * What a root holds for module lookups: the directories (1 to 3 levels deep) that hold each name
 * (a directory or a `.py` file), shallowest first and by name at one depth, and its virtual environments.
 */
interface RootScan {
  holders: Map<string, string[]>;
  venvs: string[];
}

async function scanRoot(root: string): Promise<RootScan> {
  const holders = new Map<string, string[]>();
  const venvs = [join(root, '.venv'), join(root, 'venv')];
  const hold = (name: string, dir: string) => {
    const dirs = holders.get(name);
    if (dirs) dirs.push(dir);
    else holders.set(name, [dir]);
  };
  let level = [root];
  for (let depth = 0; depth <= SCAN_DEPTH && level.length; depth++) {
    const listed = await Promise.all(level.map((dir) => readdir(dir, { withFileTypes: true }).catch(() => [])));
    const next: string[] = [];
    level.forEach((dir, i) => {
      const entries = listed[i];
      if (depth > 0 && entries.some((e) => e.name === 'pyvenv.cfg')) {
        if (!venvs.includes(dir)) venvs.push(dir);
        return;
      }
      for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
        if (e.isDirectory()) {
          if ((e.name === '.venv' || e.name === 'venv') && depth > 0) venvs.push(join(dir, e.name));
          if (e.name.startsWith('.') || SKIPPED.has(e.name)) continue;
          if (depth > 0) hold(e.name, dir);
          if (depth < SCAN_DEPTH) next.push(join(dir, e.name));
        } else if (depth > 0 && e.name.endsWith('.py')) hold(e.name.slice(0, -3), dir);
      }
    });
    level = next;
  }
  return { holders, venvs };
}

/** A virtual environment's site-packages: `lib/python3.X/site-packages` (or PyPy's), `Lib/site-packages` on Windows. */
async function sitePackages(venv: string): Promise<string[]> {
  const lib = join(venv, 'lib');
  const versions = await readdir(lib).catch(() => [] as string[]);
  return [
    ...versions.filter((v) => v.startsWith('python') || v.startsWith('pypy')).map((v) => join(lib, v, 'site-packages')),
    join(venv, 'Lib', 'site-packages'),
  ];
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/**
 * Finds where topics' classes are defined under the roots (workspace folders). The module file
 * (`a/b.py`, or `a/b/__init__.py` first, as Python prefers a package) is looked for directly under
 * a root, under its `src`, then in the directories up to 3 levels deep under it (shallowest first;
 * not in node_modules, __pycache__ or dot-directories), and last in the site-packages of its
 * virtual environments (`.venv`, `venv`, or any directory with a `pyvenv.cfg`); each phase over
 * every root before the next. Module lookups are remembered until `clear()` (missing modules for
 * `missTtlMs` only: new files are found without it); files are read again when they change (their
 * modification time or size).
 *
 * The location is the class's name on its `class` line (a nested class inside its outer class's
 * body); for an event class the library's decorator makes, the name given in the `@event(...)`
 * line, or the decorated method's name when the decorator names none. When the qualified name is
 * not all found, the location is the deepest class that is (`BankAccount` for an unknown
 * `BankAccount.Reopened`), and when not even the outer class is, the module's first line (an empty
 * range at its start). Undefined when no module file exists.
 */
/** How long a module not found stays not found before it is looked for again. */
const MISS_TTL_MS = 3000;

export class TopicLocator {
  private readonly modules = new Map<string, Promise<string | null>>();
  private readonly scans = new Map<string, Promise<RootScan>>();
  private readonly parsed = new Map<string, { mtimeMs: number; size: number; module: ParsedModule }>();
  /** When each module was last looked for and not found. */
  private readonly missedAt = new Map<string, number>();

  constructor(
    /** The workspace folders looked in. */
    readonly roots: string[],
    private readonly missTtlMs = MISS_TTL_MS,
  ) {}

  async locate(topic: string): Promise<PythonLocation | undefined> {
    const colon = topic.indexOf(':');
    const module = colon < 0 ? topic : topic.slice(0, colon);
    const qualname = colon < 0 ? '' : topic.slice(colon + 1);
    const found = await this.find(module, qualname, 0);
    if (!found) return undefined;
    const { file, parsed, at, length } = found;
    const line = upperBound(parsed.lineStarts, at) - 1;
    const character = at - parsed.lineStarts[line];
    return { file, line, character, endCharacter: character + length };
  }

  /** Forget cached module paths (files changed). */
  clear(): void {
    this.modules.clear();
    this.missedAt.clear();
    this.scans.clear();
    this.parsed.clear();
  }

  /** Where a qualified name is in a module (its first line when not even the outer class is found), following imports up to MAX_IMPORTS deep. */
  private async find(module: string, qualname: string, imports: number): Promise<Located | undefined> {
    if (!module.split('.').every((part) => IDENTIFIER.test(part))) return undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      const file = await this.moduleFile(module);
      if (!file) return undefined;
      const parsed = await this.read(file);
      if (!parsed) {
        // The file went away since it was found: look again.
        this.modules.delete(module);
        continue;
      }
      const isPackage = basename(file) === '__init__.py';
      const follow: FollowImport = async (other, name) => {
        if (imports >= MAX_IMPORTS) return undefined;
        const there = await this.find(other, name, imports + 1);
        return there?.exact ? there : undefined;
      };
      const found = (qualname ? await findIn(parsed, module, isPackage, qualname, follow) : undefined) ?? {
        at: 0,
        length: 0,
        exact: !qualname,
      };
      return { ...found, file: found.file ?? file, parsed: found.parsed ?? parsed };
    }
    return undefined;
  }

  private async read(file: string): Promise<ParsedModule | undefined> {
    try {
      const { mtimeMs, size } = await stat(file);
      const cached = this.parsed.get(file);
      if (cached && cached.mtimeMs === mtimeMs && cached.size === size) return cached.module;
      const module = parsePython(await readFile(file, 'utf8'));
      this.parsed.set(file, { mtimeMs, size, module });
      return module;
    } catch {
      this.parsed.delete(file);
      return undefined;
    }
  }

  private moduleFile(module: string): Promise<string | null> {
    // A module not found is looked for again after a while (the editor may not say when files appear).
    const missed = this.missedAt.get(module);
    if (missed !== undefined && Date.now() - missed > this.missTtlMs) {
      this.missedAt.delete(module);
      this.modules.delete(module);
      this.scans.clear();
    }
    let file = this.modules.get(module);
    if (!file) {
      file = this.lookUp(module.split('.')).then((found) => {
        if (!found) this.missedAt.set(module, Date.now());
        return found;
      });
      this.modules.set(module, file);
    }
    return file;
  }

  private async lookUp(parts: string[]): Promise<string | null> {
    const tried = new Set<string>();
    const under = async (bases: string[]) => {
      for (const base of bases) {
        if (tried.has(base)) continue;
        tried.add(base);
        for (const file of [join(base, ...parts, '__init__.py'), join(base, ...parts.slice(0, -1), `${parts.at(-1)}.py`)]) {
          if (await isFile(file)) return file;
        }
      }
      return null;
    };
    // A root that is the top package itself (the workspace folder `bankapp` for `bankapp.domainmodel`).
    const direct = this.roots.flatMap((root) => [root, join(root, 'src'), ...(basename(root) === parts[0] ? [dirname(root)] : [])]);
    const scans = () => Promise.all(this.roots.map((root) => this.scan(root)));
    return (
      (await under(direct)) ??
      (await under((await scans()).flatMap((s) => s.holders.get(parts[0]) ?? []))) ??
      (await under((await Promise.all((await scans()).flatMap((s) => s.venvs.map(sitePackages)))).flat()))
    );
  }

  private scan(root: string): Promise<RootScan> {
    let scan = this.scans.get(root);
    if (!scan) {
      scan = scanRoot(root);
      this.scans.set(root, scan);
    }
    return scan;
  }
}
