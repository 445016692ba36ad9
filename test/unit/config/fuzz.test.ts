import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fromJSONSchema } from 'zod';
import { createConfigSync, parseConfig, type MicrosegConfig } from '../../../src/config';
import { configJsonSchema } from '../../../src/config/json-schema';
import { compileCondition } from '../../../src/condition';
import { shop } from './helpers';

type Json = any;
type Path = (string | number)[];

/** Every node of a JSON document, by path. */
function paths(doc: Json, at: Path = [], out: Path[] = []): Path[] {
  out.push(at);
  if (doc && typeof doc === 'object') for (const k of Object.keys(doc)) paths(doc[k], [...at, Array.isArray(doc) ? Number(k) : k], out);
  return out;
}

const OPS = ['$gtt', '$where', '$expr', '$regex', '$in', '$size', '$not', '$and', '$elemMatch', '$veq', '$exists', '$type'];

/** One random edit of a node: delete it, replace it, change its type, or slip in an operator. */
const mutation = fc.record({
  pick: fc.nat(),
  kind: fc.constantFrom('delete', 'replace', 'retype', 'operator', 'rename'),
  value: fc.jsonValue({ maxDepth: 2 }),
  op: fc.constantFrom(...OPS),
});

function mutate(doc: Json, m: { pick: number; kind: string; value: unknown; op: string }): void {
  const all = paths(doc).slice(1);
  if (!all.length) return;
  const path = all[m.pick % all.length]!;
  const parent = path.slice(0, -1).reduce((n, k) => n[k], doc);
  const key = path[path.length - 1]!;
  const node = parent[key];
  switch (m.kind) {
    case 'delete':
      if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
      break;
    case 'replace':
      parent[key] = m.value;
      break;
    case 'retype':
      parent[key] = typeof node === 'string' ? Number(node) || 0 : typeof node === 'number' ? String(node) : Array.isArray(node) ? { ...node } : node && typeof node === 'object' ? Object.values(node) : [node];
      break;
    case 'operator':
      parent[key] = node && typeof node === 'object' && !Array.isArray(node) ? { ...node, [m.op]: m.value } : { [m.op]: m.value };
      break;
    case 'rename':
      if (!Array.isArray(parent)) {
        delete parent[key];
        parent[`${String(key)}x`] = node;
      }
  }
}

const mutatedConfig = fc.array(mutation, { minLength: 1, maxLength: 4 }).map((ms) => {
  const doc = shop();
  for (const m of ms) mutate(doc, m);
  return doc;
});

// JSON paths as parseConfig writes them: name(.name | [n] | ["text"])*
const JSON_PATH = /^(?:[A-Za-z_$][\w$]*|\["(?:[^"\\]|\\.)*"\])?(?:\.[A-Za-z_$][\w$]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*$/;
const jsonSchema = fromJSONSchema(configJsonSchema() as never);

function conditionsOf(c: MicrosegConfig): unknown[] {
  return [
    ...c.segments.map((s) => s.when),
    ...(c.suppressions ?? []).map((s) => s.when),
    ...Object.values(c.metrics ?? {}).map((m) => m.where),
    ...(c.journeys ?? []).flatMap((j) => [j.goal.where, typeof j.exposure === 'object' ? j.exposure.where : undefined]),
  ].filter(Boolean);
}

describe('random mutations of a valid config', () => {
  it('are accepted (and then compile and match the JSON Schema) or rejected with paths; never a throw', () => {
    let accepted = 0;
    let rejected = 0;
    fc.assert(
      fc.property(mutatedConfig, (doc) => {
        const r = parseConfig(doc);
        if (r.ok) {
          accepted++;
          for (const cond of conditionsOf(r.config)) compileCondition(cond as never);
          expect(jsonSchema.safeParse(doc).success).toBe(true);
        } else {
          rejected++;
          expect(r.errors.length).toBeGreaterThan(0);
          for (const e of r.errors) {
            expect(e.path).toMatch(JSON_PATH);
            expect(e.message.length).toBeGreaterThan(3);
          }
        }
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 400) },
    );
    expect(accepted).toBeGreaterThan(0);
    expect(rejected).toBeGreaterThan(0);
  });

  it('truncated JSON text never parses into a config', () => {
    const text = JSON.stringify(shop());
    fc.assert(
      fc.property(fc.integer({ min: 0, max: text.length - 1 }), (cut) => {
        expect(() => JSON.parse(text.slice(0, cut))).toThrow();
      }),
      { numRuns: 200 },
    );
  });

  it('sync holds either the old config or the new one entirely, never a mix', async () => {
    const documents = fc.array(
      fc.oneof(
        mutatedConfig.map((d) => JSON.stringify(d)),
        fc.tuple(fc.nat(), fc.nat()).map(([v, cut]) => {
          const t = JSON.stringify({ ...shop(), version: `v${v}` });
          return t.slice(0, cut % t.length);
        }),
        fc.nat().map((v) => JSON.stringify({ ...shop(), version: `v${v}` })),
      ),
      { minLength: 1, maxLength: 8 },
    );
    await fc.assert(
      fc.asyncProperty(documents, async (texts) => {
        let i = 0;
        const errors: unknown[] = [];
        const sync = createConfigSync({
          configUrl: 'https://cdn.example/c.json',
          fetch: async () => new Response(texts[Math.min(i++, texts.length - 1)]),
          onError: (e) => errors.push(e),
        });
        let before: MicrosegConfig | undefined;
        for (const [n, text] of texts.entries()) {
          await (n === 0 ? sync.ready : sync.refresh());
          const after = sync.current();
          let expected: MicrosegConfig | undefined;
          try {
            const r = parseConfig(JSON.parse(text));
            if (r.ok) expected = r.config;
          } catch {
            /* not JSON: rejected */
          }
          // The order of publications: an older one (by `issued`; none is oldest) never replaces the one in
          // force, and the same publication again (same version and issued) changes nothing.
          const issued = (c: MicrosegConfig | undefined) => (Number.isSafeInteger(c?.issued) && c!.issued! >= 0 ? c!.issued! : -1);
          const same = expected && before && expected.version === before.version && issued(expected) === issued(before);
          if (!expected || same || (before && issued(expected) < issued(before))) expect(after).toBe(before);
          else expect(after).toEqual(expected);
          before = after;
        }
        sync.stop();
      }),
      { numRuns: 60 },
    );
  });
});
