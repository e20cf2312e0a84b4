/**
 * Deepest nesting the runtime folds and stores. NovaMed's payloads nest three levels (an
 * address in `data`); the runtime's own steps (`JSON.stringify`, `structuredClone`, Postgres'
 * jsonb parser) recurse per level and overflow somewhere in the thousands, so a message
 * deeper than this is rejected before any of them sees it.
 */
export const MAX_JSON_DEPTH = 256;

/**
 * True when the JSON text nests arrays/objects deeper than `limit`. A single pass over the
 * characters (strings and escapes skipped), no recursion and no parsing, so it is safe on
 * any input and stops at the first level over the limit.
 */
export function exceedsJsonDepth(text: string, limit = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > limit) return true;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return false;
}
