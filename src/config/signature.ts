// Signed configs: ECDSA P-256 with SHA-256 through WebCrypto (browsers and Node ≥ 20).
// The envelope carries the config's exact JSON text, so what was signed is what is parsed.
import { isEnvelope, type SignedEnvelope } from './envelope';

export { isEnvelope, type SignedEnvelope };

/** A public key: a JWK (with a `kid` in a key ring), a PEM string, or a CryptoKey. */
export type PublicKeyInput = (JsonWebKey & { kid?: string }) | string | CryptoKey;

export class SignatureError extends Error {
  constructor(
    readonly code: 'config-envelope-invalid' | 'config-key-invalid' | 'config-signature-invalid',
    message: string,
  ) {
    super(message);
    this.name = 'SignatureError';
  }
}

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/** The payload of an envelope whose signature one of the keys verifies; throws SignatureError otherwise. */
export async function verifyEnvelope(envelope: unknown, publicKey: PublicKeyInput | PublicKeyInput[]): Promise<string> {
  const env = envelope as Partial<SignedEnvelope>;
  if (!isEnvelope(env) || typeof env.payload !== 'string' || typeof env.signature !== 'string') {
    throw new SignatureError('config-envelope-invalid', 'a signed config needs "payload" (the config JSON text) and "signature"');
  }
  if (env.alg !== 'ES256') throw new SignatureError('config-envelope-invalid', `unsupported signature algorithm ${JSON.stringify(env.alg)} (expected "ES256")`);
  let sig = base64Decode(env.signature);
  if (!sig) throw new SignatureError('config-envelope-invalid', 'the signature is not base64url');
  if (sig.length !== 64) sig = derToRaw(sig) ?? sig;
  const data = new TextEncoder().encode(env.payload);
  for (const input of ([] as PublicKeyInput[]).concat(publicKey)) {
    const kid = (input as JsonWebKey & { kid?: string }).kid;
    if (env.kid && kid && kid !== env.kid) continue;
    const key = await importPublicKey(input);
    if (await crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key, sig, data)) return env.payload;
  }
  throw new SignatureError('config-signature-invalid', `the config's signature does not match the public key${env.kid ? ` (kid "${env.kid}")` : ''}`);
}

async function importPublicKey(input: PublicKeyInput): Promise<CryptoKey> {
  try {
    if (typeof input === 'object' && 'algorithm' in input) return input as CryptoKey;
    let jwk = input as JsonWebKey;
    if (typeof input === 'string') {
      const text = input.trim();
      if (!text.startsWith('{')) {
        const der = base64Decode(text.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''));
        if (!der) throw new Error('not PEM or base64');
        return await crypto.subtle.importKey('spki', der, ECDSA, false, ['verify']);
      }
      jwk = JSON.parse(text);
    }
    // Only the public part, so a JWK with "d" or "key_ops": ["sign"] still imports for verify.
    return await crypto.subtle.importKey('jwk', { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y }, ECDSA, false, ['verify']);
  } catch (err) {
    throw new SignatureError('config-key-invalid', `the public key is not an ECDSA P-256 key (JWK or SPKI PEM): ${(err as Error).message}`);
  }
}

/** base64 or base64url → bytes; undefined if it is neither. */
export function base64Decode(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) return;
  try {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '').padEnd(Math.ceil(text.length / 4) * 4, '='));
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  } catch {
    return;
  }
}

export function base64UrlEncode(bytes: Uint8Array): string {
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An ASN.1 DER ECDSA signature (what most non-JWS libraries produce) → r‖s. */
function derToRaw(der: Uint8Array): Uint8Array<ArrayBuffer> | undefined {
  if (der[0] !== 0x30 || der.length < 8) return;
  const out = new Uint8Array(64);
  let at = 2;
  for (let i = 0; i < 2; i++) {
    if (der[at] !== 0x02) return;
    let len = der[at + 1]!;
    let start = at + 2;
    at = start + len;
    while (len > 32 && der[start] === 0) (start++, len--); // leading sign byte
    if (len > 32 || at > der.length) return;
    out.set(der.subarray(start, start + len), i * 32 + 32 - len);
  }
  return out;
}
