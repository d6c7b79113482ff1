import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** A projection runner in a child process (see `projectionWorker.ts`). */
export interface ProjectionWorker {
  readonly child: ChildProcess;
  /** Resolves once the worker reported `n` more commits than before the call. */
  commits(n: number, timeoutMs?: number): Promise<void>;
  /** SIGKILL, then wait for the exit. */
  kill(): Promise<void>;
  /** What the worker wrote to stderr (for failure messages). */
  stderr(): string;
}

/** Starts `projectionWorker` in a child process against a test env's `childEnv()` (from source: no build needed). */
export function spawnProjectionWorker(env: Record<string, string>, extra: Record<string, string>): ProjectionWorker {
  // From source (tests), run the TypeScript worker through the transpiling loader; from dist, the built one.
  const fromSource = import.meta.url.endsWith('.ts');
  const script = fileURLToPath(new URL(fromSource ? './projectionWorker.ts' : './projectionWorker.js', import.meta.url));
  const args = fromSource ? ['--conditions=source', '--import', new URL('./registerTsLoader.mjs', import.meta.url).href, script] : [script];
  const child = spawn(process.execPath, args, {
    env: { ...process.env, ...env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let commits = 0;
  let err = '';
  let waiters: { at: number; resolve: () => void }[] = [];
  let buffered = '';
  const lines: string[] = [];
  child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    let nl;
    while ((nl = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      if (line.includes('"commit"')) commits++;
    }
    waiters = waiters.filter((w) => (w.at <= commits ? (w.resolve(), false) : true));
  });
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => { err += chunk; });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    commits(n, timeoutMs = 30_000) {
      const at = commits + n;
      return new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`worker made fewer than ${n} commits in ${timeoutMs} ms (${commits} so far); stderr: ${err}; stdout tail: ${lines.slice(-5).join(' | ')}`)), timeoutMs);
        const done = () => { clearTimeout(t); resolve(); };
        void exited.then(() => { clearTimeout(t); reject(new Error(`worker exited; stderr: ${err}`)); });
        if (commits >= at) done();
        else waiters.push({ at, resolve: done });
      });
    },
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    stderr: () => err,
  };
}
