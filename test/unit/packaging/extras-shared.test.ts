// @vitest-environment node
// The optional parts' files hold only their own code: the core's functions they use come in the
// core's kit (src/entry/kit.ts) instead of as a second copy every such page downloads, compiles and
// holds; and each part is a file of its own, so a page loads only the parts its site configured.
// Read from the source maps of the built files.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, builtSources as sources } from './consumer';

const PARTS = ['extras', 'collect', 'labels'];

/** The files src/entry/kit.ts passes on functions of. */
function kitFiles(): string[] {
  const kit = readFileSync(join(ROOT, 'src/entry/kit.ts'), 'utf8');
  return [...kit.matchAll(/from '\.\.\/([^']+)'/g)].map(([, path]) => `src/${path}`);
}

/** In a part's file and the core, and why that is no second copy of code. */
const ALSO_IN_CORE: Record<string, string> = {
  'src/shared/constants.ts': 'DAY, a constant',
  'src/shared/backoff.ts': 'MAX_BACKOFF, a constant (backoffDelay comes in the kit)',
  'src/track/url.ts': 'REQUEST_REFERRER_POLICY, a constant',
  'src/labels/remote.ts': 'the core has mergeRemote of it, the labels part createRemoteLabels',
  'src/entry/part-define.ts': "partGlobal, the one formula for a part's global (a line)",
};

let files: Record<string, string[]>;
beforeAll(() => {
  files = {};
  for (const part of PARTS) {
    const file = join(ROOT, `dist/microseg.${part}.js`);
    if (!existsSync(`${file}.map`)) throw new Error('run npm run build first');
    files[part] = sources(file);
  }
});

describe.each(PARTS)('the optional part microseg.%s.js', (part) => {
  it('holds no code of the condition language, the engine or any file the kit passes on', () => {
    const listed = kitFiles();
    expect(listed.length).toBeGreaterThan(5);
    const shared = files[part]!.filter((s) => s.startsWith('src/condition/') || s.startsWith('src/engine/') || listed.some((f) => s.startsWith(f)));
    expect(shared.filter((s) => !(s in ALSO_IN_CORE))).toEqual([]);
  });

  it('shares no other code with the script-tag core', () => {
    const core = new Set(sources(join(ROOT, 'dist/microseg.iife.js')));
    expect(files[part]!.filter((s) => core.has(s) && !(s in ALSO_IN_CORE))).toEqual([]);
  });
});

describe('the optional parts', () => {
  it('measurement holds neither the collector nor the labels backend: each is a file of its own, loaded only where configured', () => {
    expect(files.extras!.filter((s) => s.startsWith('src/measure/outbox') || s === 'src/labels/remote.ts')).toEqual([]);
    expect(files.collect).toContain('src/measure/outbox.ts');
    expect(files.collect!.filter((s) => s.startsWith('src/measure/journeys') || s === 'src/labels/remote.ts')).toEqual([]);
    expect(files.labels).toContain('src/labels/remote.ts');
    expect(files.labels!.filter((s) => s.startsWith('src/measure/'))).toEqual([]);
  });
});
