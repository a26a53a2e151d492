#!/usr/bin/python3
"""Checks what storemon-ingestor published, with clients storemon did not
write: python3-confluent-kafka reads every topic from the beginning and
python3-avro decodes every record with the schemas/*.avsc files.

The inputs are parsed again here, independently of the C code, from SPEC's
rules (CSV by header name, trimming, physical line numbers, the accepted
forms of every field).  Then:

- every record starts with C3 01 and the CRC-64-AVRO fingerprint of its
  schema's Parsing Canonical Form, both computed here from the .avsc text
  (not with python3-avro's canonical_form, which mishandles logical
  types); its body decodes with avro.io.DatumReader and nothing is left;
- every record is on the partition Java's murmur2 picks for its key with
  the topic's partition count, and its key is its store_id (its source for
  rejects);
- store-polls holds every accepted poll exactly once per accepted row
  (per store_id and timestamp, with the statuses in file order) and
  nothing else; after `load` each partition is in timestamp order;
- store-hours holds one record per store of the hours file with its whole
  schedule (accepted rows in file order, an end of 00:00 as 86400; an
  empty list for a store whose every row was bad);
- store-timezones holds one record per store of the zones file: the last
  accepted zone ('' and all-bad stores: America/Chicago);
- ingest-rejects holds every bad row once, with its source, line, raw text
  and a reason, and the --rejects file says the same.
- no partition lost data (log start offset 0).

usage: verify_topics.py --brokers B --schemas DIR
         [--polls F] [--hours F] [--zones F]        (a load)
         [--stream F --source NAME]...              (stream runs)
         [--rejects-file F]...
Prints one line per check and "N passed, N failed"; exit 1 on failure.
"""

import argparse
import calendar
import io
import json
import os
import re
import sys
import time
import zoneinfo

import avro.io
import avro.schema
from confluent_kafka import Consumer, TopicPartition, KafkaError

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "tools"))
from avro_pcf import canonical_form, crc64_avro  # noqa: E402

DEFAULT_ZONE = "America/Chicago"
STORE_ID_MAX = 255

passed = 0
failed = 0


def check(ok, what, detail=""):
    global passed, failed
    if ok:
        passed += 1
        print("ok - " + what)
    else:
        failed += 1
        print("FAIL - " + what + (": " + detail if detail else ""))


# ---------------------------------------------------------------- murmur2

def murmur2(data):
    """Java's org.apache.kafka.common.utils.Utils.murmur2."""
    m, r = 0x5BD1E995, 24
    length = len(data)
    h = (0x9747B28C ^ length) & 0xFFFFFFFF
    for i in range(length // 4):
        k = int.from_bytes(data[4 * i:4 * i + 4], "little")
        k = (k * m) & 0xFFFFFFFF
        k ^= k >> r
        k = (k * m) & 0xFFFFFFFF
        h = (h * m) & 0xFFFFFFFF
        h ^= k
    rest, idx = length % 4, length & ~3
    if rest >= 3:
        h ^= data[idx + 2] << 16
    if rest >= 2:
        h ^= data[idx + 1] << 8
    if rest >= 1:
        h ^= data[idx]
        h = (h * m) & 0xFFFFFFFF
    h ^= h >> 13
    h = (h * m) & 0xFFFFFFFF
    h ^= h >> 15
    return h


def java_partition(key, n):
    return (murmur2(key) & 0x7FFFFFFF) % n


def murmur2_selftest():
    """Vectors from Kafka's UtilsTest.testMurmur2."""
    cases = {b"21": -973932308, b"foobar": -790332482,
             b"a-little-bit-long-string": -985981536,
             b"a-little-bit-longer-string": -1486304829,
             b"lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8": -58897971,
             b"abc": 479470107}
    for k, v in cases.items():
        if murmur2(k) != v & 0xFFFFFFFF:
            return False
    return True


# -------------------------------------------------------- SPEC input rules

def utf8_clean(b):
    """Invalid UTF-8 -> U+FFFD per maximal subpart, NUL -> U+FFFD."""
    return b.decode("utf-8", "replace").replace("\x00", "\ufffd")


def csv_records(data):
    """Yields (line, fields or None, error, raw) per non-blank record:
    RFC 4180 quoting, fields trimmed, a quoted field may span lines,
    physical line numbers (header = 1), BOM and CRLF accepted."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    lines = data.split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    i = 0
    while i < len(lines):
        first = i + 1
        text = lines[i]
        i += 1
        if text.endswith(b"\r"):
            text = text[:-1]
        if text.strip(b" \t") == b"":
            continue
        fields, error, pos, field = [], None, 0, None
        while True:
            # one field starting at pos
            while pos < len(text) and text[pos:pos + 1] in (b" ", b"\t"):
                pos += 1
            if text[pos:pos + 1] == b'"':
                pos += 1
                val = b""
                while True:
                    q = text.find(b'"', pos)
                    if q < 0:
                        if i < len(lines):
                            val += text[pos:] + b"\n"
                            nxt = lines[i]
                            i += 1
                            if nxt.endswith(b"\r"):
                                nxt = nxt[:-1]
                            text = text + b"\n" + nxt
                            pos = len(text) - len(nxt)
                            continue
                        error = "unterminated quote"
                        val += text[pos:]
                        pos = len(text)
                        break
                    if text[q + 1:q + 2] == b'"':
                        val += text[pos:q] + b'"'
                        pos = q + 2
                        continue
                    val += text[pos:q]
                    pos = q + 1
                    break
                while pos < len(text) and text[pos:pos + 1] in (b" ", b"\t"):
                    pos += 1
                if error is None and pos < len(text) and \
                        text[pos:pos + 1] != b",":
                    error = "text after a closing quote"
                    c = text.find(b",", pos)
                    pos = len(text) if c < 0 else c
                field = val
            else:
                c = text.find(b",", pos)
                end = len(text) if c < 0 else c
                field = text[pos:end].strip(b" \t")
                pos = end
            fields.append(field)
            if pos < len(text) and text[pos:pos + 1] == b",":
                pos += 1
                continue
            break
        yield first, fields, error, text


TS_RE = re.compile(
    rb"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d*))?(.*)$")
OFF_RE = re.compile(rb"^([+-])(\d{2})(?::?(\d{2}))?$")
HMS_RE = re.compile(rb"^(\d{2}):(\d{2})(?::(\d{2}))?$")
ZONE_NAME_RE = re.compile(r"^[A-Za-z0-9_+-]+(/[A-Za-z0-9_+-]+)*$")


def parse_ts(b):
    m = TS_RE.match(b)
    if not m:
        return None
    y, mo, d, h, mi, s = (int(x) for x in m.groups()[:6])
    frac, rest = m.group(7), m.group(8)
    if not 1 <= mo <= 12 or not 1 <= d <= calendar.monthrange(y, mo)[1]:
        return None
    if h > 23 or mi > 59 or s > 59:
        return None
    us = 0
    if frac is not None:
        if not 1 <= len(frac) <= 9:
            return None
        us = int((frac + b"000000")[:6])
    if rest.startswith(b" "):
        rest = rest[1:]
    if rest in (b"UTC", b"Z", b"z"):
        off = 0
    else:
        o = OFF_RE.match(rest)
        if not o or int(o.group(2)) > 23 or int(o.group(3) or 0) > 59:
            return None
        off = (int(o.group(2)) * 3600 + int(o.group(3) or 0) * 60) * \
            (-1 if o.group(1) == b"-" else 1)
    days = (calendar.timegm((y, mo, d, 0, 0, 0)) // 86400)
    return ((days * 86400 + h * 3600 + mi * 60 + s - off) * 1000000) + us


def parse_hms(b):
    m = HMS_RE.match(b)
    if not m:
        return None
    h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
    if h > 23 or mi > 59 or s > 59:
        return None
    return h * 3600 + mi * 60 + s


_zone_ok = {}


def zone_valid(b):
    try:
        name = b.decode("ascii")
    except UnicodeDecodeError:
        return False
    if name not in _zone_ok:
        ok = bool(ZONE_NAME_RE.match(name))
        if ok:
            try:
                zoneinfo.ZoneInfo(name)
            except Exception:
                ok = False
        _zone_ok[name] = ok
    return _zone_ok[name]


def store_id_ok(b):
    if not b or len(b) > STORE_ID_MAX:
        return False
    if any(c < 0x20 or c == 0x7F or c in b'",' for c in b):
        return False
    try:
        b.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


COLUMNS = {
    "polls": [("store_id",), ("timestamp_utc",), ("status",)],
    "hours": [("store_id",), ("dayofweek", "day"), ("start_time_local",),
              ("end_time_local",)],
    "zones": [("store_id",), ("timezone_str",)],
}


def header_map(kind, fields):
    names = [f.decode("utf-8", "replace").lower() for f in fields]
    cols = []
    for alts in COLUMNS[kind]:
        col = None
        for a in alts:
            if a in names:
                col = names.index(a)
                break
        if col is None:
            raise SystemExit("verify: %s header lacks %s" % (kind, alts[0]))
        cols.append(col)
    return cols


def validate(kind, f):
    """Returns the parsed row or None (bad)."""
    sid = f[0]
    if not store_id_ok(sid):
        return None
    if kind == "polls":
        ts = parse_ts(f[1])
        st = f[2].lower()
        if ts is None or st not in (b"active", b"inactive"):
            return None
        return (sid, ts, st == b"active")
    if kind == "hours":
        if len(f[1]) != 1 or not b"0" <= f[1] <= b"6":
            return None
        s, e = parse_hms(f[2]), parse_hms(f[3])
        if s is None or e is None:
            return None
        return (sid, int(f[1]), s, 86400 if e == 0 else e)
    if f[1] == b"":
        return (sid, DEFAULT_ZONE)
    if not zone_valid(f[1]):
        return None
    return (sid, f[1].decode("ascii"))


class Expected:
    def __init__(self):
        self.polls = {}          # (sid, ts) -> [active, ...] in file order
        self.hours = {}          # sid -> [(day, start, end)]
        self.zones = {}          # sid -> name
        self.rejects = {}        # (source, line) -> raw text
        self.sources = set()

    def read_file(self, kind, path, data=None):
        if data is None and path == "-":
            data = sys.stdin.buffer.read()
        elif data is None:
            with open(path, "rb") as fh:
                data = fh.read()
        source = "<stdin>" if path == "-" else path
        self.sources.add(source)
        cols = None
        for line, fields, error, raw in csv_records(data):
            if cols is None:
                cols = header_map(kind, fields)
                ncols = len(fields)
                continue
            self.row(kind, source, line, fields, error, raw, cols, ncols)

    def row(self, kind, source, line, fields, error, raw, cols, ncols):
        good = None
        if error is None and len(fields) == ncols:
            good = validate(kind, [fields[c] for c in cols])
        if good is None:
            self.rejects[(source, line)] = utf8_clean(raw)
            # the store a bad row names, if its store_id is good
            if kind != "polls" and error is None and cols[0] < len(fields) \
                    and store_id_ok(fields[cols[0]]):
                sid = fields[cols[0]]
                if kind == "hours":
                    self.hours.setdefault(sid, [])
                else:
                    self.zones.setdefault(sid, DEFAULT_ZONE)
            return
        if kind == "polls":
            self.polls.setdefault((good[0], good[1]), []).append(good[2])
        elif kind == "hours":
            self.hours.setdefault(good[0], []).append(good[1:])
        else:
            self.zones[good[0]] = good[1]

    def read_stream(self, path, source):
        """What `stream` does with the file fed on stdin."""
        with open(path, "rb") as fh:
            data = fh.read()
        self.sources.add(source)
        lines = data.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        first = None
        for no, ln in enumerate(lines, 1):
            t = ln[:-1] if ln.endswith(b"\r") else ln
            if no == 1 and t.startswith(b"\xef\xbb\xbf"):
                t = t[3:]
            if t.strip(b" \t") != b"":
                first = t.lstrip(b" \t")
                break
        if first is None:
            return
        if not first.startswith(b"{"):
            # CSV: the same rules as a file, one physical line per row
            self.read_file("polls", source, data)
            return
        for no, ln in enumerate(lines, 1):
            t = ln[:-1] if ln.endswith(b"\r") else ln
            if no == 1 and t.startswith(b"\xef\xbb\xbf"):
                t = t[3:]
            if t.strip(b" \t\r") == b"":
                continue
            good = None
            try:
                obj = json.loads(t.decode("utf-8"),
                                 object_pairs_hook=_no_dups)
            except (ValueError, UnicodeDecodeError):
                obj = None
            if isinstance(obj, dict):
                vals = [obj.get(k) for k in
                        ("store_id", "timestamp_utc", "status")]
                if all(v is None or isinstance(v, str) for v in vals) and \
                        not any(v is not None and "\x00" in v for v in vals):
                    f = [(v or "").strip(" \t").encode("utf-8")
                         for v in vals]
                    good = validate("polls", f)
            if good is None:
                self.rejects[(source, no)] = utf8_clean(
                    ln[:-1] if ln.endswith(b"\r") else ln)
            else:
                self.polls.setdefault((good[0], good[1]), []).append(good[2])


def _no_dups(pairs):
    keys = [k for k, _ in pairs]
    if len(keys) != len(set(keys)):
        raise ValueError("duplicate key")
    return dict(pairs)


# ---------------------------------------------------------------- reading

def read_topic(brokers, topic, deadline):
    """All records of a topic: [(partition, offset, key, value)], the
    partition count, and the partitions whose log start is not 0."""
    c = Consumer({"bootstrap.servers": brokers,
                  "group.id": "verify-topics-%d" % time.time_ns(),
                  "enable.auto.commit": False,
                  "auto.offset.reset": "error",
                  "enable.partition.eof": False})
    try:
        md = c.list_topics(topic, timeout=10)
        nparts = len(md.topics[topic].partitions)
        ends, dropped = {}, []
        for p in range(nparts):
            lo, hi = c.get_watermark_offsets(TopicPartition(topic, p),
                                             timeout=10)
            if lo != 0:
                dropped.append(p)
            if hi > lo:
                ends[p] = hi
        out = []
        if ends:
            c.assign([TopicPartition(topic, p, 0 if p not in dropped else -2)
                      for p in ends])
        pos = {p: -1 for p in ends}
        while any(pos[p] + 1 < ends[p] for p in ends):
            if time.time() > deadline:
                raise SystemExit("verify: timed out reading " + topic)
            for msg in c.consume(num_messages=10000, timeout=1.0):
                if msg.error():
                    if msg.error().code() == KafkaError._PARTITION_EOF:
                        continue
                    raise SystemExit("verify: %s: %s" % (topic, msg.error()))
                out.append((msg.partition(), msg.offset(), msg.key(),
                            msg.value()))
                pos[msg.partition()] = max(pos[msg.partition()],
                                           msg.offset())
        return out, nparts, dropped
    finally:
        c.close()


class Decoder:
    def __init__(self, schemas_dir, name):
        with open("%s/%s.avsc" % (schemas_dir, name), encoding="utf-8") as f:
            text = f.read()
        pcf = canonical_form(json.loads(text))
        self.fp = crc64_avro(pcf.encode("utf-8"))
        self.header = b"\xc3\x01" + self.fp.to_bytes(8, "little")
        self.reader = avro.io.DatumReader(avro.schema.parse(text))
        self.name = name

    def decode(self, value):
        """The record, or an error string."""
        if value is None or len(value) < 10:
            return None, "shorter than the 10-byte header"
        if value[:2] != b"\xc3\x01":
            return None, "not C3 01"
        if value[:10] != self.header:
            return None, "fingerprint %s, expected %016x" % (
                value[2:10].hex(), self.fp)
        buf = io.BytesIO(value[10:])
        try:
            rec = self.reader.read(avro.io.BinaryDecoder(buf))
        except Exception as e:  # a malformed body
            return None, "body: %s" % e
        if buf.tell() != len(value) - 10:
            return None, "%d trailing bytes" % (len(value) - 10 - buf.tell())
        return rec, None


def micros(v):
    if isinstance(v, int):
        return v
    epoch = v.replace(year=1970, month=1, day=1, hour=0, minute=0, second=0,
                      microsecond=0)
    d = v - epoch
    return (d.days * 86400 + d.seconds) * 1000000 + d.microseconds


def check_records(name, recs, nparts, dropped, dec, key_of):
    """Header, body, key and partition of every record; returns the
    decoded ones as (partition, offset, record)."""
    check(not dropped, "%s: no partition lost records" % name,
          "log start > 0 on partitions %s" % dropped)
    bad_hdr, bad_key, bad_part, out = [], [], [], []
    for p, o, k, v in recs:
        rec, err = dec.decode(v)
        if err:
            bad_hdr.append("[%d]@%d: %s" % (p, o, err))
            continue
        want = key_of(rec).encode("utf-8")
        if k != want:
            bad_key.append("[%d]@%d: key %r, expected %r" % (p, o, k, want))
        elif java_partition(k, nparts) != p:
            bad_part.append("[%d]@%d key %r: murmur2 says %d" %
                            (p, o, k, java_partition(k, nparts)))
        out.append((p, o, rec))
    check(not bad_hdr, "%s: %d records, every header C3 01 + %s fingerprint "
          "and body decoded whole" % (name, len(recs), dec.name),
          "; ".join(bad_hdr[:5]))
    check(not bad_key, "%s: every key is the record's %s" %
          (name, "source" if name == "ingest-rejects" else "store_id"),
          "; ".join(bad_key[:5]))
    check(not bad_part, "%s: every record on murmur2(key) %% %d" %
          (name, nparts), "; ".join(bad_part[:5]))
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--brokers", required=True)
    ap.add_argument("--schemas", required=True)
    ap.add_argument("--polls")
    ap.add_argument("--hours")
    ap.add_argument("--zones")
    ap.add_argument("--stream", action="append", default=[])
    ap.add_argument("--source", action="append", default=[])
    ap.add_argument("--rejects-file", action="append", default=[])
    ap.add_argument("--timeout", type=float, default=120)
    a = ap.parse_args()
    deadline = time.time() + a.timeout

    check(murmur2_selftest(), "murmur2 matches Java's test vectors")
    exp = Expected()
    if a.zones:
        exp.read_file("zones", a.zones)
    if a.hours:
        exp.read_file("hours", a.hours)
    if a.polls:
        exp.read_file("polls", a.polls)
    if len(a.source) != len(a.stream):
        raise SystemExit("verify: one --source per --stream")
    for path, source in zip(a.stream, a.source):
        exp.read_stream(path, source)
    sorted_load = bool(a.polls)

    # store-polls
    dec = Decoder(a.schemas, "StorePoll")
    recs, nparts, dropped = read_topic(a.brokers, "store-polls", deadline)
    got = {}
    order_bad = []
    last_ts = {}
    for p, o, rec in sorted(check_records(
            "store-polls", recs, nparts, dropped, dec,
            lambda r: r["store_id"]), key=lambda x: (x[0], x[1])):
        ts = micros(rec["timestamp_utc"])
        if sorted_load and ts < last_ts.get(p, ts):
            order_bad.append("[%d]@%d" % (p, o))
        last_ts[p] = ts
        got.setdefault((rec["store_id"].encode("utf-8"), ts), []).append(
            rec["status"] == "ACTIVE")
    missing = [k for k in exp.polls if k not in got]
    extra = [k for k in got if k not in exp.polls]
    differ = [k for k in exp.polls if k in got and got[k] != exp.polls[k]]
    nexp = sum(len(v) for v in exp.polls.values())
    check(not missing and not extra and not differ,
          "store-polls: every accepted poll exactly once per row "
          "(%d polls, %d store/timestamp pairs), statuses in file order" %
          (nexp, len(exp.polls)),
          "missing %s, unexpected %s, different %s" %
          (missing[:3], extra[:3], differ[:3]))
    if sorted_load:
        check(not order_bad, "store-polls: each partition in timestamp "
              "order", "out of order at " + ", ".join(order_bad[:5]))

    # store-hours
    if a.hours or a.stream:
        dec = Decoder(a.schemas, "StoreHours")
        recs, nparts, dropped = read_topic(a.brokers, "store-hours", deadline)
        got = {}
        dup = []
        for p, o, rec in check_records("store-hours", recs, nparts, dropped,
                                       dec, lambda r: r["store_id"]):
            sid = rec["store_id"].encode("utf-8")
            if sid in got:
                dup.append(sid)
            got[sid] = [(h["day_of_week"], h["start_local"], h["end_local"])
                        for h in rec["hours"]]
        check(not dup, "store-hours: one record per store", str(dup[:3]))
        wrong = [s for s in set(got) | set(exp.hours)
                 if got.get(s) != exp.hours.get(s)]
        check(not wrong, "store-hours: %d whole schedules (%d empty: every "
              "row bad)" % (len(exp.hours),
                            sum(1 for v in exp.hours.values() if not v)),
              "; ".join("%r: got %s expected %s" %
                        (s, got.get(s), exp.hours.get(s)) for s in wrong[:3]))

    # store-timezones
    if a.zones or a.stream:
        dec = Decoder(a.schemas, "StoreTimezone")
        recs, nparts, dropped = read_topic(a.brokers, "store-timezones",
                                           deadline)
        got = {}
        dup = []
        for p, o, rec in check_records("store-timezones", recs, nparts,
                                       dropped, dec,
                                       lambda r: r["store_id"]):
            sid = rec["store_id"].encode("utf-8")
            if sid in got:
                dup.append(sid)
            got[sid] = rec["timezone_str"]
        check(not dup, "store-timezones: one record per store", str(dup[:3]))
        wrong = [s for s in set(got) | set(exp.zones)
                 if got.get(s) != exp.zones.get(s)]
        check(not wrong, "store-timezones: the last accepted zone of each "
              "of %d stores" % len(exp.zones),
              "; ".join("%r: got %s expected %s" %
                        (s, got.get(s), exp.zones.get(s)) for s in wrong[:3]))

    # ingest-rejects
    dec = Decoder(a.schemas, "RejectedRow")
    recs, nparts, dropped = read_topic(a.brokers, "ingest-rejects", deadline)
    got = {}
    problems = []
    for p, o, rec in check_records("ingest-rejects", recs, nparts, dropped,
                                   dec, lambda r: r["source"]):
        k = (rec["source"], rec["line"])
        if k in got:
            problems.append("%s:%d twice" % k)
        got[k] = rec
        if not rec["reason"].strip():
            problems.append("%s:%d without a reason" % k)
    missing = sorted(k for k in exp.rejects if k not in got)
    extra = sorted(k for k in got if k not in exp.rejects)
    check(not missing and not extra and not problems,
          "ingest-rejects: every bad row once, with a reason (%d rows)" %
          len(exp.rejects),
          "missing %s, unexpected %s, %s" % (missing[:5], extra[:5],
                                             problems[:5]))
    raw_bad = [k for k in exp.rejects if k in got and
               "\n" not in exp.rejects[k] and
               got[k]["raw"] != exp.rejects[k]]
    check(not raw_bad, "ingest-rejects: raw is the row's text",
          "; ".join("%s:%d: %r != %r" % (k[0], k[1], got[k]["raw"],
                                         exp.rejects[k])
                    for k in raw_bad[:3]))
    if a.rejects_file:
        lines = {}
        for path in a.rejects_file:
            with open(path, "rb") as fh:
                for ln in fh.read().decode("utf-8", "replace").splitlines():
                    m = re.match(r"^(.*):(\d+): (.*)$", ln)
                    if m:
                        lines[(m.group(1), int(m.group(2)))] = m.group(3)
        diff = [k for k in set(lines) | set(got)
                if k not in lines or k not in got or
                lines[k] != got[k]["reason"]]
        check(not diff, "the rejects file and ingest-rejects agree "
              "(source, line, reason)", str(sorted(diff)[:5]))

    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
