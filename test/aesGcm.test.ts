import assert from 'node:assert/strict';
import { createCipheriv, randomBytes, type CipherGCM } from 'node:crypto';
import { AesGcmBatchDecryptor } from '../src/core/codecs/aesGcm';

function encrypt(key: Buffer, plain: Buffer): Buffer {
  const nonce = randomBytes(12);
  const cipher = createCipheriv(`aes-${key.length * 8}-gcm`, key, nonce) as CipherGCM;
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([nonce, cipher.getAuthTag(), body]);
}

describe('batched AES-GCM decryption', () => {
  for (const size of [16, 24, 32]) {
    it(`matches Node's AES-${size * 8}-GCM for every length from 0 to 300 bytes, in one batch`, () => {
      const key = randomBytes(size);
      const plains = Array.from({ length: 301 }, (_, n) => randomBytes(n));
      const results = new AesGcmBatchDecryptor(key).decryptMany(plains.map((p) => encrypt(key, p)));
      results.forEach((r, n) => assert.ok(r?.equals(plains[n]), `length ${n}`));
    });
  }

  it('rejects a wrong key, a flipped bit anywhere, a bad tag and a too-short blob, without disturbing the rest', () => {
    const key = randomBytes(32);
    const good = encrypt(key, Buffer.from('{"a":1}'));
    const flipped = (i: number) => {
      const b = Buffer.from(good);
      b[i] ^= 1;
      return b;
    };
    const decryptor = new AesGcmBatchDecryptor(key);
    const results = decryptor.decryptMany([
      good,
      flipped(0),
      flipped(12),
      flipped(27),
      flipped(28),
      flipped(good.length - 1),
      good.subarray(0, 27),
      good,
    ]);
    assert.deepEqual(
      results.map((r) => r?.toString()),
      ['{"a":1}', undefined, undefined, undefined, undefined, undefined, undefined, '{"a":1}'],
    );
    assert.deepEqual(new AesGcmBatchDecryptor(randomBytes(32)).decryptMany([good]), [undefined]);
    assert.deepEqual(decryptor.decryptMany([]), []);
  });

  it('finds the one damaged blob of a big page (the page check fails, each blob is checked on its own)', () => {
    const key = randomBytes(32);
    const plains = Array.from({ length: 500 }, (_, n) => randomBytes(n % 97));
    const blobs = plains.map((p) => encrypt(key, p));
    for (const bad of [0, 250, 499]) {
      const damaged = blobs.map((b, i) =>
        i === bad ? Buffer.concat([b.subarray(0, b.length - 1), Buffer.from([b[b.length - 1] ^ 0x80])]) : b,
      );
      if (plains[bad].length === 0) damaged[bad][20] ^= 1; // no ciphertext to damage: the tag then
      const results = new AesGcmBatchDecryptor(key).decryptMany(damaged);
      results.forEach((r, n) => (n === bad ? assert.equal(r, undefined) : assert.ok(r?.equals(plains[n]), `blob ${n}`)));
    }
  });

  it('takes blobs as hex text too, and reuses its buffer from page to page', () => {
    const key = randomBytes(16);
    const decryptor = new AesGcmBatchDecryptor(key);
    const first = Array.from({ length: 50 }, (_, n) => randomBytes(10 + n));
    const second = Array.from({ length: 3 }, () => randomBytes(40));
    const page1 = decryptor.decryptPage(first.map((p, n) => (n % 2 ? encrypt(key, p).toString('hex').toUpperCase() : encrypt(key, p))));
    const texts = first.map((_, n) => page1.bytes.toString('hex', page1.starts[n], page1.starts[n] + page1.lengths[n]));
    assert.deepEqual(
      texts,
      first.map((p) => p.toString('hex')),
    );
    const page2 = decryptor.decryptPage([
      ...second.map((p) => encrypt(key, p).toString('hex')),
      'x'.repeat(80), // not hex
      `${encrypt(key, second[0]).toString('hex')}A`, // odd length
      'ab', // too short
    ]);
    assert.deepEqual([...page2.lengths], [40, 40, 40, -1, -1, -1]);
    second.forEach((p, n) => assert.ok(page2.bytes.subarray(page2.starts[n], page2.starts[n] + 40).equals(p)));
  });
});
