// @vitest-environment node
// dist/microseg.extras.js holds only the optional parts' own code: the core's functions it uses come
// in the core's kit (src/entry/kit.ts) instead of as a second copy every collector page downloads,
// compiles and holds (issue 15). Read from the source maps of the built files.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, builtSources as sources } from './consumer';

const EXTRAS = process.env.EXTRAS_FILE ?? join(ROOT, 'dist/microseg.extras.js');

/** The files src/entry/kit.ts passes on functions of. */
function kitFiles(): string[] {
  const kit = readFileSync(join(ROOT, 'src/entry/kit.ts'), 'utf8');
  return [...kit.matchAll(/from '\.\.\/([^']+)'/g)].map(([, path]) => `src/${path}`);
}

/** In both files, and why that is no second copy of code. */
const ALSO_IN_CORE: Record<string, string> = {
  'src/shared/constants.ts': 'DAY, a constant',
  'src/shared/backoff.ts': 'MAX_BACKOFF, a constant (backoffDelay comes in the kit)',
  'src/track/url.ts': 'REQUEST_REFERRER_POLICY, a constant',
  'src/labels/remote.ts': 'the core has mergeRemote of it, the parts createRemoteLabels',
};

let extras: string[];
beforeAll(() => {
  if (!existsSync(`${EXTRAS}.map`)) throw new Error('run npm run build first');
  extras = sources(EXTRAS);
});

describe('the optional-parts file', () => {
  it('holds no code of the condition language, the engine or any file the kit passes on', () => {
    const listed = kitFiles();
    expect(listed.length).toBeGreaterThan(5);
    const shared = extras.filter((s) => s.startsWith('src/condition/') || s.startsWith('src/engine/') || listed.some((f) => s.startsWith(f)));
    expect(shared.filter((s) => !(s in ALSO_IN_CORE))).toEqual([]);
  });

  it('shares no other code with the script-tag core', () => {
    const core = new Set(sources(join(ROOT, 'dist/microseg.iife.js')));
    expect(extras.filter((s) => core.has(s) && !(s in ALSO_IN_CORE))).toEqual([]);
  });
});
