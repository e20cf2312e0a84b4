import http from 'node:http';

/** What {@link sendLikeNovaMed} did and saw. */
export interface SendReport {
  /** Distinct events to deliver (those taken before `signal` stopped the load). */
  events: number;
  /** HTTP requests made (first tries and retries). */
  attempts: number;
  /** Answers by status (`200`, `503`, ...). */
  statuses: Record<string, number>;
  /** Requests that got no answer (connection refused or reset, timeout). */
  networkErrors: number;
  /** 503 answers that carried a Retry-After header. */
  retryAfter: number;
  /** Events that got a 200 (each counted once). */
  acknowledged: number;
  /** Events still without a 200 when the sender gave up. */
  gaveUp: number;
  seconds: number;
}

/** An event to send: the exact JSON body NovaMed would POST (every retry sends these bytes). */
export interface SendableEvent {
  readonly body: string;
}

/** Options of {@link sendLikeNovaMed}. */
export interface SendOptions<E extends SendableEvent = SendableEvent> {
  /** The webhook URL (a function: a test may move it). */
  url: () => string;
  apiKey: string;
  /** Requests in flight at once. */
  concurrency: number;
  /** First tries per second across all workers (retries are not paced). Default: unpaced. */
  ratePerSecond?: number;
  /**
   * Waits before each retry: NovaMed's 1/5/15/60 minutes scaled down to the test's time.
   * Default 100, 250, 500, 1000, 2000 ms, then 2000 ms each.
   */
  retryDelaysMs?: readonly number[];
  /** Give an event up after this long without a 200. Default 180 s. */
  giveUpAfterMs?: number;
  /** Called with each event id once it got its 200. */
  onAcknowledged?: (event: E) => void;
  /** Called after every request (first try or retry) with its answer. */
  onAnswer?: (answer: WebhookAnswer) => void;
  /**
   * Once aborted, no further event is taken (a load that runs until the test says stop): the
   * events sent are then the first `report.events`; those taken still go on to their 200 or
   * give-up.
   */
  signal?: AbortSignal;
  /** Retry on non-200 (NovaMed's behaviour). Default true. */
  retry?: boolean;
  /** Per-request timeout. Default 10 s. */
  requestTimeoutMs?: number;
}

/** One webhook answer: status, error code, Retry-After; status 0 when there was none. */
export interface WebhookAnswer {
  status: number;
  code: string | undefined;
  retryAfter: string | undefined;
  networkError: string | undefined;
}

/**
 * POSTs `body` (its exact bytes) with node:http, as NovaMed does, and reads the answer's status,
 * error code and Retry-After; a network error or timeout is status 0 with `networkError`.
 * node:http with a keep-alive agent is much cheaper per request than fetch (undici), so a load
 * generator takes less CPU from the system under test.
 */
export function postAndRead(
  agent: http.Agent,
  url: string,
  apiKey: string,
  body: string | Buffer,
  timeoutMs = 30_000,
): Promise<WebhookAnswer> {
  return new Promise((resolve) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        timeout: timeoutMs,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
          'x-api-key': apiKey,
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (c: Buffer) => chunks.push(c));
        response.on('end', () => {
          let code: string | undefined;
          try {
            const json = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
              error?: { code?: unknown };
            };
            code = typeof json.error?.code === 'string' ? json.error.code : undefined;
          } catch {
            code = undefined;
          }
          resolve({
            status: response.statusCode ?? 0,
            code,
            retryAfter: response.headers['retry-after'],
            networkError: undefined,
          });
        });
        response.on('error', (e: NodeJS.ErrnoException) =>
          resolve({ status: 0, code: undefined, retryAfter: undefined, networkError: e.code }),
        );
      },
    );
    request.on('timeout', () =>
      request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })),
    );
    request.on('error', (e: NodeJS.ErrnoException) =>
      resolve({
        status: 0,
        code: undefined,
        retryAfter: undefined,
        networkError: e.code ?? 'error',
      }),
    );
    request.end(body);
  });
}

/**
 * Delivers events the way NovaMed does: POST each one, and on anything but a 200 (an error
 * status, a refused or reset connection) retry later with the same bytes, until it gets its
 * 200. Returns the events that were acknowledged, in acknowledgement order, and the counts.
 */
export async function sendLikeNovaMed<E extends SendableEvent>(
  events: readonly E[],
  options: SendOptions<E>,
): Promise<{ report: SendReport; acknowledged: E[] }> {
  const delays = options.retryDelaysMs ?? [100, 250, 500, 1000, 2000];
  const giveUpAfter = options.giveUpAfterMs ?? 180_000;
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.concurrency });
  const report: SendReport = {
    events: events.length,
    attempts: 0,
    statuses: {},
    networkErrors: 0,
    retryAfter: 0,
    acknowledged: 0,
    gaveUp: 0,
    seconds: 0,
  };
  const acknowledged: E[] = [];
  const started = performance.now();
  // Events are taken in order: those sent are always events[0..next).
  let next = 0;

  const deliver = async (event: E) => {
    const first = Date.now();
    for (let attempt = 0; ; attempt++) {
      report.attempts++;
      const answer = await postAndRead(
        agent,
        options.url(),
        options.apiKey,
        event.body,
        options.requestTimeoutMs ?? 10_000,
      );
      options.onAnswer?.(answer);
      if (answer.status === 0) report.networkErrors++;
      else {
        report.statuses[answer.status] = (report.statuses[answer.status] ?? 0) + 1;
        if (answer.status === 503 && answer.retryAfter !== undefined) report.retryAfter++;
        if (answer.status === 200) {
          report.acknowledged++;
          acknowledged.push(event);
          options.onAcknowledged?.(event);
          return;
        }
      }
      if (options.retry === false || Date.now() - first > giveUpAfter) {
        report.gaveUp++;
        return;
      }
      const delay = delays[Math.min(attempt, delays.length - 1)] ?? 1000;
      await new Promise((r) => setTimeout(r, delay));
    }
  };

  const worker = async () => {
    for (;;) {
      if (options.signal?.aborted) return;
      const index = next++;
      const event = events[index];
      if (event === undefined) return;
      if (options.ratePerSecond) {
        const due = started + (index / options.ratePerSecond) * 1000;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
      await deliver(event);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  agent.destroy();
  report.events = Math.min(next, events.length);
  report.seconds = Math.round((performance.now() - started) / 10) / 100;
  return { report, acknowledged };
}
