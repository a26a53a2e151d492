#!/usr/bin/python3
"""Checks api-gateway/openapi.yaml against the running gateway, both ways.

For every path (trailing-slash path items included), method and status
code the document lists there is a recipe here: a request that must
produce that code (a complete, a running and a failed report are given on
the command line).  Each answer is checked against the document: the
status, the Content-Type (one of the documented media types; for HEAD the
documented Content-Type header), the documented required headers
(Location, Allow, Content-Disposition), and the body: JSON validated
against the response schema (required fields present, types, enums,
formats, and no field the schema does not list), CSV starting with the
report header.  Every media type a response documents must be seen at
least once.

Both ways: a (path, method, code) of the document without a recipe fails,
and so does a recipe for something the document does not list; so the
document describes exactly what the server answers.

The phase `up` runs with the broker up; `down` (run after the broker was
stopped) checks the 503 answers of /trigger_report and /readyz.

usage: openapi_check.py --doc openapi.yaml --url http://127.0.0.1:PORT
         --complete ID --running ID --failed ID [--phase up|down]
Prints one line per check and "N passed, N failed"; exit 1 on failure.
"""

import argparse
import concurrent.futures
import http.client
import json
import re
import sys
import urllib.parse

import yaml

METHODS = ("get", "head", "post", "put", "delete", "patch", "options")
CSV_HEADER = ("store_id,uptime_last_hour,uptime_last_day,uptime_last_week,"
              "downtime_last_hour,downtime_last_day,downtime_last_week")
UUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
UNKNOWN = "00000000-0000-4000-8000-000000000000"

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


# ------------------------------------------------------------ the document

def resolve(doc, ref):
    node = doc
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def deref(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        node = resolve(doc, node["$ref"])
    return node


def validate(doc, schema, value, where="body"):
    """Errors of value against an OpenAPI 3.0 schema (the subset used)."""
    schema = deref(doc, schema)
    errs = []
    if value is None:
        return [] if schema.get("nullable") else [where + ": null"]
    if "oneOf" in schema:
        results = [validate(doc, s, value, where) for s in schema["oneOf"]]
        if sum(1 for r in results if not r) != 1:
            errs.append(where + ": matches %d of oneOf" %
                        sum(1 for r in results if not r))
        return errs
    for s in schema.get("allOf", []):
        errs += validate(doc, s, value, where)
    t = schema.get("type")
    types = {"object": dict, "array": list, "string": str, "boolean": bool}
    if t == "integer":
        if not isinstance(value, int) or isinstance(value, bool):
            return [where + ": not an integer"]
    elif t == "number":
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return [where + ": not a number"]
    elif t in types and not isinstance(value, types[t]):
        return [where + ": not " + t]
    if "enum" in schema and value not in schema["enum"]:
        errs.append("%s: %r not in %r" % (where, value, schema["enum"]))
    if "minimum" in schema and value < schema["minimum"]:
        errs.append("%s: below %s" % (where, schema["minimum"]))
    fmt = schema.get("format")
    if fmt == "uuid" and not UUID_RE.match(value):
        errs.append(where + ": not a uuid")
    if fmt == "date-time" and not TIME_RE.match(value):
        errs.append(where + ": not a date-time: " + value)
    if fmt == "uri" and not urllib.parse.urlparse(value).scheme:
        errs.append(where + ": not a uri")
    if t == "object":
        props = schema.get("properties", {})
        for k in schema.get("required", []):
            if k not in value:
                errs.append("%s: %s missing" % (where, k))
        for k, v in value.items():
            if k in props:
                errs += validate(doc, props[k], v, where + "." + k)
            elif schema.get("additionalProperties") is False:
                errs.append("%s: %s is not documented" % (where, k))
    return errs


def operations(doc):
    """(path, method, code) -> response object, for every path item."""
    out = {}
    for path, item in doc["paths"].items():
        item = deref(doc, item)
        for m in METHODS:
            if m in item:
                for code, resp in item[m]["responses"].items():
                    out[(path, m, int(code))] = deref(doc, resp)
    return out


# ---------------------------------------------------------------- recipes

def recipes(ids):
    """(base path, method, code) -> list of (query, headers, body, phase,
    the id to put in {report_id})."""
    C, R, F = ids["complete"], ids["running"], ids["failed"]
    big = b"{" + b" " * 70000 + b"}"
    js = {"Content-Type": "application/json"}
    xml = {"Content-Type": "application/xml"}
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    csv = {"Accept": "text/csv"}
    r = {}

    def add(path, method, code, *variants):
        r.setdefault((path, method, code), []).extend(variants)

    def v(query="", headers=None, body=None, phase="up", pid=None):
        return (query, headers or {}, body, phase, pid)

    # /trigger_report
    add("/trigger_report", "get", 202, v())
    add("/trigger_report", "get", 400, v("as_of=not-a-time"))
    add("/trigger_report", "get", 413, v(headers=js, body=big))
    add("/trigger_report", "get", 415, v(headers=xml, body=b"<x/>"))
    add("/trigger_report", "get", 503, v(phase="down"))
    add("/trigger_report", "post", 202,
        v(), v(headers=js, body=b'{"as_of": "2023-01-25 12:00:00"}'),
        v(headers=form, body=b"as_of=2023-01-25T12%3A00%3A00Z"))
    add("/trigger_report", "post", 400, v(headers=js, body=b"{"),
        v(headers=js, body=b"[]"), v(headers=js, body=b'{"as_of": 5}'))
    add("/trigger_report", "post", 413, v(headers=js, body=big))
    add("/trigger_report", "post", 415, v(headers=xml, body=b"<x/>"))
    add("/trigger_report", "post", 503, v(phase="down"))
    for m in ("put", "delete"):
        add("/trigger_report", m, 405, v())
    # /get_report
    for m in ("get", "post"):
        add("/get_report", m, 200, v("report_id=" + C),
            v("report_id=%s&format=csv" % C), v("report_id=" + C, csv),
            v(headers=js, body=json.dumps({"report_id": C}).encode()))
        add("/get_report", m, 202, v("report_id=" + R),
            v(headers=form, body=("report_id=" + R).encode()))
        add("/get_report", m, 400, v(), v("report_id=nope"),
            v("report_id=%s&format=xml" % C),
            v(headers=js, body=b'{"report_id": 1}'))
        add("/get_report", m, 404, v("report_id=" + UNKNOWN))
        add("/get_report", m, 413, v(headers=js, body=big))
        add("/get_report", m, 415, v(headers=xml, body=b"<x/>"))
        add("/get_report", m, 500, v("report_id=" + F))
    add("/get_report", "head", 200, v("report_id=" + C),
        v("report_id=%s&format=csv" % C))
    add("/get_report", "head", 202, v("report_id=" + R))
    add("/get_report", "head", 400, v("report_id=nope"))
    add("/get_report", "head", 404, v("report_id=" + UNKNOWN))
    add("/get_report", "head", 500, v("report_id=" + F))
    for m in ("put", "delete"):
        add("/get_report", m, 405, v())
    # /get_report/{report_id} and /reports/{report_id}.csv
    for path in ("/get_report/{report_id}", "/reports/{report_id}.csv"):
        for m in ("get", "head"):
            add(path, m, 200, v(pid=C), v("format=csv", pid=C),
                v(headers=csv, pid=C))
            add(path, m, 202, v(pid=R))
            add(path, m, 400, v(pid="not-a-uuid"))
            add(path, m, 404, v(pid=UNKNOWN))
            add(path, m, 500, v(pid=F))
        for m in ("post", "delete"):
            add(path, m, 405, v(pid=C))
    # /healthz, /readyz, /metrics
    for path in ("/healthz", "/readyz", "/metrics"):
        for m in ("get", "head"):
            add(path, m, 200, v())
        for m in ("post", "delete"):
            add(path, m, 405, v())
    for m in ("get", "head"):
        add("/readyz", m, 503, v(phase="down"))
    return r


def base_of(path):
    return path[:-1] if len(path) > 1 and path.endswith("/") else path


# -------------------------------------------------------------- requests

def request(url, method, path, headers, body):
    u = urllib.parse.urlparse(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=60)
    conn.request(method.upper(), path, body=body, headers=headers)
    resp = conn.getresponse()
    data = resp.read()
    hdrs = {k.lower(): v for k, v in resp.getheaders()}
    conn.close()
    return resp.status, hdrs, data


def check_answer(doc, key, resp, status, hdrs, data, seen):
    path, method, code = key
    what = "%s %s -> %d" % (method.upper(), path, code)
    problems = []
    if status != code:
        check(False, what, "got %d: %s" % (status, data[:200]))
        return
    ctype = hdrs.get("content-type", "")
    for name, h in resp.get("headers", {}).items():
        h = deref(doc, h)
        val = hdrs.get(name.lower())
        if h.get("required") and val is None:
            problems.append("header %s missing" % name)
        enum = deref(doc, h.get("schema", {})).get("enum")
        if val is not None and enum and val not in enum:
            problems.append("header %s %r not in %r" % (name, val, enum))
    if "Location" in resp.get("headers", {}):
        if not re.match(r"^/get_report/[0-9a-f-]{36}$", hdrs.get("location", "")):
            problems.append("Location %r" % hdrs.get("location"))
    content = resp.get("content")
    if method == "head" or not content:
        if data:
            problems.append("a body where none is documented")
    else:
        media = None
        for k in content:
            if ctype == k or ctype.split(";")[0].strip() == k.split(";")[0]:
                media = k
        if media is None:
            problems.append("Content-Type %r not in %r" %
                            (ctype, list(content)))
        else:
            seen.add((key, media))
            text = data.decode("utf-8")
            if media == "application/json":
                try:
                    problems += validate(doc, content[media]["schema"],
                                         json.loads(text))
                except ValueError as e:
                    problems.append("not JSON: %s" % e)
            elif media == "text/csv":
                if not text.startswith(CSV_HEADER + "\n"):
                    problems.append("not the report CSV")
            elif not text.strip():
                problems.append("empty body")
    check(not problems, what, "; ".join(problems))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--doc", required=True)
    ap.add_argument("--url", required=True)
    ap.add_argument("--complete", required=True)
    ap.add_argument("--running", required=True)
    ap.add_argument("--failed", required=True)
    ap.add_argument("--phase", choices=("up", "down"), default="up")
    a = ap.parse_args()
    doc = yaml.safe_load(open(a.doc))
    check(str(doc.get("openapi", "")).startswith("3."), "an OpenAPI 3 document")
    ops = operations(doc)
    rec = recipes({"complete": a.complete, "running": a.running,
                   "failed": a.failed})

    # Both ways: the document and the recipes cover each other.
    doc_keys = {(base_of(p), m, c) for p, m, c in ops}
    for k in sorted(doc_keys - set(rec)):
        check(False, "a recipe for %s %s %d" % (k[1].upper(), k[0], k[2]))
    for k in sorted(set(rec) - doc_keys):
        check(False, "the document lists %s %s %d" % (k[1].upper(), k[0],
                                                      k[2]))
    check(doc_keys == set(rec), "document and server agree on %d answers"
          % len(doc_keys))

    todo = []
    for key in sorted(ops):
        path, method, code = key
        for query, headers, body, phase, pid in rec.get(
                (base_of(path), method, code), []):
            if phase != a.phase:
                continue
            p = path.replace("{report_id}", pid) if pid else path
            if query:
                p += "?" + query
            todo.append((key, method, p, headers, body))
    # Sent together: the slow answers (a trigger while the broker is down
    # waits for its timeout) overlap.
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda t: request(a.url, *t[1:]), todo))
    seen = set()
    for (key, *_), (status, hdrs, data) in zip(todo, answers):
        check_answer(doc, key, ops[key], status, hdrs, data, seen)
    if a.phase == "up":
        for key, resp in sorted(ops.items()):
            has_down = any(x[3] == "down" for x in
                           rec.get((base_of(key[0]), key[1], key[2]), []))
            if has_down or key[1] == "head":
                continue
            for media in resp.get("content", {}):
                check((key, media) in seen, "%s %s %d %s seen" %
                      (key[1].upper(), key[0], key[2], media))
        # Outside the document: any other path is a 404 Error.
        status, hdrs, data = request(a.url, "get", "/no/such/route", {},
                                     None)
        errs = validate(doc, {"$ref": "#/components/schemas/Error"},
                        json.loads(data or b"null"))
        check(status == 404 and not errs, "an unknown route is a 404 Error",
              "%d %s" % (status, errs))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
