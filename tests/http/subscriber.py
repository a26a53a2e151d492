#!/usr/bin/python3
"""A report-ready subscriber written with nothing from storemon: Debian's
python3-confluent-kafka reads the topic, python3-avro decodes the records
with schemas/ReportReady.avsc, urllib fetches the CSV.

For every record:
  - the value starts with the 10-byte single-object header: C3 01 and the
    little-endian CRC-64-AVRO fingerprint of ReportReady's Parsing
    Canonical Form, both computed from the .avsc text (tests/tools/avro_pcf.py,
    written from the Avro specification);
  - the rest decodes with avro.io.DatumReader, with nothing left over;
  - the key is the report_id;
  - the url answers 200 with text/csv, a CSV of store_count rows under
    the report header, identical to what the gateway serves for
    get_report?report_id=ID&format=csv.

It reads every partition from the beginning and stops once it has seen
--count distinct reports and then nothing new for --linger seconds (to
catch a second event for the same report), or after --timeout.  Output:
one line per report, "READY <report_id> <events> <store_count> <as_of>",
then "N passed, N failed" for the checks; exit 1 when a check failed or
the count was not reached.

usage: subscriber.py --brokers B --schemas DIR --count N
                     [--linger S] [--timeout S]
"""

import argparse
import datetime
import io
import json
import os
import sys
import time
import urllib.error
import urllib.request

import avro.io
import avro.schema
from confluent_kafka import Consumer, KafkaError, TopicPartition

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
from avro_pcf import canonical_form, crc64_avro  # noqa: E402

TOPIC = "report-ready"
HEADER = ("store_id,uptime_last_hour,uptime_last_day,uptime_last_week,"
          "downtime_last_hour,downtime_last_day,downtime_last_week")

passed = 0
failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print("FAIL - " + what + (": " + detail if detail else ""))


def micros(v):
    """timestamp-micros as decoded (a datetime, or an int) -> int µs."""
    if isinstance(v, int):
        return v
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    return (v - epoch) // datetime.timedelta(microseconds=1)


def fetch(url, retry_s=60):
    """GET url; a refused connection (the gateway restarting) is retried
    for up to retry_s seconds, as a subscriber should."""
    deadline = time.time() + retry_s
    while True:
        try:
            with urllib.request.urlopen(url, timeout=20) as r:
                return r.status, r.headers.get("Content-Type", ""), r.read()
        except urllib.error.URLError as e:
            # Refused (restarting) or 503 (starting: waiting for the
            # cluster) are worth another try; any other answer is final.
            retriable = not isinstance(e, urllib.error.HTTPError) or \
                e.code == 503
            if not retriable or time.time() > deadline:
                raise
            time.sleep(0.2)


def verify(key, value, header, reader):
    """Checks one record; returns the decoded event or None."""
    if value[:10] != header:
        check(False, "header", "got %s, want %s" % (value[:10].hex(),
                                                    header.hex()))
        return None
    bio = io.BytesIO(value[10:])
    ev = reader.read(avro.io.BinaryDecoder(bio))
    check(bio.tell() == len(value) - 10, "no bytes after the Avro body")
    rid = ev["report_id"]
    check(key == rid.encode(), "key is the report_id", repr(key))
    status, ctype, body = fetch(ev["url"])
    check(status == 200, "url answers 200", ev["url"])
    check(ctype.split(";")[0] == "text/csv", "url is text/csv", ctype)
    text = body.decode()
    lines = text.split("\n")
    check(lines[0] == HEADER, "CSV header")
    check(text.endswith("\n") and len(lines) - 2 == ev["store_count"],
          "store_count rows", "%d lines, store_count %d" %
          (len(lines) - 2, ev["store_count"]))
    base = ev["url"].split("/reports/")[0]
    _, _, mine = fetch(base + "/get_report?report_id=" + rid +
                       "&format=csv")
    check(mine == body, "url CSV == the gateway's get_report CSV", rid)
    return ev


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--schemas", required=True)
    ap.add_argument("--count", type=int, required=True)
    ap.add_argument("--linger", type=float, default=3.0)
    ap.add_argument("--timeout", type=float, default=120.0)
    a = ap.parse_args()

    text = open(a.schemas + "/ReportReady.avsc").read()
    fp = crc64_avro(canonical_form(json.loads(text)).encode())
    header = b"\xc3\x01" + fp.to_bytes(8, "little")
    reader = avro.io.DatumReader(avro.schema.parse(text))

    c = Consumer({"bootstrap.servers": a.brokers,
                  "group.id": "subscriber-test",
                  "enable.auto.commit": False,
                  "enable.partition.eof": False})
    md = c.list_topics(TOPIC, timeout=20)
    parts = sorted(md.topics[TOPIC].partitions)
    c.assign([TopicPartition(TOPIC, p, -2) for p in parts])  # beginning

    events = {}
    deadline = time.time() + a.timeout
    last_new = None
    while time.time() < deadline:
        if len(events) >= a.count and time.time() - last_new > a.linger:
            break
        m = c.poll(0.2)
        if m is None:
            continue
        if m.error():
            if m.error().code() != KafkaError._PARTITION_EOF:
                print("consumer error: %s" % m.error(), file=sys.stderr)
            continue
        ev = verify(m.key(), m.value(), header, reader)
        if ev is None:
            continue
        rid = ev["report_id"]
        if rid not in events:
            events[rid] = [0, ev]
        events[rid][0] += 1
        last_new = time.time()
    c.close()
    for rid, (n, ev) in sorted(events.items()):
        print("READY %s %d %d %d" % (rid, n, ev["store_count"],
                                     micros(ev["as_of"])))
    check(len(events) >= a.count, "%d reports announced" % a.count,
          "saw %d" % len(events))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
