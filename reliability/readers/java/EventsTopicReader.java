import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedWriter;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * A downstream team's reader of novamed.events.v1, written the way such a team would: the
 * official Kafka client and Jackson's ObjectMapper with its DEFAULTS (no feature toggled, no
 * constraint raised). It reads the WHOLE topic from the beginning, up to the end offsets seen at
 * start, and prints one JSON line per message:
 *
 *   {"partition":0,"offset":12,"key":"...","event_id":"...","event_type":"...","error":null}
 *
 * `event_id` and `event_type` are the strings Jackson read (null when missing, {"nonString":true}
 * when not a string); `error` names the exception when Jackson could not read the value. Output
 * is ASCII (everything else \\u-escaped, lone surrogates included) so any reader compares it
 * exactly. Error texts drop quoted input: a message value may hold patient data.
 *
 * Usage: java -cp <classes>:<jars> EventsTopicReader <bootstrap servers> <topic>
 */
public final class EventsTopicReader {
  /** The reader under test: Jackson exactly as `new ObjectMapper()` comes. */
  private static final ObjectMapper PARSER = new ObjectMapper();

  /** Only for printing our own lines. */
  private static final ObjectMapper PRINTER =
      JsonMapper.builder().enable(JsonWriteFeature.ESCAPE_NON_ASCII).build();

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: EventsTopicReader <bootstrap servers> <topic>");
      System.exit(2);
    }
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ConsumerConfig.CLIENT_ID_CONFIG, "foreign-java-reader");
    props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    String topic = args[1];
    BufferedWriter out =
        new BufferedWriter(new OutputStreamWriter(System.out, StandardCharsets.US_ASCII));
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
      List<TopicPartition> partitions = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        partitions.add(new TopicPartition(topic, info.partition()));
      }
      // No group: assign every partition and read from the beginning to today's end.
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(partitions));
      long deadline = System.currentTimeMillis() + 120_000;
      while (!done(consumer, end)) {
        if (System.currentTimeMillis() > deadline) {
          System.err.println("timed out before the end offsets");
          System.exit(3);
        }
        for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(500))) {
          if (record.offset() >= end.get(new TopicPartition(topic, record.partition()))) continue;
          out.write(PRINTER.writeValueAsString(line(record)));
          out.newLine();
        }
      }
    }
    out.flush();
  }

  private static boolean done(KafkaConsumer<byte[], byte[]> consumer, Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) return false;
    }
    return true;
  }

  private static ObjectNode line(ConsumerRecord<byte[], byte[]> record) {
    ObjectNode line = PRINTER.createObjectNode();
    line.put("partition", record.partition());
    line.put("offset", record.offset());
    line.put("key", record.key() == null ? null : new String(record.key(), StandardCharsets.UTF_8));
    line.putNull("event_id");
    line.putNull("event_type");
    line.putNull("error");
    try {
      JsonNode value = record.value() == null ? null : PARSER.readTree(record.value());
      if (value == null || value.isMissingNode()) {
        line.put("error", "no JSON value");
      } else if (value.isObject()) {
        line.set("event_id", field(value, "event_id"));
        line.set("event_type", field(value, "event_type"));
      }
    } catch (JsonProcessingException e) {
      line.put("error", e.getClass().getSimpleName() + ": " + redact(e.getOriginalMessage()));
    } catch (RuntimeException | StackOverflowError e) {
      line.put("error", e.getClass().getSimpleName());
    } catch (java.io.IOException e) {
      line.put("error", e.getClass().getSimpleName());
    }
    return line;
  }

  private static JsonNode field(JsonNode envelope, String name) {
    JsonNode node = envelope.get(name);
    if (node == null || node.isNull()) return PRINTER.getNodeFactory().nullNode();
    if (node.isTextual()) return PRINTER.getNodeFactory().textNode(node.textValue());
    return PRINTER.createObjectNode().put("nonString", true);
  }

  /** The parser's message without any quoted input, shortened. */
  private static String redact(String message) {
    if (message == null) return "";
    String text = message.replaceAll("'[^']*'", "'...'").replaceAll("\"[^\"]*\"", "\"...\"");
    text = text.replaceAll("\\s+", " ");
    return text.length() > 160 ? text.substring(0, 160) : text;
  }
}
