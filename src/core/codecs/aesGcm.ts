/**
 * AES-GCM decryption of many small blobs at once. Node's `createDecipheriv` costs several µs per
 * call (a stream object and a fresh cipher context), which dwarfs a 200-byte event. Here a page of
 * blobs costs three native calls in all:
 *
 *  1. one AES-ECB call makes the CTR keystream of the whole page (every blob's counter blocks);
 *  2. one AES-GCM call checks every tag at once: GHASH is linear, so laying the blobs out as
 *     `C_i (zero-padded) | len_i | T_i` one after another, where `T_i = tag_i xor E(K, J0_i)`, gives
 *     a text whose GHASH is `sum_i (GHASH_i xor T_i) · H^(k_i)`: zero exactly when every tag matches
 *     (one wrong tag leaves a non-zero term, since H is not zero; several can only cancel out by
 *     guessing H). Node's GCM computes that GHASH natively (as additional data, under a fixed IV),
 *     and the expected tag, of an all-zero text of that length, is one multiplication by H;
 *  3. the plaintexts are the ciphertexts xor the keystream, 32 bits at a time, in place.
 *
 * Only when that check fails (a wrong key, a damaged blob) are halves of the page checked the same
 * way, down to a few blobs, each then checked with GHASH in JavaScript over tables precomputed once
 * per key (Shoup's 8-bit method), to say which.
 * Tests check both paths against Node's own AES-GCM for every length.
 */

import { createCipheriv, type Cipheriv, type CipherGCM } from 'node:crypto';

const NONCE = 12;
const TAG = 16;
const HEADER = NONCE + TAG;

/** Whether this machine stores 32-bit words little-endian (the byte-order of Uint32Array views). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** A big-endian 32-bit value as the word a Uint32Array view holds for those 4 bytes. */
function nativeWord(bigEndian: number): number {
  return LITTLE_ENDIAN
    ? ((bigEndian & 0xff) << 24) | ((bigEndian & 0xff00) << 8) | ((bigEndian >>> 8) & 0xff00) | (bigEndian >>> 24)
    : bigEndian | 0;
}

/** Multiplies by x in GCM's bit order (a right shift, reducing by 0xE1 || 0^120). */
function mulX(v: Uint8Array): void {
  const carry = v[15] & 1;
  for (let i = 15; i > 0; i--) v[i] = (v[i] >>> 1) | ((v[i - 1] & 1) << 7);
  v[0] >>>= 1;
  if (carry) v[0] ^= 0xe1;
}

/** The plain bitwise product of the spec (used only to build the tables). */
function multiply(x: Uint8Array, y: Uint8Array): Uint8Array {
  const z = new Uint8Array(16);
  const v = Uint8Array.from(y);
  for (let i = 0; i < 128; i++) {
    if (x[i >>> 3] & (0x80 >>> (i & 7))) for (let k = 0; k < 16; k++) z[k] ^= v[k];
    mulX(v);
  }
  return z;
}

const ONE = nativeWord(1);

function word(b: Uint8Array, i: number): number {
  return ((b[i] << 24) | (b[i + 1] << 16) | (b[i + 2] << 8) | b[i + 3]) >>> 0;
}

/**
 * The plaintexts of a page, all in one buffer: blob i's is `bytes[starts[i], starts[i] + lengths[i])`,
 * or `lengths[i]` is -1 when blob i does not verify (wrong key, damage, too short). The buffer is
 * the decryptor's own and is reused by its next call.
 */
export interface DecryptedPage {
  bytes: Buffer;
  starts: Int32Array;
  lengths: Int32Array;
}

/**
 * A 4-byte aligned buffer of at least `size` bytes: `buffer` while it is big enough and not far
 * too big (so one huge page is not held on to for good).
 */
function fitted(buffer: Buffer, size: number): Buffer {
  if (buffer.length >= size && buffer.length <= Math.max(size * 4, 1 << 20)) return buffer;
  return Buffer.alloc(Math.max(size + (size >>> 2), 1 << 16));
}

export class AesGcmBatchDecryptor {
  private readonly key: Buffer;
  private readonly ecb: Cipheriv;
  /** m[4b..4b+3] = (b placed in byte 0) · H, as four big-endian words. */
  private readonly m = new Uint32Array(256 * 4);
  /** The reduction that multiplying by x^8 adds to word 0 when byte 15 was r. */
  private readonly r8 = new Uint32Array(256);
  /** E(K, J0) of the fixed IV (all zero) the batch check runs GCM under, as big-endian words. */
  private readonly fixedMask: Uint32Array;
  /** The product of the last GHASH step (see `mulH`). */
  private readonly z = new Uint32Array(4);
  /** Reused between calls: the page layout (ciphertexts, then plaintexts) and its counter blocks. */
  private text: Buffer = Buffer.alloc(0);
  private counters: Buffer = Buffer.alloc(0);

  constructor(key: Buffer) {
    this.key = Buffer.from(key);
    this.ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
    this.ecb.setAutoPadding(false);
    const zeroAndJ0 = Buffer.alloc(32);
    zeroAndJ0[31] = 1; // J0 of the all-zero 96-bit IV: IV || 0x00000001
    const encrypted = this.ecb.update(zeroAndJ0);
    const h = encrypted.subarray(0, 16);
    this.fixedMask = Uint32Array.of(word(encrypted, 16), word(encrypted, 20), word(encrypted, 24), word(encrypted, 28));
    for (let b = 0; b < 256; b++) {
      const x = new Uint8Array(16);
      x[0] = b;
      const p = multiply(x, h);
      for (let w = 0; w < 4; w++) this.m[b * 4 + w] = word(p, w * 4);
      const e = new Uint8Array(16);
      e[15] = b;
      for (let i = 0; i < 8; i++) mulX(e);
      this.r8[b] = word(e, 0);
    }
  }

  /**
   * Decrypts blobs laid out as the eventsourcing library writes them (`nonce | tag | ciphertext`).
   * Each result is the plaintext, or undefined when the tag does not verify (wrong key, damage).
   */
  decryptMany(blobs: Uint8Array[]): (Buffer | undefined)[] {
    const { bytes, starts, lengths } = this.decryptPage(blobs);
    return blobs.map((_, i) => (lengths[i] < 0 ? undefined : Buffer.from(bytes.subarray(starts[i], starts[i] + lengths[i]))));
  }

  /**
   * Decrypts a page of blobs into one buffer (see DecryptedPage; valid until the next call). A
   * blob may also be given as the hex text of its bytes (SQLite's `hex(state)`: a string costs
   * far less to fetch than a Buffer a row).
   */
  decryptPage(blobs: readonly (Uint8Array | string)[]): DecryptedPage {
    const n = blobs.length;
    const starts = new Int32Array(n);
    const lengths = new Int32Array(n).fill(-1);
    // Layout, per blob of s ciphertext bytes in k = ceil(s / 16) blocks: a 2-block slot the whole
    // blob is written into at byte 4 (so nonce and tag land on whole words and the ciphertext on a
    // block), which is cleared once they are read; the k blocks of ciphertext (zero-padded); its
    // length block; its T block. Counter blocks line up with it: counters 2..k+1 under the
    // ciphertext, J0 under the length block (so E(K, J0) lands there), zero elsewhere.
    let blocks = 0;
    for (let i = 0; i < n; i++) {
      const size = byteLength(blobs[i]) - HEADER;
      if (size >= 0) blocks += ((size + 15) >>> 4) + 4;
    }
    const total = blocks * 16;
    this.text = fitted(this.text, total);
    this.counters = fitted(this.counters, total);
    const text = this.text;
    const counters = this.counters;
    const tw = new Int32Array(text.buffer, text.byteOffset, total >>> 2);
    const cw = new Int32Array(counters.buffer, counters.byteOffset, total >>> 2);
    let at = 0; // in words
    for (let i = 0; i < n; i++) {
      const blob = blobs[i];
      const size = byteLength(blob) - HEADER;
      if (size < 0) continue;
      const k = (size + 15) >>> 4;
      const c0 = at + 8; // the ciphertext's first word
      const j0 = c0 + k * 4; // the length block's
      if (k) tw[j0 - 4] = tw[j0 - 3] = tw[j0 - 2] = tw[j0 - 1] = 0; // the padding
      if (typeof blob === 'string') {
        if (blob.length & 1 || text.write(blob, at * 4 + 4, 'hex') !== size + HEADER) continue; // not hex after all
      } else text.set(blob, at * 4 + 4);
      starts[i] = c0 * 4;
      lengths[i] = size;
      const n0 = tw[at + 1];
      const n1 = tw[at + 2];
      const n2 = tw[at + 3];
      // the stored tag into the T block (xor E(K, J0) once the keystream is known), then the slot cleared
      tw[j0 + 4] = tw[at + 4];
      tw[j0 + 5] = tw[at + 5];
      tw[j0 + 6] = tw[at + 6];
      tw[j0 + 7] = tw[at + 7];
      for (let w = at; w < c0; w++) tw[w] = cw[w] = 0;
      // counter blocks: the nonce, then 2, 3, ... (big-endian) under the ciphertext, 1 under J0
      for (let c = 0, w = c0; c < k; c++, w += 4) {
        cw[w] = n0;
        cw[w + 1] = n1;
        cw[w + 2] = n2;
        cw[w + 3] = nativeWord(c + 2);
      }
      cw[j0] = n0;
      cw[j0 + 1] = n1;
      cw[j0 + 2] = n2;
      cw[j0 + 3] = ONE;
      cw[j0 + 4] = cw[j0 + 5] = cw[j0 + 6] = cw[j0 + 7] = 0;
      // the length block: 64-bit len(A) = 0, 64-bit len(C) in bits
      const bits = size * 8;
      tw[j0] = 0;
      tw[j0 + 1] = 0;
      tw[j0 + 2] = nativeWord(Math.floor(bits / 2 ** 32));
      tw[j0 + 3] = nativeWord(bits >>> 0);
      at = j0 + 8;
    }
    const used = at * 4; // less than total when a hex text was not hex
    if (!used) return { bytes: text, starts, lengths };

    let stream = this.ecb.update(counters.subarray(0, used));
    if (stream.byteOffset & 3) stream = Buffer.from(stream); // for the word view
    const sw = new Int32Array(stream.buffer, stream.byteOffset, used >>> 2);
    for (let i = 0; i < n; i++) {
      if (lengths[i] < 0) continue;
      const j0 = (starts[i] >>> 2) + ((lengths[i] + 15) >>> 4) * 4;
      tw[j0 + 4] ^= sw[j0];
      tw[j0 + 5] ^= sw[j0 + 1];
      tw[j0 + 6] ^= sw[j0 + 2];
      tw[j0 + 7] ^= sw[j0 + 3];
    }

    this.verifyRange(text, tw, starts, lengths, 0, n);
    // CTR: plaintext = ciphertext xor keystream, over the whole layout (the other blocks become
    // noise, nobody reads them again).
    for (let w = 0; w < sw.length; w++) tw[w] ^= sw[w];
    return { bytes: text, starts, lengths };
  }

  /**
   * Marks the blobs of `[from, to)` whose tag does not verify (length -1): one native check of
   * them all, and when that fails, of each half in turn, down to a few blobs checked one by one.
   * So one damaged blob costs a few more native passes, not a JavaScript GHASH of the whole page.
   */
  private verifyRange(text: Buffer, tw: Int32Array, starts: Int32Array, lengths: Int32Array, from: number, to: number): void {
    while (from < to && lengths[from] < 0) from++;
    while (to > from && lengths[to - 1] < 0) to--;
    if (from === to) return;
    const last = to - 1;
    const end = starts[last] + (((lengths[last] + 15) >>> 4) + 2) * 16; // past its T block
    if (this.allVerify(text.subarray(starts[from] - 32, end))) return; // from its slot
    if (to - from <= 8) {
      for (let i = from; i < to; i++) if (lengths[i] >= 0 && !this.verifyOne(tw, starts[i] >>> 2, lengths[i])) lengths[i] = -1;
      return;
    }
    const middle = (from + to) >>> 1;
    this.verifyRange(text, tw, starts, lengths, from, middle);
    this.verifyRange(text, tw, starts, lengths, middle, to);
  }

  /** Whether every T block in this part of the layout matches its blob's GHASH (one native GCM pass). */
  private allVerify(layout: Buffer): boolean {
    const gcm = createCipheriv(`aes-${this.key.length * 8}-gcm`, this.key, FIXED_IV) as CipherGCM;
    gcm.setAAD(layout);
    gcm.final();
    const tag = gcm.getAuthTag();
    // An all-zero text of this length hashes to len-block · H (len(A) in bits, len(C) = 0).
    const bits = layout.length * 8;
    this.mulH(Math.floor(bits / 2 ** 32), bits >>> 0, 0, 0);
    const z = this.z;
    const mask = this.fixedMask;
    return (
      (z[0] ^ mask[0]) >>> 0 === word(tag, 0) &&
      (z[1] ^ mask[1]) >>> 0 === word(tag, 4) &&
      (z[2] ^ mask[2]) >>> 0 === word(tag, 8) &&
      (z[3] ^ mask[3]) >>> 0 === word(tag, 12)
    );
  }

  /** z = (x0 x1 x2 x3) · H, with the 8-bit tables (Horner over the 16 bytes). */
  private mulH(x0: number, x1: number, x2: number, x3: number): void {
    const m = this.m;
    const r8 = this.r8;
    let z0 = 0,
      z1 = 0,
      z2 = 0,
      z3 = 0;
    for (let i = 15; i >= 0; i--) {
      const r = z3 & 0xff;
      z3 = (z3 >>> 8) | (z2 << 24);
      z2 = (z2 >>> 8) | (z1 << 24);
      z1 = (z1 >>> 8) | (z0 << 24);
      z0 = (z0 >>> 8) ^ r8[r];
      const xw = i < 4 ? x0 : i < 8 ? x1 : i < 12 ? x2 : x3;
      const byte = ((xw >>> ((3 - (i & 3)) * 8)) & 0xff) * 4;
      z0 ^= m[byte];
      z1 ^= m[byte + 1];
      z2 ^= m[byte + 2];
      z3 ^= m[byte + 3];
    }
    const z = this.z;
    z[0] = z0;
    z[1] = z1;
    z[2] = z2;
    z[3] = z3;
  }

  /**
   * One blob's check in JavaScript: GHASH over its ciphertext blocks and length block (all whole
   * blocks in the layout, starting at word `at`) equals its T block.
   */
  private verifyOne(tw: Int32Array, at: number, size: number): boolean {
    const z = this.z;
    z[0] = z[1] = z[2] = z[3] = 0;
    const end = at + (((size + 15) >>> 4) + 1) * 4; // past the length block
    for (let w = at; w < end; w += 4) {
      this.mulH(z[0] ^ nativeWord(tw[w]), z[1] ^ nativeWord(tw[w + 1]), z[2] ^ nativeWord(tw[w + 2]), z[3] ^ nativeWord(tw[w + 3]));
    }
    return (
      z[0] === nativeWord(tw[end]) >>> 0 &&
      z[1] === nativeWord(tw[end + 1]) >>> 0 &&
      z[2] === nativeWord(tw[end + 2]) >>> 0 &&
      z[3] === nativeWord(tw[end + 3]) >>> 0
    );
  }
}

const FIXED_IV = Buffer.alloc(12);

/** The byte length of a blob, or of the bytes a hex text stands for. */
function byteLength(blob: Uint8Array | string): number {
  return typeof blob === 'string' ? blob.length >>> 1 : blob.length;
}
