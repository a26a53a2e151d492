#!/usr/bin/python3
"""Redelivers a topic: reads every record of every partition from the
beginning up to the current end and produces it again, same partition,
key and value (what an at-least-once producer's retry or a consumer's
rewind looks like to the gateway).

usage: replay.py --brokers B --topic T
Prints the number of records produced again.
"""

import argparse
import sys

from confluent_kafka import Consumer, Producer, TopicPartition


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--topic", required=True)
    a = ap.parse_args()
    c = Consumer({"bootstrap.servers": a.brokers, "group.id": "replay",
                  "enable.auto.commit": False})
    p = Producer({"bootstrap.servers": a.brokers, "acks": "all"})
    md = c.list_topics(a.topic, timeout=20)
    records = []
    for part in sorted(md.topics[a.topic].partitions):
        lo, hi = c.get_watermark_offsets(TopicPartition(a.topic, part),
                                         timeout=20)
        if hi <= lo:
            continue
        c.assign([TopicPartition(a.topic, part, lo)])
        while True:
            m = c.poll(10)
            if m is None:
                print("replay: partition %d: no record before the end" % part,
                      file=sys.stderr)
                return 1
            if m.error():
                continue
            records.append((part, m.key(), m.value()))
            if m.offset() >= hi - 1:
                break
    c.close()
    for part, key, value in records:
        p.produce(a.topic, value=value, key=key, partition=part)
    if p.flush(30) != 0:
        print("replay: records left unacknowledged", file=sys.stderr)
        return 1
    print(len(records))
    return 0


if __name__ == "__main__":
    sys.exit(main())
