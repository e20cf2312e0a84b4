import { describe, expect, it } from 'vitest';
import { classifySendError } from '../src/send-failure.js';

const protocolError = (type: string) =>
  Object.assign(new Error(type), { name: 'KafkaJSProtocolError', type });

describe('classifySendError', () => {
  it('finds the broker error inside kafkajs wrappers', () => {
    const wrapped = Object.assign(new Error('retries exceeded'), {
      name: 'KafkaJSNumberOfRetriesExceeded',
      cause: protocolError('NOT_ENOUGH_REPLICAS'),
    });
    expect(classifySendError(wrapped)).toBe('NOT_ENOUGH_REPLICAS');
    expect(
      classifySendError(
        Object.assign(new Error('x'), {
          originalError: protocolError('NOT_ENOUGH_REPLICAS_AFTER_APPEND'),
        }),
      ),
    ).toBe('NOT_ENOUGH_REPLICAS');
  });

  it('recognises timeouts', () => {
    expect(classifySendError(Object.assign(new Error('t'), { name: 'SendTimeoutError' }))).toBe(
      'TIMEOUT',
    );
    expect(
      classifySendError(Object.assign(new Error('t'), { name: 'KafkaJSRequestTimeoutError' })),
    ).toBe('TIMEOUT');
  });

  it('recognises records the broker refuses', () => {
    expect(classifySendError(protocolError('MESSAGE_TOO_LARGE'))).toBe('REJECTED');
  });

  it('treats anything else as the broker being unavailable', () => {
    expect(
      classifySendError(Object.assign(new Error('refused'), { name: 'KafkaJSConnectionError' })),
    ).toBe('BROKER_UNAVAILABLE');
    expect(classifySendError('weird')).toBe('BROKER_UNAVAILABLE');
    expect(classifySendError(undefined)).toBe('BROKER_UNAVAILABLE');
  });
});
