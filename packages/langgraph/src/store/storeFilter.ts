/**
 * Translates a store `filter` into SQL conditions on the jsonb `value` column, with upstream's
 * semantics: a plain value compares as text (`value ->> key = 'v'`), an object without operators
 * is a containment match, and `$eq $ne $gt $gte $lt $lte $in $nin $exists` compare one field.
 * Parameters are appended to `params`; keys are always parameters, never spliced.
 */
export function filterConditions(filter: Readonly<Record<string, unknown>>, params: unknown[]): string[] {
  const out: string[] = [];
  const p = (v: unknown) => { params.push(v); return `$${params.length}`; };
  for (const [key, value] of Object.entries(filter)) {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      const ops = Object.entries(value as Record<string, unknown>);
      if (!ops.some(([op]) => op.startsWith('$'))) { out.push(`value @> ${p(JSON.stringify({ [key]: value }))}::jsonb`); continue; }
      for (const [op, v] of ops) {
        if (op === '$exists') { out.push(v ? `value ? ${p(key)}` : `NOT (value ? ${p(key)})`); continue; }
        const field = `value ->> ${p(key)}`;
        switch (op) {
          case '$eq': out.push(`${field} = ${p(String(v))}`); break;
          case '$ne': out.push(`${field} IS DISTINCT FROM ${p(String(v))}`); break;
          case '$gt': out.push(`(${field})::numeric > ${p(Number(v))}`); break;
          case '$gte': out.push(`(${field})::numeric >= ${p(Number(v))}`); break;
          case '$lt': out.push(`(${field})::numeric < ${p(Number(v))}`); break;
          case '$lte': out.push(`(${field})::numeric <= ${p(Number(v))}`); break;
          case '$in': out.push(Array.isArray(v) && v.length > 0 ? `${field} = ANY(${p(v.map(String))}::text[])` : 'false'); break;
          case '$nin': out.push(Array.isArray(v) && v.length > 0 ? `(${field} IS NULL OR ${field} <> ALL(${p(v.map(String))}::text[]))` : 'true'); break;
          default: out.push('false');
        }
      }
    } else if (Array.isArray(value)) {
      out.push(`value @> ${p(JSON.stringify({ [key]: value }))}::jsonb`);
    } else {
      out.push(`value ->> ${p(key)} = ${p(String(value))}`);
    }
  }
  return out;
}
