import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** What the health endpoint reports. */
export interface HealthReport {
  healthy: boolean;
  [key: string]: unknown;
}

/** Options for {@link startHealthServer}. */
export interface HealthServerOptions {
  port: number;
  host?: string;
  registry: Registry;
  health: () => HealthReport;
}

/**
 * A tiny HTTP server for a worker process: `GET /healthz` (200 or 503 with a JSON verdict)
 * and `GET /metrics` (Prometheus text format).
 */
export async function startHealthServer(
  options: HealthServerOptions,
): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === '/healthz') {
      const report = options.health();
      res.writeHead(report.healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(report));
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      options.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': options.registry.contentType });
          res.end(text);
        })
        .catch(() => {
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end('{"error":{"code":"METRICS_FAILED","message":"could not collect metrics"}}');
        });
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' });
    res.end('{"error":{"code":"NOT_FOUND","message":"try /healthz or /metrics"}}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '0.0.0.0', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : options.port;
  return {
    server,
    url: `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
