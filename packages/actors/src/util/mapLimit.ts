/**
 * Runs `fn` over `items` with at most `limit` calls in flight; resolves with the results in
 * order, or rejects with the first error once the calls already started have settled.
 */
export async function mapLimit<T, R>(items: Iterable<T>, limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const list = [...items];
  const out = new Array<R>(list.length);
  let next = 0;
  let failed = false;
  let firstError: unknown;
  const worker = async () => {
    while (!failed && next < list.length) {
      const i = next++;
      try {
        out[i] = await fn(list[i] as T, i);
      } catch (e) {
        if (!failed) { failed = true; firstError = e; }
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, list.length)) }, worker));
  if (failed) throw firstError;
  return out;
}
