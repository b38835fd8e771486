/**
 * Decoding (and, for the demo store, encoding) of the `state` blobs written by the Python
 * `eventsourcing` library: cipher -> compressor -> JSON transcoder, read in reverse.
 * See docs/stores.md: AES-GCM `nonce[0:12] | tag[12:28] | ciphertext[28:]`, zlib, and
 * `{"_type_": NAME, "_data_": VALUE}` transcodings.
 */

import { createCipheriv, randomBytes, type CipherGCM } from 'node:crypto';
import { constants as zlibConstants, deflateSync, Inflate, inflateSync } from 'node:zlib';
import { AesGcmBatchDecryptor } from './aesGcm';
import { DecodeError, EventscopeError, messageOf, MissingCipherKey } from '../errors';
import { parseExactJson, parseWithBigInts, stringifyExact } from '../json/exact';
import { hasMappings, type TranscodingKind, type TranscodingMapping } from './transcodings';

import { pointerSegment, type ValueKinds } from '../events';

export interface DecodedState {
  value: Record<string, unknown>;
  kinds: ValueKinds;
}

export interface EventsourcingCodecOptions {
  /** The raw AES key (16, 24 or 32 bytes), from `parseCipherKey`. */
  cipherKey?: Buffer;
  /**
   * Application transcodings to decode as a known kind (`{date_iso: 'date'}`): their `_data_`
   * becomes the value and the kind is recorded. Others stay `{_type_, _data_}` (`custom:NAME`).
   */
  transcodings?: TranscodingMapping;
}

/** Parses the library's CIPHER_KEY: base64 of a 16/24/32-byte AES key. */
export function parseCipherKey(base64: string): Buffer {
  const text = base64.trim();
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(text) || ![16, 24, 32].includes(key.length)) {
    throw new EventscopeError(
      `The cipher key is not valid: it must be the base64 of a 16, 24 or 32-byte AES key (got ${key.length} bytes).`,
    );
  }
  return key;
}

const NONCE = 12;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isZlib(b: Uint8Array, at: number, end: number): boolean {
  return end - at >= 2 && (b[at] & 0x0f) === 8 && (b[at] * 256 + b[at + 1]) % 31 === 0;
}

function isBz2(b: Uint8Array, at: number, end: number): boolean {
  return end - at >= 3 && b[at] === 0x42 && b[at + 1] === 0x5a && b[at + 2] === 0x68;
}

function isXz(b: Uint8Array, at: number, end: number): boolean {
  if (end - at < 6) return false;
  for (let i = 0; i < 6; i++) if (b[at + i] !== XZ_MAGIC[i]) return false;
  return true;
}
const XZ_MAGIC = [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00];

function looksPlain(b: Uint8Array, at: number, end: number): boolean {
  // JSON text (possibly after whitespace) or a compressed stream.
  const c = b[at];
  return c === 0x7b || c === 0x5b || c === 0x20 || c === 0x0a || isZlib(b, at, end) || isBz2(b, at, end) || isXz(b, at, end);
}

const decryptors = new Map<string, AesGcmBatchDecryptor>();

/** One batch decryptor per key (its tables take a millisecond to build). */
function decryptorFor(key: Buffer): AesGcmBatchDecryptor {
  const id = key.toString('hex');
  let decryptor = decryptors.get(id);
  if (!decryptor) {
    if (decryptors.size >= 8) decryptors.clear();
    decryptor = new AesGcmBatchDecryptor(key);
    decryptors.set(id, decryptor);
  }
  return decryptor;
}

/** The parts of Node's zlib binding that `inflateSync` itself drives, one call per state. */
interface ZlibHandle {
  reset(): void;
  writeSync(flush: number, input: Uint8Array, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
  onerror: (message: string, errno: number) => void;
}

/**
 * Inflates zlib streams to text. `inflateSync` builds a stream object and a zlib context per call
 * (~7 µs, more than everything else a small event costs), so this resets and reuses one context,
 * as Node's own inflateSync drives it. Any error, an output bigger than the buffer, or a Node
 * without these internals falls back to `inflateSync`, which also says what is wrong.
 */
class ReusableInflater {
  private readonly handle: ZlibHandle | undefined;
  private readonly state: Uint32Array | undefined;
  private readonly out = Buffer.allocUnsafe(1 << 16);
  private failed = false;

  constructor() {
    const inflate = new Inflate() as unknown as { _handle?: ZlibHandle; _writeState?: Uint32Array };
    if (typeof inflate._handle?.writeSync === 'function' && typeof inflate._handle.reset === 'function' && inflate._writeState) {
      this.handle = inflate._handle;
      this.state = inflate._writeState;
      this.handle.onerror = () => {
        this.failed = true;
      };
    }
  }

  /** The text of the zlib stream in `b[at, end)`. */
  inflate(b: Uint8Array, at: number, end: number): string {
    const { handle, state, out } = this;
    if (handle && state) {
      this.failed = false;
      handle.reset();
      handle.writeSync(zlibConstants.Z_FINISH, b, at, end - at, out, 0, out.length);
      const availOut = state[0];
      if (!this.failed && availOut > 0) return out.toString('utf8', 0, out.length - availOut);
    }
    try {
      return inflateSync(b.subarray(at, end)).toString('utf8');
    } catch (error) {
      throw new DecodeError(`the zlib-compressed state is damaged (${(error as Error).message})`, { cause: error });
    }
  }
}

let inflater: ReusableInflater | undefined;

/** The text of `b[at, end)`: inflated when it is a zlib stream. */
function decompressToText(b: Uint8Array, at: number, end: number): string {
  if (isZlib(b, at, end)) return (inflater ??= new ReusableInflater()).inflate(b, at, end);
  if (isBz2(b, at, end)) {
    throw new DecodeError('unsupported compression: the state is bz2-compressed, which Eventscope cannot read yet');
  }
  if (isXz(b, at, end)) {
    throw new DecodeError('unsupported compression: the state is lzma/xz-compressed, which Eventscope cannot read yet');
  }
  return asBuffer(b).toString('utf8', at, end);
}

/** The text of a (decrypted) state: inflated when it is a zlib stream (the benchmark's floor of decoding). */
export function stateText(b: Uint8Array): string {
  return decompressToText(b, 0, b.length);
}

/** Why a state did not decode with the key given (the same sentence for every command). */
const NOT_DECRYPTED = 'the cipher key does not decrypt the state (wrong key, or a damaged blob)';

/** Cipher and compressor only: the JSON text of a state blob that did not decrypt (or had no key). */
function unwrapUndecrypted(b: Uint8Array, hadKey: boolean): string {
  if (b.length === 0) throw new DecodeError('the state is empty');
  if (!looksPlain(b, 0, b.length)) {
    if (!hadKey) throw new MissingCipherKey();
    throw new DecodeError(NOT_DECRYPTED);
  }
  return decompressToText(b, 0, b.length);
}

/**
 * How a state blob is stored: its compression and whether it is encrypted (as far as can be told).
 * Without a key a blob that is neither JSON nor a compressed stream is `encrypted: 'unknown'`. With
 * a key the key is tried: a state it does not decrypt must read as it is, as
 * `decodeEventsourcingStates` reads it, else this throws the DecodeError that gives (for a wrong
 * key, the sentence `log` says), never "unknown". (bz2/lzma, which cannot be read yet, are named.)
 */
export function describeStateEncoding(
  blob: Uint8Array,
  cipherKey?: Buffer,
): { compression: 'none' | 'zlib' | 'bz2' | 'lzma' | 'unknown'; encrypted: boolean | 'unknown' } {
  let b: Uint8Array = blob;
  let encrypted: boolean | 'unknown' = false;
  const plain = cipherKey ? decryptorFor(cipherKey).decryptMany([b])[0] : undefined;
  if (plain) {
    b = plain;
    encrypted = true;
  } else if (cipherKey) {
    if (!isBz2(b, 0, b.length) && !isXz(b, 0, b.length)) {
      const decoded = decodeEventsourcingStates([b], { cipherKey })[0];
      if (decoded instanceof DecodeError) throw decoded;
    }
  } else if (!looksPlain(b, 0, b.length)) {
    return { compression: 'unknown', encrypted: 'unknown' };
  }
  if (isZlib(b, 0, b.length)) return { compression: 'zlib', encrypted };
  if (isBz2(b, 0, b.length)) return { compression: 'bz2', encrypted };
  if (isXz(b, 0, b.length)) return { compression: 'lzma', encrypted };
  return { compression: 'none', encrypted };
}

/** Decodes one state blob exactly; throws DecodeError with a sentence fragment on failure. */
export function decodeEventsourcingState(blob: Uint8Array, options: EventsourcingCodecOptions = {}): DecodedState {
  const result = decodeEventsourcingStates([blob], options)[0];
  if (result instanceof DecodeError) throw result;
  return result;
}

/**
 * A state as the store fetches it: the blob's bytes; or a string, which is the state's JSON text
 * when it starts with `{` (SQLite's `CAST(state AS TEXT)`), else the hex of its bytes (SQLite's
 * `hex(state)`): strings cost far less to fetch than a Buffer per row.
 */
export type StoredState = Uint8Array | string;

/** Whether a StoredState string is JSON text (else it is hex). */
function isJsonText(state: string): boolean {
  return state.charCodeAt(0) === 0x7b;
}

/** A reused buffer for the bytes of hex states that are not encrypted (bigger ones get their own). */
const hexScratch = Buffer.alloc(1 << 16);

/** The bytes of a hex state (or, should it not be hex, of the text itself). */
function hexBytes(hex: string): Buffer {
  const size = hex.length >>> 1;
  const bytes = size <= hexScratch.length ? hexScratch : Buffer.allocUnsafe(size);
  const written = bytes.write(hex, 0, 'hex');
  return written === size && !(hex.length & 1) ? bytes.subarray(0, size) : Buffer.from(hex, 'utf8');
}

/**
 * Decodes a page of states (decrypting them in one batch); each result is the decoded state or
 * the DecodeError that says why that one failed.
 */
export function decodeEventsourcingStates(
  states: readonly StoredState[],
  options: EventsourcingCodecOptions = {},
): (DecodedState | DecodeError)[] {
  const key = options.cipherKey;
  const hadKey = key !== undefined;
  const n = states.length;
  const page = key ? decryptorFor(key).decryptPage(states.map((s) => (typeof s === 'string' && isJsonText(s) ? '' : s))) : undefined;
  const results = new Array<DecodedState | DecodeError>(n);
  mapping = hasMappings(options.transcodings) ? options.transcodings : undefined;
  try {
    for (let i = 0; i < n; i++) {
      const state = states[i];
      try {
        let text: string;
        if (typeof state === 'string' && isJsonText(state)) text = state;
        else if (page && page.lengths[i] >= 0) {
          const at = page.starts[i];
          text = decompressToText(page.bytes, at, at + page.lengths[i]);
        } else text = unwrapUndecrypted(typeof state === 'string' ? hexBytes(state) : state, hadKey);
        results[i] = parseState(text, hadKey);
      } catch (error) {
        if (error instanceof DecodeError) results[i] = error;
        else throw error;
      }
    }
  } finally {
    mapping = undefined;
  }
  return results;
}

function parseState(text: string, hadKey: boolean): DecodedState {
  let parsed: unknown;
  let exact = false; // whether integers beyond 2^53 already came out as bigints
  try {
    parsed = JSON.parse(text);
  } catch {
    try {
      parsed = parseExactJson(text);
      exact = true;
    } catch (error) {
      if (hadKey) throw new DecodeError(messageOf(error), { cause: error });
      // An encrypted state whose random first byte looks like JSON ends up here.
      throw new MissingCipherKey(`${messageOf(error)} (the store may be encrypted, and no cipher key was given)`, { cause: error });
    }
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DecodeError('the state is JSON but not an object');
  }
  let kinds: ValueKinds = {};
  unsafeIntegerSeen = false;
  let value = transcode(parsed, '', kinds) as Record<string, unknown>;
  if (unsafeIntegerSeen && !exact) {
    // JSON.parse rounded an integer beyond 2^53: parse again, keeping its digits.
    kinds = {};
    value = transcode(parseWithBigInts(text), '', kinds) as Record<string, unknown>;
  }
  return { value, kinds };
}

/** Whether a string is 32 lowercase hex digits (a UUID as the library stores ids); a loop beats a regex here. */
export function isHexId(text: string): boolean {
  return hexDigits32(text) === 1;
}

/** 1 when a string is 32 lowercase hex digits, 2 when 32 hex digits with capitals, else 0. */
function hexDigits32(text: string): number {
  if (text.length !== 32) return 0;
  let kind = 1;
  for (let i = 0; i < 32; i++) {
    const c = text.charCodeAt(i);
    if ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66)) continue;
    if (c >= 0x41 && c <= 0x46) kind = 2;
    else return 0;
  }
  return kind;
}

/** A UUID's 32 hex digits in the canonical dashed form. */
export function dashUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** Set by `transcode` when it meets an integer JSON.parse may have rounded (beyond 2^53). */
let unsafeIntegerSeen = false;

/** The application transcodings to decode while a page is decoded (`EventsourcingCodecOptions.transcodings`). */
let mapping: TranscodingMapping | undefined;

const DECIMAL_TEXT = /^[+-]?(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|NaN|sNaN|Infinity|Inf)$/;
const DASHED_UUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
/** An ISO 8601 date and time, or a date alone (Python's `datetime.fromisoformat` reads it as midnight). */
const ISO_DATETIME = /^[+-]?\d{4,}-\d{2}-\d{2}(?:$|[T ]\d{2}:\d{2})/;
const ISO_DATE = /^[+-]?\d{4,}-\d{2}-\d{2}$/;

/**
 * The value of an application transcoding's `_data_` decoded as `kind` (the canonical dashed
 * form of a UUID, else the text itself), or undefined when the text is not one of that kind.
 */
function decodeAs(kind: TranscodingKind, data: string): string | undefined {
  switch (kind) {
    case 'uuid': {
      const hex = hexDigits32(data);
      if (hex) return dashUuid(hex === 1 ? data : data.toLowerCase());
      return DASHED_UUID.test(data) ? data.toLowerCase() : undefined;
    }
    case 'decimal':
      return DECIMAL_TEXT.test(data) ? data : undefined;
    case 'datetime':
      return ISO_DATETIME.test(data) ? data : undefined;
    case 'date':
      return ISO_DATE.test(data) ? data : undefined;
  }
}

/** The JSON pointers of top-level keys (most kinds are there), made once per key name. */
const rootPaths = new Map<string, string>();

function childPath(path: string, key: string): string {
  if (path !== '') return `${path}/${pointerSegment(key)}`;
  let child = rootPaths.get(key);
  if (child === undefined) {
    if (rootPaths.size >= 4096) rootPaths.clear();
    child = `/${pointerSegment(key)}`;
    rootPaths.set(key, child);
  }
  return child;
}

/** Whether an object's own keys are exactly `_type_` and `_data_` (the library's transcoding). */
function isTranscoding(obj: object): boolean {
  let n = 0;
  for (const key in obj) {
    if ((key !== '_type_' && key !== '_data_') || ++n > 2) return false;
  }
  return n === 2 && Object.hasOwn(obj, '_type_') && Object.hasOwn(obj, '_data_');
}

/** Replaces `{_type_, _data_}` transcodings in place and records the kinds of exact values. */
function transcode(value: unknown, path: string, kinds: ValueKinds): unknown {
  if (value === null) return value;
  switch (typeof value) {
    case 'bigint':
      kinds[path] = 'bigint';
      return value;
    case 'number':
      if (!Number.isFinite(value)) kinds[path] = 'nonfinite';
      else if (!Number.isSafeInteger(value) && Number.isInteger(value)) unsafeIntegerSeen = true;
      return value;
    case 'object':
      break;
    default:
      return value;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (mayTranscode(value[i])) value[i] = transcode(value[i], `${path}/${i}`, kinds);
    return value;
  }
  const obj = value as Record<string, unknown>;
  const type = obj._type_;
  if (typeof type === 'string' && isTranscoding(obj)) {
    const data = obj._data_;
    if (typeof data === 'string') {
      if (type === 'uuid_hex') {
        const hex = hexDigits32(data);
        if (hex) {
          kinds[path] = 'uuid';
          return dashUuid(hex === 1 ? data : data.toLowerCase());
        }
      } else if (type === 'datetime_iso') {
        kinds[path] = 'datetime';
        return data;
      } else if (type === 'decimal_str') {
        kinds[path] = 'decimal';
        return data;
      }
    }
    // An application's own transcoding: decoded as the kind the user mapped it to, when its data
    // is one; else kept as it is (its inner values still decoded).
    if (mapping !== undefined && typeof data === 'string' && Object.hasOwn(mapping, type)) {
      const kind = mapping[type];
      const decoded = decodeAs(kind, data);
      if (decoded !== undefined) {
        kinds[path] = kind;
        return decoded;
      }
    }
    kinds[path] = `custom:${type}`;
    obj._data_ = transcode(data, `${path}/_data_`, kinds);
    return obj;
  }
  // for-in (no array of keys); an inherited key (a polluted prototype) is left alone
  for (const key in obj) {
    const v = obj[key];
    if (mayTranscode(v) && Object.hasOwn(obj, key)) obj[key] = transcode(v, childPath(path, key), kinds);
  }
  return obj;
}

/**
 * Whether a value can hold a transcoding or an exact number (strings and numbers within ±2^53
 * can't): saves building paths.
 */
function mayTranscode(v: unknown): boolean {
  return typeof v === 'object'
    ? v !== null
    : typeof v === 'number'
      ? !(v <= Number.MAX_SAFE_INTEGER && v >= -Number.MAX_SAFE_INTEGER)
      : typeof v === 'bigint';
}

export interface EncodeOptions {
  cipherKey?: Buffer;
  compress?: boolean;
}

/**
 * Encodes a state the way the library does: compact JSON as Python's
 * `json.dumps(separators=(",", ":"), ensure_ascii=False)` writes it (UTF-8, non-ASCII kept), optionally
 * zlib, optionally AES-GCM. Values must already be in transcoded form (`{_type_, _data_}`).
 * Used to write the demo store and benchmark stores, and to check our decoder against fixtures.
 */
export function encodeEventsourcingState(state: unknown, options: EncodeOptions = {}): Buffer {
  let bytes = Buffer.from(stringifyExact(state), 'utf8');
  if (options.compress) bytes = deflateSync(bytes);
  if (options.cipherKey) {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv(`aes-${options.cipherKey.length * 8}-gcm`, options.cipherKey, nonce) as CipherGCM;
    const body = Buffer.concat([cipher.update(bytes), cipher.final()]);
    bytes = Buffer.concat([nonce, cipher.getAuthTag(), body]);
  }
  return bytes;
}

/** Transcoding helpers for writers. */
export const transcoded = {
  uuid: (id: string) => ({ _type_: 'uuid_hex', _data_: id.replace(/-/g, '') }),
  decimal: (text: string) => ({ _type_: 'decimal_str', _data_: text }),
  datetime: (iso: string) => ({ _type_: 'datetime_iso', _data_: iso }),
};
