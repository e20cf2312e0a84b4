/** A vector selector of a PromQL expression: the metric it names and the labels it matches on. */
export interface PromqlSelector {
  metric: string;
  labels: string[];
}

/** Aggregation operators: an identifier followed by `by`/`without` is not a metric either. */
const AGGREGATORS = new Set([
  'sum',
  'min',
  'max',
  'avg',
  'group',
  'stddev',
  'stdvar',
  'count',
  'count_values',
  'bottomk',
  'topk',
  'quantile',
  'limitk',
  'limit_ratio',
]);
/** Keywords followed by a parenthesised list of label names. */
const LABEL_LISTS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'atan2',
  'inf',
  'nan',
  'Inf',
  'NaN',
]);

const isIdentifierStart = (c: string) => /[a-zA-Z_:]/.test(c);
const isIdentifierPart = (c: string) => /[a-zA-Z0-9_:]/.test(c);

/** Index just past the string literal starting at `start` (", ' or `). */
function skipString(expr: string, start: number): number {
  const quote = expr[start];
  let i = start + 1;
  while (i < expr.length && expr[i] !== quote) i += quote !== '`' && expr[i] === '\\' ? 2 : 1;
  return i + 1;
}

/** Index just past the bracket group starting at `start`, strings inside skipped. */
function skipGroup(expr: string, start: number, close: string): number {
  let i = start + 1;
  while (i < expr.length && expr[i] !== close) {
    const c = expr[i] as string;
    i = c === '"' || c === "'" || c === '`' ? skipString(expr, i) : i + 1;
  }
  return i + 1;
}

/** The label names of the matchers between `{` and `}` (`route="/x", status=~"5.."`). */
function matcherLabels(body: string): string[] {
  const labels: string[] = [];
  let i = 0;
  while (i < body.length) {
    const c = body[i] as string;
    if (c === '"' || c === "'" || c === '`') i = skipString(body, i);
    else if (isIdentifierStart(c)) {
      let end = i + 1;
      while (end < body.length && isIdentifierPart(body[end] as string)) end++;
      labels.push(body.slice(i, end));
      i = end;
    } else i++;
  }
  return labels;
}

/**
 * The vector selectors of a PromQL expression (also a Grafana one: `$variables` are skipped),
 * found by a small tokenizer: identifiers that are not functions, aggregations, keywords or
 * label lists. Enough for the rules and the dashboard of this repository, not a full parser.
 */
export function promqlSelectors(expr: string): PromqlSelector[] {
  const selectors: PromqlSelector[] = [];
  let i = 0;
  const nextNonSpace = (from: number) => {
    let j = from;
    while (j < expr.length && /\s/.test(expr[j] as string)) j++;
    return j;
  };
  while (i < expr.length) {
    const c = expr[i] as string;
    if (c === '"' || c === "'" || c === '`') {
      i = skipString(expr, i);
    } else if (c === '#') {
      while (i < expr.length && expr[i] !== '\n') i++;
    } else if (c === '[') {
      i = skipGroup(expr, i, ']');
    } else if (c === '{') {
      // A selector without a metric name ({__name__=...}): none here.
      i = skipGroup(expr, i, '}');
    } else if (c === '$') {
      i++;
      if (expr[i] === '{') i = skipGroup(expr, i, '}');
      else while (i < expr.length && isIdentifierPart(expr[i] as string)) i++;
    } else if (/[0-9.]/.test(c)) {
      // Numbers and durations (5m, 1e3, 0.99).
      while (i < expr.length && /[0-9a-zA-Z.]/.test(expr[i] as string)) i++;
    } else if (isIdentifierStart(c)) {
      let end = i + 1;
      while (end < expr.length && isIdentifierPart(expr[end] as string)) end++;
      const word = expr.slice(i, end);
      const next = nextNonSpace(end);
      if (LABEL_LISTS.has(word)) {
        i = expr[next] === '(' ? skipGroup(expr, next, ')') : end;
      } else if (expr[next] === '(' || AGGREGATORS.has(word) || KEYWORDS.has(word)) {
        i = end;
      } else if (expr[next] === '{') {
        const close = skipGroup(expr, next, '}');
        selectors.push({ metric: word, labels: matcherLabels(expr.slice(next + 1, close - 1)) });
        i = close;
      } else {
        selectors.push({ metric: word, labels: [] });
        i = end;
      }
    } else {
      i++;
    }
  }
  return selectors;
}
