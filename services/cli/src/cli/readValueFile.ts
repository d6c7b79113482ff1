import { readFile } from 'node:fs/promises';
import { msError } from '@mister-smith/core';

/** Reads all of a readable stream (stdin) as text. */
async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * The text of `--file PATH`, or of stdin for `--file -`: a value of any size (the OS refuses
 * command-line arguments of a few MB). One trailing newline is dropped, as editors add one.
 */
export async function readValueFile(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<string> {
  let text: string;
  try {
    text = path === '-' ? await readAll(stdin) : await readFile(path, 'utf8');
  } catch (e) {
    throw msError('INVALID_ARGUMENT', `cannot read ${path === '-' ? 'stdin' : path}: ${(e as Error).message}`, { cause: e });
  }
  return text.replace(/\r?\n$/, '');
}

/** `--file` content parsed as JSON (INVALID_ARGUMENT, naming the file, when it is not JSON). */
export async function readJsonFile(path: string, stdin?: NodeJS.ReadableStream): Promise<unknown> {
  const text = await readValueFile(path, stdin);
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw msError('INVALID_ARGUMENT', `${path === '-' ? 'stdin' : path} is not JSON (${(e as Error).message})`, { cause: e });
  }
}
