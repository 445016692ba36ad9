// The core's functions that dist/microseg.extras.js uses instead of bundling its own copies: the one
// list of what the two files share. The script-tag build hands this module to the file when it takes
// it (extras-script.ts); the file's build makes each of these a binding installed from it (the
// shared-from-kit plugin in rollup.config.mjs). Functions only: the parts' top level runs before the
// kit is installed, and constants cost nothing to copy (the minifier inlines them).
export { describe } from '../shared/errors';
export { randomId, plainJson } from '../shared/util';
export { listen, pageHidden } from '../shared/page';
export { dict } from '../shared/dict';
export { elapsedNow, setTimer } from '../shared/timer';
export { backoffDelay } from '../shared/backoff';
export { parseDuration } from '../config/time';
export { compileCondition } from '../engine';
export { mergeLabels, recordList } from '../labels/labels';
export { readLabels, refusedError } from '../labels/ingest';
