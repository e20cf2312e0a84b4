import { type FastifyPluginAsyncTypebox, Type } from '@fastify/type-provider-typebox';
import type { ApiKeyCheck } from './api-key-check.js';
import { replyWithError } from './errors.js';
import type { Sandbox } from './sandbox.js';
import { UUID_PATTERN } from './uuid.js';
import { checkWebhookUrl } from './webhook-url.js';

const ClinicId = Type.String({ pattern: UUID_PATTERN, description: 'the clinic UUID' });

/** Body of `POST /api/external/webhook`, as in the guide. */
export const RegisterWebhookBody = Type.Object({
  clinic_id: ClinicId,
  webhook_url: Type.String({ minLength: 1, maxLength: 2048, description: 'where to POST events' }),
});

/** Body of `DELETE /api/external/webhook`, as in the guide. */
export const DeleteWebhookBody = Type.Object({
  clinic_id: ClinicId,
  webhook_id: Type.String({ pattern: UUID_PATTERN, description: 'from the registration' }),
});

/** Options of {@link registrationRoutes}. */
export interface RegistrationRoutesOptions {
  sandbox: Sandbox;
  checkApiKey: ApiKeyCheck;
  requireHttps: boolean;
}

/**
 * NovaMed's registration API exactly as the guide shows it: `POST` and `DELETE
 * /api/external/webhook` with the partner API key in `x-api-key` and the guide's
 * `{success, data, message}` answers. The key is checked before the body is read.
 */
export const registrationRoutes: FastifyPluginAsyncTypebox<RegistrationRoutesOptions> = async (
  app,
  { sandbox, checkApiKey, requireHttps },
) => {
  app.addHook('onRequest', async (request, reply) => {
    if (!checkApiKey(request.headers['x-api-key'])) return replyWithError(reply, 'UNAUTHORIZED');
  });

  app.post(
    '/api/external/webhook',
    { schema: { body: RegisterWebhookBody } },
    async (request, reply) => {
      const { clinic_id: clinicId, webhook_url: url } = request.body;
      const checked = checkWebhookUrl(url, requireHttps);
      if (!checked.ok) return replyWithError(reply, checked.reason);
      const outcome = sandbox.register(clinicId, url);
      if (!outcome.ok) {
        switch (outcome.reason) {
          case 'ALREADY_REGISTERED':
            return replyWithError(
              reply,
              'WEBHOOK_ALREADY_REGISTERED',
              `Its webhook_id is ${outcome.webhook.webhook_id}.`,
            );
          case 'LIMIT_REACHED':
            return replyWithError(reply, 'WEBHOOK_LIMIT_REACHED', `The limit is ${outcome.limit}.`);
        }
      }
      return {
        success: true,
        data: outcome.webhook,
        message: 'Webhook registered successfully',
      };
    },
  );

  app.delete(
    '/api/external/webhook',
    { schema: { body: DeleteWebhookBody } },
    async (request, reply) => {
      const { clinic_id: clinicId, webhook_id: webhookId } = request.body;
      const outcome = sandbox.unregister(clinicId, webhookId);
      if (!outcome.ok) return replyWithError(reply, 'WEBHOOK_NOT_FOUND');
      return { success: true, message: 'Webhook deleted successfully' };
    },
  );
};
