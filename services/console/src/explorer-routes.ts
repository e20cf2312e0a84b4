import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { type AuthOptions, requireApiAuth, requirePageAuth } from './auth-routes.js';
import { errorBody } from './errors.js';
import { type ExplorerDeps, loadEntity, loadIdentified, searchEntities } from './explorer.js';

const Kind = Type.Union([
  Type.Literal('order'),
  Type.Literal('medication_request'),
  Type.Literal('refill'),
]);
const Id = Type.String({ minLength: 1, maxLength: 256 });

/**
 * The explorer: its page, search (POST: the query stays out of URLs and logs), one entity with
 * PHI masked, and "show PHI" (POST, audited by the identified tier).
 */
export const explorerRoutes: FastifyPluginAsyncTypebox<{
  deps: ExplorerDeps;
  auth: AuthOptions;
}> = async (app, { deps, auth }) => {
  const api = requireApiAuth(auth);
  const page = requirePageAuth(auth);
  app.get('/', { preHandler: page }, async (_request, reply) => reply.redirect('/explorer', 303));
  app.get('/explorer', { preHandler: page }, async (_request, reply) =>
    reply.sendFile('explorer.html'),
  );
  app.post(
    '/api/search',
    { preHandler: api, schema: { body: Type.Object({ query: Id }) } },
    async (request) => ({ hits: await searchEntities(deps.db, request.body.query.trim()) }),
  );
  app.get(
    '/api/entities/:kind/:id',
    { preHandler: api, schema: { params: Type.Object({ kind: Kind, id: Id }) } },
    async (request, reply) => {
      const outcome = await loadEntity(deps, request.params.kind, request.params.id);
      if (!outcome.ok) return reply.code(404).send(errorBody('NOT_FOUND'));
      return outcome.entity;
    },
  );
  app.post(
    '/api/entities/:kind/:id/phi',
    { preHandler: api, schema: { params: Type.Object({ kind: Kind, id: Id }) } },
    async (request, reply) => {
      const identified = await loadIdentified(deps.db, request.params.kind, request.params.id);
      // Which entity was opened is logged (ids are not PHI); what it showed is not.
      request.log.info({ kind: request.params.kind }, 'PHI shown (audited read)');
      reply.header('cache-control', 'no-store');
      return identified;
    },
  );
};
