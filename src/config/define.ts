import type { MicrosegConfig } from './types';

/**
 * Returns `config` as it is. Written around a config in TypeScript, it gives the editor the
 * contract: completion, hover help, and a type error for a misspelt field.
 */
export function defineConfig(config: MicrosegConfig): MicrosegConfig {
  return config;
}
