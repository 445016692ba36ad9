import { createPrivateKey, sign as nodeSign } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { SignatureError, verifyEnvelope } from '../../../src/config';
import { generateKeys, signConfig, type GeneratedKeys } from '../../../src/config/keys';
import { base64UrlEncode } from '../../../src/config/signature';

const payload = JSON.stringify({ schema: 1, version: 'v1', segments: [{ id: 'everyone', fallback: true }] });

async function rejection(p: Promise<unknown>): Promise<SignatureError> {
  const err = await p.then(() => undefined, (e) => e);
  expect(err).toBeInstanceOf(SignatureError);
  return err as SignatureError;
}

describe('signed config envelopes (ES256)', () => {
  let keys: GeneratedKeys;
  let other: GeneratedKeys;
  beforeAll(async () => {
    keys = await generateKeys();
    other = await generateKeys();
  });

  it('verifies with the public key as JWK, JWK text, SPKI PEM, bare base64 or CryptoKey', async () => {
    const env = await signConfig(payload, keys.privatePem);
    expect(env).toMatchObject({ payload, alg: 'ES256' });
    expect(env.signature).toMatch(/^[A-Za-z0-9_-]{86}$/);
    const b64 = keys.publicPem.replace(/-----[A-Z ]+-----|\s/g, '');
    const cryptoKey = await crypto.subtle.importKey('jwk', keys.publicJwk, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify']);
    for (const key of [keys.publicJwk, JSON.stringify(keys.publicJwk), keys.publicPem, b64, cryptoKey]) {
      expect(await verifyEnvelope(env, key)).toBe(payload);
    }
  });

  it('rejects a tampered payload, a wrong key, a broken signature', async () => {
    const env = await signConfig(payload, keys.privatePem);
    const tampered = { ...env, payload: payload.replace('v1', 'v2') };
    expect((await rejection(verifyEnvelope(tampered, keys.publicJwk))).code).toBe('config-signature-invalid');
    expect((await rejection(verifyEnvelope(env, other.publicJwk))).message).toMatch(/does not match the public key/);
    const flipped = env.signature.startsWith('A') ? 'B' + env.signature.slice(1) : 'A' + env.signature.slice(1);
    expect((await rejection(verifyEnvelope({ ...env, signature: flipped }, keys.publicJwk))).code).toBe('config-signature-invalid');
    expect((await rejection(verifyEnvelope({ ...env, signature: 'not base64!' }, keys.publicJwk))).code).toBe('config-envelope-invalid');
  });

  it('rejects malformed envelopes and other algorithms', async () => {
    const env = await signConfig(payload, keys.privatePem);
    for (const bad of [null, 'text', { payload }, { ...env, payload: JSON.parse(payload) }]) {
      expect((await rejection(verifyEnvelope(bad, keys.publicJwk))).code).toBe('config-envelope-invalid');
    }
    expect((await rejection(verifyEnvelope({ ...env, alg: 'none' }, keys.publicJwk))).message).toMatch(/unsupported signature algorithm "none"/);
  });

  it('rejects a key that is not P-256', async () => {
    const env = await signConfig(payload, keys.privatePem);
    expect((await rejection(verifyEnvelope(env, 'garbage'))).code).toBe('config-key-invalid');
    expect((await rejection(verifyEnvelope(env, { kty: 'RSA', n: 'x', e: 'AQAB' }))).code).toBe('config-key-invalid');
  });

  it('accepts DER signatures, as most non-JWS libraries write them', async () => {
    const der = nodeSign('sha256', Buffer.from(payload), { key: createPrivateKey(keys.privatePem), dsaEncoding: 'der' });
    expect(der.length).toBeGreaterThan(64);
    const env = { payload, signature: base64UrlEncode(der), alg: 'ES256' };
    expect(await verifyEnvelope(env, keys.publicPem)).toBe(payload);
  });

  it('supports key rotation: any of several keys, chosen by kid when given', async () => {
    const env = await signConfig(payload, keys.privatePem, 'k2');
    expect(env.kid).toBe('k2');
    const ring = [{ ...other.publicJwk, kid: 'k1' }, { ...keys.publicJwk, kid: 'k2' }];
    expect(await verifyEnvelope(env, ring)).toBe(payload);
    expect((await rejection(verifyEnvelope(env, [{ ...keys.publicJwk, kid: 'k1' }]))).message).toMatch(/kid "k2"/);
  });
});
