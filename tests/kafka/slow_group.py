#!/usr/bin/python3
"""A slow member of a consumer group, for the ingestor's pacing test.

usage: slow_group.py BROKERS GROUP TOPIC RATE STOP_FILE

Commits offset 0 on every partition of TOPIC first (so the group's lag can
be measured from the start), prints "ready", then consumes at most RATE
records a second, committing after each batch, and after every commit
measures the group's lag on each partition (end offset - committed).  When
STOP_FILE exists and everything is consumed, prints
"max_lag N consumed M" and exits 0.  Gives up after 120 s (exit 1).
"""

import os
import sys
import time

from confluent_kafka import Consumer, TopicPartition


def main():
    brokers, group, topic, rate, stop_file = sys.argv[1:6]
    rate = int(rate)
    # A short fetch wait: requests on a connection are answered in order,
    # so a long-polling Fetch would hold the ListOffsets behind it.
    c = Consumer({"bootstrap.servers": brokers, "group.id": group,
                  "enable.auto.commit": False,
                  "auto.offset.reset": "earliest",
                  "fetch.wait.max.ms": 10})
    parts = sorted(c.list_topics(topic, timeout=10).topics[topic].partitions)
    tps = [TopicPartition(topic, p, 0) for p in parts]
    c.commit(offsets=tps, asynchronous=False)
    c.assign(tps)
    print("ready", flush=True)
    committed = {p: 0 for p in parts}
    max_lag, consumed = 0, 0
    deadline = time.time() + 120
    step = 0.05
    while time.time() < deadline:
        t0 = time.time()
        msgs = c.consume(num_messages=max(1, int(rate * step)), timeout=step)
        got = [m for m in msgs if not m.error()]
        consumed += len(got)
        if got:
            offs = {}
            for m in got:
                offs[m.partition()] = m.offset() + 1
            c.commit(offsets=[TopicPartition(topic, p, o)
                              for p, o in offs.items()], asynchronous=False)
            committed.update(offs)
        behind = 0
        ends = c.offsets_for_times([TopicPartition(topic, p, -1)
                                    for p in parts], timeout=5)
        for tp in ends:
            lag = tp.offset - committed[tp.partition]
            max_lag = max(max_lag, lag)
            behind += lag
        if os.path.exists(stop_file) and behind == 0:
            print("max_lag %d consumed %d" % (max_lag, consumed), flush=True)
            c.close()
            return 0
        spent = time.time() - t0
        if spent < step:
            time.sleep(step - spent)
    print("timed out: max_lag %d consumed %d" % (max_lag, consumed),
          flush=True)
    c.close()
    return 1


if __name__ == "__main__":
    sys.exit(main())
