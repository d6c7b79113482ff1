import { MisterSmithError } from '@mister-smith/core';
import { CliError } from './CliError.js';

/** Collapses whitespace and newlines so an error always prints as one line. */
function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/**
 * The one line the CLI prints on stderr for a failed command: `mister-smith: CODE: message` for
 * typed errors, `mister-smith: message` for anything else. Never a stack trace (set
 * `MISTER_SMITH_DEBUG=1` to get one from `bin.ts`).
 */
export function formatError(e: unknown): string {
  if (MisterSmithError.is(e) || CliError.is(e)) return `mister-smith: ${e.code}: ${oneLine(e.message)}`;
  const message = e instanceof Error ? e.message : String(e);
  return `mister-smith: ${oneLine(message)}`;
}

/** The exit status for a failed command: the CliError's own, else 1. */
export function exitCodeOf(e: unknown): number {
  return CliError.is(e) ? e.exitCode : 1;
}
