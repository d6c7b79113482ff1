/**
 * Whether a NATS subject matches a filter with `*` (one token) and `>` (one or more trailing
 * tokens) wildcards. Used where a reader reads a whole stream and filters in the client (2.9
 * consumers take one filter subject only).
 */
export function subjectMatches(filter: string, subject: string): boolean {
  return subjectMatcher([filter])(subject);
}

/** Whether `subject` matches any of `filters`. */
export function subjectMatchesAny(filters: readonly string[], subject: string): boolean {
  return subjectMatcher(filters)(subject);
}

const compiled = new Map<string, (subject: string) => boolean>();

/** A matcher for `filters`, compiled once (a regular expression per filter list). */
export function subjectMatcher(filters: readonly string[]): (subject: string) => boolean {
  const key = filters.join('\u0000');
  let m = compiled.get(key);
  if (!m) {
    const alternatives = filters.map((f) => f.split('.').map((t) => (t === '*' ? '[^.]+' : t === '>' ? '[^.]+(?:\\.[^.]+)*' : t.replace(/[\\^$+?()[\]{}|]/g, '\\$&'))).join('\\.'));
    const re = new RegExp(`^(?:${alternatives.join('|')})$`);
    m = (subject: string) => re.test(subject);
    compiled.set(key, m);
  }
  return m;
}
