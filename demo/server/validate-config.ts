// Validates a config before the demo publishes it, with the SDK's own parseConfig: the demo
// accepts exactly what browsers accept. A signed envelope ({ payload, signature }) is
// published as it is; its payload is what gets validated (browsers check the signature).
import { isEnvelope, parseConfig } from '../../src/config/index';
import type { MicrosegConfig } from '../../src/config/types';

export type Validation = { ok: true; version: string; config: MicrosegConfig; signed: boolean } | { ok: false; errors: string[] };

export function validateConfig(text: string): Validation {
  let json = parseJson(text);
  if (!json.ok) return { ok: false, errors: [`not JSON: ${json.error}`] };
  const signed = isEnvelope(json.value);
  if (isEnvelope(json.value)) {
    if (typeof json.value.payload !== 'string') return { ok: false, errors: ['payload: must be the config as JSON text'] };
    json = parseJson(json.value.payload);
    if (!json.ok) return { ok: false, errors: [`payload: not JSON: ${json.error}`] };
  }
  const result = parseConfig(json.value);
  if (!result.ok) return { ok: false, errors: result.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)) };
  return { ok: true, version: result.config.version, config: result.config, signed };
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: (err as Error).message };
  }
}
