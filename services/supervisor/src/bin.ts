#!/usr/bin/env node
import { runSupervisorService } from './main.js';

// `mister-smith-supervisor`: runs until SIGTERM/SIGINT, then flushes every agent and exits.
runSupervisorService()
  .then((running) => running.done)
  .catch((e: unknown) => {
    process.stderr.write(`mister-smith-supervisor: ${(e as Error)?.message ?? String(e)}\n`);
    process.exitCode = 1;
  });
