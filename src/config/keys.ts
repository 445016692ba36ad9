// Key generation and signing, for the CLI and for backends written in JavaScript.
import { base64UrlEncode, type SignedEnvelope } from './signature';

const ECDSA = { name: 'ECDSA', namedCurve: 'P-256' } as const;

export interface GeneratedKeys {
  /** PKCS#8 PEM: keep it secret, on the machine that publishes configs. */
  privatePem: string;
  /** SPKI PEM: give it to the SDK (`publicKey`). */
  publicPem: string;
  publicJwk: JsonWebKey;
}

export async function generateKeys(): Promise<GeneratedKeys> {
  const pair = await crypto.subtle.generateKey(ECDSA, true, ['sign', 'verify']);
  const jwk = await crypto.subtle.exportKey('jwk', pair.publicKey);
  return {
    privatePem: pem('PRIVATE KEY', await crypto.subtle.exportKey('pkcs8', pair.privateKey)),
    publicPem: pem('PUBLIC KEY', await crypto.subtle.exportKey('spki', pair.publicKey)),
    publicJwk: { kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y },
  };
}

/** Imports a PKCS#8 PEM (as written by generateKeys / `microseg keygen`) or a private JWK. */
export async function importPrivateKey(key: string | JsonWebKey): Promise<CryptoKey> {
  if (typeof key === 'string' && !key.trim().startsWith('{')) {
    const b64 = key.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
    const der = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    return crypto.subtle.importKey('pkcs8', der, ECDSA, false, ['sign']);
  }
  const jwk = typeof key === 'string' ? JSON.parse(key) : key;
  return crypto.subtle.importKey('jwk', jwk, ECDSA, false, ['sign']);
}

/** Signs the exact config text; the envelope is what the backend publishes. */
export async function signConfig(payload: string, privateKey: CryptoKey | string | JsonWebKey, kid?: string): Promise<SignedEnvelope> {
  const key = typeof privateKey === 'object' && 'algorithm' in privateKey ? privateKey : await importPrivateKey(privateKey as string | JsonWebKey);
  const sig = await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key, new TextEncoder().encode(payload));
  return { payload, signature: base64UrlEncode(new Uint8Array(sig)), alg: 'ES256', ...(kid ? { kid } : {}) };
}

function pem(label: string, der: ArrayBuffer): string {
  let bin = '';
  for (const b of new Uint8Array(der)) bin += String.fromCharCode(b);
  const lines = btoa(bin).match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN ${label}-----\n${lines}\n-----END ${label}-----\n`;
}
