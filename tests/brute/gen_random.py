#!/usr/bin/python3
"""Random small data sets for the brute-force cross-check.

  gen_random.py SEED OUTDIR

writes OUTDIR/polls.csv, hours.csv, zones.csv and OUTDIR/as_of (one line:
the as_of instant 'YYYY-MM-DD HH:MM:SS', or empty for the default now) and
OUTDIR/about (a one-line description of the set).  The same seed always
gives the same files.

Every row is well formed.  All poll instants are on even seconds, so every
midpoint between two polls is a whole second; business hours are whole
seconds in local time; as_of is a whole second.
"""

import datetime as dt
import os
import random
import sys
import uuid
from zoneinfo import ZoneInfo

UTC = dt.timezone.utc
HOUR = 3600
DAY = 86400

ZONES = [
    "America/New_York", "America/Chicago", "America/Denver", "Europe/London",
    "Australia/Sydney", "Pacific/Auckland", "America/Santiago",
    "Asia/Kolkata", "UTC", "Pacific/Chatham",
]

_transitions_cache = {}


def transitions(zone_name, year):
    """UTC instants (epoch seconds) where the zone's offset changes."""
    key = (zone_name, year)
    if key in _transitions_cache:
        return _transitions_cache[key]
    z = ZoneInfo(zone_name)

    def off(t):
        return dt.datetime.fromtimestamp(t, z).utcoffset()

    t0 = int(dt.datetime(year, 1, 1, tzinfo=UTC).timestamp())
    t1 = int(dt.datetime(year + 1, 1, 1, tzinfo=UTC).timestamp())
    out = []
    step = 6 * HOUR
    prev = off(t0)
    t = t0
    while t < t1:
        nt = t + step
        o = off(nt)
        if o != prev:
            lo, hi = t, nt              # off(lo) == prev, off(hi) != prev
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if off(mid) == prev:
                    lo = mid
                else:
                    hi = mid
            out.append(hi)
            prev = o
        t = nt
    _transitions_cache[key] = out
    return out


def fmt_utc(t):
    return dt.datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")


def fmt_poll_ts(rng, t, style):
    d = dt.datetime.fromtimestamp(t, UTC)
    if style == "plain" or rng.random() < 0.6:
        return d.strftime("%Y-%m-%d %H:%M:%S UTC")
    k = rng.randrange(5)
    if k == 0:
        return d.strftime("%Y-%m-%d %H:%M:%S.000000 UTC")
    if k == 1:
        return d.strftime("%Y-%m-%dT%H:%M:%SZ")
    if k == 2:
        return d.strftime("%Y-%m-%dT%H:%M:%S.000000+00:00")
    # the same instant written with another UTC offset
    off = rng.choice([-8 * 60, -5 * 60, 60, 2 * 60, 5 * 60 + 30, 13 * 60 + 45])
    ld = d + dt.timedelta(minutes=off)
    sign = "+" if off >= 0 else "-"
    return ld.strftime("%Y-%m-%dT%H:%M:%S") + "%s%02d:%02d" % (
        sign, abs(off) // 60, abs(off) % 60)


def store_ids(rng, n):
    kind = rng.randrange(3)
    ids = set()
    while len(ids) < n:
        k = kind if kind < 2 else rng.randrange(2)
        if k == 0:
            # integer-looking ids of mixed length: byte order != numeric
            ids.add(str(rng.choice([rng.randrange(1, 100),
                                    rng.randrange(1, 10 ** 6),
                                    rng.randrange(10 ** 18, 2 ** 63)])))
        else:
            ids.add(str(uuid.UUID(int=rng.getrandbits(128), version=4)))
    return sorted(ids)


def rand_time(rng):
    """(h, m, s) local; whole minutes or seconds, often near DST edges."""
    r = rng.random()
    if r < 0.3:
        h = rng.choice([0, 1, 2, 3, 23])
    else:
        h = rng.randrange(24)
    if rng.random() < 0.5:
        return (h, rng.choice([0, 0, 15, 30, 45, rng.randrange(60)]), 0)
    return (h, rng.randrange(60), rng.randrange(60))


def fmt_hms(rng, t):
    h, m, s = t
    if s == 0 and rng.random() < 0.2:
        return "%02d:%02d" % (h, m)
    return "%02d:%02d:%02d" % (h, m, s)


def hours_rows(rng, store):
    """Business-hours rows for one store (maybe none: open 24x7)."""
    if rng.random() < 0.15:
        return []
    rows = []
    days = rng.sample(range(7), rng.randint(1, 7))
    for d in days:
        kind = rng.random()
        if kind < 0.35:                               # ordinary
            a = rand_time(rng)
            b = rand_time(rng)
            if a > b:
                a, b = b, a
            rows.append((d, a, b))                    # may be a == b
        elif kind < 0.55:                             # overnight
            a = (rng.randint(16, 23), rng.choice([0, 30, rng.randrange(60)]),
                 0)
            b = (rng.randint(0, 5), rng.randrange(60), rng.randrange(60))
            rows.append((d, a, b))
        elif kind < 0.65:                             # full day
            a = rand_time(rng)
            rows.append((d, a, a))
        elif kind < 0.8:                              # split shift
            ts = sorted(rand_time(rng) for _ in range(4))
            rows.append((d, ts[0], ts[1]))
            rows.append((d, ts[2], ts[3]))
        else:                                         # overlapping rows
            a, b, c = sorted(rand_time(rng) for _ in range(3))
            rows.append((d, a, c))
            rows.append((d, b, rand_time(rng)))       # maybe overnight
    if rng.random() < 0.2:                            # a literal duplicate
        rows.append(rng.choice(rows))
    return [(store, d, a, b) for d, a, b in rows]


def dst_edge_rows(rng, store, zone_name, lo, hi):
    """Rows on the local weekday of each DST transition of the zone in
    [lo, hi], with times inside or around the skipped (spring forward) or
    repeated (fall back) wall-clock hour."""
    z = ZoneInfo(zone_name)
    years = {dt.datetime.fromtimestamp(lo, UTC).year,
             dt.datetime.fromtimestamp(hi, UTC).year}
    rows = []
    for y in sorted(years):
        for tr in transitions(zone_name, y):
            if not lo <= tr <= hi or rng.random() < 0.3:
                continue
            o_before = dt.datetime.fromtimestamp(tr - 1, z).utcoffset()
            o_after = dt.datetime.fromtimestamp(tr, z).utcoffset()
            w1 = dt.datetime.fromtimestamp(tr, UTC).replace(tzinfo=None) \
                + o_before
            w2 = dt.datetime.fromtimestamp(tr, UTC).replace(tzinfo=None) \
                + o_after
            e0, e1 = min(w1, w2), max(w1, w2)   # the gap or the overlap
            width = int((e1 - e0).total_seconds())

            def near():
                k = rng.random()
                if k < 0.25:
                    return e0
                if k < 0.4:
                    return e1
                off = rng.randint(-width // 2, width + width // 2)
                if rng.random() < 0.6:
                    off -= off % 60
                return e0 + dt.timedelta(seconds=off)

            for _ in range(rng.randint(1, 2)):
                a, b = near(), near()
                if rng.random() < 0.3 and width > 2:
                    # start inside the edge, end just past it: on a spring
                    # forward night an empty UTC interval (SPEC's example
                    # New York 02:30-03:15)
                    k = rng.randint(1, width - 1)
                    a = e0 + dt.timedelta(seconds=k)
                    b = e1 + dt.timedelta(seconds=rng.randint(0, k - 1))
                elif rng.random() < 0.15:
                    b = a                                 # full day
                elif rng.random() < 0.15:
                    b = a - dt.timedelta(minutes=rng.randint(1, 90))
                rows.append((store, a.weekday(),
                             (a.hour, a.minute, a.second),
                             (b.hour, b.minute, b.second)))
    return rows


def pick_anchor(rng, zones_used):
    """An instant near a DST transition of one of the set's zones."""
    cands = [z for z in zones_used if transitions(z, 2023)]
    z = rng.choice(cands)
    year = rng.choice([2021, 2022, 2023, 2024, 2025])
    tr = rng.choice(transitions(z, year))
    r = rng.random()
    if r < 0.3:        # now within a couple of hours after/before the edge
        delta = rng.randint(-2 * HOUR, 3 * HOUR)
    elif r < 0.5:      # the day window straddles the edge
        delta = rng.randint(0, DAY)
    else:              # the week window holds the edge
        delta = rng.randint(0, 7 * DAY + HOUR)
    return tr + delta, "%s transition %s" % (z, fmt_utc(tr))


def polls_for(rng, store, now, lo, hi, edges):
    """Poll rows (store, t, active) on even seconds in [lo, hi]."""
    r = rng.random()
    if r < 0.08:
        n = 1
    elif r < 0.25:
        n = rng.randint(2, 6)
    else:
        n = rng.randint(7, 300)
    p_active = rng.choice([0.95, 0.8, 0.5, 0.2, 0.05])
    times = []
    if rng.random() < 0.3:                            # clusters
        centers = [rng.randint(lo, hi) for _ in range(rng.randint(1, 4))]
        width = rng.choice([60, 600, 3 * HOUR, DAY])
        for _ in range(n):
            t = int(rng.gauss(rng.choice(centers), width))
            times.append(min(max(t, lo), hi))
    else:
        times = [rng.randint(lo, hi) for _ in range(n)]
    if rng.random() < 0.35:                           # dense near now
        for _ in range(rng.randint(3, 25)):
            times.append(rng.randint(now - rng.choice([HOUR, 3 * HOUR]), now))
    if rng.random() < 0.3:                            # polls on window edges
        for e in edges:
            if rng.random() < 0.5:
                times.append(e)
    times = [t - (t % 2) for t in times]              # even seconds
    rows = []
    status = rng.random() < p_active
    for t in times:
        if rng.random() < 0.3:                        # runs of one status
            status = rng.random() < p_active
        rows.append((store, t, status))
    for _ in range(rng.choice([0, 0, 1, 3])):         # same instant again
        _, t, _ = rng.choice(rows)
        rows.append((store, t, rng.random() < 0.5))
    return rows


def generate(seed, outdir):
    rng = random.Random(seed)
    n_stores = rng.randint(5, 15)
    stores = store_ids(rng, n_stores + rng.randint(0, 2))
    polled = stores[:n_stores]                        # others: no polls
    zone_of = {}
    zone_rows = []
    for s in stores:
        r = rng.random()
        if r < 0.12:
            continue                                  # no zone row
        if r < 0.17:
            zone_rows.append((s, ""))                 # empty: Chicago
            continue
        z = rng.choice(ZONES)
        if rng.random() < 0.07:                       # several rows
            zone_rows.append((s, rng.choice(ZONES)))
        zone_rows.append((s, z))
        zone_of[s] = z
    zones_used = sorted(set(zone_of.values()) | {"America/Chicago"})

    mode = rng.random()
    about = []
    if mode < 0.45:
        now, why = pick_anchor(rng, zones_used)
        as_of = now
        about.append("as_of near " + why)
    elif mode < 0.6:
        now = rng.randint(int(dt.datetime(2019, 1, 1, tzinfo=UTC).timestamp()),
                          int(dt.datetime(2026, 1, 1, tzinfo=UTC).timestamp()))
        as_of = now
        about.append("random as_of")
    else:
        if rng.random() < 0.5:
            now, why = pick_anchor(rng, zones_used)
            about.append("default now near " + why)
        else:
            now = rng.randint(
                int(dt.datetime(2019, 1, 1, tzinfo=UTC).timestamp()),
                int(dt.datetime(2026, 1, 1, tzinfo=UTC).timestamp()))
            about.append("default now")
        as_of = None
    if as_of is not None and rng.random() < 0.3:
        as_of -= as_of % 2                             # edges on even seconds
        now = as_of
    edges = [now - now % 2 - k for k in (0, HOUR, DAY, 7 * DAY)]

    lo = now - rng.randint(8 * DAY, 9 * DAY)
    hi = now + (rng.randint(0, DAY // 2) if as_of is not None else 0)
    style = "mixed" if rng.random() < 0.25 else "plain"
    if style == "mixed":
        about.append("mixed timestamp forms")

    polls = []
    for s in polled:
        polls += polls_for(rng, s, now, lo, hi, edges)
    if as_of is None:
        # the default now is the largest poll: make sure it is `now`
        t = now - now % 2
        polls.append((rng.choice(polled), t, rng.random() < 0.5))
    elif rng.random() < 0.3:
        # a store whose polls are all after as_of: not in the report
        s = rng.choice(polled)
        polls = [p for p in polls if p[0] != s]
        for _ in range(rng.randint(1, 5)):
            t = rng.randint(now + 2, now + DAY)
            polls.append((s, t - t % 2, rng.random() < 0.5))

    hours = []
    for s in stores:
        rows = hours_rows(rng, s)
        if rows or rng.random() < 0.3:
            # rows around the DST edges of the store's zone near now
            rows += dst_edge_rows(rng, s, zone_of.get(s, "America/Chicago"),
                                  now - 8 * DAY, now + DAY)
        hours += rows

    rng.shuffle(polls)
    rng.shuffle(hours)
    rng.shuffle(zone_rows)

    # column order and an extra column, sometimes
    poll_cols = ["store_id", "status", "timestamp_utc"]
    hour_cols = ["store_id", "dayOfWeek", "start_time_local", "end_time_local"]
    zone_cols = ["store_id", "timezone_str"]
    if rng.random() < 0.2:
        for cols in (poll_cols, hour_cols, zone_cols):
            rng.shuffle(cols)
        poll_cols.append("note")
        about.append("shuffled columns")

    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "polls.csv"), "w") as f:
        f.write(",".join(poll_cols) + "\n")
        for s, t, st in polls:
            status = "active" if st else "inactive"
            if rng.random() < 0.03:
                status = status.upper() if rng.random() < 0.5 else \
                    status.capitalize()
            v = {"store_id": s, "status": status,
                 "timestamp_utc": fmt_poll_ts(rng, t, style), "note": "x"}
            f.write(",".join(v[c] for c in poll_cols) + "\n")
    with open(os.path.join(outdir, "hours.csv"), "w") as f:
        f.write(",".join(hour_cols) + "\n")
        for s, d, a, b in hours:
            v = {"store_id": s, "dayOfWeek": str(d),
                 "start_time_local": fmt_hms(rng, a),
                 "end_time_local": fmt_hms(rng, b)}
            f.write(",".join(v[c] for c in hour_cols) + "\n")
    with open(os.path.join(outdir, "zones.csv"), "w") as f:
        f.write(",".join(zone_cols) + "\n")
        for s, z in zone_rows:
            v = {"store_id": s, "timezone_str": z}
            f.write(",".join(v[c] for c in zone_cols) + "\n")
    with open(os.path.join(outdir, "as_of"), "w") as f:
        f.write((fmt_utc(as_of) if as_of is not None else "") + "\n")
    about.insert(0, "%d stores, %d polls, %d hours rows, %d zone rows" % (
        len(polled), len(polls), len(hours), len(zone_rows)))
    with open(os.path.join(outdir, "about"), "w") as f:
        f.write("; ".join(about) + "\n")


def main(argv):
    if len(argv) != 2:
        print("usage: gen_random.py SEED OUTDIR", file=sys.stderr)
        return 2
    generate(int(argv[0]), argv[1])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
