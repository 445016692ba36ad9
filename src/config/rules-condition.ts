// The rules for conditions: operators and their operands, the context paths they read (which
// must name defined metrics, scores, params and campaigns), and the engine's compiler as a net.
import { compileCondition, isElemMatchValueForm, MAX_NESTING, operatorSpec, parseVersion, regexOptions, tooDeep, TYPE_CODE_NUMBERS, TYPE_NAMES } from '../condition';
import { backtrackingProblem } from './backtracking';
import { isObj, str, type Any, type Issue, type Path } from './rules-shape';

// Operand kinds come from the condition language's one table (src/condition/operators.ts); the
// compiler also compiles every condition that passes here, as a safety net: what validates, compiles.
const LABEL_FIELDS = ['at', 'ageDays', 'channel', 'value', 'expires'];
const CAMPAIGN_FIELDS = ['exposures', 'clicks', 'lastAt'];

/** How paths inside a condition are checked. */
export type Scope = 'context' | 'score' | 'event';

/** Segment ids a condition tests membership of, with where they were named. */
export type SegmentRefs = [string, Path][];

export interface ConditionRules {
  /** A dotted context path such as "metrics.orders" or "labels.complaint.ageDays". */
  contextPath(key: string, path: Path, scope: Scope): void;
  /** A whole condition: our checks, then the engine's compiler once ours found nothing. Returns the segments it names. */
  root(cond: unknown, path: Path, scope: Scope): SegmentRefs;
}

/** What a condition may name: the document's metrics, scores, params and campaign ids. */
export interface Defined {
  metrics: Any;
  scores: Any;
  params: Any;
  campaignIds: Set<string>;
}

const known = (set: Set<string> | Any, id: unknown) =>
  set instanceof Set ? set.has(id as string) : Object.prototype.hasOwnProperty.call(set, id as string);

/** The check of dotted context paths such as "metrics.orders" or "labels.complaint.ageDays". */
function contextPathRule({ metrics, scores, params, campaignIds }: Defined, issue: Issue): ConditionRules['contextPath'] {
  return (key, path, scope) => {
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
        if (!known(params, name)) issue(path, `param "${name ?? ''}" is not defined in params`);
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
}

export function conditionRules(defined: Defined, report: Issue): ConditionRules {
  let reported = 0;
  const issue: Issue = (path, message) => {
    reported++;
    report(path, message);
  };
  let segmentRefs: SegmentRefs = [];
  const checkContextPath = contextPathRule(defined, issue);

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
    const before = reported;
    checkCondition(cond, path, scope);
    if (reported > before) return;
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

  return {
    contextPath: checkContextPath,
    root(cond, path, scope) {
      segmentRefs = [];
      checkRoot(cond, path, scope);
      return segmentRefs;
    },
  };
}
