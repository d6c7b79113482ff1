import { readFile } from 'node:fs/promises';
import { msError } from '../errors/MisterSmithError.js';

/**
 * The first fenced code block after `<!-- marker -->` in a Markdown file: how a README's example
 * is run as a test from the README's own text, so the two cannot drift apart.
 *
 * @example
 * const code = await readMarkedCodeBlock('README.md', 'quick-start:library');
 */
export async function readMarkedCodeBlock(path: string, marker: string): Promise<string> {
  const text = await readFile(path, 'utf8');
  const at = text.indexOf(`<!-- ${marker} -->`);
  if (at < 0) throw msError('NOT_FOUND', `no <!-- ${marker} --> in ${path}`);
  const match = /```[a-z]*\n([\s\S]*?)```/.exec(text.slice(at));
  if (!match?.[1]) throw msError('NOT_FOUND', `no code block after <!-- ${marker} --> in ${path}`);
  return match[1];
}
