#!/usr/bin/python3
"""Brute-force reference report for storemon (standard library only).

Reads the polls, business-hours and time-zone CSVs and computes the uptime
report of SPEC.md by looking at every second of the week window one at a
time:

  * every business-hours row becomes UTC open intervals exactly as SPEC's
    "Business hours as instants" says, and every second of the week window
    that lies in one of them is marked open in a per-second bytearray
    (overlapping rows simply mark the same seconds again: the union);
  * for every second of the window the status of the nearest poll is decided
    on its own (ties at a midpoint go to the later poll, before the first
    poll / after the last one the end polls extrapolate);
  * seconds are then counted per window and per status.

The result is exact as long as every boundary (poll instants and so the
midpoints between them, business hours, now) is a whole second: with whole
second boundaries the status and the open flag are constant over each
[t, t+1).  The generator only writes poll instants on even seconds, so that
midpoints are whole seconds too; the oracle refuses data where a midpoint
inside the window would fall on a half second.

Time zones: local(D, hh:mm:ss) is
    datetime(D.year, D.month, D.day, hh, mm, ss, tzinfo=ZoneInfo(z), fold=0)
converted to UTC.  zoneinfo with fold=0 maps an ambiguous wall time (fall
back) to the first, earlier instant, and a nonexistent wall time (spring
forward) with the offset in force before the change (Chicago 02:30 on a
spring-forward night -> 08:30 UTC = 03:30 CDT), which is SPEC's rule.
`selftest` verifies both on real transitions before anything else.

Usage:
  oracle.py report --polls P.csv --hours H.csv --zones Z.csv
                   [--as-of 'YYYY-MM-DD HH:MM:SS'] [--out report.csv]
                   [--open-out open.csv] [--now-out now.txt]
  oracle.py selftest
"""

import argparse
import csv
import datetime as dt
import os
import re
import sys
import tempfile
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
HOUR = 3600
DAY = 24 * HOUR
WEEK = 7 * DAY
DEFAULT_ZONE = "America/Chicago"
HEADER = ("store_id,uptime_last_hour,uptime_last_day,uptime_last_week,"
          "downtime_last_hour,downtime_last_day,downtime_last_week")

ACTIVE = 1      # per-second codes in the status array
INACTIVE = 2
OPEN = 0xFF     # per-second mask in the open array


class OracleError(Exception):
    pass


# ---------------------------------------------------------------- parsing

_TS_RE = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d+)?"
    r"\s*(UTC|Z|[+-]\d{2}:?\d{2})$")


def parse_ts(text):
    """Poll timestamp -> integer UTC epoch seconds (whole seconds only)."""
    m = _TS_RE.match(text.strip())
    if not m:
        raise OracleError("unparsable timestamp %r" % text)
    y, mo, d, h, mi, s = (int(g) for g in m.groups()[:6])
    frac, zone = m.group(7), m.group(8)
    if frac and int(frac[1:]) != 0:
        raise OracleError("oracle needs whole seconds: %r" % text)
    t = dt.datetime(y, mo, d, h, mi, s, tzinfo=UTC)
    secs = int(t.timestamp())
    if zone not in ("UTC", "Z"):
        sign = 1 if zone[0] == "+" else -1
        z = zone[1:].replace(":", "")
        secs -= sign * (int(z[:2]) * HOUR + int(z[2:]) * 60)
    return secs


def parse_as_of(text):
    t = dt.datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S")
    return int(t.replace(tzinfo=UTC).timestamp())


def parse_hms(text):
    parts = text.strip().split(":")
    if len(parts) == 2:
        parts.append("0")
    h, m, s = (int(p) for p in parts)
    if not (0 <= h < 24 and 0 <= m < 60 and 0 <= s < 60):
        raise OracleError("bad time %r" % text)
    return h, m, s


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        rows = []
        for row in csv.DictReader(f):
            if not any((v or "").strip() for v in row.values()):
                continue
            rows.append({(k or "").strip(): (v or "").strip()
                         for k, v in row.items()})
        return rows


def load(polls_path, hours_path, zones_path):
    """Returns (polls, hours, zones):
    polls: store -> list of (t, is_active) in file order
    hours: store -> list of (day, (h,m,s), (h,m,s))
    zones: store -> zone name (last row wins; empty -> not set)"""
    polls = {}
    for r in read_csv(polls_path):
        st = r["status"].lower()
        if st not in ("active", "inactive"):
            raise OracleError("bad status %r" % r["status"])
        polls.setdefault(r["store_id"], []).append(
            (parse_ts(r["timestamp_utc"]), st == "active"))
    hours = {}
    for r in read_csv(hours_path):
        day = r.get("dayOfWeek", r.get("day"))
        d = int(day)
        if not 0 <= d <= 6:
            raise OracleError("bad day %r" % day)
        hours.setdefault(r["store_id"], []).append(
            (d, parse_hms(r["start_time_local"]),
             parse_hms(r["end_time_local"])))
    zones = {}
    for r in read_csv(zones_path):
        zones[r["store_id"]] = r["timezone_str"]
    return polls, hours, zones


# ------------------------------------------------------- business hours

def local_instant(zone, date, hms):
    """SPEC's local(D, hh:mm:ss): zoneinfo, fold=0 (see module doc)."""
    h, m, s = hms
    t = dt.datetime(date.year, date.month, date.day, h, m, s,
                    tzinfo=zone, fold=0)
    return int(t.astimezone(UTC).timestamp())


def open_intervals(rows, zone, lo, hi):
    """UTC open intervals [a, b) of a store that may meet [lo, hi)."""
    if not rows:
        return [(lo, hi)]               # no rows: open 24x7
    first = dt.datetime.fromtimestamp(lo, UTC).date() - dt.timedelta(days=3)
    last = dt.datetime.fromtimestamp(hi, UTC).date() + dt.timedelta(days=3)
    out = []
    date = first
    while date <= last:
        wd = date.weekday()             # 0 = Monday, as SPEC's dayOfWeek
        nxt = date + dt.timedelta(days=1)
        for d, start, end in rows:
            if d != wd:
                continue
            a = local_instant(zone, date, start)
            if end > start:
                b = local_instant(zone, date, end)
            elif end < start:
                b = local_instant(zone, nxt, end)       # overnight
            else:
                b = local_instant(zone, nxt, start)     # full day
            if a < b:                   # an empty UTC interval adds nothing
                out.append((a, b))
        date = nxt
    return out


# ------------------------------------------------------------ the report

def store_counts(poll_list, rows, zone, now):
    """Per-window second counts for one store:
    {'hour'|'day'|'week': (up_s, down_s, open_s)}, or None if no poll <= now.
    """
    latest = {}
    for t, active in poll_list:         # file order: last one wins
        if t <= now:
            latest[t] = active
    if not latest:
        return None
    times = sorted(latest)
    codes = [ACTIVE if latest[t] else INACTIVE for t in times]

    w0 = now - WEEK
    # open flag of every second of [w0, now)
    om = bytearray(WEEK)
    for a, b in sorted(open_intervals(rows, zone, w0, now)):
        a, b = max(a, w0), min(b, now)
        if a < b:
            om[a - w0:b - w0] = b"\xff" * (b - a)

    # status of every second of [w0, now): nearest poll, decided per second
    # with a pointer walk over the sorted polls.
    st = bytearray()
    n = len(times)
    t = w0
    # seconds before the first poll: the first poll is the nearest
    if times[0] > t:
        e = min(times[0], now)
        c = codes[0]
        st += bytes(c for _ in range(t, e))
        t = e
    k = 0
    while t < now:
        while k + 1 < n and times[k + 1] <= t:
            k += 1
        if k + 1 >= n:                  # after the last poll
            c = codes[n - 1]
            st += bytes(c for _ in range(t, now))
            break
        a, b = times[k], times[k + 1]   # a <= t < b
        e = min(b, now)
        if (a + b) % 2 and w0 < (a + b) / 2 < now:
            raise OracleError("midpoint on a half second (%d, %d)" % (a, b))
        ca, cb = codes[k], codes[k + 1]
        # nearer poll wins; equally near (the midpoint) -> the later poll
        st += bytes(ca if t2 - a < b - t2 else cb for t2 in range(t, e))
        t = e
    if len(st) != WEEK:
        raise OracleError("internal: status array has %d seconds" % len(st))

    # per-byte AND: open & status (0 where closed)
    both = (int.from_bytes(st, "little") & int.from_bytes(om, "little")
            ).to_bytes(WEEK, "little")
    res = {}
    for name, length in (("hour", HOUR), ("day", DAY), ("week", WEEK)):
        s0 = WEEK - length
        up = both.count(ACTIVE, s0)
        down = both.count(INACTIVE, s0)
        opn = om.count(OPEN, s0)
        if up + down != opn:
            raise OracleError("internal: up+down != open")
        res[name] = (up, down, opn)
    return res


def compute(polls, hours, zones, as_of=None):
    """Returns (now, {store: counts}) for the stores in the report."""
    if as_of is not None:
        now = as_of
    else:
        all_t = [t for lst in polls.values() for t, _ in lst]
        if not all_t:
            return None, {}
        now = max(all_t)
    out = {}
    for store, lst in polls.items():
        zname = zones.get(store) or DEFAULT_ZONE
        c = store_counts(lst, hours.get(store, []), ZoneInfo(zname), now)
        if c is not None:
            out[store] = c
    return now, out


def sorted_stores(result):
    return sorted(result, key=lambda s: s.encode("utf-8"))


def format_report(result):
    lines = [HEADER]
    for s in sorted_stores(result):
        c = result[s]
        vals = (c["hour"][0] / 60, c["day"][0] / HOUR, c["week"][0] / HOUR,
                c["hour"][1] / 60, c["day"][1] / HOUR, c["week"][1] / HOUR)
        lines.append(s + "," + ",".join("%.2f" % v for v in vals))
    return "\n".join(lines) + "\n"


def format_open(result):
    lines = ["store_id,open_hour_s,open_day_s,open_week_s"]
    for s in sorted_stores(result):
        c = result[s]
        lines.append("%s,%d,%d,%d" % (s, c["hour"][2], c["day"][2],
                                      c["week"][2]))
    return "\n".join(lines) + "\n"


def run_report(args):
    polls, hours, zones = load(args.polls, args.hours, args.zones)
    as_of = parse_as_of(args.as_of) if args.as_of else None
    now, result = compute(polls, hours, zones, as_of)
    rep = format_report(result)
    if args.out:
        with open(args.out, "w") as f:
            f.write(rep)
    else:
        sys.stdout.write(rep)
    if args.open_out:
        with open(args.open_out, "w") as f:
            f.write(format_open(result))
    if args.now_out:
        with open(args.now_out, "w") as f:
            f.write((dt.datetime.fromtimestamp(now, UTC).strftime(
                "%Y-%m-%d %H:%M:%S") if now is not None else "") + "\n")


# ------------------------------------------------------------ self-test

def _utc(s):
    return int(dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S")
               .replace(tzinfo=UTC).timestamp())


def selftest():
    fails = []

    def check(what, got, want):
        if got != want:
            fails.append("%s: got %r, want %r" % (what, got, want))

    # zoneinfo fold=0 on a gap and an overlap (SPEC's rule)
    chi = ZoneInfo("America/Chicago")
    check("Chicago gap 2023-03-12 02:30 -> offset before (CST)",
          local_instant(chi, dt.date(2023, 3, 12), (2, 30, 0)),
          _utc("2023-03-12 08:30:00"))
    check("Chicago overlap 2023-11-05 01:30 -> earlier instant (CDT)",
          local_instant(chi, dt.date(2023, 11, 5), (1, 30, 0)),
          _utc("2023-11-05 06:30:00"))
    syd = ZoneInfo("Australia/Sydney")
    check("Sydney gap 2023-10-01 02:30 -> offset before (AEST)",
          local_instant(syd, dt.date(2023, 10, 1), (2, 30, 0)),
          _utc("2023-09-30 16:30:00"))
    check("Sydney overlap 2023-04-02 02:30 -> earlier instant (AEDT)",
          local_instant(syd, dt.date(2023, 4, 2), (2, 30, 0)),
          _utc("2023-04-01 15:30:00"))
    # SPEC: New York Sunday 02:30-03:15 on spring-forward night -> empty
    ny = ZoneInfo("America/New_York")
    check("New York 2023-03-12 02:30 -> 07:30 UTC",
          local_instant(ny, dt.date(2023, 3, 12), (2, 30, 0)),
          _utc("2023-03-12 07:30:00"))
    check("New York 2023-03-12 03:15 -> 07:15 UTC",
          local_instant(ny, dt.date(2023, 3, 12), (3, 15, 0)),
          _utc("2023-03-12 07:15:00"))
    iv = open_intervals([(6, (2, 30, 0), (3, 15, 0))], ny,
                        _utc("2023-03-06 00:00:00"),
                        _utc("2023-03-20 00:00:00"))
    check("New York Sunday 02:30-03:15 around 2023-03-12", sorted(iv),
          [(_utc("2023-03-05 07:30:00"), _utc("2023-03-05 08:15:00")),
           (_utc("2023-03-19 06:30:00"), _utc("2023-03-19 07:15:00"))])

    # SPEC's worked example, through the CSV path
    with tempfile.TemporaryDirectory() as d:
        p, h, z = (os.path.join(d, n) for n in ("p.csv", "h.csv", "z.csv"))
        with open(p, "w") as f:
            f.write("store_id,status,timestamp_utc\n"
                    "s1,active,2023-01-23 10:14:00 UTC\n"
                    "s1,inactive,2023-01-23 11:15:00 UTC\n")
        with open(h, "w") as f:
            f.write("store_id,dayOfWeek,start_time_local,end_time_local\n"
                    "s1,0,09:00:00,12:00:00\n")
        with open(z, "w") as f:
            f.write("store_id,timezone_str\ns1,UTC\n")
        polls, hours, zones = load(p, h, z)
        _, res = compute(polls, hours, zones, _utc("2023-01-23 12:00:00"))
        check("worked example report", format_report(res),
              HEADER + "\ns1,0.00,1.74,1.74,60.00,1.26,1.26\n")
        check("worked example seconds", res["s1"]["day"],
              (6270, 4530, 3 * HOUR))
        # ties at the midpoint go to the later poll; a duplicate instant
        # takes the last row; after the last poll the last status
        # extrapolates; polls after now are ignored, a poll at now counts
        with open(p, "w") as f:
            f.write("store_id,status,timestamp_utc\n"
                    "s1,inactive,2023-01-23 11:00:00 UTC\n"
                    "s1,inactive,2023-01-23 11:00:02 UTC\n"
                    "s1,active,2023-01-23 11:00:02+00:00\n"
                    "s1,inactive,2023-01-23T12:00:00Z\n")
        polls, hours, zones = load(p, h, z)
        # hour [10:59:58, 11:59:58): inactive up to the midpoint 11:00:01
        _, res = compute(polls, hours, zones, _utc("2023-01-23 11:59:58"))
        check("tie/duplicate/after-now", res["s1"]["hour"], (3597, 3, 3600))
        # hour [11:00, 12:00): 1 s inactive, 11:00:01-11:30:01 active,
        # 11:30:01-12:00 inactive (the poll at now)
        _, res = compute(polls, hours, zones, _utc("2023-01-23 12:00:00"))
        check("poll at now", res["s1"]["hour"], (1800, 1800, 3600))
        # closed day: Tuesday, nothing open
        _, res = compute(polls, hours, zones, _utc("2023-01-24 12:00:00"))
        check("closed day", res["s1"]["day"], (0, 0, 0))

    if fails:
        for f in fails:
            print("oracle selftest FAILED: " + f, file=sys.stderr)
        return 1
    print("oracle selftest ok (zoneinfo fold=0 gap/overlap, worked example)")
    return 0


def main(argv):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("report")
    r.add_argument("--polls", required=True)
    r.add_argument("--hours", required=True)
    r.add_argument("--zones", required=True)
    r.add_argument("--as-of")
    r.add_argument("--out")
    r.add_argument("--open-out")
    r.add_argument("--now-out")
    sub.add_parser("selftest")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "selftest":
            return selftest()
        run_report(args)
        return 0
    except OracleError as e:
        print("oracle: " + str(e), file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
