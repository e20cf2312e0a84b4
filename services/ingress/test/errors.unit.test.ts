import { describe, expect, it } from 'vitest';
import { codeForError, ERRORS, type ErrorReply, errorBody, replyWithError } from '../src/errors.js';

function fakeReply() {
  const state: { status?: number; headers: Record<string, string>; body?: unknown } = {
    headers: {},
  };
  const reply: ErrorReply = {
    code(status) {
      state.status = status;
      return reply;
    },
    header(name, value) {
      state.headers[name] = value;
      return reply;
    },
    send(body) {
      state.body = body;
      return reply;
    },
  };
  return { reply, state };
}

describe('error registry', () => {
  it('has a status and a message for every code', () => {
    for (const [code, entry] of Object.entries(ERRORS)) {
      expect(entry.status, code).toBeGreaterThanOrEqual(400);
      expect(entry.message.length, code).toBeGreaterThan(0);
    }
  });

  it('maps Fastify errors to registry codes', () => {
    expect(codeForError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 })).toBe(
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expect(codeForError({ code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 })).toBe(
      'PAYLOAD_TOO_LARGE',
    );
    expect(codeForError({ code: 'FST_ERR_CTP_EMPTY_JSON_BODY', statusCode: 400 })).toBe(
      'INVALID_JSON',
    );
    expect(codeForError({ code: 'FST_ERR_VALIDATION', statusCode: 400 })).toBe('BAD_REQUEST');
    expect(codeForError({ code: 'FST_UNDER_PRESSURE', statusCode: 503 })).toBe('OVERLOADED');
    expect(codeForError({})).toBe('INTERNAL_ERROR');
  });

  it('builds the shared body, appending only the given detail', () => {
    expect(errorBody('UNAUTHORIZED')).toEqual({
      error: { code: 'UNAUTHORIZED', message: ERRORS.UNAUTHORIZED.message },
    });
    expect(errorBody('INVALID_ENVELOPE', 'data must be a JSON object').error.message).toBe(
      `${ERRORS.INVALID_ENVELOPE.message} data must be a JSON object`,
    );
  });

  it('adds Retry-After to 503 answers only', () => {
    const unavailable = fakeReply();
    replyWithError(unavailable.reply, 'BROKER_UNAVAILABLE', { retryAfterSeconds: 7 });
    expect(unavailable.state).toMatchObject({ status: 503, headers: { 'retry-after': '7' } });

    const refused = fakeReply();
    replyWithError(refused.reply, 'INVALID_JSON', { retryAfterSeconds: 7 });
    expect(refused.state.status).toBe(400);
    expect(refused.state.headers).toEqual({});
  });
});
