/** Command-line options of `pnpm bench`. */
export interface BenchArgs {
  readonly quick: boolean;
  readonly only?: string;
  /** Where the JSON results go. */
  readonly out?: string;
  readonly help: boolean;
}

/** The usage text of `pnpm bench`. */
export const BENCH_USAGE = `usage: pnpm bench [--quick] [--only <section>] [--out <file>]
  --quick           small N and short windows: a smoke run (env BENCH_QUICK=1)
  --only <section>  run one section (env BENCH_ONLY)
  --out <file>      JSON results (env BENCH_OUT; default bench-results.json at the repo root)
  servers: MS_TEST_NATS_URL (default nats://127.0.0.1:4222), MS_TEST_ADMIN_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)`;

/**
 * Reads `--quick`, `--only <section>` / `--only=<section>`, `--out <file>` and `--help`, with
 * `BENCH_QUICK`, `BENCH_ONLY` and `BENCH_OUT` as defaults. Unknown arguments are an error.
 */
export function parseBenchArgs(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchArgs {
  let quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  let only = env.BENCH_ONLY || undefined;
  let out = env.BENCH_OUT || undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    const value = () => {
      const v = inline ?? argv[++i];
      if (v === undefined || v === '') throw new Error(`${flag} needs a value\n${BENCH_USAGE}`);
      return v;
    };
    if (flag === '--') continue;
    else if (flag === '--quick') quick = true;
    else if (flag === '--only') only = value();
    else if (flag === '--out') out = value();
    else if (flag === '--help' || flag === '-h') help = true;
    else throw new Error(`unknown argument ${JSON.stringify(a)}\n${BENCH_USAGE}`);
  }
  return { quick, help, ...(only !== undefined ? { only } : {}), ...(out !== undefined ? { out } : {}) };
}
