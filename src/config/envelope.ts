// A signed config's envelope. Telling one apart is all the core needs of signatures: checking one
// is work only a site with a publicKey asks for (./parts.ts loads it).

export interface SignedEnvelope {
  /** The config, as JSON text. */
  payload: string;
  /** base64url of the signature over the UTF-8 bytes of `payload`: r‖s (64 bytes) as in JWS ES256; DER is accepted too. */
  signature: string;
  alg: 'ES256';
  /** Which key signed it, when the site holds several (key rotation). */
  kid?: string;
}

export function isEnvelope(value: unknown): value is { payload: unknown; signature: unknown } {
  return typeof value === 'object' && value !== null && 'payload' in value && 'signature' in value;
}
