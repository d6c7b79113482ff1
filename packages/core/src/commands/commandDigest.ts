import { createHash } from 'node:crypto';
import { canonicalJson } from '@mister-smith/crdt';

/**
 * The digest of a command (name and payload, object keys sorted): a retried command id with
 * another digest is a different command, refused with IDEMPOTENCY_CONFLICT.
 *
 * @example
 * commandDigest('increment', { by: 1 }) === commandDigest('increment', { by: 1 }); // true
 */
export function commandDigest(name: string, payload: unknown): string {
  return createHash('sha256').update(canonicalJson({ name, payload: payload === undefined ? null : payload })).digest('base64url');
}
