import { CrdtError } from './CrdtError.js';

/** A value that survives `JSON.stringify` / `JSON.parse` unchanged. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** Whether `value` is a plain object (`{}` literal or `Object.create(null)`), not an array or class instance. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Validate that `value` is JSON data and return a deeply frozen copy of it.
 *
 * Stored values must round-trip through JSON byte for byte, so `undefined`, functions, bigints,
 * non-finite numbers, class instances (Date, Map, ...) and cycles are refused rather than
 * silently dropped or converted by `JSON.stringify`.
 *
 * @throws CrdtError `INVALID_ARGUMENT` with `details.path` pointing at the offending value.
 */
export function toJsonValue(value: unknown, path = '$'): JsonValue {
  return copy(value, path, new Set());
}

function copy(value: unknown, path: string, ancestors: Set<object>): JsonValue {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') {
    // JSON has no -0: store what a round trip through JSON gives, so replicas compare equal.
    if (Number.isFinite(value)) return Object.is(value, -0) ? 0 : value;
    throw invalid(path, 'a non-finite number');
  }
  if (typeof value !== 'object') throw invalid(path, typeof value);
  if (ancestors.has(value)) throw invalid(path, 'a cycle');
  ancestors.add(value);
  try {
    if (Array.isArray(value)) {
      return Object.freeze(value.map((item: unknown, i) => copy(item, `${path}[${i}]`, ancestors)));
    }
    if (!isPlainObject(value)) throw invalid(path, 'a class instance');
    const out: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      // defineProperty, not assignment: a "__proto__" key from JSON.parse is data, not the prototype.
      Object.defineProperty(out, key, { value: copy(item, `${path}.${key}`, ancestors), enumerable: true, writable: true, configurable: true });
    }
    return Object.freeze(out);
  } finally {
    ancestors.delete(value);
  }
}

function invalid(path: string, what: string): CrdtError {
  return new CrdtError('INVALID_ARGUMENT', `Value at ${path} is ${what}, which is not JSON data`, {
    details: { path },
  });
}

/**
 * Serialise JSON data with object keys sorted, so structurally equal values give equal strings.
 * Used to order and deduplicate values deterministically.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    const body = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`)
      .join(',');
    return `{${body}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Compare two strings by UTF-16 code units (the order of `<`), independent of locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
