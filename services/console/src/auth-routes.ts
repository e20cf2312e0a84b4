import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleKeyVerifier } from './console-key-verifier.js';
import { errorBody } from './errors.js';
import type { SessionStore } from './session-store.js';

/** What the guard needs: the key check and the sessions. */
export interface AuthOptions {
  verify: ConsoleKeyVerifier;
  sessions: SessionStore;
}

/** Name of the session cookie (HttpOnly, SameSite=Strict). */
export const SESSION_COOKIE = 'novamed_console_session';

/** The header an API client (curl, a script) sends the key in, instead of signing in. */
export const KEY_HEADER = 'x-console-key';

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (typeof header !== 'string') return undefined;
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/** True when the request carries a live session or a valid key header. */
export function isSignedIn(auth: AuthOptions, request: FastifyRequest): boolean {
  if (auth.sessions.isValid(cookieOf(request, SESSION_COOKIE))) return true;
  const key = request.headers[KEY_HEADER];
  return key !== undefined && auth.verify(key);
}

/** A preHandler for the API: 401 unless signed in. */
export function requireApiAuth(auth: AuthOptions) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!isSignedIn(auth, request)) return reply.code(401).send(errorBody('UNAUTHORIZED'));
  };
}

/** A preHandler for pages: to the sign-in page unless signed in. */
export function requirePageAuth(auth: AuthOptions) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    if (!isSignedIn(auth, request)) return reply.redirect('/login', 303);
  };
}

/**
 * Sign-in and sign-out. The key travels once, in a POST body (never in a URL, so never in a
 * log or the browser history); the browser keeps only a random session id.
 */
export const authRoutes: FastifyPluginAsyncTypebox<AuthOptions> = async (app, auth) => {
  app.get('/login', async (_request, reply) => reply.sendFile('login.html'));
  app.post(
    '/api/session',
    { schema: { body: Type.Object({ key: Type.String({ maxLength: 1024 }) }) } },
    async (request, reply) => {
      if (!auth.verify(request.body.key)) {
        request.log.warn('sign-in refused: wrong console key');
        return reply.code(401).send(errorBody('UNAUTHORIZED'));
      }
      const session = auth.sessions.create();
      reply.header(
        'set-cookie',
        `${SESSION_COOKIE}=${session}; HttpOnly; SameSite=Strict; Path=/; Max-Age=43200`,
      );
      return { ok: true };
    },
  );
  app.post('/api/session/end', async (request, reply) => {
    auth.sessions.delete(cookieOf(request, SESSION_COOKIE));
    reply.header('set-cookie', `${SESSION_COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0`);
    return { ok: true };
  });
};
