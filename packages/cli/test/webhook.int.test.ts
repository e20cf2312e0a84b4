import { chmod, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from './run-command.js';

const API_KEY = 'nm_test_key_6f1d2c9e0b';
const CLINIC = '550e8400-e29b-41d4-a716-446655440000';
const WEBHOOK_ID = '660e8400-e29b-41d4-a716-446655440001';

interface Received {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

/**
 * A stand-in for NovaMed's registration API on loopback that checks the guide's request
 * shapes exactly and answers like the guide (or with what a test asks for).
 */
let server: Server;
let base: string;
const received: Received[] = [];
let nextAnswer: { status: number; body: unknown; delayMs?: number } | undefined;

function guideCheck(r: Received): { status: number; body: unknown } {
  if (r.url !== '/api/external/webhook') return { status: 404, body: { error: 'not found' } };
  if (r.headers['x-api-key'] !== API_KEY) {
    return { status: 401, body: { success: false, message: 'Invalid API key' } };
  }
  if (
    r.headers['content-type'] !== 'application/json' ||
    r.headers['accept'] !== 'application/json'
  ) {
    return { status: 415, body: { success: false, message: 'JSON only' } };
  }
  const body = JSON.parse(r.body) as Record<string, unknown>;
  if (r.method === 'POST') {
    if (Object.keys(body).sort().join() !== 'clinic_id,webhook_url') {
      return {
        status: 400,
        body: { success: false, message: 'clinic_id and webhook_url required' },
      };
    }
    return {
      status: 200,
      body: {
        success: true,
        data: {
          webhook_id: WEBHOOK_ID,
          webhook_url: body['webhook_url'],
          clinic_id: body['clinic_id'],
          created_at: '2025-01-15T10:00:00.000Z',
        },
        message: 'Webhook registered successfully',
      },
    };
  }
  if (r.method === 'DELETE') {
    if (Object.keys(body).sort().join() !== 'clinic_id,webhook_id') {
      return {
        status: 400,
        body: { success: false, message: 'clinic_id and webhook_id required' },
      };
    }
    if (body['webhook_id'] !== WEBHOOK_ID) {
      return { status: 404, body: { success: false, message: 'Webhook not found' } };
    }
    return { status: 200, body: { success: true, message: 'Webhook deleted successfully' } };
  }
  return { status: 405, body: { success: false, message: 'method not allowed' } };
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
      received.push(r);
      const answer: { status: number; body: unknown; delayMs?: number } =
        nextAnswer ?? guideCheck(r);
      nextAnswer = undefined;
      setTimeout(() => {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(answer.body));
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const register = [
  'webhook',
  'register',
  '--clinic-id',
  CLINIC,
  '--url',
  'https://hooks.example.com/webhooks/novamed',
];
const remove = ['webhook', 'delete', '--clinic-id', CLINIC, '--webhook-id', WEBHOOK_ID];

describe('webhook register and delete against a server that checks the guide', () => {
  it('registers with exactly the guide request and prints the answer', async () => {
    const result = await runCommand([...register, '--base-url', base], {
      env: { NOVAMED_API_KEY: API_KEY },
    });
    expect(result.code, result.stderr).toBe(0);
    const request = received.at(-1)!;
    expect(request.method).toBe('POST');
    expect(request.headers['x-api-key']).toBe(API_KEY);
    expect(JSON.parse(request.body)).toEqual({
      clinic_id: CLINIC,
      webhook_url: 'https://hooks.example.com/webhooks/novamed',
    });
    expect(result.stdout).toMatch(/webhook_id\s+660e8400-e29b-41d4-a716-446655440001/);
    expect(result.stdout).toContain('200: Webhook registered successfully');
    expect(result.stdout + result.stderr).not.toContain(API_KEY);
  });

  it('deletes with exactly the guide request; --json prints the answer', async () => {
    const result = await runCommand([...remove, '--base-url', base, '--json'], {
      env: { NOVAMED_API_KEY: API_KEY },
    });
    expect(result.code, result.stderr).toBe(0);
    const request = received.at(-1)!;
    expect(request.method).toBe('DELETE');
    expect(JSON.parse(request.body)).toEqual({ clinic_id: CLINIC, webhook_id: WEBHOOK_ID });
    expect(result.json()).toEqual({
      ok: true,
      status: 200,
      response: { success: true, message: 'Webhook deleted successfully' },
    });
  });

  it('reads the key from --api-key-file, and warns when it is passed as a flag', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'novamed-key-'));
    const file = join(dir, 'key');
    await writeFile(file, `${API_KEY}\n`);
    await chmod(file, 0o600);
    const fromFile = await runCommand([...register, '--base-url', base, '--api-key-file', file]);
    expect(fromFile.code, fromFile.stderr).toBe(0);
    expect(fromFile.stderr).not.toContain('warning');
    await chmod(file, 0o644);
    const readable = await runCommand([...register, '--base-url', base, '--api-key-file', file]);
    expect(readable.stderr).toContain('readable by other users');
    const fromFlag = await runCommand([...register, '--base-url', base, '--api-key', API_KEY]);
    expect(fromFlag.code).toBe(0);
    expect(fromFlag.stderr).toMatch(/warning: --api-key leaves the key in your shell history/);
    expect(fromFlag.stdout + fromFlag.stderr).not.toContain(API_KEY);
  });

  it("exits 1 with NovaMed's reason on a non-success answer, never echoing the key", async () => {
    const wrongKey = await runCommand([...register, '--base-url', base], {
      env: { NOVAMED_API_KEY: 'wrong-key-123' },
    });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toMatch(/NovaMed answered 401 to webhook register: Invalid API key/);
    expect(wrongKey.stderr).toMatch(/hint: Check the API key/);
    expect(wrongKey.stderr).not.toContain('wrong-key-123');

    const unknown = await runCommand(
      [
        'webhook',
        'delete',
        '--clinic-id',
        CLINIC,
        '--webhook-id',
        'nope',
        '--base-url',
        base,
        '--json',
      ],
      { env: { NOVAMED_API_KEY: API_KEY } },
    );
    expect(unknown.code).toBe(1);
    expect(unknown.json()).toMatchObject({
      ok: false,
      error: { code: 'NOVAMED_REFUSED', message: expect.stringContaining('404') },
    });

    // A 200 whose body says it failed is a failure too.
    nextAnswer = { status: 200, body: { success: false, message: 'clinic suspended' } };
    const soft = await runCommand([...register, '--base-url', base], {
      env: { NOVAMED_API_KEY: API_KEY },
    });
    expect(soft.code).toBe(1);
    expect(soft.stderr).toContain('clinic suspended');
  });

  it('exits 1 on a network error or a timeout, saying what to check', async () => {
    const unused = createServer();
    await new Promise<void>((resolve) => unused.listen(0, '127.0.0.1', resolve));
    const address = unused.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await new Promise((resolve) => unused.close(resolve));
    const closed = await runCommand([...register, '--base-url', `http://127.0.0.1:${port}`], {
      env: { NOVAMED_API_KEY: API_KEY },
    });
    expect(closed.code).toBe(1);
    expect(closed.stderr).toContain(`Cannot reach http://127.0.0.1:${port}: ECONNREFUSED`);
    nextAnswer = { status: 200, body: {}, delayMs: 1500 };
    const slow = await runCommand([...register, '--base-url', base, '--timeout-ms', '300'], {
      env: { NOVAMED_API_KEY: API_KEY },
    });
    expect(slow.code).toBe(1);
    expect(slow.stderr).toContain('did not answer POST');
  });

  it('refuses to run without a key, with bad arguments, or over plain http to a remote host', async () => {
    const noKey = await runCommand([...register, '--base-url', base]);
    expect(noKey.code).toBe(1);
    expect(noKey.stderr).toMatch(/No NovaMed API key[\s\S]*NOVAMED_API_KEY/);
    const env = { NOVAMED_API_KEY: API_KEY };
    expect((await runCommand(['webhook', 'register', '--url', 'https://x'], { env })).code).toBe(2);
    expect((await runCommand([...register, '--env', 'staging'], { env })).code).toBe(2);
    expect(
      (await runCommand([...register, '--env', 'production', '--base-url', base], { env })).code,
    ).toBe(2);
    const insecure = await runCommand([...register, '--base-url', 'http://novamed.example.com'], {
      env,
    });
    expect(insecure.code).toBe(2);
    expect(insecure.stderr).toContain('Refusing to send the API key over plain http');
    const count = received.length;
    const httpHook = await runCommand(
      [
        'webhook',
        'register',
        '--clinic-id',
        CLINIC,
        '--url',
        'http://hooks.example.com/x',
        '--base-url',
        base,
      ],
      { env },
    );
    expect(httpHook.stderr).toContain('HTTPS endpoints only');
    expect(received.length).toBe(count + 1);
  });

  it("uses the guide's base URLs for --env", async () => {
    const { NOVAMED_BASE_URLS } = await import('../src/index.js');
    expect(NOVAMED_BASE_URLS).toEqual({
      development: 'https://novamed-feapidev.nimbushealthcaretest.com',
      production: 'https://feapi.novamed.care',
    });
    const help = await runCommand(['webhook', 'register', '--help']);
    expect(help.stdout).toContain('https://novamed-feapidev.nimbushealthcaretest.com');
    expect(help.stdout).toContain('https://feapi.novamed.care');
  });
});
