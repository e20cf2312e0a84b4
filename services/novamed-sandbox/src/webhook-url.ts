/** Outcome of {@link checkWebhookUrl}. */
export type WebhookUrlCheck =
  | { ok: true }
  | { ok: false; reason: 'INVALID_WEBHOOK_URL' | 'HTTPS_REQUIRED' };

/**
 * Whether `value` can be a webhook URL: absolute, `http:` or `https:` (only `https:` when
 * `requireHttps`, as NovaMed's production does), with a host and no credentials.
 */
export function checkWebhookUrl(value: string, requireHttps: boolean): WebhookUrlCheck {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, reason: 'INVALID_WEBHOOK_URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, reason: 'INVALID_WEBHOOK_URL' };
  }
  if (url.hostname === '' || url.username !== '' || url.password !== '') {
    return { ok: false, reason: 'INVALID_WEBHOOK_URL' };
  }
  if (requireHttps && url.protocol !== 'https:') return { ok: false, reason: 'HTTPS_REQUIRED' };
  return { ok: true };
}
