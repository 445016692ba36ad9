import type { Emitter } from './emitter';

export interface MicrosegError {
  /** Stable machine-readable code, e.g. "storage-unavailable", "bad-argument", "config-invalid". */
  code: string;
  message: string;
  /** JSON path of the offending part of a config, where there is one. */
  path?: string;
  cause?: unknown;
}

/**
 * Every failure inside the SDK ends here: an `error` event for the site, and one console
 * warning per code so a broken setup is visible without flooding the console.
 */
export function createReporter(emitter: Emitter) {
  const warned = new Set<string>();
  return (error: MicrosegError): void => {
    try {
      emitter.emit('error', error);
      if (!warned.has(error.code)) {
        warned.add(error.code);
        console.warn(`[microseg] ${error.code}: ${error.message}`);
      }
    } catch {
      // Reporting must never fail into the page.
    }
  };
}

export type Reporter = ReturnType<typeof createReporter>;

/** Wraps a public method so that nothing it does can throw into the host page. */
export function guard<A extends unknown[], R>(
  report: Reporter,
  name: string,
  fn: (...args: A) => R,
  fallback?: R,
): (...args: A) => R {
  return (...args: A): R => {
    try {
      return fn(...args);
    } catch (cause) {
      report({ code: 'internal', message: `${name}() failed: ${describe(cause)}`, cause });
      return fallback as R;
    }
  };
}

export function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
