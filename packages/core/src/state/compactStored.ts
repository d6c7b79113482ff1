/**
 * A strategy's stored form without the copy of the value it shares with the user-visible value
 * beside it (in a `StateChanged` event and a KV entry), so a value is carried once: an `lww`
 * register, or a `vclock` register with one version, whose value is that very value. Others (an
 * Automerge document, concurrent versions) are kept whole. `expandStored` puts the value back.
 */
export function compactStored(value: unknown, stored: unknown): unknown {
  if (typeof stored !== 'object' || stored === null || value === null || value === undefined) return stored;
  const s = stored as { s?: unknown; value?: unknown; siblings?: unknown };
  if (s.s === 'lww' && s.value === value) {
    const { value: _shared, ...rest } = s;
    return { ...rest, valueIsShared: true };
  }
  if (s.s === 'vclock' && Array.isArray(s.siblings) && s.siblings.length === 1 && (s.siblings[0] as { value?: unknown }).value === value) {
    const { value: _shared, ...sibling } = s.siblings[0] as Record<string, unknown>;
    return { ...s, siblings: [{ ...sibling, valueIsShared: true }] };
  }
  return stored;
}

/** Undoes {@link compactStored}: the stored form with the shared value in place again. */
export function expandStored(value: unknown, stored: unknown): unknown {
  if (typeof stored !== 'object' || stored === null) return stored;
  const s = stored as { s?: unknown; valueIsShared?: unknown; siblings?: unknown };
  if (s.s === 'lww' && s.valueIsShared === true) {
    // On every KV read: a plain copy loop, cheaper than an object rest pattern.
    const out: Record<string, unknown> = {};
    for (const k in s) if (k !== 'valueIsShared') out[k] = (s as Record<string, unknown>)[k];
    out.value = value;
    return out;
  }
  if (s.s === 'vclock' && Array.isArray(s.siblings) && s.siblings.length === 1 && (s.siblings[0] as { valueIsShared?: unknown }).valueIsShared === true) {
    const { valueIsShared: _flag, ...sibling } = s.siblings[0] as Record<string, unknown>;
    return { ...s, siblings: [{ ...sibling, value }] };
  }
  return stored;
}
