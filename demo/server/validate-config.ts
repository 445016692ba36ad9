// Validates a config before the demo publishes it, with the SDK's own parseConfig: the demo
// accepts exactly what browsers accept.
import { parseConfig } from '../../src/config/index';

export type Validation = { ok: true; version: string } | { ok: false; errors: string[] };

export function validateConfig(text: string): Validation {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, errors: [`not JSON: ${(err as Error).message}`] };
  }
  const result = parseConfig(json);
  if (!result.ok) return { ok: false, errors: result.errors.map((e) => (e.path ? `${e.path}: ${e.message}` : e.message)) };
  return { ok: true, version: result.config.version };
}
