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
});
