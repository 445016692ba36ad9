// Preview tokens: a persona and an expiry, signed by the site's backend with ES256 (the config
// signing code), so nobody can mint one. Compact form: base64url(JSON) "." base64url(signature).
// A token names segments, labels and a date, never a person.
import { base64Decode, base64UrlEncode, verifyEnvelope, type PublicKeyInput } from '../config/signature';
import { signConfig } from '../config/keys';
import type { Persona } from './types';

export interface PreviewClaims {
  persona: Persona;
  /** Expiry, ms since the epoch. */
  exp: number;
}

export class PreviewTokenError extends Error {
  constructor(readonly code: 'preview-token-invalid' | 'preview-token-expired', message: string) {
    super(message);
  }
}

const utf8 = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

/** The claims of a token one of the keys signed and that has not expired; throws PreviewTokenError otherwise. */
export async function verifyPreviewToken(token: string, key: PublicKeyInput | PublicKeyInput[], now: number): Promise<PreviewClaims> {
  const [body, signature, extra] = String(token).split('.');
  const bytes = body ? base64Decode(body) : undefined;
  if (!bytes || !signature || extra !== undefined) throw new PreviewTokenError('preview-token-invalid', 'the preview token is not "payload.signature"');
  let payload: string;
  try {
    payload = await verifyEnvelope({ payload: utf8(bytes), signature, alg: 'ES256' }, key);
  } catch (err) {
    throw new PreviewTokenError('preview-token-invalid', `the preview token's signature does not match (${(err as Error).message})`);
  }
  const claims = JSON.parse(payload) as PreviewClaims;
  if (typeof claims?.exp !== 'number' || typeof claims.persona !== 'object' || !claims.persona) {
    throw new PreviewTokenError('preview-token-invalid', 'the preview token needs "persona" and "exp"');
  }
  if (claims.exp <= now) throw new PreviewTokenError('preview-token-expired', `the preview token expired at ${new Date(claims.exp).toISOString()}`);
  return claims;
}

/** For backends in JavaScript: a token for `persona`, valid for `ttl` ms (default 1 hour). */
export async function signPreviewToken(persona: Persona, privateKey: CryptoKey | string | JsonWebKey, opts: { ttl?: number; now?: number } = {}): Promise<string> {
  const payload = JSON.stringify({ persona, exp: (opts.now ?? Date.now()) + (opts.ttl ?? 3_600_000) });
  const { signature } = await signConfig(payload, privateKey);
  return `${base64UrlEncode(new TextEncoder().encode(payload))}.${signature}`;
}
