/**
 * Runs `fn` over `items` with at most `limit` calls in flight; resolves with the results in
 * order, or rejects with the first error once the calls already started have settled (no new
 * call starts after a failure). The one bounded-concurrency map of the project.
 *
 * @example
 * const values = await mapLimit(agentIds, 16, (id) => store.readAll(id));
 */
export async function mapLimit<T, R>(items: Iterable<T>, limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const list = Array.isArray(items) ? (items as readonly T[]) : [...items];
  const out = new Array<R>(list.length);
  let next = 0;
  let failure: { e: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < list.length) {
      const i = next++;
      try {
        out[i] = await fn(list[i] as T, i);
      } catch (e) {
        failure ??= { e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, list.length)) }, worker));
  if (failure) throw failure.e;
  return out;
}
