#!/usr/bin/python3
"""Compares two uptime reports (SPEC "The report") cell by cell.

Usage: compare_reports.py EXPECTED ACTUAL

Passes (exit 0) when
- both headers are exactly SPEC's header;
- the store_id columns are identical, in the same order;
- every numeric cell of ACTUAL is printed with two decimals (%.2f) and is
  within TOLERANCE of EXPECTED's cell.
Otherwise prints every difference (store, column, expected, got) and exits
1.  Exit 2: usage error, an unreadable file, or an EXPECTED file that breaks
SPEC's invariants (a golden file with a typo is reported as such).

Standard library only.
"""

import csv
import io
import re
import sys

HEADER = [
    "store_id",
    "uptime_last_hour",
    "uptime_last_day",
    "uptime_last_week",
    "downtime_last_hour",
    "downtime_last_day",
    "downtime_last_week",
]
NUMERIC = HEADER[1:]
# 0.01 of a unit (SPEC), widened a little so that two correct %.2f
# printings of values near a rounding boundary still compare equal.
TOLERANCE = 0.0101
TWO_DECIMALS = re.compile(r"^[0-9]+\.[0-9]{2}$")
# Window lengths in the report's units: hour in minutes, day/week in hours.
WINDOW = {"hour": 60.0, "day": 24.0, "week": 168.0}


class Report:
    """One parsed report file."""

    def __init__(self, path):
        self.path = path  # file name, for messages
        self.header = []  # the header's fields
        self.ids = []  # store_id column, in file order
        self.rows = {}  # store_id -> {column: text}
        self.problems = []  # structural problems (wrong field count, ...)


def read_report(path):
    rep = Report(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        print("compare_reports: cannot read %s: %s" % (path, e.strerror),
              file=sys.stderr)
        sys.exit(2)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        rep.problems.append("%s: not UTF-8 (%s)" % (path, e))
        text = data.decode("utf-8", "replace")
    if text.startswith("\ufeff"):
        rep.problems.append("%s: starts with a byte order mark" % path)
        text = text[1:]
    lines = io.StringIO(text, newline="")
    reader = csv.reader(lines)
    first = True
    for rec in reader:
        lineno = reader.line_num
        if not rec:
            rep.problems.append("%s:%d: blank line" % (path, lineno))
            continue
        if first:
            rep.header = rec
            first = False
            continue
        if len(rec) != len(HEADER):
            rep.problems.append("%s:%d: %d fields, expected %d: %r" %
                                (path, lineno, len(rec), len(HEADER), rec))
            continue
        sid = rec[0]
        if sid in rep.rows:
            rep.problems.append("%s:%d: store %r appears twice" %
                                (path, lineno, sid))
            continue
        rep.ids.append(sid)
        rep.rows[sid] = dict(zip(HEADER, rec))
    if first:
        rep.problems.append("%s: empty file (no header)" % path)
    return rep


def check_invariants(rep):
    """SPEC's invariants on a report's numbers; returns a list of problems.

    uptime + downtime <= window length; the day window lies inside the week
    window and the hour window inside the day window, so each quantity can
    only grow from hour to day to week.
    """
    out = []
    slack = 0.02  # two roundings
    for sid in rep.ids:
        row = rep.rows[sid]
        try:
            v = {c: float(row[c]) for c in NUMERIC}
        except ValueError:
            continue  # reported elsewhere
        for w, length in WINDOW.items():
            up, down = v["uptime_last_" + w], v["downtime_last_" + w]
            if up < 0 or down < 0:
                out.append("store %r: negative %s value" % (sid, w))
            if up + down > length + slack:
                out.append("store %r: uptime+downtime of last %s = %.2f > "
                           "%.0f" % (sid, w, up + down, length))
        for kind in ("uptime", "downtime"):
            h = v[kind + "_last_hour"] / 60.0
            d = v[kind + "_last_day"]
            wk = v[kind + "_last_week"]
            if h > d + slack or d > wk + slack:
                out.append("store %r: %s grows not hour<=day<=week "
                           "(%.4f h, %.2f h, %.2f h)" % (sid, kind, h, d, wk))
    return out


def main(argv):
    if len(argv) != 3:
        print("usage: compare_reports.py EXPECTED ACTUAL", file=sys.stderr)
        return 2
    exp = read_report(argv[1])
    act = read_report(argv[2])

    # The golden file itself must be sound.
    bad_exp = list(exp.problems)
    if exp.header != HEADER:
        bad_exp.append("%s: header is not SPEC's header" % exp.path)
    for sid in exp.ids:
        for c in NUMERIC:
            if not TWO_DECIMALS.match(exp.rows[sid][c]):
                bad_exp.append("%s: store %r column %s: %r is not %%.2f" %
                               (exp.path, sid, c, exp.rows[sid][c]))
    bad_exp += ["%s: %s" % (exp.path, p) for p in check_invariants(exp)]
    if bad_exp:
        print("EXPECTED FILE IS INVALID:")
        for p in bad_exp:
            print("  " + p)
        return 2

    failures = []
    failures += act.problems
    if act.header != exp.header:
        failures.append("header differs:\n    expected: %s\n    got:      %s"
                        % (",".join(exp.header), ",".join(act.header)))

    if act.ids != exp.ids:
        missing = [s for s in exp.ids if s not in act.rows]
        extra = [s for s in act.ids if s not in exp.rows]
        msg = "store_id column differs:\n    expected: %r\n    got:      %r" \
            % (exp.ids, act.ids)
        if missing:
            msg += "\n    missing stores: %r" % missing
        if extra:
            msg += "\n    unexpected stores: %r" % extra
        if not missing and not extra:
            msg += "\n    same stores, different order (SPEC: byte order)"
        failures.append(msg)

    cells = 0
    for sid in exp.ids:
        if sid not in act.rows:
            continue
        for c in NUMERIC:
            e_txt = exp.rows[sid][c]
            a_txt = act.rows[sid].get(c, "")
            cells += 1
            try:
                a_val = float(a_txt)
            except ValueError:
                failures.append("store %r column %s: expected %s, got %r "
                                "(not a number)" % (sid, c, e_txt, a_txt))
                continue
            e_val = float(e_txt)
            diff = a_val - e_val
            if not abs(diff) <= TOLERANCE:
                failures.append("store %r column %s: expected %s, got %s "
                                "(off by %+.4f)" % (sid, c, e_txt, a_txt,
                                                    diff))
            elif not TWO_DECIMALS.match(a_txt):
                failures.append("store %r column %s: %r is not printed as "
                                "%%.2f" % (sid, c, a_txt))

    if failures:
        print("REPORT DIFFERS (%s vs %s): %d problem(s)" %
              (exp.path, act.path, len(failures)))
        for f in failures:
            print("  " + f)
        return 1
    print("report matches: %d store(s), %d cell(s)" % (len(exp.ids), cells))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
