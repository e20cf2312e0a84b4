/** One Kafka record as the ingress writes it. */
export interface OutgoingMessage {
  key: string | null;
  value: Buffer;
  headers: Record<string, string>;
}

/** Records for one topic inside a {@link ProducerBatch}. */
export interface TopicMessages {
  topic: string;
  messages: OutgoingMessage[];
}

/** One produce call: all records of a micro-batch, acknowledged by all in-sync replicas. */
export interface ProducerBatch {
  acks: -1;
  /** How long the broker may wait for the in-sync replicas, in ms. */
  timeout: number;
  topicMessages: TopicMessages[];
}

/**
 * The subset of a kafkajs `Producer` the appender needs: one `sendBatch` per micro-batch that
 * resolves once every record is acknowledged and rejects otherwise.
 */
export interface BatchProducer {
  sendBatch(batch: ProducerBatch): Promise<unknown>;
}
