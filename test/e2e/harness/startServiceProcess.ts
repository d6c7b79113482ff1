import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';

/** A service (bridge, supervisor, projector) running as a child process, for kill -9 scenarios. */
export interface ServiceProcess extends AsyncDisposable {
  readonly name: string;
  readonly pid: number;
  /** True until the process has exited. */
  alive(): boolean;
  /** The last lines it printed (stdout and stderr), for failure messages. */
  tail(): string;
  /** SIGKILL, then waits for the exit. */
  kill(): Promise<void>;
  /** SIGTERM, SIGKILL after `graceMs` (default 10 s); resolves with the exit code (null when killed). */
  stop(graceMs?: number): Promise<number | null>;
  readonly exited: Promise<number | null>;
}

const children = new Set<ChildProcess>();
let hooked = false;

/**
 * Starts `node <script>` with `env` added to this process's environment and resolves once it prints
 * a line containing `readyMarker` (bounded by `readyTimeoutMs`). Children left running when the
 * test process exits are killed with SIGKILL; `MS_PARENT_PID` lets a child script also exit on its
 * own when the test process is gone (see bridgeChild.mjs).
 */
export async function startServiceProcess(options: {
  name: string;
  script: string;
  env: Record<string, string>;
  readyMarker: string;
  readyTimeoutMs?: number;
}): Promise<ServiceProcess> {
  if (!hooked) {
    hooked = true;
    process.once('exit', () => { for (const c of children) c.kill('SIGKILL'); });
  }
  const child = spawn(process.execPath, [options.script], { env: { ...process.env, ...options.env, MS_PARENT_PID: String(process.pid) }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  const lines: string[] = [];
  const note = (l: string) => { lines.push(l); if (lines.length > 40) lines.shift(); };
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => { children.delete(child); r(code); }));
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} did not print ${options.readyMarker} within ${options.readyTimeoutMs ?? 20_000} ms:\n${lines.join('\n')}`)), options.readyTimeoutMs ?? 20_000);
    void exited.then((code) => { clearTimeout(timer); reject(new Error(`${options.name} exited with ${code} before it was ready:\n${lines.join('\n')}`)); });
    createInterface({ input: child.stdout! }).on('line', (l) => {
      note(l);
      if (l.includes(options.readyMarker)) { clearTimeout(timer); resolve(); }
    });
    createInterface({ input: child.stderr! }).on('line', note);
  });
  try {
    await ready;
  } catch (e) {
    child.kill('SIGKILL');
    await exited;
    throw e;
  }
  const kill = async () => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); await exited; };
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const t = setTimeout(() => child.kill('SIGKILL'), graceMs);
    const code = await exited;
    clearTimeout(t);
    return code;
  };
  return { name: options.name, pid: child.pid ?? -1, alive: () => child.exitCode === null && child.signalCode === null, tail: () => lines.join('\n'), kill, stop, exited, [Symbol.asyncDispose]: async () => { await stop(); } };
}
