import type { ServerResponse } from 'node:http';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AnalyticsSummary } from './analytics-summary.js';
import { type AuthOptions, requireApiAuth, requirePageAuth } from './auth-routes.js';
import type { LiveSampler } from './live-sampler.js';

/**
 * The live flow (page, a JSON snapshot, and a server-sent event stream that pushes each new
 * sample) and the analytics page with its data.
 */
export const liveRoutes: FastifyPluginAsyncTypebox<{
  sampler: LiveSampler;
  auth: AuthOptions;
  analytics: () => Promise<AnalyticsSummary>;
}> = async (app, { sampler, auth, analytics }) => {
  const api = requireApiAuth(auth);
  const page = requirePageAuth(auth);
  const streams = new Set<ServerResponse>();
  app.get('/live', { preHandler: page }, async (_request, reply) => reply.sendFile('live.html'));
  app.get('/analytics', { preHandler: page }, async (_request, reply) =>
    reply.sendFile('analytics.html'),
  );
  app.get('/api/analytics', { preHandler: api }, async () => analytics());
  app.get('/api/live', { preHandler: api }, async () => {
    if (sampler.history().length === 0) await sampler.tick();
    return { history: sampler.history() };
  });
  app.get('/api/live/stream', { preHandler: api }, async (request, reply) => {
    reply.hijack();
    const raw = reply.raw;
    for (const [name, value] of Object.entries(reply.getHeaders())) {
      if (value !== undefined) raw.setHeader(name, value);
    }
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    raw.write(`event: history\ndata: ${JSON.stringify(sampler.history())}\n\n`);
    streams.add(raw);
    const unsubscribe = sampler.subscribe((snapshot) => {
      raw.write(`data: ${JSON.stringify(snapshot)}\n\n`);
    });
    request.raw.on('close', () => {
      unsubscribe();
      streams.delete(raw);
    });
  });
  // Open streams would hold server.close() forever.
  app.addHook('preClose', async () => {
    for (const stream of streams) stream.end();
    streams.clear();
  });
};
