import { codeOf, type WebhookTransport } from './delivery-engine.js';

/**
 * The real transport: Node's fetch (keep-alive connection pool), no redirects followed (a
 * 3xx is a non-200 like any other), the answer read and discarded.
 */
export function createHttpTransport(): WebhookTransport {
  return async ({ url, headers, body, signal }) => {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body,
        signal,
        redirect: 'manual',
      });
      // Read the (small) answer so the connection goes back to the pool.
      await response.arrayBuffer();
      return { kind: 'response', status: response.status };
    } catch (error) {
      if (signal.aborted) return { kind: 'timeout' };
      return { kind: 'network', code: codeOf(error) };
    }
  };
}
