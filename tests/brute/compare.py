#!/usr/bin/python3
"""Compares a storemon-reporter report with the oracle's.

  compare.py --got C.csv --want ORACLE.csv --open ORACLE_OPEN.csv
             [--rejects REJECTS] [--label TEXT]

Checks: the exact header; the same stores in the same (byte) order; every
cell printed as %.2f and within 0.01 of the oracle's (0.0101 on the printed
values); SPEC's invariant uptime + downtime = open time per window, on the
reporter's printed values against the oracle's open seconds (each printed
value is off by at most 0.005, so the sum by at most 0.01); and no rejects
(every generated row is well formed).  Prints every difference, prefixed
with the label; exit 1 if there is any.
"""

import argparse
import os
import re
import sys

HEADER = ("store_id,uptime_last_hour,uptime_last_day,uptime_last_week,"
          "downtime_last_hour,downtime_last_day,downtime_last_week")
COLS = HEADER.split(",")[1:]
TOL = 0.0101
NUM_RE = re.compile(r"^-?\d+\.\d\d$")


def read_lines(path):
    with open(path, newline="") as f:
        text = f.read()
    return [ln for ln in text.split("\n") if ln != ""]


def main(argv):
    ap = argparse.ArgumentParser()
    ap.add_argument("--got", required=True)
    ap.add_argument("--want", required=True)
    ap.add_argument("--open", required=True)
    ap.add_argument("--rejects")
    ap.add_argument("--label", default="")
    a = ap.parse_args(argv)
    errs = []

    def err(msg):
        errs.append(msg)

    got = read_lines(a.got)
    want = read_lines(a.want)
    if not got or got[0] != HEADER:
        err("header: got %r" % (got[0] if got else "<empty report>"))
        got = got[1:] if got else []
    else:
        got = got[1:]
    want = want[1:]

    g_rows, w_rows = {}, {}
    g_order = []
    for ln in got:
        f = ln.split(",")
        if len(f) != 7:
            err("malformed row %r" % ln)
            continue
        g_rows[f[0]] = f[1:]
        g_order.append(f[0])
    for ln in want:
        f = ln.split(",")
        w_rows[f[0]] = f[1:]
    w_order = [ln.split(",")[0] for ln in want]
    opens = {}
    for ln in read_lines(a.open)[1:]:
        f = ln.split(",")
        opens[f[0]] = (int(f[1]) / 60, int(f[2]) / 3600, int(f[3]) / 3600)

    missing = [s for s in w_order if s not in g_rows]
    extra = [s for s in g_order if s not in w_rows]
    for s in missing:
        err("store %s: missing from the report (oracle has it)" % s)
    for s in extra:
        err("store %s: in the report, but not in the oracle's" % s)
    if not missing and not extra and g_order != w_order:
        err("store order: got %s, want %s (byte order)" % (g_order, w_order))
    if len(set(g_order)) != len(g_order):
        err("store listed twice in the report")

    for s in w_order:
        if s not in g_rows:
            continue
        gv, wv = g_rows[s], w_rows[s]
        nums = []
        for col, g, w in zip(COLS, gv, wv):
            if not NUM_RE.match(g):
                err("store %s %s: %r is not %%.2f" % (s, col, g))
                nums.append(None)
                continue
            x, y = float(g), float(w)
            nums.append(x)
            if abs(x - y) > TOL:
                err("store %s %s: got %s, want %s (diff %+.2f)"
                    % (s, col, g, w, x - y))
        for i, win in enumerate(("hour", "day", "week")):
            up, down = nums[i], nums[i + 3]
            if up is None or down is None:
                continue
            o = opens[s][i]
            if abs(up + down - o) > TOL:
                unit = "min" if win == "hour" else "h"
                err("store %s invariant last_%s: uptime %.2f + downtime %.2f"
                    " = %.2f, open time %.4f %s" % (s, win, up, down,
                                                    up + down, o, unit))

    if a.rejects and os.path.exists(a.rejects):
        rej = [ln for ln in read_lines(a.rejects) if ln.strip()]
        if rej:
            err("rejects written for well-formed input (%d lines), first: %s"
                % (len(rej), " | ".join(rej[:3])))

    for e in errs:
        print("  %s%s" % (a.label + ": " if a.label else "", e))
    return 1 if errs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
