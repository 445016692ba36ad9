// The regex-structure check: patterns that can backtrack super-linearly are refused with the part
// at fault; ordinary patterns pass. Properties over generated patterns, no timing.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { backtrackingProblem, starHeight } from '../../../src/config/backtracking';
import { parseConfig } from '../../../src/config/schema';
import { compileCondition, MAX_REGEX_INPUT } from '../../../src/condition';

describe('backtrackingProblem', () => {
  const refused: Array<[string, RegExp]> = [
    ['tag=(\\w+-?)+$', /"\(\\w\+-\?\)\+" repeats a part that itself repeats/],
    ['(a+)+', /repeats a part that itself repeats/],
    ['(a*)*b', /itself repeats/],
    ['(?:x+y?){2,}', /itself repeats/],
    ['(a?a)+', /itself repeats/],
    ['(.*,)*', /itself repeats/],
    ['(a|a)*', /alternatives that can start with the same character/],
    ['(a|ab)*', /alternatives that can start with the same character/],
    ['(\\w|\\d)+', /alternatives/],
    ['(?:x|[a-z])+', /alternatives/],
    ['\\d+\\d+$', /two repetitions in a row/],
    ['.*.*=', /two repetitions in a row/],
    ['\\w+-?\\w+', /two repetitions in a row/],
    ['(\\d+)\\d*x', /two repetitions in a row/],
    ['[a-z]*[^0-9]+', /two repetitions in a row/],
    ['(?:a|)+', /alternatives|empty/],
    ['(x)\\1+', /itself repeats/],
    ['a'.repeat(1001), /longer than 1000/],
  ];
  for (const [pattern, message] of refused) {
    it(`refuses ${pattern.slice(0, 40)}`, () => expect(backtrackingProblem(pattern)).toMatch(message));
  }

  it('case-insensitive patterns overlap across cases', () => {
    expect(backtrackingProblem('(a|B)+')).toBeUndefined();
    expect(backtrackingProblem('(a|A)+', 'i')).toMatch(/alternatives/);
    expect(backtrackingProblem('[a-c]+C+', 'i')).toMatch(/two repetitions/);
    expect(backtrackingProblem('[a-c]+C+')).toBeUndefined();
  });

  const accepted = [
    'handbag', '^gold', '^https://shop\\.example/.*$', '^/p/[a-z0-9-]+$', 'utm_source=(google|bing)', '(?:a|b)+', '\\d+\\.\\d+',
    '.*foo.*', '^(a+)b$', '(ab)+', '[^/]+/[^/]+', 'x{2,}y', '[\\s\\S]*', '(?<year>\\d{4})-\\d{2}', '\\bsale\\b', '(?:ab|cd)*e',
    '[a-z]+(?=-)', 'colou?r', '^\\+?\\d{1,3}$', 'a{', '\\u0041+\\x42+', '[\\]]+x', '^[^?#]*\\?',
  ];
  it('passes ordinary patterns', () => {
    for (const p of accepted) expect(backtrackingProblem(p), p).toBeUndefined();
  });
});

// A small regex grammar: characters from a tiny alphabet (so parts overlap often), classes, groups,
// alternation and every quantifier.
type Ast =
  | { t: 'lit'; s: string }
  | { t: 'seq'; items: Ast[] }
  | { t: 'alt'; opts: Ast[] }
  | { t: 'q'; body: Ast; q: string };
const QUANTS = ['*', '+', '?', '{2}', '{1,3}', '{2,}'];
const REPEATING = new Set(['*', '+', '{1,3}', '{2,}']);
const { ast } = fc.letrec<{ ast: Ast }>((tie) => ({
  ast: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('a', 'b', 'ab', '\\d', '\\w', '[ab]', '[^a]', '.', '-', 'x').map((s): Ast => ({ t: 'lit', s })),
    fc.array(tie('ast'), { minLength: 2, maxLength: 3 }).map((items): Ast => ({ t: 'seq', items })),
    fc.array(tie('ast'), { minLength: 2, maxLength: 3 }).map((opts): Ast => ({ t: 'alt', opts })),
    fc.record({ body: tie('ast'), q: fc.constantFrom(...QUANTS) }).map(({ body, q }): Ast => ({ t: 'q', body, q })),
  ),
}));
function source(a: Ast): string {
  switch (a.t) {
    case 'lit': return a.s;
    case 'seq': return a.items.map((x) => (x.t === 'alt' ? `(?:${source(x)})` : source(x))).join('');
    case 'alt': return a.opts.map(source).join('|');
    case 'q': return `${a.body.t === 'lit' && a.body.s.length === 1 || a.body.t === 'lit' && /^(\\.|\[.*\])$/.test(a.body.s) ? a.body.s : `(?:${source(a.body)})`}${a.q}`;
  }
}
/** Star height by the grammar, independent of the checker: nesting of quantifiers that repeat a varying number of times. */
function height(a: Ast): number {
  switch (a.t) {
    case 'lit': return 0;
    case 'seq': return Math.max(...a.items.map(height));
    case 'alt': return Math.max(...a.opts.map(height));
    case 'q': return height(a.body) + (REPEATING.has(a.q) ? 1 : 0);
  }
}

describe('properties of the check', () => {
  it('every generated pattern is a valid RegExp, and the check answers (never throws)', () => {
    fc.assert(fc.property(ast, (a) => {
      const p = source(a);
      new RegExp(p);
      const r = backtrackingProblem(p);
      expect(r === undefined || typeof r === 'string').toBe(true);
    }), { numRuns: 500 });
  });

  it('an accepted pattern never has a star height above 1', () => {
    fc.assert(fc.property(ast, (a) => {
      const p = source(a);
      if (backtrackingProblem(p) === undefined) {
        expect(height(a), p).toBeLessThanOrEqual(1);
        expect(starHeight(p), p).toBe(height(a));
      }
    }), { numRuns: 1000 });
  });

  it('a repetition around anything that itself repeats is always refused', () => {
    fc.assert(fc.property(ast, fc.constantFrom('*', '+', '{2,}'), fc.constantFrom('*', '+', '{1,5}'), (a, inner, outer) => {
      expect(backtrackingProblem(`(?:(?:${source(a)})${inner})${outer}`)).toBeDefined();
    }), { numRuns: 300 });
  });

  it('two overlapping repetitions in a row are always refused, optional parts between them included', () => {
    fc.assert(fc.property(fc.constantFrom('a', '\\w', '[a-c]', '.'), fc.constantFrom('', 'x?', '(?:-)?', '\\b'), (atom, between) => {
      expect(backtrackingProblem(`${atom}+${between}${atom}*$`)).toMatch(/two repetitions in a row/);
    }));
  });
});

describe('the validator and the engine', () => {
  it('the issue\'s config is refused with the path and a plain sentence', () => {
    const config = {
      schema: 1, version: 'redos',
      segments: [{ id: 'tagged', when: { 'profile.url': { $regex: 'tag=(\\w+-?)+$' } } }, { id: 'everyone', fallback: true }],
    };
    const r = parseConfig(config);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toEqual([{ path: 'segments[0].when["profile.url"].$regex', message: expect.stringMatching(/^"\(\\w\+-\?\)\+" repeats a part that itself repeats: .*exponential time/) }]);
  });

  it('regexes inside $not and $elemMatch are checked too, with their flags', () => {
    const r = parseConfig({
      schema: 1, version: 'x',
      segments: [
        { id: 'a', when: { 'traits.name': { $not: { $regex: '(a|A)+', $options: 'i' } } } },
        { id: 'b', when: { 'traits.tags': { $elemMatch: { $regex: '\\d+\\d+' } } } },
        { id: 'everyone', fallback: true },
      ],
    });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.errors.map((e) => e.path)).toEqual(['segments[0].when["traits.name"].$not.$regex', 'segments[1].when["traits.tags"].$elemMatch.$regex']);
  });

  it(`a compiled $regex sees at most the first ${MAX_REGEX_INPUT} characters of a string`, () => {
    const end = compileCondition({ 'profile.url': { $regex: 'z$' } });
    const start = compileCondition({ 'profile.url': { $regex: '^x' } });
    const long = 'x'.repeat(MAX_REGEX_INPUT) + 'z';
    expect(end({ profile: { url: 'x'.repeat(MAX_REGEX_INPUT - 1) + 'z' } })).toBe(true);
    expect(end({ profile: { url: long } })).toBe(false);
    expect(start({ profile: { url: long } })).toBe(true);
    expect(compileCondition({ 'tags': { $regex: 'z$' } })({ tags: ['a', long] })).toBe(false);
  });
});
