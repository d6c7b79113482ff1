import { canonicalJson, isPlainObject } from './jsonValue.js';

/**
 * Turn an Automerge map draft into `target` with as few operations as possible: unchanged
 * fields are left alone, nested maps and lists are edited in place rather than replaced, so
 * concurrent edits to other parts of the document survive a merge.
 */
export function replaceDraft(draft: Record<string, unknown>, target: Record<string, unknown>): void {
  for (const key of Object.keys(draft)) {
    if (!Object.hasOwn(target, key)) delete draft[key];
  }
  for (const [key, value] of Object.entries(target)) {
    const current = draft[key];
    if (current === undefined) draft[key] = value;
    else updateSlot(draft, key, current, value);
  }
}

function updateSlot(container: Record<string | number, unknown>, key: string | number, current: unknown, value: unknown): void {
  if (isPlainObject(value) && isPlainObject(current)) replaceDraft(current, value);
  else if (Array.isArray(value) && Array.isArray(current)) replaceList(current, value);
  else if (!sameScalar(current, value)) container[key] = value;
}

function replaceList(draft: unknown[], target: readonly unknown[]): void {
  // Keep the common prefix and suffix, edit the middle: an insert or delete in the middle of a
  // list becomes one insert or delete, not a rewrite of every following element.
  const shorter = Math.min(draft.length, target.length);
  let start = 0;
  while (start < shorter && deepEqual(draft[start], target[start])) start++;
  let draftEnd = draft.length;
  let targetEnd = target.length;
  while (draftEnd > start && targetEnd > start && deepEqual(draft[draftEnd - 1], target[targetEnd - 1])) {
    draftEnd--;
    targetEnd--;
  }
  const common = Math.min(draftEnd - start, targetEnd - start);
  for (let i = start; i < start + common; i++) {
    updateSlot(draft as unknown as Record<number, unknown>, i, draft[i], target[i]);
  }
  const at = start + common;
  if (draftEnd - start > common) draft.splice(at, draftEnd - at);
  else if (targetEnd - start > common) draft.splice(at, 0, ...target.slice(at, targetEnd));
}

function sameScalar(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (sameScalar(a, b)) return true;
  const structured = (v: unknown): boolean => Array.isArray(v) || isPlainObject(v);
  return structured(a) && structured(b) && canonicalJson(a) === canonicalJson(b);
}
