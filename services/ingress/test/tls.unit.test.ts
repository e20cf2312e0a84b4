import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { buildApp, type IngressApp } from '../src/build-app.js';
import { RecordingProducer } from './fake-producer.js';

const KEY = 'tls-test-key-0123456789';
let folder: string;
let app: IngressApp;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'ingress-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-keyout',
      join(folder, 'key.pem'),
      '-out',
      join(folder, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  app = await buildApp({
    apiKeys: [KEY],
    producer: new RecordingProducer(),
    https: {
      cert: readFileSync(join(folder, 'cert.pem')),
      key: readFileSync(join(folder, 'key.pem')),
    },
    logger: { level: 'silent' },
    processMetrics: false,
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
});

afterAll(async () => {
  await app?.close();
  rmSync(folder, { recursive: true, force: true });
});

it('serves HTTPS when given a certificate and key', async () => {
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  const { status, body } = await new Promise<{ status: number; body: string }>(
    (resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: address.port,
          path: '/healthz',
          ca: readFileSync(join(folder, 'cert.pem')),
          servername: 'localhost',
        },
        (res) => {
          let data = '';
          res.on('data', (chunk) => {
            data += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
        },
      );
      req.on('error', reject);
      req.end();
    },
  );
  expect(status).toBe(200);
  expect(JSON.parse(body)).toEqual({ status: 'ok' });
});
