import { CliError } from './cli-error.js';

/** NovaMed's base URLs, from the partner guide ("Base URLs"). */
export const NOVAMED_BASE_URLS = {
  development: 'https://novamed-feapidev.nimbushealthcaretest.com',
  production: 'https://feapi.novamed.care',
} as const;

/** A NovaMed environment name. */
export type NovaMedEnvironment = keyof typeof NOVAMED_BASE_URLS;

/** The registration path of the guide. */
export const WEBHOOK_PATH = '/api/external/webhook';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** True for a host that never leaves this machine. */
export function isLoopback(url: URL): boolean {
  return LOOPBACK.has(url.hostname) || url.hostname.startsWith('127.');
}

/**
 * Checks a base URL: http(s) only, and plain http only to a loopback host (the API key must
 * not cross a network in clear text).
 */
export function parseBaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError('BAD_BASE_URL', `--base-url is not a URL (got ${JSON.stringify(raw)}).`, {
      hint: 'For example --base-url https://novamed-feapidev.nimbushealthcaretest.com.',
      exitCode: 2,
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new CliError('BAD_BASE_URL', `--base-url must be http(s) (got ${url.protocol}).`, {
      hint: 'Use https://...',
      exitCode: 2,
    });
  }
  if (url.protocol === 'http:' && !isLoopback(url)) {
    throw new CliError(
      'INSECURE_BASE_URL',
      `Refusing to send the API key over plain http to ${url.host}.`,
      {
        hint: 'Use https:// (plain http is allowed to localhost only, e.g. the sandbox).',
        exitCode: 2,
      },
    );
  }
  return url;
}

/** A webhook registration call and its body, exactly as the guide shows them. */
export type WebhookRequest =
  | { method: 'POST'; body: { clinic_id: string; webhook_url: string } }
  | { method: 'DELETE'; body: { clinic_id: string; webhook_id: string } };

/** What NovaMed answered. */
export interface WebhookResponse {
  status: number;
  /** The parsed JSON body, or the text when it was not JSON. */
  body: unknown;
}

/**
 * Sends one registration call: `POST` or `DELETE` `<base>/api/external/webhook` with the
 * headers of the guide (`x-api-key`, `Content-Type` and `Accept: application/json`) and the
 * JSON body. Resolves with any HTTP answer; a network error or timeout is a {@link CliError}.
 * The key is only ever put in the header.
 */
export async function callWebhookApi(
  base: URL,
  apiKey: string,
  request: WebhookRequest,
  timeoutMs: number,
): Promise<WebhookResponse> {
  const url = new URL(`${base.pathname.replace(/\/+$/, '')}${WEBHOOK_PATH}`, base);
  let response: Response;
  try {
    response = await fetch(url, {
      method: request.method,
      headers: {
        'x-api-key': apiKey,
        'Content-Type': 'application/json',
        Accept: 'application/json',
      },
      body: JSON.stringify(request.body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'error',
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const timedOut = (error as Error).name === 'TimeoutError';
    throw new CliError(
      timedOut ? 'NOVAMED_TIMEOUT' : 'NOVAMED_UNREACHABLE',
      timedOut
        ? `NovaMed did not answer ${request.method} ${url.origin}${WEBHOOK_PATH} within ${timeoutMs} ms.`
        : `Cannot reach ${url.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}.`,
      {
        hint: 'Check --env / --base-url, your network (proxy, firewall, VPN) and try again; --timeout-ms waits longer.',
      },
    );
  }
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text === '' ? null : JSON.parse(text);
  } catch {
    body = text;
  }
  return { status: response.status, body };
}

/** The message of an answer body (`message`, `error.message` or `error`), if any. */
export function answerMessage(body: unknown): string | undefined {
  if (typeof body === 'string') return body.slice(0, 300) || undefined;
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const error = record['error'];
  const candidates = [
    record['message'],
    typeof error === 'object' && error !== null
      ? (error as Record<string, unknown>)['message']
      : error,
  ];
  const found = candidates.find((c) => typeof c === 'string' && c !== '');
  return typeof found === 'string' ? found.slice(0, 300) : undefined;
}

/** What to try after a non-success answer. */
export function hintForStatus(status: number): string {
  if (status === 401 || status === 403) {
    return 'Check the API key (NOVAMED_API_KEY or --api-key-file) and that it belongs to this environment (--env).';
  }
  if (status === 404) {
    return 'Check the webhook id (for delete) and the base URL (--env / --base-url).';
  }
  if (status === 400 || status === 409 || status === 422) {
    return 'Check --clinic-id and --url / --webhook-id against the guide; the message above says what was refused.';
  }
  if (status === 429 || status >= 500) return 'NovaMed had a problem: try again later.';
  return 'See the message above; the request follows the guide exactly.';
}
