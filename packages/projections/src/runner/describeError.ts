import { MisterSmithError } from '@mister-smith/core';

/** A one-line reason for logs, statuses and dead letters: code and message, with the cause's message. */
export function describeError(e: unknown): string {
  if (MisterSmithError.is(e)) {
    const cause = e.cause instanceof Error ? `: ${e.cause.message}` : '';
    return `${e.code}: ${e.message}${cause && !e.message.includes((e.cause as Error).message) ? cause : ''}`;
  }
  if (e instanceof Error) {
    const code = (e as { code?: unknown }).code;
    return `${typeof code === 'string' ? `${code}: ` : ''}${e.message}`;
  }
  return String(e);
}
