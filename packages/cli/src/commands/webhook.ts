import { readFile, stat } from 'node:fs/promises';
import { CliError, usageError } from '../cli-error.js';
import type { CliIo } from '../cli-io.js';
import {
  CONNECTION_HELP,
  type Command,
  type CommandContext,
  integerOption,
  type OptionValues,
  requiredOption,
  stringOption,
} from '../command.js';
import type { Output } from '../output.js';
import {
  answerMessage,
  callWebhookApi,
  hintForStatus,
  isLoopback,
  NOVAMED_BASE_URLS,
  type NovaMedEnvironment,
  parseBaseUrl,
  type WebhookRequest,
} from '../webhook-client.js';

const TARGET_OPTIONS = {
  env: { type: 'string' },
  'base-url': { type: 'string' },
  'api-key-file': { type: 'string' },
  'api-key': { type: 'string' },
  'clinic-id': { type: 'string' },
  'timeout-ms': { type: 'string' },
} as const;

const TARGET_HELP = `  --clinic-id <uuid>          your clinic id at NovaMed (required)
  --env <development|production>
                              NovaMed's environment (default development):
                                development  ${NOVAMED_BASE_URLS.development}
                                production   ${NOVAMED_BASE_URLS.production}
  --base-url <url>            another base URL instead (e.g. the local sandbox); plain http
                              only to localhost
  --api-key-file <path>       read the API key from this file (default: NOVAMED_API_KEY)
  --api-key <key>             accepted but discouraged: it stays in shell history and ps
  --timeout-ms <ms>           how long to wait for NovaMed (default 10000)`;

/** The base URL: `--base-url`, else the guide's URL of `--env` (default development). */
function resolveBase(values: OptionValues): { base: URL; env: NovaMedEnvironment | 'custom' } {
  const baseUrl = stringOption(values, 'base-url');
  const env = stringOption(values, 'env');
  if (baseUrl !== undefined && env !== undefined) {
    throw usageError(
      'Pass --env or --base-url, not both.',
      'Use --base-url for anything but the two NovaMed environments.',
    );
  }
  if (baseUrl !== undefined) return { base: parseBaseUrl(baseUrl), env: 'custom' };
  const name = env ?? 'development';
  if (name !== 'development' && name !== 'production') {
    throw usageError(
      `--env must be development or production (got ${JSON.stringify(name)}).`,
      'Or pass --base-url for another server.',
    );
  }
  return { base: new URL(NOVAMED_BASE_URLS[name]), env: name };
}

/**
 * The API key: `--api-key-file`, else `--api-key` (with a warning), else NOVAMED_API_KEY.
 * Never printed.
 */
async function resolveApiKey(values: OptionValues, io: CliIo, out: Output): Promise<string> {
  const file = stringOption(values, 'api-key-file');
  if (file !== undefined) {
    let text: string;
    try {
      const info = await stat(file);
      if ((info.mode & 0o077) !== 0) {
        out.warn(`${file} is readable by other users; chmod 600 it.`);
      }
      text = await readFile(file, 'utf8');
    } catch (error) {
      throw new CliError(
        'API_KEY_FILE',
        `Cannot read --api-key-file ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`,
        {
          hint: 'Check the path and its permissions.',
        },
      );
    }
    const key = text.trim();
    if (key === '' || /\s/.test(key)) {
      throw new CliError('API_KEY_FILE', `${file} must hold the API key alone, on one line.`, {
        hint: 'Write just the key into the file.',
      });
    }
    return key;
  }
  const flag = stringOption(values, 'api-key')?.trim();
  if (flag) {
    out.warn(
      '--api-key leaves the key in your shell history and in the process list; prefer NOVAMED_API_KEY or --api-key-file.',
    );
    return flag;
  }
  const env = io.env['NOVAMED_API_KEY']?.trim();
  if (env) return env;
  throw new CliError('NO_API_KEY', 'No NovaMed API key.', {
    hint: 'Set NOVAMED_API_KEY, or pass --api-key-file <path> (a file holding only the key).',
  });
}

async function send(
  context: CommandContext,
  request: WebhookRequest,
  command: string,
): Promise<number> {
  const { values, io, out } = context;
  const { base, env } = resolveBase(values);
  const timeoutMs = integerOption(values, 'timeout-ms', 10_000, { min: 100, max: 120_000 });
  const apiKey = await resolveApiKey(values, io, out);
  out.note(`${request.method} ${base.origin}/api/external/webhook (${env})`);
  const response = await callWebhookApi(base, apiKey, request, timeoutMs);
  const success =
    response.status >= 200 &&
    response.status < 300 &&
    !(
      typeof response.body === 'object' &&
      response.body !== null &&
      (response.body as { success?: unknown }).success === false
    );
  if (!success) {
    throw new CliError(
      'NOVAMED_REFUSED',
      `NovaMed answered ${response.status} to ${command}: ${answerMessage(response.body) ?? '(no message)'}`,
      { hint: hintForStatus(response.status) },
    );
  }
  out.document({ ok: true, status: response.status, response: response.body });
  const body = (
    typeof response.body === 'object' && response.body !== null ? response.body : {}
  ) as {
    data?: Record<string, unknown>;
    message?: unknown;
  };
  const data = body.data ?? {};
  const rows = Object.entries(data).map(([field, value]) => ({
    field,
    value: typeof value === 'string' ? value : JSON.stringify(value),
  }));
  if (rows.length > 0) {
    out.table(rows, [
      { header: 'field', value: (r) => r.field },
      { header: 'value', value: (r) => r.value },
    ]);
  }
  out.line(`${response.status}: ${typeof body.message === 'string' ? body.message : 'success'}`);
  return 0;
}

/** `novamed-stream webhook register`. */
export const webhookRegisterCommand: Command = {
  name: 'webhook register',
  summary: "Register the ingress URL with NovaMed (the guide's POST /api/external/webhook)",
  help: `novamed-stream webhook register: register your webhook endpoint with NovaMed

Usage: novamed-stream webhook register --clinic-id <uuid> --url <https://...> [options]

Sends the guide's registration call: POST <base>/api/external/webhook with x-api-key,
Content-Type and Accept application/json, body {"clinic_id", "webhook_url"}, and prints
NovaMed's answer (webhook_id, webhook_url, clinic_id, created_at). Keep the webhook_id: delete
needs it. A non-success answer or a network error exits 1 with the reason.

Options:
  --url <url>                 your public endpoint, e.g. https://hooks.example.com/webhooks/novamed
${TARGET_HELP}
${CONNECTION_HELP.common}

Example:
  NOVAMED_API_KEY=... novamed-stream webhook register \\
    --clinic-id 550e8400-e29b-41d4-a716-446655440000 --url https://hooks.example.com/webhooks/novamed`,
  options: { ...TARGET_OPTIONS, url: { type: 'string' } },
  async run(context: CommandContext) {
    const { values, out } = context;
    const clinicId = requiredOption(values, 'clinic-id', 'webhook register');
    const webhookUrl = requiredOption(values, 'url', 'webhook register');
    let parsed: URL;
    try {
      parsed = new URL(webhookUrl);
    } catch {
      throw usageError(
        `--url is not a URL (got ${JSON.stringify(webhookUrl)}).`,
        'For example --url https://hooks.example.com/webhooks/novamed.',
      );
    }
    if (parsed.protocol !== 'https:' && !isLoopback(parsed)) {
      out.warn('NovaMed delivers to HTTPS endpoints only (guide, "Use HTTPS Only").');
    }
    return send(
      context,
      { method: 'POST', body: { clinic_id: clinicId, webhook_url: webhookUrl } },
      'webhook register',
    );
  },
};

/** `novamed-stream webhook delete`. */
export const webhookDeleteCommand: Command = {
  name: 'webhook delete',
  summary: "Remove a webhook registration (the guide's DELETE /api/external/webhook)",
  help: `novamed-stream webhook delete: remove a registered webhook

Usage: novamed-stream webhook delete --clinic-id <uuid> --webhook-id <id> [options]

Sends the guide's call: DELETE <base>/api/external/webhook with x-api-key, Content-Type and
Accept application/json, body {"clinic_id", "webhook_id"}, and prints NovaMed's answer. A
non-success answer or a network error exits 1 with the reason.

Options:
  --webhook-id <id>           the webhook_id register printed
${TARGET_HELP}
${CONNECTION_HELP.common}

Example:
  novamed-stream webhook delete --env production --api-key-file ~/.novamed-key \\
    --clinic-id 550e8400-e29b-41d4-a716-446655440000 --webhook-id 660e8400-e29b-41d4-a716-446655440001`,
  options: { ...TARGET_OPTIONS, 'webhook-id': { type: 'string' } },
  async run(context: CommandContext) {
    const { values } = context;
    const clinicId = requiredOption(values, 'clinic-id', 'webhook delete');
    const webhookId = requiredOption(values, 'webhook-id', 'webhook delete');
    return send(
      context,
      { method: 'DELETE', body: { clinic_id: clinicId, webhook_id: webhookId } },
      'webhook delete',
    );
  },
};
