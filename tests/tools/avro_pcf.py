"""Avro's Parsing Canonical Form and CRC-64-AVRO fingerprint, written from
the Avro specification (python3-avro's own canonical form mishandles
logical types), for the test scripts that check storemon's single-object
frames independently of its C code (tests/kafka/verify_topics.py,
tests/http/subscriber.py).
"""

import json

PRIMITIVES = {"null", "boolean", "int", "long", "float", "double", "bytes",
              "string"}


def _fullname(name, ns):
    if "." in name or not ns:
        return name
    return ns + "." + name


def _js(s):
    return json.dumps(s, ensure_ascii=False)


def canonical_form(schema, ns=None, seen=None):
    """The Avro specification's Parsing Canonical Form, written from the
    spec: PRIMITIVES, FULLNAMES, STRIP, ORDER, STRINGS, INTEGERS,
    WHITESPACE."""
    if seen is None:
        seen = set()
    if isinstance(schema, str):
        if schema in PRIMITIVES:
            return _js(schema)
        return _js(_fullname(schema, ns))
    if isinstance(schema, list):
        return "[" + ",".join(canonical_form(s, ns, seen) for s in schema) + "]"
    t = schema["type"]
    if isinstance(t, (dict, list)):
        return canonical_form(t, ns, seen)
    if t in PRIMITIVES:
        return _js(t)  # logicalType and the rest are stripped
    if t in ("record", "error", "enum", "fixed"):
        name = _fullname(schema["name"], schema.get("namespace", ns))
        if name in seen:
            return _js(name)
        seen.add(name)
        inner_ns = name.rsplit(".", 1)[0] if "." in name else None
        if t in ("record", "error"):
            fields = ",".join(
                '{"name":' + _js(f["name"]) + ',"type":' +
                canonical_form(f["type"], inner_ns, seen) + "}"
                for f in schema["fields"])
            return ('{"name":' + _js(name) + ',"type":"record","fields":[' +
                    fields + "]}")
        if t == "enum":
            return ('{"name":' + _js(name) + ',"type":"enum","symbols":[' +
                    ",".join(_js(s) for s in schema["symbols"]) + "]}")
        return ('{"name":' + _js(name) + ',"type":"fixed","size":' +
                str(int(schema["size"])) + "}")
    if t == "array":
        return ('{"type":"array","items":' +
                canonical_form(schema["items"], ns, seen) + "}")
    if t == "map":
        return ('{"type":"map","values":' +
                canonical_form(schema["values"], ns, seen) + "}")
    return _js(_fullname(t, ns))  # a reference written as {"type": "Name"}


EMPTY64 = 0xC15D213AA4D7A795
_FP_TABLE = []
for _i in range(256):
    _fp = _i
    for _ in range(8):
        _fp = (_fp >> 1) ^ (EMPTY64 if _fp & 1 else 0)
    _FP_TABLE.append(_fp)


def crc64_avro(data):
    fp = EMPTY64
    for b in data:
        fp = (fp >> 8) ^ _FP_TABLE[(fp ^ b) & 0xFF]
    return fp
