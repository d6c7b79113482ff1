/** Runs a full GC between measurements when node was started with `--expose-gc` (no-op otherwise). */
export function collectGarbage(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) gc();
}
