// What a JSON shape cannot say: cross-references, condition operators, fallback and cycles.
// Runs on unvalidated input too (every access is guarded), so a broken config gets every
// problem reported in one go.
import { DATE_RE, dayNumber } from './time';
import { compileCondition, isElemMatchValueForm, MAX_NESTING, operatorSpec, parseVersion, regexOptions, tooDeep, TYPE_CODE_NUMBERS, TYPE_NAMES } from '../condition';
import { backtrackingProblem } from './backtracking';

export interface ConfigIssue {
  /** JSON path of the offending node, e.g. `segments[2].when["metrics.orders"].$gtt` */
  path: string;
  /** A plain sentence. */
  message: string;
}

type Path = PropertyKey[];
type Any = Record<string, any>;

/** `["segments", 2, "when", "metrics.orders"]` → `segments[2].when["metrics.orders"]` */
export function jsonPath(path: Path): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(String(key))) out += (out ? '.' : '') + String(key);
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

// Operand kinds come from the condition language's one table (src/condition/operators.ts); the
// compiler also compiles every condition that passes here, as a safety net: what validates, compiles.
const LABEL_FIELDS = ['at', 'ageDays', 'channel', 'value', 'expires'];
const CAMPAIGN_FIELDS = ['exposures', 'clicks', 'lastAt'];
/** Aggregates of a value in the event, which therefore need `field`. */
const VALUE_AGGS = ['sum', 'min', 'max', 'avg', 'first', 'last', 'distinct'];

const obj = (v: unknown): Any => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Any) : {});
const arr = (v: unknown): Any[] => (Array.isArray(v) ? v : []);
const isObj = (v: unknown): v is Any => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v: unknown): v is string => typeof v === 'string';

/** How paths inside a condition are checked. */
type Scope = 'context' | 'score' | 'event';

export function checkRules(config: unknown, out: ConfigIssue[]): void {
  const cfg = obj(config);
  const issue = (path: Path, message: string): void => void out.push({ path: jsonPath(path), message });
  const metrics = obj(cfg.metrics);
  const scores = obj(cfg.scores);
  const segments = arr(cfg.segments);
  const campaigns = arr(cfg.campaigns);

  const whole = (v: unknown, path: Path) => typeof v === 'number' && !Number.isSafeInteger(v) && issue(path, 'must be a whole number');
  const ids = (list: Any[], name: string): Set<string> => {
    const seen = new Set<string>();
    list.forEach((item, i) => {
      const id = obj(item).id;
      if (!str(id)) return;
      if (seen.has(id)) issue([name, i, 'id'], `duplicate id "${id}"`);
      seen.add(id);
    });
    return seen;
  };
  checkReservedNames(cfg, issue);
  whole(cfg.issued, ['issued']);
  const segmentIds = ids(segments, 'segments');
  const campaignIds = ids(campaigns, 'campaigns');
  ids(arr(cfg.suppressions), 'suppressions');
  ids(arr(cfg.journeys), 'journeys');

  const known = (set: Set<string> | Any, id: unknown) =>
    set instanceof Set ? set.has(id as string) : Object.prototype.hasOwnProperty.call(set, id as string);

  // Segment ids a condition tests membership of, with where they were named.
  let segmentRefs: [string, Path][] = [];

  /** A dotted context path such as "metrics.orders" or "labels.complaint.ageDays". */
  const checkContextPath = (key: string, path: Path, scope: Scope): void => {
    const [root, name, field, ...rest] = key.split('.');
    const unknownField = (kind: string, fields: string[]) =>
      issue(path, `${kind} have no field "${field}" (use ${fields.join(', ')})`);
    switch (root) {
      case 'profile':
      case 'traits':
        return;
      case 'metrics':
        if (!known(metrics, name)) issue(path, `metric "${name ?? ''}" is not defined in metrics`);
        return;
      case 'params':
        if (!known(obj(cfg.params), name)) issue(path, `param "${name ?? ''}" is not defined in params`);
        return;
      case 'scores':
        if (scope === 'score') return issue(path, 'a score cannot use other scores');
        if (!known(scores, name)) issue(path, `score "${name ?? ''}" is not defined in scores`);
        return;
      case 'labels':
        if (!name) return issue(path, 'name the label: "labels.<name>.ageDays"');
        if ((field !== undefined && !LABEL_FIELDS.includes(field)) || rest.length) unknownField('labels', LABEL_FIELDS);
        return;
      case 'campaigns':
        if (!known(campaignIds, name)) return issue(path, `campaign "${name ?? ''}" is not defined in campaigns`);
        if ((field !== undefined && !CAMPAIGN_FIELDS.includes(field)) || rest.length) unknownField('campaigns', CAMPAIGN_FIELDS);
        return;
      case 'segments':
        if (scope === 'score') return issue(path, 'a score cannot use segments');
        if (name !== undefined) issue(path, 'test membership with {"segments": "<id>"}, not a dotted path');
        return;
      default:
        issue(path, `unknown context "${root}": paths start with profile, traits, metrics, scores, params, labels, segments or campaigns`);
    }
  };

  /** A condition: field paths mapped to values/operators, plus $and/$or/$nor/$not. */
  const checkCondition = (cond: unknown, path: Path, scope: Scope): void => {
    if (!isObj(cond)) return issue(path, 'a condition must be an object');
    for (const key of Object.keys(cond)) {
      const value = cond[key];
      const at = [...path, key];
      if (key.startsWith('$')) {
        const spec = operatorSpec(key);
        if (spec?.query && spec.operand !== 'conditions') checkCondition(value, at, scope);
        else if (!spec?.query) {
          issue(at, spec ? `${key} applies to a field, e.g. {"metrics.orders": {"${key}": …}}` : `unknown operator "${key}"`);
        } else if (!Array.isArray(value) || !value.length) {
          issue(at, `${key} needs a non-empty list of conditions`);
        } else value.forEach((c, i) => checkCondition(c, [...at, i], scope));
        continue;
      }
      if (scope !== 'event') checkContextPath(key, at, scope);
      checkValue(value, at, scope === 'context' && key === 'segments', scope);
    }
  };

  /** The value tested against one field: a literal (equality) or an object of operators. */
  const checkValue = (value: unknown, path: Path, isSegments: boolean, scope: Scope): void => {
    const keys = isObj(value) ? Object.keys(value) : [];
    const ops = keys.filter((k) => k.startsWith('$'));
    if (!ops.length) {
      if (isSegments) collectSegments(value, path);
      return;
    }
    if (ops.length < keys.length) return issue(path, 'mixes operators ($…) and field names in one object');
    for (const op of ops) checkOperator(op, (value as Any)[op], [...path, op], isSegments, scope, value as Any);
  };

  const checkOperator = (op: string, v: unknown, path: Path, isSegments: boolean, scope: Scope, siblings: Any): void => {
    const need = (ok: boolean, what: string) => ok || issue(path, `${op} needs ${what}`);
    const spec = operatorSpec(op);
    switch (spec?.field || spec?.modifies ? spec.operand : undefined) {
      case 'any':
        if (isSegments) collectSegments(v, path);
        return;
      case 'order':
        need(v === null || ['number', 'string', 'boolean'].includes(typeof v), 'a number, a string or a boolean');
        return;
      case 'list':
        if (need(Array.isArray(v), 'a list') && isSegments) collectSegments(v, path);
        return;
      case 'elem':
        if (!need(isObj(v), 'an object')) return;
        // {$elemMatch: {$gte: 1, $not: {$gt: 9}}} tests the elements themselves; otherwise fields of them.
        if (isElemMatchValueForm(v as Any)) checkValue(v, path, isSegments, scope);
        else checkCondition(v, path, 'event');
        return;
      case 'size':
        need(Number.isSafeInteger(v) && (v as number) >= 0, 'a whole number ≥ 0');
        return;
      case 'exists':
        need(typeof v === 'boolean' || v === 0 || v === 1, 'true or false');
        return;
      case 'type':
        need(
          [v].flat().every((t) => TYPE_NAMES.includes(t as string) || TYPE_CODE_NUMBERS.includes(t as number)) && [v].flat().length > 0,
          `type names from ${TYPE_NAMES.map((t) => `"${t}"`).join(', ')}`,
        );
        return;
      case 'regex': {
        if (!need(str(v), 'a regular expression as a string')) return;
        const options = regexOptions(siblings);
        const flags = str(options) && /^[imsu]*$/.test(options) ? options : '';
        try {
          new RegExp(v as string, flags);
        } catch {
          issue(path, `is not a valid regular expression`);
          return;
        }
        const slow = backtrackingProblem(v as string, flags);
        if (slow) issue(path, `${slow} (regular expressions run on every visitor's page)`);
        return;
      }
      case 'options':
        if (need(str(v) && /^[imsu]*$/.test(v), 'flags from "imsu"')) {
          need(spec!.modifies! in siblings, `a ${spec!.modifies} beside it`);
        }
        return;
      case 'not':
        if (need(isObj(v) && Object.keys(v).length > 0 && Object.keys(v).every((k) => k.startsWith('$')), 'an object of operators, e.g. {"$not": {"$gt": 5}}')) {
          checkValue(v, path, false, scope);
        }
        return;
      case 'semver':
        need(str(v) && !!parseVersion(v), 'a version like "1.4.2"');
        return;
      default:
        issue(path, spec?.query ? `${op} belongs at the condition level, not inside a field` : `unknown operator "${op}"`);
    }
  };

  /** A whole condition: our checks, then the engine's compiler once ours found nothing. */
  const checkRoot = (cond: unknown, path: Path, scope: Scope): void => {
    const deep = tooDeep(cond);
    if (deep) return issue([...path, ...deep], `is nested deeper than ${MAX_NESTING} levels`);
    const before = out.length;
    checkCondition(cond, path, scope);
    if (out.length > before) return;
    try {
      compileCondition(cond as Any);
    } catch (err) {
      issue(path, (err as Error).message);
    }
  };

  const collectSegments = (v: unknown, path: Path): void => {
    if (str(v)) segmentRefs.push([v, path]);
    else if (Array.isArray(v)) v.forEach((x, i) => collectSegments(x, [...path, i]));
  };

  // Metrics: a value aggregate needs its field; `where` filters the event's props.
  for (const name of Object.keys(metrics)) {
    const m = obj(metrics[name]);
    if (VALUE_AGGS.includes(m.agg) && m.field === undefined) issue(['metrics', name, 'field'], `agg "${m.agg}" needs a field`);
    if (isObj(m.where)) checkRoot(m.where, ['metrics', name, 'where'], 'event');
    whole(m.limit, ['metrics', name, 'limit']);
  }

  // Scores read the context without scores or segments, so they never depend on each other.
  for (const name of Object.keys(scores)) {
    const s = obj(scores[name]);
    for (const part of ['weights', 'defaults']) {
      for (const key of Object.keys(obj(s[part]))) checkContextPath(key, ['scores', name, part, key], 'score');
    }
    arr(s.features).forEach((f, i) => str(f) && checkContextPath(f, ['scores', name, 'features', i], 'score'));
    if (s.model === 'lookalike' && Array.isArray(s.features) && Array.isArray(s.centroid) && s.features.length !== s.centroid.length) {
      issue(['scores', name, 'centroid'], `has ${s.centroid.length} numbers but features lists ${s.features.length}`);
    }
  }

  // Segments: exactly one fallback, which has no `when`; the others need one; no cycles.
  const deps = new Map<string, string[]>();
  const fallbacks: number[] = [];
  segments.forEach((raw, i) => {
    const s = obj(raw);
    segmentRefs = [];
    if (s.fallback === true) {
      fallbacks.push(i);
      if (s.when !== undefined) issue(['segments', i, 'when'], 'the fallback segment takes no "when": it holds every visitor in no other segment');
    } else if (s.when === undefined) {
      issue(['segments', i], 'needs a "when" condition (or "fallback": true)');
    } else if (isObj(s.when)) checkRoot(s.when, ['segments', i, 'when'], 'context');
    for (const [id, path] of segmentRefs) if (!segmentIds.has(id)) issue(path, `segment "${id}" is not defined`);
    if (str(s.id) && !deps.has(s.id)) deps.set(s.id, segmentRefs.map(([id]) => id).filter((id) => segmentIds.has(id)));
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

  // Campaigns: served segments exist, dates are real and in order.
  campaigns.forEach((raw, i) => {
    const c = obj(raw);
    arr(c.segments).forEach((id, j) => {
      if (str(id) && !segmentIds.has(id)) issue(['campaigns', i, 'segments', j], `segment "${id}" is not defined`);
    });
    for (const key of ['start', 'end']) {
      if (str(c[key]) && DATE_RE.test(c[key]) && Number.isNaN(dayNumber(c[key]))) issue(['campaigns', i, key], `"${c[key]}" is not a real date`);
    }
    for (const cap of ['perVisit', 'perDay', 'total']) whole(obj(c.caps)[cap], ['campaigns', i, 'caps', cap]);
    if (dayNumber(c.start) > dayNumber(c.end)) issue(['campaigns', i, 'end'], `ends (${c.end}) before it starts (${c.start})`);
  });

  arr(cfg.suppressions).forEach((raw, i) => {
    const s = obj(raw);
    segmentRefs = [];
    if (isObj(s.when)) checkRoot(s.when, ['suppressions', i, 'when'], 'context');
    for (const [id, path] of segmentRefs) if (!segmentIds.has(id)) issue(path, `segment "${id}" is not defined`);
    arr(s.campaigns).forEach((id, j) => {
      if (str(id) && !campaignIds.has(id)) issue(['suppressions', i, 'campaigns', j], `campaign "${id}" is not defined`);
    });
    if (isObj(raw) && s.offers === undefined && s.campaigns === undefined) {
      issue(['suppressions', i], 'suppresses nothing: give "offers" and/or "campaigns"');
    }
  });

  arr(cfg.journeys).forEach((raw, i) => {
    const j = obj(raw);
    if (str(j.exposure) && !campaignIds.has(j.exposure)) issue(['journeys', i, 'exposure'], `campaign "${j.exposure}" is not defined`);
    for (const key of ['exposure', 'goal']) {
      const where = obj(j[key]).where;
      if (isObj(where)) checkRoot(where, ['journeys', i, key, 'where'], 'event');
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
function checkReservedNames(cfg: Any, issue: (path: Path, message: string) => void): void {
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
