import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { msError } from '../errors/MisterSmithError.js';
import type { Registry } from 'prom-client';

/** A running `/metrics` + `/healthz` endpoint. */
export interface MetricsServer extends AsyncDisposable {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * Serves `registry` on `GET /metrics` and `health()` as JSON on `GET /healthz` (200 when it reports
 * `ok`, 503 otherwise). Port 0 picks a free port.
 */
export async function serveMetrics(registry: Registry, port: number, health: () => { ok: boolean } & Record<string, unknown>, host = '0.0.0.0'): Promise<MetricsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/metrics') {
      registry.metrics().then(
        (text) => { res.writeHead(200, { 'content-type': registry.contentType }); res.end(text); },
        (e: unknown) => { res.writeHead(500, { 'content-type': 'text/plain' }); res.end(String(e)); },
      );
      return;
    }
    if (req.method === 'GET' && path === '/healthz') {
      const h = health();
      res.writeHead(h.ok ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(h));
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e) => reject(msError('INVALID_CONFIG', `cannot serve metrics on port ${port}: ${e.message}`, { cause: e, details: { port } })));
    server.listen(port, host, () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  let closed: Promise<void> | undefined;
  const close = () => (closed ??= new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return { url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${bound}`, close, [Symbol.asyncDispose]: close };
}
