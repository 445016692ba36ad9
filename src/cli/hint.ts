// "Did you mean …?" for the validate command: the closest known operator, field or id to a misspelt one.
import { configJsonSchema } from '../config/json-schema';
import { KNOWN_OPERATORS } from '../condition';

let fieldNames: string[] | undefined;

/** "unknown operator "$gtt"" → "… (did you mean "$gt"?)": the closest known name, if one is close. */
export function withHint(message: string, doc: any): string {
  const m = /^(?:unknown (operator|field)|(metric|score|segment|campaign)) "([^"]+)"/.exec(message);
  if (!m) return message;
  const kind = m[1] ?? m[2];
  const ids = (list: unknown) => (Array.isArray(list) ? list.map((x) => x?.id).filter((id) => typeof id === 'string') : []);
  const candidates =
    kind === 'operator' ? KNOWN_OPERATORS
    : kind === 'field' ? (fieldNames ??= propertyNames(configJsonSchema()))
    : kind === 'metric' ? Object.keys(doc?.metrics ?? {})
    : kind === 'score' ? Object.keys(doc?.scores ?? {})
    : kind === 'segment' ? ids(doc?.segments)
    : ids(doc?.campaigns);
  const name = m[3]!;
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(name.length / 3)) + 1;
  for (const c of candidates) {
    const d = distance(name.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best ? `${message} (did you mean "${best}"?)` : message;
}

function propertyNames(schema: unknown, out = new Set<string>()): string[] {
  if (schema && typeof schema === 'object') {
    for (const [key, value] of Object.entries(schema)) {
      if (key === 'properties') for (const name of Object.keys(value as object)) if (!name.startsWith('$')) out.add(name);
      propertyNames(value, out);
    }
  }
  return [...out];
}

/** Levenshtein distance. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}
