/**
 * Decoding (and, for the demo store, encoding) of the `state` blobs written by the Python
 * `eventsourcing` library: cipher -> compressor -> JSON transcoder, read in reverse.
 * See docs/stores.md: AES-GCM `nonce[0:12] | tag[12:28] | ciphertext[28:]`, zlib, and
 * `{"_type_": NAME, "_data_": VALUE}` transcodings.
 */

import { createCipheriv, randomBytes, type CipherGCM } from 'node:crypto';
import { constants as zlibConstants, deflateSync, Inflate, inflateSync } from 'node:zlib';
import { AesGcmBatchDecryptor } from './aesGcm';
import { DecodeError, EventscopeError, messageOf } from '../errors';
import { parseExactJson, stringifyExact } from '../json/exact';

import type { ValueKinds } from '../events';

export interface DecodedState {
  value: Record<string, unknown>;
  kinds: ValueKinds;
}

export interface EventsourcingCodecOptions {
  /** The raw AES key (16, 24 or 32 bytes), from `parseCipherKey`. */
  cipherKey?: Buffer;
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
const NO_BYTES = new Uint8Array(0);

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function isZlib(b: Buffer): boolean {
  return b.length >= 2 && (b[0] & 0x0f) === 8 && (b[0] * 256 + b[1]) % 31 === 0;
}

function isBz2(b: Buffer): boolean {
  return b.length >= 3 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68;
}

function isXz(b: Buffer): boolean {
  return b.length >= 6 && b.subarray(0, 6).equals(XZ_MAGIC);
}
const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);

function looksPlain(b: Buffer): boolean {
  // JSON text (possibly after whitespace) or a compressed stream.
  const c = b[0];
  return c === 0x7b || c === 0x5b || c === 0x20 || c === 0x0a || isZlib(b) || isBz2(b) || isXz(b);
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
  writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void;
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

  inflate(b: Buffer): string {
    const { handle, state, out } = this;
    if (handle && state) {
      this.failed = false;
      handle.reset();
      handle.writeSync(zlibConstants.Z_FINISH, b, 0, b.length, out, 0, out.length);
      const availOut = state[0];
      if (!this.failed && availOut > 0) return out.toString('utf8', 0, out.length - availOut);
    }
    try {
      return inflateSync(b).toString('utf8');
    } catch (error) {
      throw new DecodeError(`the zlib-compressed state is damaged (${(error as Error).message})`, { cause: error });
    }
  }
}

let inflater: ReusableInflater | undefined;

function decompressToText(b: Buffer): string {
  if (isZlib(b)) return (inflater ??= new ReusableInflater()).inflate(b);
  if (isBz2(b)) {
    throw new DecodeError('unsupported compression: the state is bz2-compressed, which Eventscope cannot read yet');
  }
  if (isXz(b)) {
    throw new DecodeError('unsupported compression: the state is lzma/xz-compressed, which Eventscope cannot read yet');
  }
  return b.toString('utf8');
}

/**
 * Cipher and compressor only: the JSON text of a state blob. `decrypted` is the blob's plaintext
 * when a batch decryption already verified it (undefined when it did not).
 */
function unwrap(blob: Uint8Array, cipherKey: Buffer | undefined, decrypted: Buffer | undefined): string {
  let b = asBuffer(blob);
  if (b.length === 0) throw new DecodeError('the state is empty');
  if (cipherKey) {
    if (decrypted) b = decrypted;
    else if (!looksPlain(b)) {
      throw new DecodeError('the cipher key does not decrypt the state (wrong key, or a damaged blob)');
    }
  } else if (!looksPlain(b)) {
    throw new DecodeError(
      'the state looks encrypted: give the cipher key with --cipher-key or EVENTSCOPE_CIPHER_KEY (the library’s CIPHER_KEY)',
    );
  }
  return decompressToText(b);
}

/** How a state blob is stored: its compression and whether it is encrypted (as far as can be told). */
export function describeStateEncoding(
  blob: Uint8Array,
  cipherKey?: Buffer,
): { compression: 'none' | 'zlib' | 'bz2' | 'lzma' | 'unknown'; encrypted: boolean | 'unknown' } {
  let b = asBuffer(blob);
  let encrypted: boolean | 'unknown' = false;
  const plain = cipherKey ? decryptorFor(cipherKey).decryptMany([b])[0] : undefined;
  if (plain) {
    b = plain;
    encrypted = true;
  } else if (!looksPlain(b)) {
    return { compression: 'unknown', encrypted: 'unknown' };
  }
  if (isZlib(b)) return { compression: 'zlib', encrypted };
  if (isBz2(b)) return { compression: 'bz2', encrypted };
  if (isXz(b)) return { compression: 'lzma', encrypted };
  return { compression: 'none', encrypted };
}

/** Decodes one state blob exactly; throws DecodeError with a sentence fragment on failure. */
export function decodeEventsourcingState(blob: Uint8Array, options: EventsourcingCodecOptions = {}): DecodedState {
  const result = decodeEventsourcingStates([blob], options)[0];
  if (result instanceof DecodeError) throw result;
  return result;
}

/**
 * Decodes a page of states (decrypting them in one batch); each result is the decoded state or
 * the DecodeError that says why that one failed. A string is a state already read as JSON text.
 */
export function decodeEventsourcingStates(
  blobs: (Uint8Array | string)[],
  options: EventsourcingCodecOptions = {},
): (DecodedState | DecodeError)[] {
  const key = options.cipherKey;
  const plains = key ? decryptorFor(key).decryptMany(blobs.map((b) => (typeof b === 'string' ? NO_BYTES : b))) : [];
  return blobs.map((blob, i) => {
    try {
      if (typeof blob === 'string') return parseState(blob, key !== undefined);
      return parseState(unwrap(blob, key, plains[i]), key !== undefined);
    } catch (error) {
      if (error instanceof DecodeError) return error;
      throw error;
    }
  });
}

function parseState(text: string, hadKey: boolean): DecodedState {
  let parsed: unknown;
  try {
    parsed = parseExactJson(text);
  } catch (error) {
    const hint = hadKey ? '' : ' (if the store is encrypted, give its cipher key)';
    throw new DecodeError(`${messageOf(error)}${hint}`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new DecodeError('the state is JSON but not an object');
  }
  const kinds: ValueKinds = {};
  const value = transcode(parsed, '', kinds) as Record<string, unknown>;
  return { value, kinds };
}

function escapePointer(key: string): string {
  return key.includes('~') || key.includes('/') ? key.replace(/~/g, '~0').replace(/\//g, '~1') : key;
}

/** A UUID's 32 hex digits in the canonical dashed form. */
export function dashUuid(hex: string): string {
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
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
  if (typeof type === 'string' && '_data_' in obj && Object.keys(obj).length === 2) {
    const data = obj._data_;
    if (type === 'uuid_hex' && typeof data === 'string' && /^[0-9a-fA-F]{32}$/.test(data)) {
      kinds[path] = 'uuid';
      return dashUuid(data.toLowerCase());
    }
    if (type === 'decimal_str' && typeof data === 'string') {
      kinds[path] = 'decimal';
      return data;
    }
    if (type === 'datetime_iso' && typeof data === 'string') {
      kinds[path] = 'datetime';
      return data;
    }
    // An application's own transcoding: kept as it is (its inner values still decoded).
    kinds[path] = `custom:${type}`;
    obj._data_ = transcode(data, `${path}/_data_`, kinds);
    return obj;
  }
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (mayTranscode(v)) obj[key] = transcode(v, `${path}/${escapePointer(key)}`, kinds);
  }
  return obj;
}

/** Whether a value can hold a transcoding or an exact number (strings and plain numbers can't): saves building paths. */
function mayTranscode(v: unknown): boolean {
  return v !== null && (typeof v === 'object' || typeof v === 'bigint' || (typeof v === 'number' && !Number.isFinite(v)));
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
