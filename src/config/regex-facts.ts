// What the backtracking check knows of each part of a pattern, and how parts combine: in a row,
// as alternatives, repeated. A repetition of what can backtrack is refused here.
import { NONE, overlaps, union, type Ranges } from './regex-ranges';

export interface Node {
  /** Every character the node can consume. */
  chars: Ranges;
  /** Characters its first consumed character can be. */
  first: Ranges;
  /** Can it match the empty string? */
  nullable: boolean;
  /** The first characters of a repetition at its start (empty: it starts with none). */
  headRep: Ranges;
  /** Every character a repetition at its end can consume (empty: it ends with none). */
  tailRep: Ranges;
  /** It contains a quantifier that matches a varying number of times. */
  varies: boolean;
  /** It holds alternatives that can start with the same character (or be empty). */
  ambiguous: boolean;
  /** How deeply its repetitions (*, +, {n,m} with m > n) nest: star height. */
  height: number;
}

export class BacktrackingError extends Error {}

export const atom = (set: Ranges): Node => ({ chars: set, first: set, nullable: false, headRep: NONE, tailRep: NONE, varies: false, ambiguous: false, height: 0 });
export const EMPTY: Node = { chars: NONE, first: NONE, nullable: true, headRep: NONE, tailRep: NONE, varies: false, ambiguous: false, height: 0 };

/**
 * `body` repeated min to max times (`source`: its text, for the message). Throws BacktrackingError
 * when the repetition can take exponential time: nested repetitions, alternatives that start alike,
 * a part that can match nothing.
 */
export function repeat(body: Node, min: number, max: number, source: string): Node {
  const repeats = max > 1;
  const varies = max > min;
  if (repeats && body.varies) {
    throw new BacktrackingError(`"${source}" repeats a part that itself repeats: matching can take exponential time on some texts; rewrite it without the nested repetition`);
  }
  if (repeats && varies && body.ambiguous) {
    throw new BacktrackingError(`"${source}" repeats alternatives that can start with the same character: matching can take exponential time on some texts; make the alternatives start differently`);
  }
  if (repeats && body.nullable && varies) {
    throw new BacktrackingError(`"${source}" repeats a part that can match an empty text: rewrite it so that each repetition consumes something`);
  }
  if (min === max) {
    // Exactly n times: no choice to backtrack over; one copy stands for them all.
    return min === 0 ? EMPTY : body;
  }
  const chars = body.chars;
  return {
    chars,
    first: body.first,
    nullable: min === 0 || body.nullable,
    headRep: body.first,
    tailRep: chars,
    varies: true,
    ambiguous: body.ambiguous,
    height: body.height + (repeats ? 1 : 0),
  };
}

/** Alternatives: any of them; ambiguous when two can start with the same character (or one is empty). */
export function join(branches: Node[]): Node {
  let ambiguous = branches.some((b) => b.ambiguous);
  for (let a = 0; a < branches.length && !ambiguous; a++) {
    for (let b = a + 1; b < branches.length; b++) {
      if (branches[a]!.nullable || branches[b]!.nullable || overlaps(branches[a]!.first, branches[b]!.first)) {
        ambiguous = true;
        break;
      }
    }
  }
  return {
    chars: union(...branches.map((b) => b.chars)),
    first: union(...branches.map((b) => b.first)),
    nullable: branches.some((b) => b.nullable),
    headRep: union(...branches.map((b) => b.headRep)),
    tailRep: union(...branches.map((b) => b.tailRep)),
    varies: branches.some((b) => b.varies),
    height: Math.max(...branches.map((b) => b.height)),
    ambiguous,
  };
}

/** Parts in a row. */
export function concat(items: Node[]): Node {
  if (!items.length) return EMPTY;
  if (items.length === 1) return items[0]!;
  const out: Node = {
    ...EMPTY,
    chars: union(...items.map((x) => x.chars)),
    varies: items.some((x) => x.varies),
    ambiguous: items.some((x) => x.ambiguous),
    height: Math.max(...items.map((x) => x.height)),
  };
  // What the row starts with: the first part, and the next ones while those before can be empty.
  let first: Ranges = NONE;
  let headRep: Ranges = NONE;
  let nullable = true;
  for (const x of items) {
    first = union(first, x.first);
    headRep = union(headRep, x.headRep);
    if (!x.nullable) {
      nullable = false;
      break;
    }
  }
  let tailRep: Ranges = NONE;
  for (let k = items.length - 1; k >= 0; k--) {
    tailRep = union(tailRep, items[k]!.tailRep);
    if (!items[k]!.nullable) break;
  }
  return { ...out, first, headRep, tailRep, nullable };
}
