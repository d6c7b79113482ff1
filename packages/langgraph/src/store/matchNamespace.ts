import type { MatchCondition } from '@langchain/langgraph-checkpoint';

/** True when `ns` satisfies a prefix or suffix condition (`*` matches any one label). */
export function matchesCondition(ns: readonly string[], condition: MatchCondition): boolean {
  const { path, matchType } = condition;
  if (path.length > ns.length) return false;
  const offset = matchType === 'prefix' ? 0 : ns.length - path.length;
  return path.every((label, i) => label === '*' || ns[offset + i] === label);
}

/**
 * `listNamespaces` over a set of stored namespaces, as the upstream stores answer it: every
 * condition must hold, `maxDepth` truncates (then deduplicates), results are sorted and paged.
 */
export function listMatchingNamespaces(
  namespaces: readonly (readonly string[])[],
  op: { readonly matchConditions?: readonly MatchCondition[] | undefined; readonly maxDepth?: number | undefined; readonly limit?: number | undefined; readonly offset?: number | undefined },
): string[][] {
  let out = namespaces.filter((ns) => (op.matchConditions ?? []).every((c) => matchesCondition(ns, c))).map((ns) => [...ns]);
  if (op.maxDepth !== undefined) {
    const seen = new Map<string, string[]>();
    for (const ns of out) { const cut = ns.slice(0, op.maxDepth); seen.set(JSON.stringify(cut), cut); }
    out = [...seen.values()];
  }
  out.sort((a, b) => (a.join(':') < b.join(':') ? -1 : a.join(':') > b.join(':') ? 1 : 0));
  const offset = op.offset ?? 0;
  return out.slice(offset, op.limit === undefined ? undefined : offset + op.limit);
}
