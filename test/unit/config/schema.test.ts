import { describe, expect, it } from 'vitest';
import { parseConfig, parseDuration, SCHEMA_VERSION } from '../../../src/config';
import { designExample, minimal, shop } from './helpers';

/** The problems parseConfig reports, or [] when it accepts the config. */
function problems(config: unknown) {
  const result = parseConfig(config);
  return result.ok ? [] : result.errors;
}

/** Asserts the config is rejected with a problem at exactly `path`. */
function rejects(config: unknown, path: string, message?: RegExp) {
  const found = problems(config);
  const hit = found.find((p) => p.path === path);
  expect(hit, `expected a problem at ${path}, got ${JSON.stringify(found)}`).toBeDefined();
  if (message) expect(hit!.message).toMatch(message);
}

const accepts = (config: unknown) => expect(problems(config)).toEqual([]);

/** minimal() plus these segments before the fallback. */
function withSegments(...segments: object[]) {
  const c = minimal();
  c.segments.unshift(...segments);
  return c;
}

describe('parseConfig', () => {
  it('accepts the demo shop, the DESIGN.md example and the smallest config', () => {
    accepts(shop());
    accepts(designExample());
    accepts(minimal());
    const r = parseConfig(shop());
    expect(r.ok && r.config.segments.at(-1)).toEqual({ id: 'everyone', name: 'Everyone else', fallback: true });
  });

  it('never throws, whatever it is given', () => {
    const hostile = new Proxy({}, { get() { throw new Error('boom'); }, ownKeys() { throw new Error('boom'); } });
    for (const input of [undefined, null, 0, 'config', [], [minimal()], hostile]) {
      const r = parseConfig(input);
      expect(r.ok).toBe(false);
    }
    expect(problems(null)).toEqual([{ path: '', message: 'a config must be a JSON object' }]);
  });

  describe('schema and version', () => {
    it('refuses a newer schema with a clear message, and nothing else', () => {
      expect(SCHEMA_VERSION).toBe(1);
      expect(problems({ ...shop(), schema: 2, segments: 'whatever' })).toEqual([
        { path: 'schema', message: 'config schema 2 is newer than this SDK understands (1); upgrade microseg' },
      ]);
    });
    it('requires schema 1 and a version', () => {
      rejects({ ...minimal(), schema: 0 }, 'schema', /must be 1/);
      rejects({ ...minimal(), schema: '1' }, 'schema', /must be 1/);
      const { version: _, ...noVersion } = minimal();
      rejects(noVersion, 'version', /is required/);
      rejects({ ...minimal(), version: 42 }, 'version', /must be a string, not a number/);
      rejects({ ...minimal(), version: '' }, 'version', /must not be empty/);
    });
    it('rejects unknown fields (typos) but allows $schema for editors', () => {
      const c = shop();
      c.campaigns[2].priorty = 3;
      rejects(c, 'campaigns[2].priorty', /unknown field "priorty"/);
      accepts({ ...minimal(), $schema: './microseg.config.schema.json' });
    });
  });

  describe('ids', () => {
    it('must be unique within each list', () => {
      const c = shop();
      c.segments[3].id = 'churn-risk';
      rejects(c, 'segments[3].id', /duplicate id "churn-risk"/);
      const d = shop();
      d.campaigns.push({ ...d.campaigns[0] });
      rejects(d, `campaigns[${d.campaigns.length - 1}].id`, /duplicate/);
      const e = shop();
      e.journeys.push(e.journeys[0]);
      rejects(e, 'journeys[4].id', /duplicate/);
    });
    it('are letters, digits, - and _ (they go into dotted paths)', () => {
      rejects(withSegments({ id: 'a.b', when: {} }), 'segments[0].id', /letters, digits/);
      const c = minimal();
      c.metrics = { 'bad name': { event: 'x', agg: 'count' } };
      rejects(c, 'metrics["bad name"]', /invalid name "bad name"/);
    });
  });

  describe('fallback segment: exactly one, without "when"', () => {
    it('accepts one', () => accepts(withSegments({ id: 'a', when: { 'profile.visits': 1 } })));
    it('rejects none', () => {
      rejects({ ...minimal(), segments: [{ id: 'a', when: {} }] }, 'segments', /must be the fallback/);
    });
    it('rejects two', () => {
      const c = minimal();
      c.segments.push({ id: 'rest', fallback: true });
      rejects(c, 'segments[1].fallback', /only one/);
    });
    it('rejects a fallback with a condition, and a segment with neither', () => {
      rejects({ ...minimal(), segments: [{ id: 'e', fallback: true, when: {} }] }, 'segments[0].when', /takes no "when"/);
      rejects(withSegments({ id: 'a' }), 'segments[0]', /needs a "when"/);
    });
  });

  describe('references exist', () => {
    it('metrics and scores in conditions', () => {
      const c = shop();
      c.segments[1].when['metrics.orderz'] = 0;
      rejects(c, 'segments[1].when["metrics.orderz"]', /metric "orderz" is not defined/);
      const d = shop();
      d.segments[2].when = { 'scores.churm': { $gt: 0.7 } };
      rejects(d, 'segments[2].when["scores.churm"]', /score "churm" is not defined/);
    });
    it('segments named in segment-of-segment conditions', () => {
      const c = shop();
      c.segments[4].when = { segments: { $all: ['vip', 'churn-risky'] } };
      rejects(c, 'segments[4].when.segments.$all[1]', /segment "churn-risky" is not defined/);
      const d = shop();
      d.segments[10].when = { $nor: [{ segments: 'vipp' }] };
      rejects(d, 'segments[10].when.$nor[0].segments', /segment "vipp"/);
      rejects(withSegments({ id: 'a', when: { 'segments.vip': true } }), 'segments[0].when["segments.vip"]', /\{"segments": "<id>"\}/);
    });
    it('campaigns in response-history paths, with a known field', () => {
      const c = shop();
      c.segments[9].when['campaigns.nope.clicks'] = { $gte: 1 };
      rejects(c, 'segments[9].when["campaigns.nope.clicks"]', /campaign "nope" is not defined/);
      const d = shop();
      d.segments[9].when['campaigns.handbag-welcome.click'] = 1;
      rejects(d, 'segments[9].when["campaigns.handbag-welcome.click"]', /no field "click"/);
    });
    it('label fields and context roots', () => {
      rejects(withSegments({ id: 'a', when: { 'labels.complaint.age': 1 } }), 'segments[0].when["labels.complaint.age"]', /no field "age"/);
      rejects(withSegments({ id: 'a', when: { 'metric.orders': 1 } }), 'segments[0].when["metric.orders"]', /unknown context "metric"/);
      accepts(withSegments({ id: 'a', when: { 'labels.vip': { $exists: true }, 'traits.plan': 'gold', 'profile.device': 'mobile' } }));
    });
    it('campaign segments, suppression campaigns, journey exposures', () => {
      const c = shop();
      c.campaigns[5].segments.push('ghosts');
      rejects(c, 'campaigns[5].segments[2]', /segment "ghosts" is not defined/);
      const d = shop();
      d.suppressions[1].campaigns = ['free-shiping'];
      rejects(d, 'suppressions[1].campaigns[0]', /campaign "free-shiping" is not defined/);
      const e = shop();
      e.journeys[1].exposure = 'free-shiping';
      rejects(e, 'journeys[1].exposure', /campaign "free-shiping"/);
      const f = shop();
      f.journeys[1].exposure = { event: 'email_open', where: { campaign: 'x' } };
      accepts(f);
    });
    it('score weights, defaults and features', () => {
      const c = shop();
      c.scores.churn.weights['metrics.orders_90d'] = -0.1;
      rejects(c, 'scores.churn.weights["metrics.orders_90d"]', /metric "orders_90d" is not defined/);
      const d = shop();
      d.scores.ski_lookalike.features[0] = 'scores.churn';
      rejects(d, 'scores.ski_lookalike.features[0]', /cannot use other scores/);
      const e = shop();
      e.scores.ski_lookalike.centroid.pop();
      rejects(e, 'scores.ski_lookalike.centroid', /has 4 numbers but features lists 5/);
    });
    it('a value aggregate names its field', () => {
      const c = shop();
      delete c.metrics.spend.field;
      rejects(c, 'metrics.spend.field', /agg "sum" needs a field/);
    });
    it('a suppression suppresses something', () => {
      const c = shop();
      delete c.suppressions[0].offers;
      delete c.suppressions[0].campaigns;
      rejects(c, 'suppressions[0]', /suppresses nothing/);
    });
  });

  describe('durations and windows', () => {
    it('parse "30m", "12h", "7d", "2w"', () => {
      expect(parseDuration('30m')).toBe(30 * 60_000);
      expect(parseDuration('12h')).toBe(12 * 3_600_000);
      expect(parseDuration('7d')).toBe(7 * 86_400_000);
      expect(parseDuration('2w')).toBe(14 * 86_400_000);
      expect(parseDuration('45s')).toBe(45_000);
      for (const bad of ['', '7', 'd', '0d', '-1d', '1.5h', '7 d', '7days', '1y']) expect(parseDuration(bad)).toBeNaN();
    });
    it('are checked wherever they occur', () => {
      const c = shop();
      c.metrics.orders_60d.window = '60 days';
      rejects(c, 'metrics.orders_60d.window', /must be a duration like "30m"/);
      const d = shop();
      d.campaigns[2].duration = '0d';
      rejects(d, 'campaigns[2].duration', /duration/);
      const e = shop();
      e.journeys[0].within = 3;
      rejects(e, 'journeys[0].within', /must be a string, not a number/);
      const f = shop();
      f.labels.defaultTtl = '1y';
      rejects(f, 'labels.defaultTtl', /duration/);
    });
  });

  describe('dates', () => {
    it('are real YYYY-MM-DD dates', () => {
      const c = shop();
      c.campaigns[2].start = '2026-02-30';
      rejects(c, 'campaigns[2].start', /"2026-02-30" is not a real date/);
      const d = shop();
      d.campaigns[2].end = '31/12/2026';
      rejects(d, 'campaigns[2].end', /must be a date like "2026-11-23"/);
      const e = shop();
      e.campaigns[2].start = '2028-02-29'; // a leap day
      e.campaigns[2].end = '2028-03-01';
      accepts(e);
    });
    it('start ≤ end', () => {
      const c = shop();
      c.campaigns[2].start = '2028-01-01';
      rejects(c, 'campaigns[2].end', /ends \(2027-12-31\) before it starts \(2028-01-01\)/);
      c.campaigns[2].start = c.campaigns[2].end;
      accepts(c);
    });
  });

  describe('holdout in [0, 1)', () => {
    it.each([0, 0.1, 0.999])('accepts %s', (h) => {
      const c = shop();
      c.campaigns[2].holdout = h;
      accepts(c);
    });
    it.each([[1, /less than 1/], [-0.1, /at least 0/], ['10%', /must be a number/]] as const)('rejects %s', (h, msg) => {
      const c = shop();
      c.campaigns[2].holdout = h;
      rejects(c, 'campaigns[2].holdout', msg);
    });
  });

  describe('conditions', () => {
    it('report an unknown operator at its exact path', () => {
      const c = withSegments({ id: 'a', when: {} }, { id: 'b', when: {} }, { id: 'c', when: { 'metrics.orders': { $gtt: 1 } } });
      c.metrics = { orders: { event: 'purchase', agg: 'count' } };
      expect(problems(c)).toEqual([{ path: 'segments[2].when["metrics.orders"].$gtt', message: 'unknown operator "$gtt"' }]);
    });
    it('accept every known operator with a proper operand', () => {
      const when = {
        'profile.visits': { $eq: 1, $ne: 2, $gt: 0, $gte: 1, $lt: 9, $lte: 8, $in: [1, 2], $nin: [3] },
        'traits.tags': { $all: ['a'], $size: 1, $elemMatch: { $eq: 'a' } },
        'traits.items': { $elemMatch: { sku: 'x', price: { $gt: 3 } } },
        'traits.plan': { $exists: true, $type: 'string', $regex: '^gold', $options: 'i', $not: { $eq: 'free' } },
        'profile.appVersion': { $vgte: '1.2.0', $vlt: '2.0.0-beta.1', $veq: '1.4', $vne: '1.3', $vgt: '1.0', $vlte: 'v3' },
        $and: [{ 'profile.device': 'mobile' }], $or: [{ 'profile.hour': { $gte: 18 } }, { 'profile.weekday': 6 }],
        $nor: [{ 'labels.complaint': { $exists: true } }], $not: { 'profile.channel': 'paid' },
      };
      accepts(withSegments({ id: 'a', when }));
    });
    it.each([
      [{ $in: 'a' }, '$in', /needs a list/],
      [{ $nin: 3 }, '$nin', /needs a list/],
      [{ $all: {} }, '$all', /needs a list/],
      [{ $gt: [1] }, '$gt', /number, a string or a boolean/],
      [{ $size: -1 }, '$size', /whole number/],
      [{ $size: 1.5 }, '$size', /whole number/],
      [{ $exists: 'yes' }, '$exists', /true or false/],
      [{ $type: 'float' }, '$type', /type names/],
      [{ $regex: '(' }, '$regex', /not a valid regular expression/],
      [{ $regex: 5 }, '$regex', /regular expression as a string/],
      [{ $options: 'i' }, '$options', /a \$regex beside it/],
      [{ $regex: 'a', $options: 'g' }, '$options', /flags/],
      [{ $not: 5 }, '$not', /object of operators/],
      [{ $elemMatch: 5 }, '$elemMatch', /an object/],
      [{ $vgt: 'latest' }, '$vgt', /a version like/],
      [{ $and: [] }, '$and', /belongs at the condition level/],
      [{ $where: 'x' }, '$where', /unknown operator "\$where"/],
    ])('reject %j', (operand, op, message) => {
      rejects(withSegments({ id: 'a', when: { 'traits.x': operand } }), `segments[0].when["traits.x"].${op}`, message);
    });
    it('reject bad logical clauses and misplaced operators', () => {
      rejects(withSegments({ id: 'a', when: { $or: [] } }), 'segments[0].when.$or', /non-empty list/);
      rejects(withSegments({ id: 'a', when: { $and: [{ 'traits.x': { $bad: 1 } }] } }), 'segments[0].when.$and[0]["traits.x"].$bad');
      rejects(withSegments({ id: 'a', when: { $gt: 1 } }), 'segments[0].when.$gt', /applies to a field/);
      rejects(withSegments({ id: 'a', when: { 'traits.x': { $gt: 1, y: 2 } } }), 'segments[0].when["traits.x"]', /mixes operators/);
      rejects(withSegments({ id: 'a', when: { $or: [5] } }), 'segments[0].when.$or[0]', /must be an object/);
    });
    it('are checked in metric filters, suppressions and journeys too', () => {
      const c = shop();
      c.metrics.handbag_views_7d.where.items.$elemMatch.item_category = { $inn: ['handbags'] };
      rejects(c, 'metrics.handbag_views_7d.where.items.$elemMatch.item_category.$inn', /unknown operator/);
      const d = shop();
      d.suppressions[0].when = { 'labels.complaint.ageDays': { $lt: '14 days', $foo: 1 } };
      rejects(d, 'suppressions[0].when["labels.complaint.ageDays"].$foo');
      const e = shop();
      e.journeys[2].goal.where['items.item_category'] = { $in: 'ski' };
      rejects(e, 'journeys[2].goal.where["items.item_category"].$in', /needs a list/);
    });
    it('what passes validation also compiles in the engine (bad paths are caught)', () => {
      rejects(withSegments({ id: 'a', when: { 'traits..x': 1 } }), 'segments[0].when', /bad path/);
    });
  });

  describe('segment-of-segment cycles', () => {
    it('reject a circle', () => {
      const c = withSegments(
        { id: 'a', when: { segments: 'b' } },
        { id: 'b', when: { segments: { $in: ['c'] } } },
        { id: 'c', when: { segments: { $elemMatch: { $eq: 'a' } } } },
      );
      rejects(c, 'segments[0].when', /in a circle: a → b → c → a/);
    });
    it('reject a segment that depends on itself, or on the fallback', () => {
      rejects(withSegments({ id: 'a', when: { segments: 'a' } }), 'segments[0].when', /a → a/);
      rejects(withSegments({ id: 'a', when: { segments: { $ne: 'everyone' } } }), 'segments[0].when', /circle/);
    });
    it('accept a chain', () => {
      accepts(withSegments({ id: 'a', when: { 'traits.x': 1 } }, { id: 'b', when: { segments: 'a' } }, { id: 'c', when: { segments: { $all: ['a', 'b'] } } }));
    });
  });

  it('reports every problem at once, shape and references alike', () => {
    const c = shop();
    c.campaigns[1].holdout = 1;
    c.campaigns[2].segments = ['nobody'];
    c.segments[2].when['scores.churn'] = { $gtt: 1 };
    c.metrics.spend.agg = 'summ';
    const paths = problems(c).map((p) => p.path).sort();
    expect(paths).toEqual([
      'campaigns[1].holdout', 'campaigns[2].segments[0]', 'metrics.spend.agg', 'segments[2].when["scores.churn"].$gtt',
    ]);
    expect(problems(c).find((p) => p.path === 'metrics.spend.agg')!.message).toMatch(/^must be one of "count", "sum"/);
  });
});

describe('whole numbers', () => {
  it('caps and distinct limits are whole numbers', () => {
    const c = shop();
    c.campaigns[2].caps.perDay = 2.5;
    rejects(c, 'campaigns[2].caps.perDay', /must be a whole number/);
    const d = shop();
    d.metrics.categories_seen.limit = 0.5;
    rejects(d, 'metrics.categories_seen.limit', /at least 1/);
    d.metrics.categories_seen.limit = 10.5;
    rejects(d, 'metrics.categories_seen.limit', /whole number/);
    const e = shop();
    e.campaigns[8].caps.total = -1;
    rejects(e, 'campaigns[8].caps.total', /at least 0/);
  });
});
