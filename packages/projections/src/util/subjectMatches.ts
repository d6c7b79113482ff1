/**
 * Whether a NATS subject matches a filter with `*` (one token) and `>` (one or more trailing
 * tokens) wildcards. Used where a reader reads a whole stream and filters in the client (2.9
 * consumers take one filter subject only).
 */
export function subjectMatches(filter: string, subject: string): boolean {
  const f = filter.split('.');
  const s = subject.split('.');
  for (let i = 0; i < f.length; i++) {
    const t = f[i];
    if (t === '>') return s.length > i;
    if (i >= s.length) return false;
    if (t !== '*' && t !== s[i]) return false;
  }
  return f.length === s.length;
}

/** Whether `subject` matches any of `filters`. */
export function subjectMatchesAny(filters: readonly string[], subject: string): boolean {
  return filters.some((f) => subjectMatches(f, subject));
}
