import type { ProducerBatch } from '../src/batch-producer.js';
import type { IngressProducer } from '../src/build-app.js';

/** An in-memory {@link IngressProducer}: records batches, or fails them with `failWith`. */
export class RecordingProducer implements IngressProducer {
  readonly batches: ProducerBatch[] = [];
  ready = true;
  failWith: unknown;

  async connect() {
    return { ok: true };
  }

  async close() {}

  isReady() {
    return this.ready;
  }

  async sendBatch(batch: ProducerBatch) {
    if (this.failWith !== undefined) throw this.failWith;
    this.batches.push(batch);
    return [];
  }

  /** Every record sent to `topic`, in order. */
  messages(topic: string) {
    return this.batches.flatMap((batch) =>
      batch.topicMessages
        .filter((group) => group.topic === topic)
        .flatMap((group) => group.messages),
    );
  }
}
