// @vitest-environment node
// The always-loaded core holds no code of the parts only some sites configure (issue 15): the
// signature check (publicKey), the config stream (sse) and the lease one tab holds for polling and
// the stream (refresh, sse). They come in dist/microseg.sync.js, loaded only where the site
// configured one of them. Read from the source maps of the built files.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, builtSources as sources } from './consumer';

const CORE = join(ROOT, 'dist/microseg.iife.js');
const SYNC = join(ROOT, 'dist/microseg.sync.js');
const OPTIONAL = ['src/config/signature.ts', 'src/config/sync-stream.ts', 'src/config/lease.ts'];

let core: string[];
let sync: string[];
beforeAll(() => {
  if (!existsSync(`${CORE}.map`) || !existsSync(`${SYNC}.map`)) throw new Error('run npm run build first');
  core = sources(CORE);
  sync = sources(SYNC);
});

describe('the core leaves the parts only some sites configure to a file of their own', () => {
  it('holds no code of the signature check, the config stream or the lease; dist/microseg.sync.js does', () => {
    expect(OPTIONAL.filter((s) => core.includes(s))).toEqual([]);
    expect(OPTIONAL.filter((s) => !sync.includes(s))).toEqual([]);
  });
});
