// Node module hooks that run this repository's TypeScript sources without a build step, for test
// child processes: `node --conditions=source --import <dir>/registerTsLoader.mjs worker.ts`.
// `.js` specifiers inside TypeScript files map to the `.ts` file beside them; `.ts` files are
// transpiled one by one (no type information needed: the sources use `import type`) and cached
// by path and modification time, so later children skip loading the compiler.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cacheDir = join(tmpdir(), 'mister-smith-ts-cache');
let compiler;

export async function resolve(specifier, context, next) {
  if (specifier.endsWith('.js') && (specifier.startsWith('.') || specifier.startsWith('/')) && context.parentURL?.endsWith('.ts')) {
    const url = new URL(specifier.slice(0, -3) + '.ts', context.parentURL);
    if (existsSync(fileURLToPath(url))) return { url: url.href, shortCircuit: true };
  }
  return next(specifier, context);
}

export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  const fileName = fileURLToPath(url);
  const { mtimeMs } = await stat(fileName);
  const cached = join(cacheDir, `${createHash('sha1').update(`${fileName}:${mtimeMs}`).digest('hex')}.js`);
  if (existsSync(cached)) return { format: 'module', source: await readFile(cached, 'utf8'), shortCircuit: true };
  compiler ??= (await import('typescript')).default;
  const out = compiler.transpileModule(await readFile(fileName, 'utf8'), {
    fileName,
    compilerOptions: { module: compiler.ModuleKind.ESNext, target: compiler.ScriptTarget.ES2022, verbatimModuleSyntax: true, inlineSourceMap: true },
  });
  await mkdir(cacheDir, { recursive: true });
  await writeFile(`${cached}.${process.pid}`, out.outputText);
  await rename(`${cached}.${process.pid}`, cached);
  return { format: 'module', source: out.outputText, shortCircuit: true };
}
