/**
 * The deepest nesting of arrays and objects a stored message may have: the envelope is depth 1,
 * `data` 2, an address inside `data` 3. Well below Jackson's default limit (1,000) and far from
 * any recursive parser's stack (Python's `json` fails near 1,000).
 */
export const I_JSON_MAX_DEPTH = 32;

/**
 * The longest member name a stored message may have, in bytes of UTF-8 (quotes excluded).
 * Jackson refuses names over 50,000 characters by default; NovaMed's are under 32.
 */
export const I_JSON_MAX_NAME_BYTES = 1024;

/**
 * The longest number literal a stored message may have, in characters. A double holds 17
 * significant digits; Jackson refuses literals over 1,000 characters by default, Python's `int`
 * those over 4,300 digits.
 */
export const I_JSON_MAX_NUMBER_LENGTH = 100;

/**
 * A rule of the topic's JSON profile (I-JSON, RFC 7493, plus a nesting limit) that a body broke.
 * `INVALID_JSON` is plain RFC 8259 syntax.
 */
export type IJsonRule =
  | 'INVALID_JSON'
  | 'INVALID_UTF8'
  | 'LONE_SURROGATE'
  | 'DUPLICATE_MEMBER'
  | 'NESTING_TOO_DEEP'
  | 'NUMBER_OUT_OF_RANGE'
  | 'MEMBER_NAME_TOO_LONG';

/**
 * Outcome of {@link checkIJson}. A violation says which rule, the byte offset where it was found
 * and the JSON path there (`$.data.items[2]`), never any value of the input.
 */
export type IJsonResult =
  | { ok: true }
  | { ok: false; rule: IJsonRule; position: number; path: string };

/** Options of {@link checkIJson}. */
export interface IJsonOptions {
  /** Deepest nesting accepted; default {@link I_JSON_MAX_DEPTH}. */
  maxDepth?: number;
}

const OBJECT = 1;
const ARRAY = 2;

const EXPECT_VALUE = 0;
const AFTER_VALUE = 1;
const EXPECT_NAME = 2;

/** Above this many members, an object's names go into a Set (below it, a linear scan is faster). */
const SET_THRESHOLD = 12;

/** '9007199254740991' (2^53 − 1), the largest integer literal every double reader holds exactly. */
const MAX_SAFE_DIGITS = [57, 48, 48, 55, 49, 57, 57, 50, 53, 52, 55, 52, 48, 57, 57, 49];

/** Member names shown in a path; anything else (it could be data) is shown by its ordinal. */
const PRINTABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/**
 * Per-depth state, reused across calls: the check is synchronous and never re-entered, so one
 * set of arrays serves every call without allocating. Index 0 is the top level.
 */
class Stack {
  kinds: Uint8Array;
  /** Index of the element being read in each array. */
  indexes: Int32Array;
  /** Member names read so far in each object: `counts[d]` byte ranges (quotes included). */
  counts: Int32Array;
  starts: number[][];
  ends: number[][];
  /** 1 when a name of the object at that depth has an escape: compare decoded names there. */
  escaped: Uint8Array;
  /** Decoded names, for objects with escaped or many names. */
  sets: (Set<string> | null)[];
  constructor(readonly capacity: number) {
    this.kinds = new Uint8Array(capacity + 1);
    this.indexes = new Int32Array(capacity + 1);
    this.counts = new Int32Array(capacity + 1);
    this.starts = Array.from({ length: capacity + 1 }, () => []);
    this.ends = Array.from({ length: capacity + 1 }, () => []);
    this.escaped = new Uint8Array(capacity + 1);
    this.sets = new Array(capacity + 1).fill(null);
  }
}

let shared = new Stack(I_JSON_MAX_DEPTH);

function isDigit(c: number | undefined): boolean {
  return c !== undefined && c >= 0x30 && c <= 0x39;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

function hexValue(c: number): number {
  return c <= 0x39 ? c - 0x30 : (c | 0x20) - 0x57;
}

/** The input of the check in progress (module state: the check is synchronous, never re-entered). */
let src: Uint8Array = new Uint8Array(0);
let len = 0;
/** Set by the scanners when they return -1: the rule broken and where. */
let failedRule: IJsonRule = 'INVALID_JSON';
let failedAt = 0;
/** Whether the last {@link scanString} saw an escape. */
let sawEscape = false;

function failure(rule: IJsonRule, position: number): -1 {
  failedRule = rule;
  failedAt = position;
  return -1;
}

/**
 * Checks, in one pass over the raw bytes and without recursion, that a body is JSON every
 * common parser reads the same way: RFC 8259 syntax with no byte order mark; well-formed UTF-8
 * (no overlong forms, no encoded surrogates); no lone surrogate escape (`"\ud800"`); no repeated
 * member name within an object, names compared after decoding (`"a"` = `"\u0061"`); no number a
 * double cannot hold (a finite magnitude, a non-zero number that does not round to 0, and an
 * integer literal, one without fraction or exponent, within ±(2^53 − 1)); nesting of at most
 * `maxDepth` arrays and objects. Never throws, whatever the input; the first violation wins.
 */
export function checkIJson(bytes: Uint8Array, options: IJsonOptions = {}): IJsonResult {
  const maxDepth = options.maxDepth ?? I_JSON_MAX_DEPTH;
  if (shared.capacity < maxDepth) shared = new Stack(maxDepth);
  src = bytes;
  len = bytes.length;
  const stack = shared;
  const depth = walk(stack, maxDepth);
  if (depth < 0) {
    src = EMPTY;
    return { ok: true };
  }
  const path = pathAt(stack, depth);
  src = EMPTY;
  return { ok: false, rule: failedRule, position: failedAt, path };
}

const EMPTY = new Uint8Array(0);

/**
 * Runs the check; -1 when the input is fine, else the depth at which it failed.
 *
 * One state machine in one function, longer than the house's ~80 lines on purpose: it runs on
 * every request. Moving the member-name check and the container start into helpers (tried for
 * issue 13) cost 4-6 % CPU per call on the guide's events and 10 % on a 97 kB body (min of 41
 * runs, old and new interleaved in one process, CPU time per call).
 */
function walk(stack: Stack, maxDepth: number): number {
  const { kinds, indexes, counts, starts, ends, escaped, sets } = stack;
  const bytes = src;
  const n = len;
  let depth = 0;
  let state = EXPECT_VALUE;
  let i = 0;
  for (;;) {
    let c = bytes[i];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++i];
    if (state === EXPECT_VALUE) {
      if (c === 0x7b || c === 0x5b) {
        if (depth === maxDepth) {
          failure('NESTING_TOO_DEEP', i);
          return depth;
        }
        depth++;
        i++;
        if (c === 0x7b) {
          kinds[depth] = OBJECT;
          counts[depth] = 0;
          escaped[depth] = 0;
          sets[depth] = null;
          state = EXPECT_NAME;
        } else {
          kinds[depth] = ARRAY;
          indexes[depth] = 0;
          state = EXPECT_VALUE;
        }
        // An empty container closes at once.
        let next = bytes[i];
        while (next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09) next = bytes[++i];
        if (next === (c === 0x7b ? 0x7d : 0x5d)) {
          i++;
          depth--;
          state = AFTER_VALUE;
        }
        continue;
      }
      let end: number;
      if (c === 0x22) end = scanString(i);
      else if (c === 0x2d || isDigit(c)) end = scanNumber(i);
      else if (c === 0x74) end = literal(i, TRUE);
      else if (c === 0x66) end = literal(i, FALSE);
      else if (c === 0x6e) end = literal(i, NULL);
      else end = failure('INVALID_JSON', i);
      if (end < 0) return depth;
      i = end;
      state = AFTER_VALUE;
      continue;
    }
    if (state === AFTER_VALUE) {
      if (depth === 0) {
        if (i === n) return -1;
        failure('INVALID_JSON', i);
        return depth;
      }
      if (c === 0x2c) {
        i++;
        if (kinds[depth] === ARRAY) {
          indexes[depth]!++;
          state = EXPECT_VALUE;
        } else {
          state = EXPECT_NAME;
        }
        continue;
      }
      if (c === (kinds[depth] === OBJECT ? 0x7d : 0x5d)) {
        i++;
        depth--;
        continue;
      }
      failure('INVALID_JSON', i);
      return depth;
    }
    // EXPECT_NAME
    if (c !== 0x22) {
      failure('INVALID_JSON', i);
      return depth;
    }
    const end = scanString(i);
    if (end < 0) return depth;
    // Unescaped names are equal exactly when their bytes are (UTF-8 is checked, so one encoding
    // per character); only escapes need decoding, and large objects use a Set.
    const count = counts[depth]!;
    const nameStarts = starts[depth]!;
    const nameEnds = ends[depth]!;
    let set = sets[depth] ?? null;
    if (sawEscape) escaped[depth] = 1;
    if (set === null && (escaped[depth] === 1 || count >= SET_THRESHOLD)) {
      set = new Set();
      for (let k = 0; k < count; k++) set.add(decodeName(nameStarts[k]!, nameEnds[k]!));
      sets[depth] = set;
    }
    let duplicate = false;
    if (set !== null) {
      const name = decodeName(i, end);
      duplicate = set.has(name);
      set.add(name);
    } else {
      const length = end - i;
      for (let k = 0; k < count && !duplicate; k++) {
        const other = nameStarts[k]!;
        duplicate = nameEnds[k]! - other === length && sameBytes(other, i, length);
      }
    }
    nameStarts[count] = i;
    nameEnds[count] = end;
    counts[depth] = count + 1;
    if (end - i - 2 > I_JSON_MAX_NAME_BYTES) {
      failure('MEMBER_NAME_TOO_LONG', i);
      return depth;
    }
    if (duplicate) {
      failure('DUPLICATE_MEMBER', i);
      return depth;
    }
    i = end;
    c = bytes[i];
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = bytes[++i];
    if (c !== 0x3a) {
      failure('INVALID_JSON', i);
      return depth;
    }
    i++;
    state = EXPECT_VALUE;
  }
}

/** The JSON path of the position where the check stopped, at `depth`. */
function pathAt(stack: Stack, depth: number): string {
  let path = '$';
  for (let d = 1; d <= depth; d++) {
    if (stack.kinds[d] === ARRAY) path += `[${stack.indexes[d]}]`;
    else {
      const count = stack.counts[d]!;
      if (count === 0) continue;
      const name = decodeName(stack.starts[d]![count - 1]!, stack.ends[d]![count - 1]!);
      path += PRINTABLE_NAME.test(name) ? `.${name}` : `.<member ${count}>`;
    }
  }
  return path;
}

/**
 * Scans the string whose opening quote is at `start`: the offset after its closing quote, or -1
 * (see {@link failure}). Sets {@link sawEscape}.
 */
function scanString(start: number): number {
  const bytes = src;
  const n = len;
  let j = start + 1;
  sawEscape = false;
  while (j < n) {
    const c = bytes[j]!;
    if (c === 0x22) return j + 1;
    if (c >= 0x20 && c < 0x80 && c !== 0x5c) {
      j++;
      continue;
    }
    if (c === 0x5c) {
      sawEscape = true;
      const e = bytes[j + 1];
      if (e === 0x75) {
        const unit = readHex4(j + 2);
        if (unit < 0) return failure('INVALID_JSON', j);
        if (unit >= 0xdc00 && unit <= 0xdfff) return failure('LONE_SURROGATE', j);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          const escaped = bytes[j + 6] === 0x5c && bytes[j + 7] === 0x75;
          const low = escaped ? readHex4(j + 8) : -1;
          if (escaped && low < 0) return failure('INVALID_JSON', j + 6);
          if (low < 0xdc00 || low > 0xdfff) return failure('LONE_SURROGATE', j);
          j += 12;
        } else {
          j += 6;
        }
        continue;
      }
      if (
        e === 0x22 ||
        e === 0x5c ||
        e === 0x2f ||
        e === 0x62 ||
        e === 0x66 ||
        e === 0x6e ||
        e === 0x72 ||
        e === 0x74
      ) {
        j += 2;
        continue;
      }
      return failure('INVALID_JSON', j);
    }
    if (c < 0x20) return failure('INVALID_JSON', j);
    // Well-formed UTF-8 (Unicode table 3-7): no overlong forms, no surrogates, <= U+10FFFF.
    const c1 = bytes[j + 1] ?? 0;
    if (c >= 0xc2 && c <= 0xdf) {
      if ((c1 & 0xc0) !== 0x80) return failure('INVALID_UTF8', j);
      j += 2;
      continue;
    }
    const c2 = bytes[j + 2] ?? 0;
    if (c >= 0xe0 && c <= 0xef) {
      const lo = c === 0xe0 ? 0xa0 : 0x80;
      const hi = c === 0xed ? 0x9f : 0xbf;
      if (c1 < lo || c1 > hi || (c2 & 0xc0) !== 0x80) return failure('INVALID_UTF8', j);
      j += 3;
      continue;
    }
    const c3 = bytes[j + 3] ?? 0;
    if (c >= 0xf0 && c <= 0xf4) {
      const lo = c === 0xf0 ? 0x90 : 0x80;
      const hi = c === 0xf4 ? 0x8f : 0xbf;
      if (c1 < lo || c1 > hi || (c2 & 0xc0) !== 0x80 || (c3 & 0xc0) !== 0x80) {
        return failure('INVALID_UTF8', j);
      }
      j += 4;
      continue;
    }
    return failure('INVALID_UTF8', j);
  }
  return failure('INVALID_JSON', n);
}

/** The code unit of the 4 hex digits at `at`, or -1. */
function readHex4(at: number): number {
  const bytes = src;
  if (at + 4 > len) return -1;
  const a = bytes[at]!;
  const b = bytes[at + 1]!;
  const c = bytes[at + 2]!;
  const d = bytes[at + 3]!;
  if (!isHex(a) || !isHex(b) || !isHex(c) || !isHex(d)) return -1;
  return (hexValue(a) << 12) | (hexValue(b) << 8) | (hexValue(c) << 4) | hexValue(d);
}

/** Scans the number starting at `start`: the offset after it, or -1 (see {@link failure}). */
function scanNumber(start: number): number {
  const bytes = src;
  let j = start;
  if (bytes[j] === 0x2d) j++;
  const intStart = j;
  let nonZero = false;
  const c = bytes[j];
  if (c === 0x30) {
    j++;
  } else if (c !== undefined && c >= 0x31 && c <= 0x39) {
    nonZero = true;
    j++;
    while (isDigit(bytes[j])) j++;
  } else {
    return failure('INVALID_JSON', j);
  }
  const intDigits = j - intStart;
  let integer = true;
  if (bytes[j] === 0x2e) {
    integer = false;
    j++;
    const fracStart = j;
    while (isDigit(bytes[j])) {
      if (bytes[j] !== 0x30) nonZero = true;
      j++;
    }
    if (j === fracStart) return failure('INVALID_JSON', j);
  }
  let exponent = false;
  if (bytes[j] === 0x65 || bytes[j] === 0x45) {
    integer = false;
    exponent = true;
    j++;
    if (bytes[j] === 0x2b || bytes[j] === 0x2d) j++;
    const expStart = j;
    while (isDigit(bytes[j])) j++;
    if (j === expStart) return failure('INVALID_JSON', j);
  }
  if (j - start > I_JSON_MAX_NUMBER_LENGTH) return failure('NUMBER_OUT_OF_RANGE', start);
  if (integer) {
    // Java and Python read an integer literal exactly; Node rounds it beyond 2^53.
    if (intDigits > 16) return failure('NUMBER_OUT_OF_RANGE', start);
    if (intDigits === 16) {
      for (let k = 0; k < 16; k++) {
        const digit = bytes[intStart + k]!;
        const max = MAX_SAFE_DIGITS[k]!;
        if (digit < max) break;
        if (digit > max) return failure('NUMBER_OUT_OF_RANGE', start);
      }
    }
  } else if (exponent) {
    // Only an exponent can overflow to Infinity or round a non-zero value to 0 (the literal is
    // at most I_JSON_MAX_NUMBER_LENGTH long); this is the rare path.
    let text = '';
    for (let k = start; k < j; k++) text += String.fromCharCode(bytes[k]!);
    const value = Number(text);
    if (!Number.isFinite(value) || (value === 0 && nonZero)) {
      return failure('NUMBER_OUT_OF_RANGE', start);
    }
  }
  return j;
}

/** True when the `length` bytes at `a` and at `b` are the same. */
function sameBytes(a: number, b: number, length: number): boolean {
  const bytes = src;
  for (let k = 0; k < length; k++) if (bytes[a + k] !== bytes[b + k]) return false;
  return true;
}

/** The decoded text of the (already checked) JSON string at [start, end), quotes included. */
function decodeName(start: number, end: number): string {
  const bytes = src;
  let name = '';
  for (let k = start + 1; k < end - 1; k++) {
    const c = bytes[k]!;
    // Rare: escapes or non-ASCII; the string is known to be valid JSON and UTF-8.
    if (c === 0x5c || c >= 0x80) {
      return JSON.parse(
        Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString(),
      );
    }
    name += String.fromCharCode(c);
  }
  return name;
}

const TRUE = [0x74, 0x72, 0x75, 0x65];
const FALSE = [0x66, 0x61, 0x6c, 0x73, 0x65];
const NULL = [0x6e, 0x75, 0x6c, 0x6c];

/** The offset after `word` at `at`, or -1 (see {@link failure}). */
function literal(at: number, word: number[]): number {
  for (let k = 0; k < word.length; k++) {
    if (src[at + k] !== word[k]) return failure('INVALID_JSON', at + k);
  }
  return at + word.length;
}
