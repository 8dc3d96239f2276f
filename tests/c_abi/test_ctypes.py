"""libhouqin-c driven from Python through ctypes alone, as a vendor's FFI would use it: no
pybind11, no headers, only the documented C signatures. The library's path comes from
HOUQIN_C_LIBRARY (set by CTest)."""
import ctypes
import json
import os
import threading

import pytest

HQ_OK, HQ_INVALID_ARGUMENT, HQ_NOT_FOUND, HQ_CONFLICT, HQ_PERMISSION_DENIED = 0, -1, -2, -4, -5

lib = ctypes.CDLL(os.environ["HOUQIN_C_LIBRARY"])
c_str = ctypes.c_char_p
out_str = ctypes.POINTER(ctypes.c_void_p)  # char** filled by the library, freed with hq_free


class Error(ctypes.Structure):
    _fields_ = [("code", ctypes.c_int), ("message", c_str)]


class StoreOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("busy_timeout_ms", ctypes.c_int),
                ("key_file", c_str)]  # version 2


EACH_CB = ctypes.CFUNCTYPE(ctypes.c_int, c_str, ctypes.c_void_p)

for name, res, args in [
    ("hq_last_error", ctypes.POINTER(Error), []),
    ("hq_status_name", c_str, [ctypes.c_int]),
    ("hq_free", None, [ctypes.c_void_p]),
    ("hq_version_number", ctypes.c_int, []),
    ("hq_version_string", c_str, []),
    ("hq_store_options_init", ctypes.c_int, [ctypes.POINTER(StoreOptions), ctypes.c_uint]),
    ("hq_store_open", ctypes.c_int,
     [ctypes.POINTER(ctypes.c_void_p), c_str, ctypes.POINTER(StoreOptions)]),
    ("hq_store_free", None, [ctypes.c_void_p]),
    ("hq_store_migrate", ctypes.c_int, [ctypes.POINTER(ctypes.c_int), ctypes.c_void_p]),
    ("hq_entity_names", ctypes.c_int, [out_str, ctypes.c_void_p]),
    ("hq_entity_put", ctypes.c_int, [out_str, ctypes.c_void_p, ctypes.c_void_p, c_str, c_str]),
    ("hq_entity_get", ctypes.c_int,
     [out_str, ctypes.c_void_p, ctypes.c_void_p, c_str, ctypes.c_int64]),
    ("hq_entity_find", ctypes.c_int, [out_str, ctypes.c_void_p, ctypes.c_void_p, c_str, c_str]),
    ("hq_entity_each", ctypes.c_int,
     [ctypes.c_void_p, ctypes.c_void_p, c_str, c_str, EACH_CB, ctypes.c_void_p]),
    ("hq_entity_remove", ctypes.c_int,
     [ctypes.c_void_p, ctypes.c_void_p, c_str, ctypes.c_int64, ctypes.c_int64]),
    ("hq_actor_service", ctypes.c_int, [ctypes.POINTER(ctypes.c_void_p), c_str, c_str]),
    ("hq_actor_free", None, [ctypes.c_void_p]),
    ("hq_call", ctypes.c_int, [out_str, ctypes.c_void_p, ctypes.c_void_p, c_str, c_str]),
    ("hq_operations", ctypes.c_int, [out_str]),
    ("hq_operation", ctypes.c_int, [out_str, c_str]),
]:
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = res, args


# A vendor's interface engine acts as a service actor with the permissions it needs.
ACTOR = ctypes.c_void_p()
assert lib.hq_actor_service(ctypes.byref(ACTOR), b"ctypes-test",
                            b'["site.edit", "audit.verify"]') == HQ_OK


class HqError(Exception):
    def __init__(self, status):
        err = lib.hq_last_error().contents
        self.status, self.message = status, err.message.decode()
        super().__init__(f"{lib.hq_status_name(status).decode()}: {self.message}")


def call(fn, *args):
    status = fn(*args)
    if status != HQ_OK:
        raise HqError(status)


def json_call(fn, *args):
    """Calls fn(&out, *args) and returns the decoded JSON, freeing the library's string."""
    out = ctypes.c_void_p()
    call(fn, ctypes.byref(out), *args)
    try:
        return json.loads(ctypes.string_at(out.value).decode())
    finally:
        lib.hq_free(out)


@pytest.fixture
def store():
    handle = ctypes.c_void_p()
    opts = StoreOptions()
    call(lib.hq_store_options_init, ctypes.byref(opts), 1)
    assert opts.busy_timeout_ms == 5000
    call(lib.hq_store_open, ctypes.byref(handle), b"sqlite::memory:", ctypes.byref(opts))
    applied = ctypes.c_int(-1)
    call(lib.hq_store_migrate, ctypes.byref(applied), handle)
    assert applied.value > 0
    yield handle
    lib.hq_store_free(handle)


def test_version_is_reported():
    n = lib.hq_version_number()
    assert lib.hq_version_string().decode() == f"{n // 10000}.{n // 100 % 100}.{n % 100}"


def test_entities_round_trip(store):
    assert "rooms" in json_call(lib.hq_entity_names, store)
    campus = json_call(lib.hq_entity_put, store, ACTOR, b"campuses",
                       json.dumps({"code": "MAIN", "name": "本部"}).encode())
    assert campus["version"] == 1 and campus["name"] == "本部"
    campus["name"] = "总院"
    updated = json_call(lib.hq_entity_put, store, ACTOR, b"campuses",
                        json.dumps(campus).encode())
    assert updated["version"] == 2
    assert json_call(lib.hq_entity_get, store, ACTOR, b"campuses", campus["id"])["name"] == "总院"
    page = json_call(lib.hq_entity_find, store, ACTOR, b"campuses",
                     b'{"where":[{"column":"code","op":"eq","value":"MAIN"}]}')
    assert page["total"] == 1
    call(lib.hq_entity_remove, store, ACTOR, b"campuses", campus["id"], 2)
    assert json_call(lib.hq_entity_find, store, ACTOR, b"campuses", None)["total"] == 0


def test_errors_carry_status_and_message(store):
    with pytest.raises(HqError) as e:
        json_call(lib.hq_entity_get, None, ACTOR, b"rooms", 1)
    assert e.value.status == HQ_INVALID_ARGUMENT and "store is NULL" in e.value.message
    with pytest.raises(HqError) as e:
        json_call(lib.hq_entity_find, store, ACTOR, b"lifts", None)
    assert e.value.status == HQ_NOT_FOUND and "unknown entity 'lifts'" in e.value.message
    campus = json_call(lib.hq_entity_put, store, ACTOR, b"campuses", b'{"code":"A","name":"a"}')
    json_call(lib.hq_entity_put, store, ACTOR, b"campuses", json.dumps(campus).encode())
    with pytest.raises(HqError) as e:  # the same version-1 copy again
        json_call(lib.hq_entity_put, store, ACTOR, b"campuses", json.dumps(campus).encode())
    assert e.value.status == HQ_CONFLICT and "is stale" in e.value.message


def test_callbacks_may_call_back_into_the_store(store):
    for code in ("A", "B", "C"):
        call(lib.hq_entity_put, None, store, ACTOR, b"campuses",
             json.dumps({"code": code, "name": code}).encode())
    seen = []

    @EACH_CB
    def each(item, payload):
        campus = json.loads(item.decode())
        seen.append(campus["code"])
        again = json_call(lib.hq_entity_get, store, ACTOR, b"campuses", campus["id"])
        assert again == campus
        return 1 if len(seen) == 2 else 0  # stop after two

    call(lib.hq_entity_each, store, ACTOR, b"campuses", b'{"order_by":[{"column":"code"}]}', each,
         None)
    assert seen == ["A", "B"]


def test_service_calls_by_name(store):
    names = [op["name"] for op in json_call(lib.hq_operations)]
    assert "audit.verify" in names and names == sorted(names)
    assert json_call(lib.hq_call, store, ACTOR, b"audit.verify", None)["ok"] is True
    with pytest.raises(HqError) as e:
        json_call(lib.hq_call, store, ACTOR, b"audit.query", b"{}")
    assert e.value.status == HQ_PERMISSION_DENIED


def test_operation_schemas_are_valid_draft_2020_12_and_describe_what_comes_back(store):
    jsonschema = pytest.importorskip("jsonschema")
    ops = json_call(lib.hq_operations)
    assert len(ops) > 50
    for op in ops:
        for side in ("input", "output"):
            jsonschema.Draft202012Validator.check_schema(op[side])
    one = json_call(lib.hq_operation, b"audit.verify")
    assert one == next(op for op in ops if op["name"] == "audit.verify")
    # What the service returns conforms to the published output schema (a peer's validator).
    auditor = ctypes.c_void_p()
    assert lib.hq_actor_service(ctypes.byref(auditor), b"schema-auditor",
                                b'["audit.read", "audit.verify"]') == 0
    try:
        for name, body in ((b"audit.verify", b"{}"), (b"audit.query", b'{"limit": 5}')):
            out = json_call(lib.hq_call, store, auditor, name, body)
            schema = json_call(lib.hq_operation, name)["output"]
            jsonschema.validate(out, schema, cls=jsonschema.Draft202012Validator)
        bad = json_call(lib.hq_operation, b"audit.query")["input"]
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({"limit": "five"}, bad, cls=jsonschema.Draft202012Validator)
    finally:
        lib.hq_actor_free(auditor)


def test_last_error_is_per_thread(store):
    results = {}
    barrier = threading.Barrier(2)

    def fail_with(key, fn, *args):
        fn(*args)
        barrier.wait()  # both have failed before either reads its error
        err = lib.hq_last_error().contents
        results[key] = (err.code, err.message.decode())

    out = ctypes.c_void_p()
    a = threading.Thread(target=fail_with,
                         args=("a", lib.hq_store_open, None, b"sqlite::memory:", None))
    b = threading.Thread(target=fail_with,
                         args=("b", lib.hq_entity_get, ctypes.byref(out), store, ACTOR, b"rooms",
                               77))
    a.start(), b.start(), a.join(), b.join()
    assert results["a"] == (HQ_INVALID_ARGUMENT, "hq_store_open: out is NULL")
    assert results["b"] == (HQ_NOT_FOUND, "rooms 77: not found")


# ---- telemetry: samples as a ctypes array of structs (no JSON on the hot path) ----------------

class Sample(ctypes.Structure):
    _fields_ = [("point_id", ctypes.c_int64), ("time_us", ctypes.c_int64),
                ("value", ctypes.c_double), ("quality", ctypes.c_uint8),
                ("flag", ctypes.c_int32)]


class TelemetryOptions(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint), ("key_file", c_str), ("wal_dir", c_str),
                ("batch_size", ctypes.c_size_t), ("queue_batches", ctypes.c_size_t),
                ("when_full", ctypes.c_int), ("block_timeout_ms", ctypes.c_int),
                ("max_age_ms", ctypes.c_int), ("busy_timeout_ms", ctypes.c_int),
                ("serve_alarm_operations", ctypes.c_int), ("nominal_voltage", ctypes.c_double)]


size_p = ctypes.POINTER(ctypes.c_size_t)
for name, res, args in [
    ("hq_telemetry_options_init", ctypes.c_int,
     [ctypes.POINTER(TelemetryOptions), ctypes.c_uint]),
    ("hq_telemetry_open", ctypes.c_int,
     [ctypes.POINTER(ctypes.c_void_p), c_str, ctypes.POINTER(TelemetryOptions), c_str]),
    ("hq_telemetry_free", None, [ctypes.c_void_p]),
    ("hq_telemetry_push", ctypes.c_int,
     [size_p, ctypes.c_void_p, ctypes.POINTER(Sample), ctypes.c_size_t]),
    ("hq_telemetry_push_and_wait", ctypes.c_int,
     [size_p, ctypes.c_void_p, ctypes.POINTER(Sample), ctypes.c_size_t, ctypes.c_int]),
    ("hq_telemetry_sync", ctypes.c_int, [ctypes.c_void_p, ctypes.c_int]),
    ("hq_telemetry_query", ctypes.c_int,
     [size_p, ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64,
      ctypes.POINTER(ctypes.c_int64), ctypes.POINTER(ctypes.c_double),
      ctypes.POINTER(ctypes.c_uint8), ctypes.POINTER(ctypes.c_int32), ctypes.c_size_t]),
    ("hq_telemetry_query_samples", ctypes.c_int,
     [ctypes.POINTER(ctypes.POINTER(Sample)), size_p, ctypes.c_void_p, ctypes.c_int64,
      ctypes.c_int64, ctypes.c_int64]),
    ("hq_telemetry_stats", ctypes.c_int, [out_str, ctypes.c_void_p]),
]:
    fn = getattr(lib, name)
    fn.restype, fn.argtypes = res, args


def test_telemetry_push_and_query(tmp_path):
    assert ctypes.sizeof(Sample) == 32
    url = f"sqlite:{tmp_path}/telemetry.sqlite".encode()
    store, actor = ctypes.c_void_p(), ctypes.c_void_p()
    call(lib.hq_store_open, ctypes.byref(store), url, None)
    call(lib.hq_store_migrate, None, store)
    call(lib.hq_actor_service, ctypes.byref(actor), b"ctypes-telemetry",
         b'["telemetry.configure", "telemetry.read"]')
    device = json_call(lib.hq_entity_put, store, actor, b"devices",
                       b'{"name": "m1", "host": "10.0.0.1"}')
    point = json_call(lib.hq_entity_put, store, actor, b"points",
                      json.dumps({"device_id": device["id"], "name": "t", "scale": 0.5}).encode())
    lib.hq_actor_free(actor)
    lib.hq_store_free(store)

    opts = TelemetryOptions()
    call(lib.hq_telemetry_options_init, ctypes.byref(opts), 1)
    assert opts.batch_size == 4096 and opts.nominal_voltage == 230.0
    opts.serve_alarm_operations = 0
    t = ctypes.c_void_p()
    call(lib.hq_telemetry_open, ctypes.byref(t), url, ctypes.byref(opts), None)
    try:
        t0 = 1_767_225_600_000_000
        samples = (Sample * 500)(*[Sample(point["id"], t0 + i * 1_000_000, i * 0.5, 0, 0)
                                   for i in range(500)])
        accepted = ctypes.c_size_t()
        call(lib.hq_telemetry_push, ctypes.byref(accepted), t, samples, 250)
        assert accepted.value == 250
        call(lib.hq_telemetry_push_and_wait, ctypes.byref(accepted), t,
             ctypes.cast(ctypes.byref(samples, 250 * 32), ctypes.POINTER(Sample)), 250, 10000)
        assert accepted.value == 250
        call(lib.hq_telemetry_sync, t, 10000)

        n = ctypes.c_size_t()
        call(lib.hq_telemetry_query, ctypes.byref(n), t, point["id"], t0, t0 + 10**12,
             None, None, None, None, 0)
        assert n.value == 500
        times, values = (ctypes.c_int64 * 100)(), (ctypes.c_double * 100)()
        qualities, flags = (ctypes.c_uint8 * 100)(), (ctypes.c_int32 * 100)()
        call(lib.hq_telemetry_query, ctypes.byref(n), t, point["id"], t0, t0 + 10**12,
             times, values, qualities, flags, 100)
        assert n.value == 500  # snprintf-like: the whole count, the first 100 written
        assert list(values[:3]) == [0.0, 0.5, 1.0] and times[99] == t0 + 99_000_000

        got = ctypes.POINTER(Sample)()
        call(lib.hq_telemetry_query_samples, ctypes.byref(got), ctypes.byref(n), t,
             point["id"], t0 + 400_000_000, t0 + 10**12)
        try:
            assert n.value == 100 and got[0].value == 200.0 and got[99].point_id == point["id"]
        finally:
            lib.hq_free(got)

        assert json_call(lib.hq_telemetry_stats, t)["pipeline"]["accepted"] == 500
        with pytest.raises(HqError) as e:
            call(lib.hq_telemetry_query, ctypes.byref(n), t, 999999, 0, 1, None, None, None,
                 None, 0)
        assert e.value.status == HQ_NOT_FOUND and "999999" in e.value.message
        with pytest.raises(HqError) as e:
            call(lib.hq_telemetry_push, None, None, samples, 1)
        assert e.value.status == HQ_INVALID_ARGUMENT and "telemetry is NULL" in e.value.message
    finally:
        lib.hq_telemetry_free(t)
