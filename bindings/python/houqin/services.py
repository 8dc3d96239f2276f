"""houqin.services: every registered service operation as a Python function.

Operations are named "<domain>.<verb>" in the C++ service registry; here each domain is an object
and each verb a function taking (store, actor, input=None, /, **fields): store, actor and the
optional input dict are positional, every keyword is an input field, e.g.

    houqin.services.audit.verify(store, actor)
    houqin.services.audit.query(store, actor, action="auth.login", limit=10)

Each function's __doc__ is the operation's summary, its permission, its input fields with their
types (from the operation's JSON Schema, `houqin.operations()`) and what it returns. The result is
the operation's JSON result as plain Python. houqin.call(store, actor, "audit.verify", {...}) is the
same by name. Operations registered by domains that land later appear here without any Python
change; the type stubs (services.pyi) are generated from the same schemas.
"""

import keyword as _keyword

from . import _core


class Domain:
    """The operations of one domain, as attributes."""

    def __init__(self, name):
        self.__name__ = name
        self._operations = {}

    def __repr__(self):
        return "<houqin.services.%s: %s>" % (self.__name__, ", ".join(sorted(self._operations)))

    def __dir__(self):
        return sorted(self._operations) + ["__name__"]

    def __getattr__(self, name):
        try:
            return self.__dict__["_operations"][name]
        except KeyError:
            raise AttributeError("houqin.services.%s has no operation %r" % (self.__name__, name)) from None


def _def_name(schema):
    """The $defs name a schema refers to ("repair.WorkOrder"), or None."""
    ref = schema.get("$ref", "") if isinstance(schema, dict) else ""
    return ref[len("#/$defs/"):] if ref.startswith("#/$defs/") else None


def _resolve(schema, defs):
    name = _def_name(schema)
    return defs.get(name, {}) if name else schema


def _nullable(schema):
    """The non-null alternative of {"anyOf": [X, {"type": "null"}]}, or None."""
    alts = schema.get("anyOf") if isinstance(schema, dict) else None
    if isinstance(alts, list) and len(alts) == 2 and {"type": "null"} in alts:
        return next(a for a in alts if a != {"type": "null"})
    return None


def type_text(schema, defs, direction="input"):
    """A JSON Schema of houqin's codecs as a short, readable Python type: "str", "int (0..65535)",
    "datetime | str", "list[repair.WorkOrder]", "'ward' | 'icu' | ..."; `direction` "input" names
    what a call accepts (datetime or its ISO text), "output" what it returns (plain JSON)."""
    inner = _nullable(schema)
    if inner is not None:
        return type_text(inner, defs, direction) + " | None"
    name = _def_name(schema)
    if name:
        target = defs.get(name, {})
        if "enum" in target:
            return "%s (%s)" % (name, " | ".join(repr(v) for v in target["enum"]))
        return name
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "string" and fmt in ("date-time", "date", "duration"):
        py = {"date-time": "datetime", "date": "date", "duration": "timedelta"}[fmt]
        return "%s | str (ISO-8601)" % py if direction == "input" else "str (ISO-8601 %s)" % fmt
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if kind == "integer":
        lo, hi = schema.get("minimum"), schema.get("maximum")
        return "int" if lo is None or hi is None or (lo < -2**53 or hi > 2**53) else "int (%d..%d)" % (lo, hi)
    if kind in ("string", "number", "boolean"):
        return {"string": "str", "number": "float", "boolean": "bool"}[kind]
    if kind == "array":
        return "list[%s]" % type_text(schema.get("items", {}), defs, direction)
    if kind == "object" and isinstance(schema.get("additionalProperties"), dict) and "properties" not in schema:
        return "dict[str, %s]" % type_text(schema["additionalProperties"], defs, direction)
    if kind == "object":
        return "dict"
    return "any JSON value"


def fields_text(schema, defs, direction="input", indent="    "):
    """One line per member of an object schema: "name: type" (", required" on input)."""
    target = _resolve(schema, defs)
    props = target.get("properties", {}) if isinstance(target, dict) else {}
    required = set(target.get("required", [])) if direction == "input" else set()
    lines = []
    for field in sorted(props, key=lambda f: (f not in required, f)):
        lines.append("%s%s: %s%s" % (indent, field, type_text(props[field], defs, direction),
                                     ", required" if field in required else ""))
    return lines


def _doc(op):
    name = op["name"]
    permission = op["permission"] or "any signed-in actor"
    lines = ["%s." % op["summary"], "", "Operation %r; permission: %s." % (name, permission)]
    inp, out = op.get("input", {}), op.get("output", {})
    fields = fields_text(inp, inp.get("$defs", {}), "input")
    lines += ["", "Input (keywords or a dict):" if fields else "Input: none."] + fields
    out_defs = out.get("$defs", {})
    if out.get("type") == "object" and out.get("properties") == {}:
        lines += ["", "Returns an empty dict."]
    elif out.get("type") == "object" and "properties" in out:
        lines += ["", "Returns a dict (%s):" % out.get("title", "result")]
        lines += fields_text(out, out_defs, "output")
    elif out.get("type") == "null":
        lines += ["", "Returns None."]
    else:
        lines += ["", "Returns %s." % type_text(out, out_defs, "output")]
    return "\n".join(lines)


def _make(op):
    name = op["name"]

    # Positional-only, so that an input field may be called store, actor or input (audit.query
    # has an "actor" field).
    def operation(store, actor, input=None, /, **kwargs):
        return _core.call(store, actor, name, input, **kwargs)

    verb = name.split(".", 1)[1]
    if _keyword.iskeyword(verb):
        verb += "_"
    operation.__name__ = verb
    operation.__qualname__ = name
    operation.__doc__ = _doc(op)
    operation.operation = op  # name, permission, summary and the input and output JSON Schemas
    return verb, operation


_domains = {}
for _op in _core.operations():
    _domain, _ = _op["name"].split(".", 1)
    _verb, _fn = _make(_op)
    _domains.setdefault(_domain, Domain(_domain))._operations[_verb] = _fn

globals().update(_domains)
__all__ = sorted(_domains)


def domains():
    """The names of the domains that have operations."""
    return sorted(_domains)
