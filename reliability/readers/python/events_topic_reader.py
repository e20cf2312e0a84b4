"""A downstream team's reader of novamed.events.v1, written the way such a team would.

The pure-Python kafka-python client and the standard `json` module, used the common way:
`json.loads(message.value)` on the raw bytes. It reads the WHOLE topic from the beginning, up to
the end offsets seen at start, and prints one JSON line per message:

    {"partition": 0, "offset": 12, "key": "...", "event_id": "...", "event_type": "...", "error": null}

`event_id` and `event_type` are the strings `json` read (None when missing, {"nonString": true}
when not a string); `error` names the exception when `json` could not read the value. Output is
ASCII (`ensure_ascii`, lone surrogates escaped) so any reader compares it exactly. Error texts
never quote the value: it may hold patient data.

Usage: python3 events_topic_reader.py <bootstrap servers> <topic>
(kafka-python importable, e.g. PYTHONPATH=<folder of `pip install --target`>)
"""

import json
import sys
import time

from kafka import KafkaConsumer, TopicPartition


def field(envelope, name):
    value = envelope.get(name)
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return {"nonString": True}


def line(record):
    out = {
        "partition": record.partition,
        "offset": record.offset,
        "key": None if record.key is None else record.key.decode("utf-8", errors="replace"),
        "event_id": None,
        "event_type": None,
        "error": None,
    }
    try:
        value = json.loads(record.value)
        if isinstance(value, dict):
            out["event_id"] = field(value, "event_id")
            out["event_type"] = field(value, "event_type")
    except RecursionError:
        out["error"] = "RecursionError"
    except UnicodeDecodeError as error:
        # The codec's message names a byte and a position, never the text.
        out["error"] = "UnicodeDecodeError: %s" % error.reason
    except json.JSONDecodeError as error:
        # `msg` is the rule broken ("Expecting value"); the document is left out.
        out["error"] = "JSONDecodeError: %s" % error.msg
    except Exception as error:  # noqa: BLE001 - a reader reports every failure, it never stops
        out["error"] = type(error).__name__
    return out


def main():
    if len(sys.argv) != 3:
        print("usage: events_topic_reader.py <bootstrap servers> <topic>", file=sys.stderr)
        sys.exit(2)
    servers, topic = sys.argv[1], sys.argv[2]
    consumer = KafkaConsumer(
        bootstrap_servers=servers.split(","),
        client_id="foreign-python-reader",
        group_id=None,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
    )
    deadline = time.time() + 120
    partitions = None
    while partitions is None:
        partitions = consumer.partitions_for_topic(topic)
        if partitions is None:
            if time.time() > deadline:
                print("no metadata for the topic", file=sys.stderr)
                sys.exit(3)
            time.sleep(0.2)
    assigned = [TopicPartition(topic, p) for p in sorted(partitions)]
    # No group: assign every partition and read from the beginning to today's end.
    consumer.assign(assigned)
    consumer.seek_to_beginning(*assigned)
    end = consumer.end_offsets(assigned)
    write = sys.stdout.write
    while any(consumer.position(tp) < end[tp] for tp in assigned):
        if time.time() > deadline:
            print("timed out before the end offsets", file=sys.stderr)
            sys.exit(3)
        for tp, records in consumer.poll(timeout_ms=500).items():
            for record in records:
                if record.offset < end[tp]:
                    write(json.dumps(line(record), ensure_ascii=True) + "\n")
    consumer.close()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
