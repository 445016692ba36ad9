// Refuses regular expressions whose matching time can grow faster than the input (super-linear
// backtracking, "ReDoS"): a config's `$regex` runs on the visitor's main thread against URLs and
// props anyone can craft. The check reads the pattern's structure only, never runs it, and is
// conservative: a pattern it cannot prove safe is refused, with the part at fault and why.
//
// Refused, where X and Y are parts that can match a common character:
//   - a repetition inside a repetition: (a+)+, (\w+-?)+, (a*b)*, (a?a)+
//   - alternatives that can start alike under a repetition: (a|a)*, (a|ab)*, (\w|\d)+
//   - two repetitions in a row (optional parts between them included): \d+\d+, \w*-?\w+
// Repetition means a quantifier that can match a varying number of times (*, +, ?, {n,m}).
import { ALL, complement, DIGIT, foldCase, NONE, overlaps, SPACE, union, WORD, type Ranges } from './regex-ranges';
import { atom, BacktrackingError, concat, EMPTY, join, repeat, type Node } from './regex-facts';

export { BacktrackingError } from './regex-facts';

/** Longest pattern checked: longer ones are refused (and are no condition a marketer writes). */
const MAX_PATTERN = 1000;

/** Parses a pattern into the facts above, refusing what backtracks. Throws BacktrackingError. */
class Checker {
  private i = 0;
  private readonly fold: boolean;
  private readonly unicode: boolean;

  constructor(
    private readonly src: string,
    flags: string,
  ) {
    this.fold = flags.includes('i');
    this.unicode = flags.includes('u');
  }

  check(): Node {
    const node = this.alternation();
    if (this.i < this.src.length) this.fail(`has an unmatched ")" at position ${this.i}`);
    return node;
  }

  private fail(message: string): never {
    throw new BacktrackingError(message);
  }

  private peek(): string | undefined {
    return this.src[this.i];
  }

  private alternation(): Node {
    const branches = [this.sequence()];
    while (this.peek() === '|') {
      this.i++;
      branches.push(this.sequence());
    }
    return branches.length === 1 ? branches[0]! : join(branches);
  }

  private sequence(): Node {
    const items: Node[] = [];
    /** Characters that repetitions still reachable from here (through optional parts) can consume, and where they are. */
    let reach: Ranges = NONE;
    let reachFrom = this.i;
    while (this.i < this.src.length && this.peek() !== '|' && this.peek() !== ')') {
      const start = this.i;
      const item = this.quantified();
      if (reach.length && overlaps(reach, item.headRep)) {
        this.fail(
          `"${this.src.slice(reachFrom, this.i)}" has two repetitions in a row that can match the same characters: matching can take time that grows with the square of the text or worse; separate them by something the first cannot match (e.g. "\\d+\\.\\d+", not "\\d+\\d+")`,
        );
      }
      if (item.nullable) {
        if (item.tailRep.length && !reach.length) reachFrom = start;
        reach = union(reach, item.tailRep);
      } else {
        reach = item.tailRep;
        reachFrom = start;
      }
      items.push(item);
    }
    return concat(items);
  }

  private quantified(): Node {
    const start = this.i;
    const body = this.term();
    const q = this.quantifier();
    if (!q) return body;
    const [min, max] = q;
    if (this.peek() === '?') this.i++; // lazy: the same choices, in another order
    return repeat(body, min, max, this.src.slice(start, this.i));
  }

  /** `*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}` as [min, max], or undefined. */
  private quantifier(): [number, number] | undefined {
    const c = this.peek();
    if (c === '*') return this.i++, [0, Infinity];
    if (c === '+') return this.i++, [1, Infinity];
    if (c === '?') return this.i++, [0, 1];
    if (c !== '{') return;
    const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.i));
    if (!m) {
      if (this.unicode) this.fail('has a "{" that is not a quantifier');
      return; // a literal "{" outside unicode mode
    }
    this.i += m[0].length;
    const min = Number(m[1]);
    const max = m[2] === undefined ? min : m[3] === '' ? Infinity : Number(m[3]);
    return [min, max];
  }

  private term(): Node {
    const c = this.src[this.i++]!;
    switch (c) {
      case '(':
        return this.group();
      case '[':
        return atom(this.cased(this.charClass()));
      case '.':
        return atom(ALL);
      case '^':
      case '$':
        return EMPTY;
      case '\\':
        return this.escape();
      case '*':
      case '+':
      case '?':
        return this.fail(`has a quantifier "${c}" with nothing to repeat`);
      default:
        return atom(this.cased(this.literal(c)));
    }
  }

  private literal(c: string): Ranges {
    let code = c.charCodeAt(0);
    if (this.unicode && code >= 0xd800 && code <= 0xdbff && this.i < this.src.length) {
      code = this.src.codePointAt(this.i - 1)!;
      this.i++;
    }
    return [[code, code]];
  }

  private cased(set: Ranges): Ranges {
    return this.fold ? foldCase(set) : set;
  }

  private group(): Node {
    let lookaround = false;
    if (this.peek() === '?') {
      const rest = this.src.slice(this.i);
      const m = /^\?(:|=|!|<=|<!|<[A-Za-z_$][\w$]*>)/.exec(rest);
      if (!m) this.fail('has a group "(?" of an unknown kind');
      lookaround = /^\?(=|!|<=|<!)$/.test(m[0]);
      this.i += m[0].length;
    }
    const body = this.alternation();
    if (this.peek() !== ')') this.fail('has an unclosed "("');
    this.i++;
    // A lookaround consumes nothing: its inside is checked, it adds no choices to what follows.
    return lookaround ? { ...EMPTY, varies: body.varies, ambiguous: body.ambiguous, height: body.height } : body;
  }

  private escape(): Node {
    const c = this.src[this.i++];
    if (c === undefined) this.fail('ends with a lone "\\"');
    switch (c) {
      case 'd': return atom(DIGIT);
      case 'D': return atom(complement(DIGIT));
      case 'w': return atom(this.cased(WORD));
      case 'W': return atom(complement(WORD));
      case 's': return atom(SPACE);
      case 'S': return atom(complement(SPACE));
      case 'b':
      case 'B':
        return EMPTY;
      case 'k':
        if (this.peek() === '<') this.i = this.src.indexOf('>', this.i) + 1 || this.src.length;
        return { ...atom(ALL), nullable: true, varies: true, headRep: ALL, tailRep: ALL };
      case 'p':
      case 'P':
        if (this.unicode && this.peek() === '{') this.i = this.src.indexOf('}', this.i) + 1 || this.src.length;
        return atom(this.unicode ? ALL : this.cased(this.literal(c)));
      default:
        if (/[1-9]/.test(c)) {
          // A back-reference matches what its group matched: any text, any length.
          while (/\d/.test(this.peek() ?? '')) this.i++;
          return { ...atom(ALL), nullable: true, varies: true, headRep: ALL, tailRep: ALL };
        }
        return atom(this.cased(this.escapedChar(c)));
    }
  }

  /** The character of an escape that stands for one character (\n, \x41, \u{1F600}, \., \0…). */
  private escapedChar(c: string): Ranges {
    const one = (code: number): Ranges => [[code, code]];
    const hex = (n: number): Ranges | undefined => {
      const h = this.src.slice(this.i, this.i + n);
      if (!new RegExp(`^[0-9A-Fa-f]{${n}}$`).test(h)) return;
      this.i += n;
      return one(parseInt(h, 16));
    };
    switch (c) {
      case 'n': return one(10);
      case 'r': return one(13);
      case 't': return one(9);
      case 'v': return one(11);
      case 'f': return one(12);
      case '0': return one(0);
      case 'c': {
        const l = this.peek();
        if (l && /[A-Za-z]/.test(l)) return this.i++, one(l.charCodeAt(0) % 32);
        return one(92);
      }
      case 'x': return hex(2) ?? one(120);
      case 'u': {
        if (this.unicode && this.peek() === '{') {
          const end = this.src.indexOf('}', this.i);
          const code = parseInt(this.src.slice(this.i + 1, end), 16);
          this.i = end + 1;
          return one(Number.isFinite(code) ? code : 0);
        }
        return hex(4) ?? one(117);
      }
      default: return this.literal(c);
    }
  }

  /** `[...]` after its "[": the set of characters it matches. */
  private charClass(): Ranges {
    let negate = false;
    if (this.peek() === '^') (negate = true), this.i++;
    const parts: Ranges[] = [];
    while (this.i < this.src.length && this.peek() !== ']') {
      const lo = this.classAtom();
      if (this.peek() === '-' && this.src[this.i + 1] !== ']' && this.i + 1 < this.src.length && lo.length === 1 && lo[0]![0] === lo[0]![1]) {
        this.i++;
        const hi = this.classAtom();
        if (hi.length === 1 && hi[0]![0] === hi[0]![1]) {
          parts.push([[lo[0]![0], hi[0]![0]]]);
          continue;
        }
        parts.push(lo, [[45, 45]], hi); // [\d-x]: "-" is a character here
        continue;
      }
      parts.push(lo);
    }
    if (this.peek() !== ']') this.fail('has an unclosed "["');
    this.i++;
    const set = union(...parts);
    return negate ? complement(this.cased(set)) : set;
  }

  private classAtom(): Ranges {
    const c = this.src[this.i++]!;
    if (c !== '\\') return this.literal(c);
    const e = this.src[this.i++];
    switch (e) {
      case 'd': return DIGIT;
      case 'D': return complement(DIGIT);
      case 'w': return WORD;
      case 'W': return complement(WORD);
      case 's': return SPACE;
      case 'S': return complement(SPACE);
      case 'b': return [[8, 8]];
      case 'p':
      case 'P':
        if (this.unicode && this.peek() === '{') {
          this.i = this.src.indexOf('}', this.i) + 1 || this.src.length;
          return ALL;
        }
        return this.literal(e);
      case undefined: return this.fail('ends with a lone "\\"');
      default: return this.escapedChar(e);
    }
  }
}

/**
 * Why `pattern` can backtrack super-linearly (a plain sentence naming the part at fault), or
 * undefined when its structure is safe. Patterns that cannot be parsed are refused too.
 */
export function backtrackingProblem(pattern: string, flags = ''): string | undefined {
  if (pattern.length > MAX_PATTERN) return `is longer than ${MAX_PATTERN} characters`;
  try {
    new Checker(pattern, flags).check();
    return undefined;
  } catch (err) {
    if (err instanceof BacktrackingError) return err.message;
    return 'could not be checked for slow matching';
  }
}

/** The star height of a pattern the checker accepts (how deeply repetitions nest), for tests. */
export function starHeight(pattern: string, flags = ''): number {
  return new Checker(pattern, flags).check().height;
}
