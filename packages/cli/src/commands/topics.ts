import { ensureTopic } from '@novamed-stream/devstack';
import { DEAD_LETTER_TOPIC, EVENTS_TOPIC, QUARANTINE_TOPIC } from '@novamed-stream/events';
import { isRetriableKafkaError, retry } from '@novamed-stream/service-kit';
import kafkajs, { type Admin } from 'kafkajs';
import {
  CONNECTION_HELP,
  type Command,
  type CommandContext,
  integerOption,
  stringOption,
} from '../command.js';
import { connectKafka } from '../connection.js';
import { formatCount } from '../output.js';
import { replicationWarnings } from '../replication-warnings.js';

// kafkajs is CommonJS: its enums are reachable through the default export only.
const { ConfigResourceTypes } = kafkajs;
const DAY_MS = 86_400_000;
const CONFIG_NAMES = ['cleanup.policy', 'retention.ms', 'retention.bytes', 'min.insync.replicas'];

/** The three topics and their role, in the order they are shown. */
const TOPICS = [
  { name: EVENTS_TOPIC, role: 'events (system of record)' },
  { name: QUARANTINE_TOPIC, role: 'quarantine (rejected webhook bodies)' },
  { name: DEAD_LETTER_TOPIC, role: 'dead letters (events a projector rejected)' },
] as const;

/** What `topics describe` reports per topic. */
export interface TopicDescription {
  topic: string;
  role: string;
  exists: boolean;
  partitions: Array<{
    partition: number;
    leader: number;
    replicas: number;
    inSync: number;
    /** Node ids holding a copy, and those in sync with the leader. */
    replicaIds: number[];
    inSyncIds: number[];
    underReplicated: boolean;
    low: string;
    high: string;
  }>;
  messages: number;
  config: Record<string, string>;
  warnings: string[];
}

/** What is wrong with a topic's settings for its role (see docs/topic-contract.md). */
export function topicWarnings(topic: string, config: Record<string, string>): string[] {
  const warnings: string[] = [];
  if ((config['cleanup.policy'] ?? '').includes('compact')) {
    warnings.push(
      `${topic} is compacted: compaction keeps only the latest message per key (one per order or medication request), so rebuilds and replays lose history. Use cleanup.policy=delete.`,
    );
  }
  if (config['retention.ms'] === '-1' && config['retention.bytes'] === '-1') {
    warnings.push(
      `${topic} keeps messages forever: they hold patient data verbatim; set a bounded retention.ms (see docs/topic-contract.md, Retention).`,
    );
  }
  return warnings;
}

/**
 * Retries a retriable Kafka error for a few seconds: right after a topic is created, its
 * partitions may have a leader in the metadata that does not serve them yet.
 */
function retrying<T>(operation: () => Promise<T>, attempts = 20): Promise<T> {
  return retry(operation, {
    retries: attempts - 1,
    minDelayMs: 250,
    maxDelayMs: 250,
    shouldRetry: isRetriableKafkaError,
  });
}

async function describeTopic(
  admin: Admin,
  topic: string,
  role: string,
  brokers: number,
): Promise<TopicDescription> {
  const existing = await admin.listTopics();
  if (!existing.includes(topic)) {
    return { topic, role, exists: false, partitions: [], messages: 0, config: {}, warnings: [] };
  }
  const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
  const offsets = new Map(
    (await retrying(() => admin.fetchTopicOffsets(topic))).map((o) => [o.partition, o]),
  );
  const described = await retrying(() =>
    admin.describeConfigs({
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configNames: CONFIG_NAMES }],
      includeSynonyms: false,
    }),
  );
  const config = Object.fromEntries(
    (described.resources[0]?.configEntries ?? []).map((e) => [e.configName, e.configValue]),
  );
  const partitions = (metadata.topics[0]?.partitions ?? [])
    .map((p) => ({
      partition: p.partitionId,
      leader: p.leader,
      replicas: p.replicas.length,
      inSync: p.isr.length,
      replicaIds: p.replicas,
      inSyncIds: p.isr,
      underReplicated: p.isr.length < p.replicas.length,
      low: offsets.get(p.partitionId)?.low ?? '0',
      high: offsets.get(p.partitionId)?.high ?? '0',
    }))
    .sort((a, b) => a.partition - b.partition);
  return {
    topic,
    role,
    exists: true,
    partitions,
    messages: partitions.reduce((n, p) => n + Number(BigInt(p.high) - BigInt(p.low)), 0),
    config,
    warnings: [
      ...topicWarnings(topic, config),
      ...replicationWarnings(
        topic,
        partitions.map((p) => ({
          partition: p.partition,
          replicas: p.replicaIds,
          isr: p.inSyncIds,
        })),
        brokers,
      ),
    ],
  };
}

function retention(ms: string | undefined): string {
  if (ms === undefined) return '?';
  if (ms === '-1') return 'forever';
  const days = Number(ms) / DAY_MS;
  return Number.isInteger(days) ? `${days}d` : `${(Number(ms) / 3_600_000).toFixed(1)}h`;
}

/** `novamed-stream topics describe`. */
export const topicsDescribeCommand: Command = {
  name: 'topics describe',
  summary: 'Partitions, offsets, messages and retention of the three topics',
  help: `novamed-stream topics describe: the topics as the cluster has them

Usage: novamed-stream topics describe [--topic <name>] [options]

For the events, quarantine and dead-letter topics (or just --topic): partitions with leader,
replicas in sync (node ids of the replicas and the ISR, under-replicated ones marked), earliest and end offsets, message count, and cleanup.policy, retention.ms,
retention.bytes, min.insync.replicas, with a warning when they are wrong for the topic
(compaction, keeping patient data forever, under-replicated partitions, or fewer replicas than
the cluster's brokers allow, up to three).

Options:
  --brokers <host:port,...>   Kafka bootstrap servers (else KAFKA_BROKERS, else stack.json)
  --topic <name>              describe this topic only
${CONNECTION_HELP.common}

Example:
  novamed-stream topics describe`,
  options: { brokers: { type: 'string' }, topic: { type: 'string' } },
  async run({ values, io, out }: CommandContext) {
    const only = stringOption(values, 'topic');
    const kafka = await connectKafka(values, io);
    try {
      const topics = only === undefined ? TOPICS : [{ name: only, role: '' }];
      const described: TopicDescription[] = [];
      const brokers = (await kafka.admin.describeCluster()).brokers.length;
      for (const t of topics) {
        described.push(await describeTopic(kafka.admin, t.name, t.role, brokers));
      }
      out.document({ ok: true, brokers, topics: described });
      out.table(described, [
        { header: 'topic', value: (t) => t.topic },
        { header: 'role', value: (t) => t.role },
        {
          header: 'partitions',
          value: (t) => (t.exists ? t.partitions.length : 'missing'),
          right: true,
        },
        { header: 'messages', value: (t) => formatCount(t.messages), right: true },
        { header: 'cleanup', value: (t) => t.config['cleanup.policy'] },
        {
          header: 'retention',
          value: (t) => (t.exists ? retention(t.config['retention.ms']) : null),
        },
        {
          header: 'min ISR',
          value: (t) => t.config['min.insync.replicas'],
          right: true,
        },
      ]);
      const rows = described.flatMap((t) => t.partitions.map((p) => ({ topic: t.topic, ...p })));
      if (rows.length > 0) {
        out.line();
        out.table(rows, [
          { header: 'topic', value: (r) => r.topic },
          { header: 'partition', value: (r) => r.partition, right: true },
          { header: 'leader', value: (r) => r.leader, right: true },
          { header: 'in sync', value: (r) => `${r.inSync}/${r.replicas}`, right: true },
          { header: 'replicas', value: (r) => r.replicaIds.join(',') },
          {
            header: 'ISR',
            value: (r) => `${r.inSyncIds.join(',')}${r.underReplicated ? ' (under)' : ''}`,
          },
          { header: 'earliest', value: (r) => r.low, right: true },
          { header: 'end', value: (r) => r.high, right: true },
        ]);
      }
      for (const t of described) {
        if (!t.exists)
          out.warn(`${t.topic} does not exist: \`novamed-stream topics create\` creates it.`);
        for (const w of t.warnings) out.warn(w);
      }
      return 0;
    } finally {
      await kafka.close();
    }
  },
};

/** `novamed-stream topics create`. */
export const topicsCreateCommand: Command = {
  name: 'topics create',
  summary: 'Create the events, quarantine and dead-letter topics with the advised settings',
  help: `novamed-stream topics create: create the topics

Usage: novamed-stream topics create [options]

Creates ${EVENTS_TOPIC}, ${QUARANTINE_TOPIC} and ${DEAD_LETTER_TOPIC} unless they
exist (existing ones are left as they are and reported), with cleanup.policy=delete and a
bounded retention: long for the events topic (rebuilds and replays read it from the start),
short for the two forensic topics. docs/topic-contract.md explains the choice; never compact
these topics.

Options:
  --partitions <n>            partitions of each topic (default 6; the key keeps each order's
                              and medication request's events in one partition)
  --replication-factor <n>    replicas (default 1 for a single local broker; use 3 in production)
  --min-insync-replicas <n>   (default 1; use 2 with 3 replicas)
  --retention-days <d>        events topic retention (default 400: a year of refills plus margin)
  --forensic-retention-days <d>
                              quarantine and dead-letter retention (default 30)
  --topic <name>              create only this topic, with the events topic's settings
  --brokers <host:port,...>   Kafka bootstrap servers (else KAFKA_BROKERS, else stack.json)
${CONNECTION_HELP.common}

Example:
  novamed-stream topics create --partitions 12 --replication-factor 3 --min-insync-replicas 2`,
  options: {
    brokers: { type: 'string' },
    topic: { type: 'string' },
    partitions: { type: 'string' },
    'replication-factor': { type: 'string' },
    'min-insync-replicas': { type: 'string' },
    'retention-days': { type: 'string' },
    'forensic-retention-days': { type: 'string' },
  },
  async run({ values, io, out }: CommandContext) {
    const partitions = integerOption(values, 'partitions', 6, { min: 1, max: 1000 });
    const replicationFactor = integerOption(values, 'replication-factor', 1, { min: 1, max: 10 });
    const minIsr = integerOption(values, 'min-insync-replicas', 1, {
      min: 1,
      max: replicationFactor,
    });
    const retentionDays = integerOption(values, 'retention-days', 400, { min: 1, max: 3650 });
    const forensicDays = integerOption(values, 'forensic-retention-days', 30, {
      min: 1,
      max: 3650,
    });
    const kafka = await connectKafka(values, io);
    try {
      const only = stringOption(values, 'topic');
      const targets = only === undefined ? TOPICS : [{ name: only, role: 'events' }];
      const results: Array<{ topic: string; created: boolean; retentionDays: number }> = [];
      for (const { name, role } of targets) {
        const days = name === EVENTS_TOPIC || role === 'events' ? retentionDays : forensicDays;
        const ensured = await ensureTopic({
          brokers: kafka.brokers,
          topic: name,
          partitions,
          replicationFactor,
          config: {
            'cleanup.policy': 'delete',
            'retention.ms': String(days * DAY_MS),
            'min.insync.replicas': String(minIsr),
          },
        });
        results.push({ topic: name, created: ensured.created, retentionDays: days });
      }
      const described: TopicDescription[] = [];
      const brokers = (await kafka.admin.describeCluster()).brokers.length;
      for (const t of targets) {
        described.push(await describeTopic(kafka.admin, t.name, t.role, brokers));
      }
      out.document({ ok: true, topics: results, described });
      out.table(results, [
        { header: 'topic', value: (r) => r.topic },
        { header: 'result', value: (r) => (r.created ? 'created' : 'exists (left as is)') },
        {
          header: 'partitions',
          value: (r) => described.find((d) => d.topic === r.topic)?.partitions.length,
          right: true,
        },
        {
          header: 'retention',
          value: (r) =>
            retention(described.find((d) => d.topic === r.topic)?.config['retention.ms']),
        },
      ]);
      for (const t of described) for (const w of t.warnings) out.warn(w);
      return 0;
    } finally {
      await kafka.close();
    }
  },
};
