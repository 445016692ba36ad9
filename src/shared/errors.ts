
/** Config documents: fetched, parsed, checked, ordered, signed (the `path` names the offending part). */
export type ConfigErrorCode =
  | 'config-fetch' | 'config-not-json' | 'config-invalid' | 'config-schema-newer' | 'config-older'
  | 'config-unsigned' | 'config-envelope-invalid' | 'config-key-invalid' | 'config-signature-invalid'
  | 'config-validator-unavailable' | 'config-sse';

/** Everything else that can go wrong, by part. */
export type RuntimeErrorCode =
  | 'internal' | 'bad-argument' | 'hostile-page' | 'engine' | 'decide' | 'datalayer'
  | 'storage-failed' | 'storage-quota' | 'storage-blocked' | 'storage-unavailable'
  | 'render' | 'render-fight'
  | 'labels-fetch' | 'labels-invalid' | 'labels-sse' | 'forget-remote'
  | 'measure' | 'outbox-full' | 'collect-rejected' | 'collect-failed' | 'collect-dropped' | 'collect-cors'
  | 'preview' | 'preview-token-invalid' | 'preview-token-expired';

export type MicrosegErrorCode = ConfigErrorCode | RuntimeErrorCode;

interface ErrorBase {
  message: string;
  cause?: unknown;
}

/** A config that was refused: the JSON path of the offending part, where there is one. */
export interface ConfigError extends ErrorBase {
  code: ConfigErrorCode;
  path?: string;
}

export interface RuntimeError extends ErrorBase {
  code: RuntimeErrorCode;
}

/** What an `error` event carries: a literal `code` (a typo is a type error) and its payload. */
export type MicrosegError = ConfigError | RuntimeError;

export type Reporter = (error: MicrosegError) => void;

/**
 * Every failure inside the SDK ends here: an `error` event for the site, and one console
 * warning per code so a broken setup is visible without flooding the console.
 */
export function createReporter(emit: (error: MicrosegError) => void): Reporter {
  const warned = new Set<string>();
  return (error) => {
    try {
      emit(error);
      if (!warned.has(error.code)) {
        warned.add(error.code);
        console.warn(`[microseg] ${error.code}: ${error.message}`);
      }
    } catch {
      // Reporting must never fail into the page.
    }
  };
}

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
