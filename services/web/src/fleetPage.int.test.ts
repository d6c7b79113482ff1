/**
 * The fleet page in real headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core)
 * against the built CLI's `up --demo` on this spec's namespace and database. One browser for the
 * whole file. Screenshots of each view go to services/web/screenshots/ (not committed).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startTestEnv } from '@mister-smith/core/testing';
import { sql } from 'kysely';
import { chromium, type Browser, type Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';

const HERE = dirname(fileURLToPath(import.meta.url));
const BIN = resolve(HERE, '../../cli/dist/bin.js');
const SHOTS = resolve(HERE, '../screenshots');
const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-quic', '--no-first-run', '--disable-component-update', '--disable-sync'];

/** `mister-smith <args>` as a child process, its stdout collected line by line. */
function startCli(args: readonly string[], env: Record<string, string>) {
  const clean = { ...process.env };
  for (const k of ['NATS_URL', 'DATABASE_URL', 'MISTER_SMITH_NAMESPACE', 'MISTER_SMITH_PROFILE', 'MISTER_SMITH_DATA_DIR', 'METRICS_PORT', 'LOG_LEVEL', 'FORCE_COLOR', 'MISTER_SMITH_WEB_PORT', 'MISTER_SMITH_WEB_HOST', 'MISTER_SMITH_WEB_TOKEN']) delete clean[k];
  const child: ChildProcess = spawn(process.execPath, [BIN, ...args], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (c: string) => { out += c; });
  child.stderr!.setEncoding('utf8').on('data', (c: string) => { err += c; });
  const exited = new Promise<number | null>((r) => child.once('close', (code) => r(code)));
  return {
    child,
    async waitForLine(re: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        for (const line of out.split('\n')) { const m = re.exec(line); if (m) return m; }
        if (child.exitCode !== null) throw new Error(`mister-smith ${args.join(' ')} exited before printing ${re}:\n${out}\n${err.slice(-2000)}`);
        if (Date.now() > deadline) throw new Error(`no line matching ${re} within ${timeoutMs} ms:\n${out}\n${err.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    /** Waits for it to finish by itself (SIGKILL after 30 s). */
    async exit(): Promise<number | null> {
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      try { return await exited; } finally { clearTimeout(timer); }
    },
    async stop(): Promise<number | null> {
      if (child.exitCode === null) child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
      try { return await exited; } finally { clearTimeout(timer); }
    },
    output: () => out,
  };
}

async function shot(page: Page, name: string): Promise<void> {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

describe('the fleet page in headless Chromium on up --demo', () => {
  it('lists the demo fleet, shows a command\'s change and a passivation live, and a projection rebuild with its progress', async () => {
    expect(existsSync(CHROMIUM), 'install Chromium: apt-get install -y chromium').toBe(true);
    expect(existsSync(BIN), 'build first: npx pnpm@12.4.2 run build').toBe(true);
    await using env = await startTestEnv();
    const data = mkdtempSync(join(tmpdir(), 'ms-web-'));
    const cliEnv = { ...env.childEnv(), MISTER_SMITH_DATA_DIR: data, MISTER_SMITH_WEB_ALLOW_REBUILD: 'true' };
    const up = startCli(['up', '--demo', '--web-port', '0', '--status-interval', '1'], cliEnv);
    let browser: Browser | undefined;
    try {
      const url = (await up.waitForLine(/^web: open (http:\/\/127\.0\.0\.1:\d+\/) to see the fleet live/))[1]!;
      await up.waitForLine(/^up: ready/);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
      const page = await browser.newPage({ viewport: { width: 1280, height: 860 } });
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));

      // The fleet: every demo agent listed (the registry fills in live, no reload), counts and tasks.
      await page.goto(url);
      await expect.poll(() => page.locator('#live').textContent(), { timeout: 15_000 }).toBe('live');
      const demo = ['demo-assistant', 'demo-counter-1', 'demo-counter-2', 'demo-counter-3', 'demo-notes-1', 'demo-notes-2'];
      await expect.poll(async () => (await page.locator('#agents tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-agent')))).sort(), { timeout: 30_000 }).toEqual(demo);
      await expect.poll(async () => Number(await page.locator('#state-cards [data-state="ACTIVE"] .n').textContent()), { timeout: 30_000 }).toBeGreaterThan(0);
      await expect.poll(() => page.locator('#owners tbody tr').count(), { timeout: 30_000 }).toBe(1);
      await expect.poll(() => page.locator('#task-counts [data-status="completed"]').count(), { timeout: 60_000 }).toBe(1);
      await page.fill('#f-q', 'notes');
      await expect.poll(() => page.locator('#agents tbody tr').count()).toBe(2);
      await page.fill('#f-q', '');
      await page.selectOption('#f-type', 'counter');
      await expect.poll(() => page.locator('#agents tbody tr').count()).toBe(3);
      await page.selectOption('#f-type', '');
      // Pending waits and timers (the agent runtime's indexes) show per agent, live.
      await sql`INSERT INTO mister_smith.agent_waits (agent_id, request_id, agent_type) VALUES ('demo-counter-2', 'approve-1', 'counter')`.execute(env.pg.db);
      await sql`INSERT INTO mister_smith.agent_timers (agent_id, timer_id, agent_type, due_at, spec) VALUES ('demo-counter-2', 't1', 'counter', now() + interval '1 hour', '{}'::jsonb)`.execute(env.pg.db);
      await expect.poll(() => page.locator('#agents tr[data-agent="demo-counter-2"] td.pending').textContent(), { timeout: 15_000 }).toBe('1 wait, 1 timer');
      await page.check('#f-pending');
      // demo-counter-2, and the demo's assistant (its interval timer and its pending question).
      await expect.poll(() => page.locator('#agents tbody tr').count()).toBe(2);
      await page.uncheck('#f-pending');
      await sql`DELETE FROM mister_smith.agent_waits WHERE agent_id = 'demo-counter-2'`.execute(env.pg.db);
      await sql`DELETE FROM mister_smith.agent_timers WHERE agent_id = 'demo-counter-2'`.execute(env.pg.db);
      await shot(page, 'fleet-start');

      // One agent: its state with versions, and a command's change within seconds, no reload.
      await page.click('#agents a[href="#/agents/demo-counter-1"]');
      await page.waitForSelector('#agent-state tr[data-key="count"]', { timeout: 15_000 });
      const set = startCli(['agents', 'set', 'demo-counter-1', 'greeting', '"hello from the browser test"'], cliEnv);
      expect(await set.exit()).toBe(0);
      await page.waitForSelector('#agent-state tr[data-key="greeting"] td.value:has-text("hello from the browser test")', { timeout: 10_000 });
      await page.waitForSelector('#timeline li[data-type="StateChanged"]:has-text("greeting")', { timeout: 10_000 });
      await page.click('#timeline li[data-type="StateChanged"]:has-text("greeting")');
      expect(await page.locator('#event-detail').textContent()).toContain('"key": "greeting"');
      await shot(page, 'agent');

      // A passivation in the agent's timeline: ACTIVE -> FLUSHING -> EXPIRED, as it happens.
      await page.goto(`${url}#/agents/demo-notes-1`);
      await page.waitForSelector('#agent-lifecycle', { timeout: 15_000 });
      const stop = startCli(['agents', 'stop', 'demo-notes-1'], cliEnv);
      expect(await stop.exit()).toBe(0);
      await page.waitForSelector('#timeline li[data-to="FLUSHING"]', { timeout: 15_000 });
      await page.waitForSelector('#timeline li[data-to="EXPIRED"]', { timeout: 15_000 });
      await page.click('#timeline li[data-to="EXPIRED"]');
      expect(await page.locator('#event-detail').textContent()).toMatch(/"to": "EXPIRED"/);
      await shot(page, 'agent-passivation');

      // Projections: status, checkpoints, and a rebuild with its progress to the end.
      await page.click('nav a[data-nav="projections"]');
      await page.waitForSelector('#projections tr[data-projection="agent-registry"][data-state="running"]', { timeout: 15_000 });
      expect(await page.locator('#checkpoints tbody tr').count()).toBeGreaterThan(0);
      await page.click('button[data-rebuild="agent-registry"]');
      const status = page.locator('.rebuild-status[data-projection="agent-registry"]');
      await expect.poll(() => status.getAttribute('data-done'), { timeout: 60_000 }).toBe('ok');
      expect(await status.textContent()).toMatch(/rebuilt: \d+ events \(\d+ read/);
      expect(await status.locator('progress').getAttribute('value')).toBe('100');
      await shot(page, 'projections');

      await page.goto(url);
      await expect.poll(() => page.locator('#agents tbody tr').count(), { timeout: 15_000 }).toBe(6);
      await expect.poll(() => page.locator('#live').textContent(), { timeout: 15_000 }).toBe('live');
      await expect.poll(async () => Number(await page.locator('#rate').textContent()), { timeout: 15_000 }).toBeGreaterThan(0);
      await shot(page, 'fleet'); // the one in the README (docs/fleet-view.png)
      expect(errors).toEqual([]);
    } finally {
      await browser?.close();
      const code = await up.stop();
      rmSync(data, { recursive: true, force: true });
      expect(code, up.output()).toBe(0);
    }
  }, 240_000);
});
