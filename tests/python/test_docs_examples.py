"""Every example input in the docs and examples is valid against its operation's input schema.

The scan reads README.md, docs/*.md (not the generated docs/operations.md) and the sources under
examples/ (C, C++, Python, notebooks) and finds the inputs given to operations by name:

- C: hq_call(&out, store, actor, "<op>", "<JSON string literal>") (NULL is no input, {}); a
  buffer filled by snprintf(buf, sizeof buf, "<format>", ...) just before is checked with its
  conversions replaced by placeholder values (1, 1.5, "x").
- C++: service::call(store, actor, "<op>", json::parse(R"(...)")) and other (raw) string literals
  given to a parse(); nlohmann initializer lists (json::Json{{"k", v}}) are not evaluated here
  and are only counted as skipped.
- Python: houqin.call(store, actor, "<op>", {...}, k=v) and houqin.services.<domain>.<verb>(
  store, actor, k=v), also through `from houqin.services import repair` and other import aliases.
  Literal values (ast.literal_eval) are checked against the schema; values that are not literals
  (variables, datetime objects) are skipped but their field NAMES are still checked. A keyword
  with a trailing underscore after a Python keyword (from_=) is that field (from).
- Markdown ```json blocks whose info string names an operation: ```json input=repair.report
  (docs/development.md, "Docs examples are tested").

Each input is validated with jsonschema's Draft202012Validator against houqin.operations()'s
input schema, with format checking (date-time and duration as houqin parses them).
"""

import ast
import copy
import dataclasses
import json
import keyword
import pathlib
import re

import jsonschema

import houqin

ROOT = pathlib.Path(__file__).resolve().parents[2]
OPERATIONS = {op["name"]: op for op in houqin.operations()}
# Fewer than this many checked examples means the extractors broke, not that the docs are clean.
MINIMUM_EXAMPLES = 20

# ---- formats as houqin's decoders read them (jsonschema checks date-time and duration only with
# optional packages Debian does not install) ----

FORMATS = jsonschema.FormatChecker()
_DATE_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$")
_DURATION_NUMBER = r"\d+(?:[.,]\d{1,9})?"
_DURATION = re.compile(r"^[+-]?P(?:{n}W)?(?:{n}D)?(?:T(?:{n}H)?(?:{n}M)?(?:{n}S)?)?$".format(
    n=_DURATION_NUMBER))


@FORMATS.checks("date-time")
def _is_date_time(value):
    if not isinstance(value, str):
        return True
    if not _DATE_TIME.match(value):
        return False
    hh, mm, ss = int(value[11:13]), int(value[14:16]), int(value[17:19])
    return hh <= 23 and mm <= 59 and ss <= 59 and _is_date(value[:10])


@FORMATS.checks("date")
def _is_date(value):
    if not isinstance(value, str):
        return True
    import datetime
    try:
        return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None and bool(
            datetime.date.fromisoformat(value))
    except ValueError:
        return False


@FORMATS.checks("duration")
def _is_duration(value):
    if not isinstance(value, str):
        return True
    m = _DURATION.match(value)
    return bool(m) and value.rstrip("T") == value and re.search(r"\d", value) is not None


# ---- what the scan finds ----

@dataclasses.dataclass
class Example:
    source: str            # "docs/c-abi.md:198"
    language: str          # c, cpp, python, json
    operation: str
    fields: dict = None    # the literal part of the input; None when nothing of it is a literal
    names: list = dataclasses.field(default_factory=list)  # fields given with non-literal values
    opaque: bool = False   # part of the input is not seen at all (a variable dict, **kwargs)


@dataclasses.dataclass
class Scan:
    examples: list = dataclasses.field(default_factory=list)
    skipped: list = dataclasses.field(default_factory=list)   # "<source>: <what was not checked>"
    problems: list = dataclasses.field(default_factory=list)  # what could not be read at all


# ---- C and C++: argument lists, string literals ----

_RAW_STRING = re.compile(r'(?:u8|u|U|L)?R"([^()\\\s]{0,16})\(')


def _skip_literal(text, i):
    """The index after the string or character literal (or raw string) starting at text[i]."""
    m = _RAW_STRING.match(text, i)
    if m:
        end = text.find(")" + m.group(1) + '"', m.end())
        if end < 0:
            raise ValueError("unterminated raw string")
        return end + len(m.group(1)) + 2
    while text[i] not in "\"'":
        i += 1  # an encoding prefix
    quote = text[i]
    i += 1
    while i < len(text) and text[i] != quote:
        i += 2 if text[i] == "\\" else 1
    if i >= len(text):
        raise ValueError("unterminated literal")
    return i + 1


def _literal_start(text, i):
    if text[i] in "\"'":
        return True
    return bool(_RAW_STRING.match(text, i)) or bool(re.match(r'(?:u8|u|U|L)"', text[i:i + 3]))


def split_arguments(text, start):
    """The arguments of the call whose '(' is at text[start - 1], as source text, and the index
    after its ')'. Literals, comments and nested brackets are respected."""
    args, depth, i, begin = [], 0, start, start
    while i < len(text):
        c = text[i]
        if (c.isalpha() or c in "\"'") and _literal_start(text, i) and (
                i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")):
            i = _skip_literal(text, i)
            continue
        if text.startswith("/*", i):
            i = text.index("*/", i) + 2
            continue
        if text.startswith("//", i):
            i = text.find("\n", i)
            i = len(text) if i < 0 else i
            continue
        if c in "([{":
            depth += 1
        elif c in ")]}":
            if depth == 0:
                args.append(text[begin:i].strip())
                return args, i + 1
            depth -= 1
        elif c == "," and depth == 0:
            args.append(text[begin:i].strip())
            begin = i + 1
        i += 1
    raise ValueError("unterminated argument list")


_C_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", '"': '"', "'": "'", "?": "?",
              "a": "\a", "b": "\b", "f": "\f", "v": "\v"}


def _unescape_c(body):
    out, i = [], 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out.append(c)
            i += 1
            continue
        n = body[i + 1]
        if n in _C_ESCAPES:
            out.append(_C_ESCAPES[n])
            i += 2
        elif n == "x":
            m = re.match(r"[0-9a-fA-F]+", body[i + 2:])
            out.append(chr(int(m.group(0), 16)))
            i += 2 + len(m.group(0))
        elif n in "01234567":
            m = re.match(r"[0-7]{1,3}", body[i + 1:])
            out.append(chr(int(m.group(0), 8)))
            i += 1 + len(m.group(0))
        elif n in "uU":
            width = 4 if n == "u" else 8
            out.append(chr(int(body[i + 2:i + 2 + width], 16)))
            i += 2 + width
        else:
            raise ValueError("unknown escape \\" + n)
    return "".join(out)


def string_value(arg):
    """The value of a C/C++ argument made only of (adjacent) string literals, else None."""
    i, parts = 0, []
    arg = arg.strip()
    if not arg:
        return None
    while i < len(arg):
        if arg[i].isspace():
            i += 1
            continue
        if arg.startswith("/*", i):
            i = arg.index("*/", i) + 2
            continue
        if arg.startswith("//", i):
            i = arg.find("\n", i)
            i = len(arg) if i < 0 else i
            continue
        if not _literal_start(arg, i) or arg[i] == "'":
            return None
        end = _skip_literal(arg, i)
        token = arg[i:end]
        m = _RAW_STRING.match(token)
        if m:
            parts.append(token[m.end():-(len(m.group(1)) + 2)])
        else:
            body = token[token.index('"') + 1:-1]
            parts.append(_unescape_c(body))
        i = end
    return "".join(parts)


def _line_of(text, index, first_line):
    return first_line + text.count("\n", 0, index)


_C_FORMAT = re.compile(r"%[-+ #0]*(\d+|\*)?(?:\.(\d+|\*))?(hh|h|ll|l|j|z|t|L)?([diouxXeEfgGcsp%])")


def _fill_format(fmt):
    def placeholder(m):
        conv = m.group(4)
        if conv == "%":
            return "%"
        if conv in "diouxX":
            return "1"
        if conv in "eEfgG":
            return "1.5"
        return "x"
    return _C_FORMAT.sub(placeholder, fmt)


def _json_input(scan, source, language, operation, text):
    try:
        value = json.loads(text)
    except json.JSONDecodeError as e:
        scan.problems.append("%s: %s input of %s is not JSON: %s" % (source, language, operation, e))
        return
    scan.examples.append(Example(source, language, operation, fields=value))


def extract_c(text, path, first_line, scan):
    """hq_call(&out, store, actor, "<op>", <input>) in C (or C++) source."""
    for m in re.finditer(r"\bhq_call\s*\(", text):
        source = "%s:%d" % (path, _line_of(text, m.start(), first_line))
        try:
            args, _ = split_arguments(text, m.end())
        except ValueError as e:
            scan.problems.append("%s: cannot read the hq_call: %s" % (source, e))
            continue
        if len(args) != 5:
            continue  # a declaration or a mention, not a call
        operation = string_value(args[3])
        if operation is None:
            scan.skipped.append("%s: operation name %s is not a literal" % (source, args[3]))
            continue
        value = args[4]
        if value in ("NULL", "0", "nullptr"):
            scan.examples.append(Example(source, "c", operation, fields={}))
            continue
        literal = string_value(value)
        if literal is not None:
            _json_input(scan, source, "c", operation, literal)
            continue
        if re.fullmatch(r"[A-Za-z_]\w*", value):
            # A buffer filled by snprintf before the call: its format with placeholder values.
            fmt = None
            for fill in re.finditer(r"\b(sn?printf)\s*\(", text[:m.start()]):
                try:
                    fargs, _ = split_arguments(text, fill.end())
                except ValueError:
                    continue
                at = 2 if fill.group(1) == "snprintf" else 1
                if fargs and fargs[0] == value and len(fargs) > at:
                    fmt = string_value(fargs[at])
            if fmt is not None:
                _json_input(scan, source + " (snprintf template)", "c", operation, _fill_format(fmt))
                continue
        scan.skipped.append("%s: %s input %s is not a literal" % (source, operation, value))


def extract_cpp(text, path, first_line, scan):
    """service::call(store, actor, "<op>", json::parse(R"(...)")) in C++ source."""
    for m in re.finditer(r"\bservice::call\s*\(", text):
        source = "%s:%d" % (path, _line_of(text, m.start(), first_line))
        try:
            args, _ = split_arguments(text, m.end())
        except ValueError as e:
            scan.problems.append("%s: cannot read the service::call: %s" % (source, e))
            continue
        if len(args) != 4:
            continue
        operation = string_value(args[2])
        if operation is None:
            scan.skipped.append("%s: operation name %s is not a literal" % (source, args[2]))
            continue
        value = args[3]
        parse = re.match(r"^(?:[\w:]*::)?parse\s*\(", value)
        if parse:
            inner, _ = split_arguments(value, parse.end())
            literal = string_value(inner[0]) if inner else None
            if literal is not None:
                _json_input(scan, source, "cpp", operation, literal)
                continue
        if re.fullmatch(r"(?:[\w:]*Json(?:::object\(\))?|json)\s*\{\s*\}|[\w:]*Json::object\(\)",
                        value):
            scan.examples.append(Example(source, "cpp", operation, fields={}))
            continue
        # nlohmann initializer lists ({{"k", v}, ...}) are C++ expressions, not evaluated here.
        scan.skipped.append("%s: %s input is a C++ expression (not checked): %s" % (
            source, operation, " ".join(value.split())[:60]))


# ---- Python ----

class _PythonCalls(ast.NodeVisitor):
    """houqin.call(...) and houqin.services.<domain>.<verb>(...) calls, with import aliases."""

    def __init__(self, path, first_line, scan, aliases):
        self.path, self.first_line, self.scan, self.aliases = path, first_line, scan, aliases

    def visit_Import(self, node):
        for a in node.names:
            if a.name == "houqin" or a.name.startswith("houqin."):
                if a.asname:
                    self.aliases[a.asname] = a.name.split(".")
                else:
                    self.aliases["houqin"] = ["houqin"]

    def visit_ImportFrom(self, node):
        if node.module and (node.module == "houqin" or node.module.startswith("houqin.")):
            for a in node.names:
                self.aliases[a.asname or a.name] = node.module.split(".") + [a.name]

    def _resolve(self, func):
        parts = []
        while isinstance(func, ast.Attribute):
            parts.append(func.attr)
            func = func.value
        if not isinstance(func, ast.Name) or func.id not in self.aliases:
            return None
        return self.aliases[func.id] + parts[::-1]

    def visit_Call(self, node):
        self.generic_visit(node)
        path = self._resolve(node.func)
        if not path:
            return
        source = "%s:%d" % (self.path, self.first_line + node.lineno - 1)
        # A field named like a Python keyword is given with a trailing underscore (from_=...).
        keywords = {_field_name(k.arg): k.value for k in node.keywords if k.arg is not None}
        double_star = any(k.arg is None for k in node.keywords)
        if path in (["houqin", "call"], ["houqin", "_core", "call"]):
            op_node = node.args[2] if len(node.args) > 2 else keywords.pop("operation", None)
            if not (isinstance(op_node, ast.Constant) and isinstance(op_node.value, str)):
                self.scan.skipped.append("%s: operation name is not a literal" % source)
                return
            operation = op_node.value
            input_node = node.args[3] if len(node.args) > 3 else keywords.pop("input", None)
        elif len(path) == 4 and path[:2] == ["houqin", "services"]:
            verb = path[3]
            if verb.endswith("_") and keyword.iskeyword(verb[:-1]):
                verb = verb[:-1]
            operation = path[2] + "." + verb
            input_node = node.args[2] if len(node.args) > 2 else keywords.pop("input", None)
        else:
            return
        for name in ("store", "actor"):
            keywords.pop(name, None)
        example = Example(source, "python", operation, fields={}, opaque=double_star)
        if input_node is not None and not (isinstance(input_node, ast.Constant)
                                           and input_node.value is None):
            if isinstance(input_node, ast.Dict):
                for k, v in zip(input_node.keys, input_node.values):
                    if k is None:
                        example.opaque = True  # {**other}
                    elif isinstance(k, ast.Constant) and isinstance(k.value, str):
                        keywords.setdefault(k.value, v)
                    else:
                        example.opaque = True
            else:
                example.opaque = True
                self.scan.skipped.append("%s: %s input %s is not a literal dict" % (
                    source, operation, ast.unparse(input_node)))
        for name, value in keywords.items():
            try:
                example.fields[name] = _jsonable(ast.literal_eval(value))
            except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
                example.names.append(name)
                self.scan.skipped.append("%s: %s.%s = %s is not a literal (name checked)" % (
                    source, operation, name, ast.unparse(value)))
        self.scan.examples.append(example)


def _field_name(argument):
    if argument.endswith("_") and keyword.iskeyword(argument[:-1]):
        return argument[:-1]
    return argument


def _jsonable(value):
    if isinstance(value, (tuple, list)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (set, frozenset, bytes, complex)):
        raise TypeError("not JSON")
    return value


def extract_python(text, path, first_line, scan, aliases):
    try:
        tree = ast.parse(text)
    except SyntaxError as e:
        if re.search(r"houqin\.call|services\.", text):
            scan.problems.append("%s:%d: Python that does not parse, its examples cannot be "
                                 "checked: %s" % (path, first_line + (e.lineno or 1) - 1, e.msg))
        return
    _PythonCalls(path, first_line, scan, aliases).visit(tree)


def extract_notebook(text, path, scan):
    aliases = {"houqin": ["houqin"]}
    for n, cell in enumerate(json.loads(text)["cells"], 1):
        if cell.get("cell_type") != "code":
            continue
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        # IPython magics and shell escapes are not Python: blanked, keeping the line numbers.
        source = "\n".join("" if l.lstrip().startswith(("%", "!")) else l
                           for l in source.split("\n"))
        extract_python(source, "%s#cell%d" % (path, n), 1, scan, aliases)


# ---- Markdown ----

_FENCE = re.compile(r"^( {0,3}|\s*[-*] |\s*\d+\. |\s*)(`{3,}|~{3,})\s*(.*)$")


def markdown_blocks(text):
    """(info string, body, line number of the body's first line) for each fenced block."""
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        m = _FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence, info = len(m.group(1)), m.group(2), m.group(3).strip()
        body, j = [], i + 1
        while j < len(lines):
            close = re.match(r"^\s*(%s%s*)\s*$" % (re.escape(fence[0]) * 3, re.escape(fence[0])),
                             lines[j])
            if close and len(close.group(1)) >= len(fence):
                break
            line = lines[j]
            body.append(line[indent:] if line[:indent].strip() == "" else line)
            j += 1
        yield info, "\n".join(body), i + 2
        i = j + 1


def extract_markdown(text, path, scan):
    aliases = {"houqin": ["houqin"]}  # snippets often leave out `import houqin`
    for info, body, line in markdown_blocks(text):
        words = info.split()
        language = words[0].lower() if words else ""
        if language in ("c", "cpp", "c++", "h", "hpp", "cc", "cxx"):
            extract_c(body, path, line, scan)
            extract_cpp(body, path, line, scan)
        elif language in ("python", "py", "pycon"):
            extract_python(body, path, line, scan, aliases)
        elif language in ("json", "jsonc", "json5"):
            attributes = dict(w.split("=", 1) for w in words[1:] if "=" in w)
            if "input" in attributes:
                _json_input(scan, "%s:%d" % (path, line), "json", attributes["input"], body)
            elif any(w.startswith("input") for w in words[1:]):
                scan.problems.append("%s:%d: json block info %r: write input=<operation>" % (
                    path, line, info))


# ---- the scan and the check ----

def scan_sources(root=ROOT):
    scan = Scan()
    documents = [root / "README.md"] + sorted((root / "docs").glob("*.md"))
    for doc in documents:
        if doc.name == "operations.md" and doc.parent.name == "docs":
            continue  # generated from the schemas themselves
        extract_markdown(doc.read_text(encoding="utf-8"), str(doc.relative_to(root)), scan)
    for path in sorted((root / "examples").rglob("*")):
        if not path.is_file():
            continue
        rel = str(path.relative_to(root))
        text = None
        if path.suffix in (".c", ".h", ".cpp", ".hpp", ".cc"):
            text = path.read_text(encoding="utf-8")
            extract_c(text, rel, 1, scan)
            extract_cpp(text, rel, 1, scan)
        elif path.suffix == ".py":
            extract_python(path.read_text(encoding="utf-8"), rel, 1, scan, {})
        elif path.suffix == ".ipynb":
            extract_notebook(path.read_text(encoding="utf-8"), rel, scan)
    return scan


def check(example, operations=None):
    """What is wrong with one example's input: a list of "<source>: <problem>" lines."""
    operations = OPERATIONS if operations is None else operations
    op = operations.get(example.operation)
    where = "%s: %s" % (example.source, example.operation)
    if op is None:
        domain = example.operation.split(".", 1)[0]
        known = sorted(n for n in operations if n.startswith(domain + "."))
        return ["%s: unknown operation (%s has: %s)" % (where, domain, ", ".join(known) or "none")]
    schema = op["input"]
    properties = schema.get("properties", {})
    problems = []
    if schema.get("additionalProperties") is False:
        for name in example.names:
            if name not in properties:
                problems.append("%s: unknown field %r (known: %s)" % (
                    where, name, ", ".join(sorted(properties))))
    if example.fields is None:
        return problems
    schema = copy.deepcopy(schema)
    given = set(example.names)
    if example.opaque:
        schema.pop("required", None)
    elif "required" in schema:
        schema["required"] = [r for r in schema["required"] if r not in given]
    validator = jsonschema.Draft202012Validator(schema, format_checker=FORMATS)
    for error in sorted(validator.iter_errors(example.fields), key=lambda e: list(e.path)):
        at = "".join("[%d]" % p if isinstance(p, int) else ".%s" % p for p in error.path)
        message = error.message
        if error.context:  # anyOf (a nullable field): say why each alternative failed
            message += " (%s)" % "; ".join(sorted({c.message for c in error.context}))
        problems.append("%s: input%s: %s" % (where, at, message))
    return problems


def check_all(scan):
    problems = list(scan.problems)
    for example in scan.examples:
        problems.extend(check(example))
    return problems


# ---- the tests ----

def test_schemas_are_valid_draft_2020_12():
    for op in OPERATIONS.values():
        jsonschema.Draft202012Validator.check_schema(op["input"])


def test_every_example_input_conforms_to_its_schema():
    scan = scan_sources()
    problems = check_all(scan)
    assert not problems, "examples in the docs that do not match their operation's schema " \
        "(docs/operations.md lists the fields):\n  " + "\n  ".join(problems)


def test_the_scan_finds_examples_in_every_language():
    scan = scan_sources()
    by_language = {}
    for e in scan.examples:
        by_language.setdefault(e.language, []).append(e)
    print("checked %d example inputs (%s); skipped %d non-literal values:\n  %s" % (
        len(scan.examples), ", ".join("%s %d" % (k, len(v)) for k, v in sorted(by_language.items())),
        len(scan.skipped), "\n  ".join(scan.skipped)))
    assert len(scan.examples) >= MINIMUM_EXAMPLES, "the extractors found only %d examples" % len(
        scan.examples)
    for language in ("c", "python", "json"):
        assert by_language.get(language), "no %s examples found: is an extractor broken?" % language
    # The examples that matter to integrators first are all there.
    operations = {e.operation for e in scan.examples}
    for name in ("repair.report", "repair.dispatch", "auth.create_user", "auth.define_role",
                 "auth.grant", "audit.query"):
        assert name in operations, "no checked example of %s in the docs" % name


BROKEN = r'''
Deliberately wrong examples: each must be reported.

```c
hq_call(&out, store, actor, "repair.report", "{\"room_id\": 1, \"descripton\": \"x\"}");
hq_call(&out, store, actor, "repair.no_such_verb", NULL);
```

```python
import houqin
from houqin.services import repair as r
houqin.services.repair.report(store, actor, room_id="one", description="x")
r.report(store, actor, room=the_room, description="x")
houqin.call(store, actor, "nosuch.domain", {"a": 1})
```

```cpp
auto r = service::call(store, actor, "repair.report", json::parse(R"({"room_id": true})"));
```

```json input=repair.report
{"room_id": 1, "description": "x", "urgency": "whenever"}
```

```json input=audit.query
{"actor": "li.wei", "from": "yesterday"}
```
'''

GOOD = r'''
```c
hq_call(&out, store, actor, "repair.report",
        "{\"room_id\": 1, \"description\": \"Light flickers\"}");
hq_call(&out, store, actor, "audit.verify", NULL);
```

```python
from houqin.services import repair
repair.report(store, actor, room_id=room.id, description="Light flickers")
houqin.call(store, actor, "repair.report", {"room_id": 1}, description="x")
houqin.services.audit.query(store, actor, from_="2026-11-25T00:00:00Z", limit=10)
```

```cpp
auto r = service::call(store, actor, "repair.report",
                       json::parse(R"({"room_id": 1, "description": "x"})"));
```

```json input=repair.report
{"room_id": 1, "description": "Light flickers"}
```
'''


def _scan_text(markdown):
    scan = Scan()
    extract_markdown(markdown, "self-test.md", scan)
    return scan


def test_a_wrong_example_is_reported():
    scan = _scan_text(BROKEN)
    assert len(scan.examples) == 8, [e.source for e in scan.examples]
    reports = {}
    for e in scan.examples:
        reports[e.source] = check(e)
    failing = [s for s, p in reports.items() if not p]
    assert not failing, "broken examples not reported: %s" % failing
    text = "\n".join(p for ps in reports.values() for p in ps)
    assert "descripton" in text                      # a misspelled field in C
    assert "repair.no_such_verb: unknown operation" in text
    assert "'one' is not of type 'integer'" in text  # a wrong type in Python
    assert "unknown field 'room'" in text            # a misspelled keyword with a variable value
    assert "nosuch.domain: unknown operation" in text
    assert "True is not of type 'integer'" in text   # C++ raw string
    assert "'whenever' is not one of" in text      # an unknown enum value
    assert "'yesterday' is not a 'date-time'" in text


def test_a_bad_format_is_reported_if_the_schema_has_one():
    # Any date-time field of any input, so the test needs no knowledge of a particular operation.
    for name, op in sorted(OPERATIONS.items()):
        for field, p in op["input"].get("properties", {}).items():
            alternatives = p.get("anyOf", [p])
            if any(a.get("format") == "date-time" for a in alternatives):
                bad = Example("self-test", "json", name, fields={field: "2026-11-25 18:29"},
                              opaque=True)
                assert any("date-time" in p for p in check(bad)), check(bad)
                good = Example("self-test", "json", name, fields={field: "2026-11-25T18:29:00Z"},
                               opaque=True)
                assert not check(good), check(good)
                return


def test_a_right_example_passes():
    scan = _scan_text(GOOD)
    assert len(scan.examples) == 7, [e.source for e in scan.examples]
    problems = check_all(scan)
    assert not problems, problems


def test_c_string_literals_and_format_templates():
    assert string_value(r'"{\"a\":" "1}"') == '{"a":1}'
    assert string_value('R"x({"a": ")"})x"') == '{"a": ")"}'
    assert string_value("json") is None
    assert _fill_format('{"room_id":%lld,"note":"%s","w":%.2f,"p":"100%%"}') == \
        '{"room_id":1,"note":"x","w":1.5,"p":"100%"}'


# ---- links into the generated operations.md resolve ----

def github_anchors(markdown):
    """The anchors GitHub gives the headings of a page (github-slugger, ASCII headings)."""
    anchors, seen = set(), {}
    in_fence = None
    for line in markdown.split("\n"):
        fence = re.match(r"^\s*(`{3,}|~{3,})", line)
        if fence:
            if in_fence is None:
                in_fence = fence.group(1)
            elif fence.group(1).startswith(in_fence):
                in_fence = None
            continue
        m = re.match(r"^#{1,6}\s+(.*?)\s*#*\s*$", line) if in_fence is None else None
        if not m:
            continue
        text = m.group(1).replace("`", "").lower()  # code spans keep their text
        slug = re.sub(r"[^\w\- ]", "", text).replace(" ", "-")
        if slug in seen:
            seen[slug] += 1
            slug = "%s-%d" % (slug, seen[slug])
        else:
            seen[slug] = 0
        anchors.add(slug)
    return anchors


def test_links_into_operations_md_resolve():
    operations = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    anchors = github_anchors(operations)
    broken = []
    for target in re.findall(r"\]\(#([^)]+)\)", operations):
        if target not in anchors:
            broken.append("docs/operations.md: #" + target)
    for doc in [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md")):
        text = doc.read_text(encoding="utf-8")
        for page, target in re.findall(r"\]\((?:docs/)?([\w-]+\.md)#([^)]+)\)", text):
            page_path = ROOT / "docs" / page
            if page_path.exists() and target not in github_anchors(page_path.read_text(
                    encoding="utf-8")):
                broken.append("%s: %s#%s" % (doc.relative_to(ROOT), page, target))
    assert not broken, "links to headings that do not exist:\n  " + "\n  ".join(broken)
