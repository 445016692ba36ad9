// What a JSON shape cannot say: cross-references, condition operators, fallback and cycles.
// Runs on unvalidated input too (every access is guarded), so a broken config gets every
// problem reported in one go. One check per part of the document, composed by checkRules.
import { DATE_RE, dayNumber } from './time';
import { conditionRules, type ConditionRules, type SegmentRefs } from './rules-condition';
import { arr, isObj, jsonPath, obj, str, type Any, type ConfigIssue, type Issue, type Path } from './rules-shape';

export { jsonPath, type ConfigIssue } from './rules-shape';

/** Aggregates of a value in the event, which therefore need `field`. */
const VALUE_AGGS = ['sum', 'min', 'max', 'avg', 'first', 'last', 'distinct'];

/** What the check of each part reads: the document, the ids it defines, where issues go. */
interface Doc {
  cfg: Any;
  metrics: Any;
  scores: Any;
  segments: Any[];
  campaigns: Any[];
  segmentIds: Set<string>;
  campaignIds: Set<string>;
  conditions: ConditionRules;
  issue: Issue;
}

export function checkRules(config: unknown, out: ConfigIssue[]): void {
  const cfg = obj(config);
  const issue: Issue = (path, message) => void out.push({ path: jsonPath(path), message });
  const metrics = obj(cfg.metrics);
  const scores = obj(cfg.scores);
  const segments = arr(cfg.segments);
  const campaigns = arr(cfg.campaigns);
  checkReservedNames(cfg, issue);
  whole(cfg.issued, ['issued'], issue);
  const segmentIds = ids(segments, 'segments', issue);
  const campaignIds = ids(campaigns, 'campaigns', issue);
  ids(arr(cfg.suppressions), 'suppressions', issue);
  ids(arr(cfg.journeys), 'journeys', issue);
  const conditions = conditionRules({ metrics, scores, params: obj(cfg.params), campaignIds }, issue);
  const doc: Doc = { cfg, metrics, scores, segments, campaigns, segmentIds, campaignIds, conditions, issue };
  checkMetrics(doc);
  checkScores(doc);
  checkSegments(doc);
  checkCampaigns(doc);
  checkSuppressions(doc);
  checkJourneys(doc);
}

function whole(v: unknown, path: Path, issue: Issue): void {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) issue(path, 'must be a whole number');
}

/** The ids of a list, each reported when it comes again. */
function ids(list: Any[], name: string, issue: Issue): Set<string> {
  const seen = new Set<string>();
  list.forEach((item, i) => {
    const id = obj(item).id;
    if (!str(id)) return;
    if (seen.has(id)) issue([name, i, 'id'], `duplicate id "${id}"`);
    seen.add(id);
  });
  return seen;
}

/** Segments a condition names must exist. */
function segmentsDefined(refs: SegmentRefs, { segmentIds, issue }: Doc): void {
  for (const [id, path] of refs) if (!segmentIds.has(id)) issue(path, `segment "${id}" is not defined`);
}

/** Metrics: a value aggregate needs its field; `where` filters the event's props. */
function checkMetrics({ metrics, conditions, issue }: Doc): void {
  for (const name of Object.keys(metrics)) {
    const m = obj(metrics[name]);
    if (VALUE_AGGS.includes(m.agg) && m.field === undefined) issue(['metrics', name, 'field'], `agg "${m.agg}" needs a field`);
    if (isObj(m.where)) conditions.root(m.where, ['metrics', name, 'where'], 'event');
    whole(m.limit, ['metrics', name, 'limit'], issue);
  }
}

/** Scores read the context without scores or segments, so they never depend on each other. */
function checkScores({ scores, conditions, issue }: Doc): void {
  for (const name of Object.keys(scores)) {
    const s = obj(scores[name]);
    for (const part of ['weights', 'defaults']) {
      for (const key of Object.keys(obj(s[part]))) conditions.contextPath(key, ['scores', name, part, key], 'score');
    }
    arr(s.features).forEach((f, i) => str(f) && conditions.contextPath(f, ['scores', name, 'features', i], 'score'));
    if (s.model === 'lookalike' && Array.isArray(s.features) && Array.isArray(s.centroid) && s.features.length !== s.centroid.length) {
      issue(['scores', name, 'centroid'], `has ${s.centroid.length} numbers but features lists ${s.features.length}`);
    }
  }
}

/** Segments: exactly one fallback, which has no `when`; the others need one; no cycles. */
function checkSegments(doc: Doc): void {
  const { segments, segmentIds, conditions, issue } = doc;
  const deps = new Map<string, string[]>();
  const fallbacks: number[] = [];
  segments.forEach((raw, i) => {
    const s = obj(raw);
    let refs: SegmentRefs = [];
    if (s.fallback === true) {
      fallbacks.push(i);
      if (s.when !== undefined) issue(['segments', i, 'when'], 'the fallback segment takes no "when": it holds every visitor in no other segment');
    } else if (s.when === undefined) {
      issue(['segments', i], 'needs a "when" condition (or "fallback": true)');
    } else if (isObj(s.when)) refs = conditions.root(s.when, ['segments', i, 'when'], 'context');
    segmentsDefined(refs, doc);
    if (str(s.id) && !deps.has(s.id)) deps.set(s.id, refs.map(([id]) => id).filter((id) => segmentIds.has(id)));
  });
  if (segments.length && fallbacks.length !== 1) {
    if (fallbacks.length) for (const i of fallbacks.slice(1)) issue(['segments', i, 'fallback'], 'only one segment can be the fallback');
    else issue(['segments'], 'one segment must be the fallback ({"id": "everyone", "fallback": true}) so that every visitor is in a segment');
  }
  // The fallback holds whoever is in no other segment: it depends on all of them.
  const fallbackId = obj(segments[fallbacks[0]!]).id;
  if (str(fallbackId)) deps.set(fallbackId, [...segmentIds].filter((id) => id !== fallbackId));
  const cycle = findCycle(deps);
  if (cycle) {
    const i = segments.findIndex((s) => obj(s).id === cycle[0]);
    issue(['segments', i, 'when'], `segments depend on each other in a circle: ${cycle.join(' → ')}`);
  }
}

/** Campaigns: served segments exist, dates are real and in order. */
function checkCampaigns({ campaigns, segmentIds, issue }: Doc): void {
  campaigns.forEach((raw, i) => {
    const c = obj(raw);
    arr(c.segments).forEach((id, j) => {
      if (str(id) && !segmentIds.has(id)) issue(['campaigns', i, 'segments', j], `segment "${id}" is not defined`);
    });
    for (const key of ['start', 'end']) {
      if (str(c[key]) && DATE_RE.test(c[key]) && Number.isNaN(dayNumber(c[key]))) issue(['campaigns', i, key], `"${c[key]}" is not a real date`);
    }
    for (const cap of ['perVisit', 'perDay', 'total']) whole(obj(c.caps)[cap], ['campaigns', i, 'caps', cap], issue);
    if (dayNumber(c.start) > dayNumber(c.end)) issue(['campaigns', i, 'end'], `ends (${c.end}) before it starts (${c.start})`);
  });
}

/** Suppressions: what they name exists, and they suppress something. */
function checkSuppressions(doc: Doc): void {
  const { cfg, campaignIds, conditions, issue } = doc;
  arr(cfg.suppressions).forEach((raw, i) => {
    const s = obj(raw);
    if (isObj(s.when)) segmentsDefined(conditions.root(s.when, ['suppressions', i, 'when'], 'context'), doc);
    arr(s.campaigns).forEach((id, j) => {
      if (str(id) && !campaignIds.has(id)) issue(['suppressions', i, 'campaigns', j], `campaign "${id}" is not defined`);
    });
    if (isObj(raw) && s.offers === undefined && s.campaigns === undefined) {
      issue(['suppressions', i], 'suppresses nothing: give "offers" and/or "campaigns"');
    }
  });
}

/** Journeys: the exposure is a campaign; `where` filters the events. */
function checkJourneys({ cfg, campaignIds, conditions, issue }: Doc): void {
  arr(cfg.journeys).forEach((raw, i) => {
    const j = obj(raw);
    if (str(j.exposure) && !campaignIds.has(j.exposure)) issue(['journeys', i, 'exposure'], `campaign "${j.exposure}" is not defined`);
    for (const key of ['exposure', 'goal']) {
      const where = obj(j[key]).where;
      if (isObj(where)) conditions.root(where, ['journeys', i, key, 'where'], 'event');
    }
  });
}

/**
 * Names with a meaning on every JavaScript object. The SDK keeps ids in null-prototype maps, but
 * a backend or tool in any language may not: such a config is refused where it is written.
 */
const RESERVED = new Set(['__proto__', 'constructor', 'prototype']);
const reservedMessage = (name: string) => `"${name}" is a reserved name in JavaScript objects: choose another`;

/** Ids of list entries and keys of the maps that become object keys (metrics, scores, weights, content data, params). */
function checkReservedNames(cfg: Any, issue: Issue): void {
  for (const list of ['segments', 'campaigns', 'suppressions', 'journeys']) {
    arr(cfg[list]).forEach((item, i) => {
      const id = obj(item).id;
      if (str(id) && RESERVED.has(id)) issue([list, i, 'id'], reservedMessage(id));
    });
  }
  const keysOf = (map: unknown, path: Path) => {
    for (const key of Object.keys(obj(map))) if (RESERVED.has(key)) issue([...path, key], reservedMessage(key));
  };
  keysOf(cfg.metrics, ['metrics']);
  keysOf(cfg.scores, ['scores']);
  keysOf(cfg.params, ['params']);
  for (const name of Object.keys(obj(cfg.scores))) {
    for (const part of ['weights', 'defaults']) keysOf(obj(cfg.scores[name])[part], ['scores', name, part]);
  }
  arr(cfg.campaigns).forEach((c, i) => keysOf(obj(obj(c).content).data, ['campaigns', i, 'content', 'data']));
}

/** The first circle in a dependency graph, as a list of ids that starts and ends on the same one. */
function findCycle(deps: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 1 | 2>(); // 1 = on the current path, 2 = done
  const stack: string[] = [];
  const visit = (id: string): string[] | undefined => {
    if (state.get(id) === 2) return;
    if (state.get(id) === 1) return [...stack.slice(stack.indexOf(id)), id];
    state.set(id, 1);
    stack.push(id);
    for (const next of deps.get(id) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    stack.pop();
    state.set(id, 2);
    return;
  };
  for (const id of deps.keys()) {
    const found = visit(id);
    if (found) return found;
  }
  return;
}
