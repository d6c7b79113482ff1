import * as projectorService from '@mister-smith/projector';
import { CliError } from '../cli/CliError.js';
import type { NatsHandle, Topology } from '@mister-smith/core';
import { requestService } from './requestService.js';

/**
 * Whether this build's `@mister-smith/projector` serves the request/reply API
 * (`<ns.>mister-smith.projector.{status,pause,resume,rebuild}`). Checked by name so the CLI builds
 * before the service does.
 */
export function projectorApiBuilt(): boolean {
  const mod = projectorService as Record<string, unknown>;
  return typeof mod.createProjector === 'function' || typeof mod.runProjectorService === 'function';
}

/**
 * Calls a running projector, or resolves `undefined` when none answers (or the API is not built),
 * so the caller can fall back to working on the database itself.
 */
export async function callProjectorIfRunning<T>(c: { readonly nats: NatsHandle; readonly topology: Topology }, op: string, body: Record<string, unknown>, timeoutMs?: number): Promise<T | undefined> {
  if (!projectorApiBuilt()) return undefined;
  try {
    return await requestService<T>(c.nats, c.topology.namespace, 'projector', op, body, timeoutMs);
  } catch (e) {
    if (CliError.is(e, 'NOT_RUNNING')) return undefined;
    throw e;
  }
}
