/**
 * Redis's glob patterns (KEYS, PSUBSCRIBE, CONFIG GET): `*` any run of
 * characters, `?` one character, `[abc]` `[^abc]` `[a-z]` a class, and `\`
 * to take the next character literally.
 *
 * Matched with one backtracking point (the last `*`), so a hostile pattern
 * such as `*a*a*a*a*b` costs at most pattern × text steps, never exponential.
 */
export function globMatch(pattern: string, text: string): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < text.length) {
    if (p < pattern.length) {
      const c = pattern.charCodeAt(p);
      if (c === 42 /* * */) {
        while (pattern.charCodeAt(p) === 42) p++;
        if (p === pattern.length) return true;
        starP = p;
        starT = t;
        continue;
      }
      const next = matchOne(pattern, p, text.charCodeAt(t));
      if (next >= 0) {
        p = next;
        t++;
        continue;
      }
    }
    if (starP < 0) return false;
    p = starP;
    t = ++starT;
  }
  while (pattern.charCodeAt(p) === 42) p++;
  return p === pattern.length;
}

/** If the pattern element at `p` matches `ch`, where the next element starts; otherwise -1. */
function matchOne(pattern: string, p: number, ch: number): number {
  const c = pattern.charCodeAt(p);
  if (c === 63 /* ? */) return p + 1;
  if (c === 92 /* \ */ && p + 1 < pattern.length) return pattern.charCodeAt(p + 1) === ch ? p + 2 : -1;
  if (c !== 91 /* [ */) return c === ch ? p + 1 : -1;
  let i = p + 1;
  const negate = pattern.charCodeAt(i) === 94; /* ^ */
  if (negate) i++;
  let matched = false;
  for (; i < pattern.length; i++) {
    const k = pattern.charCodeAt(i);
    if (k === 93 /* ] */) break;
    if (k === 92 && i + 1 < pattern.length) {
      i++;
      if (pattern.charCodeAt(i) === ch) matched = true;
    } else if (i + 2 < pattern.length && pattern.charCodeAt(i + 1) === 45 /* - */ && pattern.charCodeAt(i + 2) !== 93) {
      let low = k;
      let high = pattern.charCodeAt(i + 2);
      if (low > high) [low, high] = [high, low];
      if (ch >= low && ch <= high) matched = true;
      i += 2;
    } else if (k === ch) {
      matched = true;
    }
  }
  // An unclosed class ends at the end of the pattern, as in Redis.
  if (matched === negate) return -1;
  return i < pattern.length ? i + 1 : i;
}
