import net from 'node:net';

/** One raw HTTP/1.1 request, written byte for byte on its own TCP connection. */
export interface RawRequest {
  method?: string;
  path: string;
  /** Header lines in order; values are written as latin1 bytes (a Buffer as is). */
  headers: Array<[string, string | Buffer]>;
  /** The body; with `chunked`, sent with Transfer-Encoding: chunked and no Content-Length. */
  body?: Buffer;
  /** Add `content-length: <body length>` (default true unless chunked). */
  contentLength?: boolean;
  chunked?: boolean;
  /** Chunk size when chunked (default 16 KiB). */
  chunkBytes?: number;
}

/** What came back: the status (0 when none), the error code of the JSON body, timings. */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  /** `error.code` of the JSON error body, if any. */
  code: string | undefined;
  /** The response body, parsed when it is JSON. */
  json: unknown;
  /** The socket failed before any answer (reset, timeout). */
  networkError: string | undefined;
  ms: number;
}

function parseResponse(raw: Buffer): Omit<RawResponse, 'networkError' | 'ms'> {
  const end = raw.indexOf('\r\n\r\n');
  const head = (end < 0 ? raw : raw.subarray(0, end)).toString('latin1');
  const [statusLine = '', ...lines] = head.split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0)
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end < 0 ? Buffer.alloc(0) : raw.subarray(end + 4);
  if (headers['transfer-encoding']?.toLowerCase() === 'chunked') {
    const parts: Buffer[] = [];
    let at = 0;
    for (;;) {
      const lineEnd = body.indexOf('\r\n', at);
      if (lineEnd < 0) break;
      const size = Number.parseInt(body.subarray(at, lineEnd).toString('latin1'), 16);
      if (!Number.isFinite(size) || size === 0) break;
      parts.push(body.subarray(lineEnd + 2, lineEnd + 2 + size));
      at = lineEnd + 2 + size + 2;
    }
    body = Buffer.concat(parts);
  }
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    json = undefined;
  }
  const error = (json as { error?: { code?: unknown } } | undefined)?.error;
  const code = typeof error?.code === 'string' ? error.code : undefined;
  return { status, headers, code, json };
}

/**
 * Sends `request` on a new connection (`connection: close`) and reads the whole answer. Write
 * errors after the server answered (it may stop reading an oversized body) are ignored: the
 * answer counts. Never throws.
 */
export function sendRaw(
  url: string,
  request: RawRequest,
  timeoutMs = 30_000,
): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port) });
    const received: Buffer[] = [];
    let done = false;
    const finish = (networkError?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      const raw = Buffer.concat(received);
      const parsed = parseResponse(raw);
      resolve({
        ...parsed,
        networkError: parsed.status === 0 ? (networkError ?? 'no answer') : undefined,
        ms: Math.round(performance.now() - started),
      });
    };
    const timer = setTimeout(() => finish('timeout'), timeoutMs);
    socket.on('data', (chunk) => received.push(chunk));
    socket.on('end', () => finish());
    socket.on('close', () => finish());
    socket.on('error', (error: NodeJS.ErrnoException) => {
      // EPIPE / ECONNRESET while writing a body the server refused: keep what was answered.
      if (received.length > 0) finish();
      else finish(error.code ?? 'error');
    });
    socket.on('connect', () => {
      const body = request.body ?? Buffer.alloc(0);
      const lines: Buffer[] = [
        Buffer.from(`${request.method ?? 'POST'} ${request.path} HTTP/1.1\r\n`, 'latin1'),
        Buffer.from(`host: ${hostname}:${port}\r\nconnection: close\r\n`, 'latin1'),
      ];
      for (const [name, value] of request.headers) {
        lines.push(
          Buffer.concat([
            Buffer.from(`${name}: `, 'latin1'),
            typeof value === 'string' ? Buffer.from(value, 'latin1') : value,
            Buffer.from('\r\n', 'latin1'),
          ]),
        );
      }
      if (request.chunked) lines.push(Buffer.from('transfer-encoding: chunked\r\n', 'latin1'));
      else if (request.contentLength !== false) {
        lines.push(Buffer.from(`content-length: ${body.length}\r\n`, 'latin1'));
      }
      lines.push(Buffer.from('\r\n', 'latin1'));
      // The request goes out as one byte string, in pieces, and stops once the server has
      // answered: it may refuse an oversized body early and close, and writing on would only turn
      // its answer into EPIPE. A small request is a single write: Node's parser refuses some
      // requests at their headers (400) and the server closes at once; body bytes sent apart
      // could arrive after it stopped reading, and a close with unread bytes resets the
      // connection, which can discard the 400 before this client reads it.
      const framed = request.chunked ? chunked(body, request.chunkBytes ?? 16 * 1024) : body;
      const bytes = Buffer.concat([...lines, framed]);
      const answered = () => done || received.length > 0;
      const send = async () => {
        for (let at = 0; at < bytes.length && !answered(); at += 64 * 1024) {
          if (!socket.write(bytes.subarray(at, at + 64 * 1024))) {
            await new Promise((r) => socket.once('drain', r));
          }
        }
      };
      send().catch(() => undefined);
    });
  });
}

/** `body` in the chunked transfer coding: chunks of `size` bytes, then the last chunk. */
function chunked(body: Buffer, size: number): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < body.length; at += size) {
    const chunk = body.subarray(at, at + size);
    parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`, 'latin1'), chunk);
    parts.push(Buffer.from('\r\n', 'latin1'));
  }
  parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
  return Buffer.concat(parts);
}

/** Runs `work` over `items` with at most `concurrency` at once, results in input order. */
export async function mapConcurrent<T, R>(
  items: readonly T[],
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
