import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { postAndRead } from '@novamed-stream/testkit';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import type { SendEvent } from './freshness.js';
import { startIngress } from './ingress-process.js';

/** How events enter the system in the freshness measurement. */
export interface WebhookSender {
  send: SendEvent;
  /** What the latency starts from: `ingress HTTP 200`, or `producer ack` without the ingress. */
  path: string;
  /** The ingress process, when it runs. */
  ingressPid: number | undefined;
  close(): Promise<void>;
}

/**
 * Starts the real ingress (its own process) appending to `topic` and returns a sender that
 * POSTs webhooks to it. When the ingress cannot start, falls back to appending with a kafkajs
 * producer (acks=all, idempotent), so the figure is then "producer ack -> row visible".
 */
export async function startWebhookSender(options: {
  brokers: string[];
  topic: string;
  quarantineTopic: string;
  log: (line: string) => void;
}): Promise<WebhookSender> {
  const apiKey = `bench-${randomBytes(16).toString('hex')}`;
  try {
    const ingress = await startIngress({
      brokers: options.brokers,
      apiKey,
      eventsTopic: options.topic,
      quarantineTopic: options.quarantineTopic,
      readyTimeoutMs: 60_000,
    });
    options.log(`ingress ready at ${ingress.url} (pid ${ingress.pid})`);
    // node:http with keep-alive: much cheaper per request than fetch (undici), so the load
    // generator takes less CPU from the system under test.
    const endpoint = `${ingress.url}/webhooks/novamed`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
    const send: SendEvent = async (message) =>
      (await postAndRead(agent, endpoint, apiKey, message.value)).status === 200;
    return {
      send,
      path: 'ingress HTTP 200',
      ingressPid: ingress.pid,
      close: async () => {
        agent.destroy();
        await ingress.stop();
      },
    };
  } catch (error) {
    options.log(
      `ingress not usable (${error instanceof Error ? error.message.slice(0, 300) : String(error)}); measuring from producer ack instead`,
    );
    const kafka = new Kafka({
      clientId: 'bench-freshness',
      brokers: options.brokers,
      logLevel: logLevel.ERROR,
    });
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    await producer.connect();
    return {
      send: async (message) => {
        await producer.send({ topic: options.topic, acks: -1, messages: [message] });
        return true;
      },
      path: 'producer ack',
      ingressPid: undefined,
      close: () => producer.disconnect(),
    };
  }
}
