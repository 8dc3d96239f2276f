"""Telemetry samples between houqin and numpy without copies: the sample dtype mirrors
telemetry::Sample, columns are views of houqin-owned vectors whose .base keeps them alive, and
10M samples cost no second copy."""

import datetime
import gc
import sys

import numpy as np
import pytest

import houqin
from houqin.telemetry import Flag, SampleArray, SampleColumns, sample_dtype

from conftest import rss_bytes


def test_dtype_matches_the_cpp_struct():
    assert sample_dtype.itemsize == 32
    assert sample_dtype.names == ("point_id", "time", "value", "quality", "flag")
    assert [sample_dtype.fields[n][1] for n in sample_dtype.names] == [0, 8, 16, 24, 28]
    assert [Flag(n).name for n in ["not_evaluated", "pass", "suspect", "fail"]] == ["not_evaluated", "pass_", "suspect", "fail"]


def test_columns_are_views_owned_by_houqin():
    cols = SampleColumns.generate(1000, points=4)
    v1, v2 = cols.value, cols.value
    assert v1.base is cols and v2.base is cols
    assert np.shares_memory(v1, v2)
    assert v1.dtype == np.float64 and cols.time.dtype == np.int64 and cols.flag.dtype == np.uint8
    assert not v1.flags.writeable
    with pytest.raises(ValueError):
        v1[0] = 1.0
    assert list(cols.point_id[:5]) == [1, 2, 3, 4, 1]
    assert len(cols) == 1000


def test_view_outlives_the_python_name_of_its_owner():
    cols = SampleColumns.generate(10_000)
    value = cols.value
    expected = float(value.sum())
    del cols
    gc.collect()
    assert float(value.sum()) == expected  # the view keeps houqin's memory alive


def test_ten_million_samples_are_not_copied():
    before = rss_bytes()
    cols = SampleColumns.generate(10_000_000, points=100)
    made = rss_bytes() - before
    assert made >= 10_000_000 * 26 * 0.9  # 26 bytes a sample in five columns
    base = rss_bytes()
    views = [(cols.point_id, cols.time, cols.value, cols.quality, cols.flag) for _ in range(20)]
    total = sum(float(v[2][::1000].sum()) for v in views)
    grown = rss_bytes() - base
    assert total > 0
    assert grown < 5_000_000, "20 sets of views of 10M samples grew RSS by %d bytes" % grown
    assert all(np.shares_memory(v[2], views[0][2]) for v in views)


def test_records_and_push_path_without_copy():
    records = np.zeros(5, dtype=sample_dtype)
    records["point_id"] = [1, 1, 2, 2, 3]
    records["value"] = [1.5, 2.5, 3.0, 4.0, 5.0]
    records["flag"] = 1
    assert houqin.telemetry.checksum(records) == 16.0
    records["value"][0] = 100.0  # C++ reads the caller's memory in place
    assert houqin.telemetry.checksum(records) == 114.5
    with pytest.raises(houqin.InvalidArgument, match="sample_dtype"):
        houqin.telemetry.checksum(np.zeros(5))
    arr = SampleArray(records)
    view = arr.array
    assert view.base is arr and view.dtype == sample_dtype and list(view["value"]) == list(records["value"])
    cols = SampleColumns.from_records(records)
    assert np.array_equal(cols.to_records(), records)
    back = SampleArray.from_columns(cols).array
    assert np.array_equal(back, records)


def test_columns_from_numpy_and_pandas():
    t = np.arange(5, dtype=np.int64) * 1_000_000 + 1_767_225_600_000_000
    cols = SampleColumns(point_id=np.full(5, 7), time=t, value=np.linspace(0, 1, 5), flag=np.array([0, 1, 2, 3, 1]))
    with pytest.raises(houqin.InvalidArgument, match="value: length 4 differs"):
        SampleColumns(point_id=np.full(5, 7), time=t, value=np.zeros(4))
    df = cols.to_pandas()
    assert list(df.columns) == ["point_id", "time", "value", "quality", "flag"]
    assert str(df["time"].dtype) == "datetime64[ns, UTC]"
    assert str(df["time"].iloc[0]) == "2026-01-01 00:00:00+00:00"
    assert list(df["flag"]) == ["not_evaluated", "pass", "suspect", "fail", "pass"]
    assert df.value.sum() == pytest.approx(2.5)
    assert np.shares_memory(df["value"].to_numpy(), cols.value)  # pandas took the view as it is
    indexed = cols.to_pandas(time_index=True)
    assert indexed.index.name == "time"


# ---- telemetry.Runtime: samples from numpy through verify -> alarm -> store ----------------------

T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z in microseconds
O2, VOLTS = 1, 2  # an ICU oxygen area pressure (nominal 400 kPa) and a 230 V phase voltage


def runtime_config():
    return houqin.telemetry.make_config(
        gas=[{"point_id": O2, "gas": "oxygen", "role": "area", "area": "ICU"}],
        power=[{"point_id": VOLTS, "quantity": "phase_voltage", "nominal": 230, "area": "ICU"}])


@pytest.fixture
def runtime(shared_store_url, key_file, tmp_path):
    with houqin.Store(shared_store_url, key_file=key_file, migrate=True):
        pass
    with houqin.telemetry.Runtime(shared_store_url, runtime_config(), key_file=key_file,
                                  wal_dir=tmp_path / "wal", batch_size=256) as rt:
        yield rt


def seconds(n, start=0):
    return T0 + (np.arange(n, dtype=np.int64) + start) * 1_000_000


def test_runtime_push_and_query_round_trip(runtime):
    n = 600
    t = seconds(n)
    o2 = 400 + np.sin(np.arange(n) / 30.0)
    accepted = runtime.push(point_id=O2, time=t, value=o2)
    assert accepted == n
    volts = np.zeros(n, dtype=houqin.telemetry.sample_dtype)
    volts["point_id"], volts["time"], volts["value"] = VOLTS, t, 230.0
    assert runtime.push(volts, wait=True) == n  # a sample_dtype array, read in place
    cols = runtime.query(O2, T0, T0 + n * 1_000_000)
    assert len(cols) == n
    assert cols.time.base is cols and cols.value.base is cols and not cols.value.flags.writeable
    assert np.array_equal(cols.time, t)
    assert np.allclose(cols.value, o2, atol=0.051)  # stored at the transmitter's 0.1 kPa step
    assert (cols.flag == 1).all()  # verified: every sample passed (Flag.pass_)
    assert (cols.point_id == O2).all()
    frame = runtime.query_frame(VOLTS, T0 + 10_000_000, T0 + 20_000_000)
    assert list(frame.index[:2].astype(str)) == ["2026-01-01 00:00:10+00:00", "2026-01-01 00:00:11+00:00"]
    assert len(frame) == 10 and (frame["value"] == 230.0).all() and frame.index.name == "time"
    start = datetime.datetime(2026, 1, 1, 0, 5, tzinfo=datetime.timezone.utc)
    assert len(runtime.query(O2, start, T0 + n * 1_000_000)) == n - 300  # datetimes work too
    stats = runtime.stats()
    # telemetry::RuntimeStats, with the member names hq_telemetry_stats() has in C
    assert set(stats) == {"pipeline", "storage", "alarm_callback_errors"}
    pipeline = stats["pipeline"]
    assert pipeline["accepted"] == 2 * n and pipeline["durable"] == 2 * n
    assert [s["name"] for s in pipeline["stages"]] == ["verify", "alarm", "store"]
    stage = pipeline["stages"][0]
    assert set(stage) == {"name", "batches", "samples", "errors", "failed_samples", "flushes", "time"}
    assert isinstance(stage["time"], datetime.timedelta) and stage["time"] > datetime.timedelta(0)
    assert stats["storage"]["samples_appended"] == 2 * n
    assert stats["alarm_callback_errors"] == 0


def test_runtime_push_forms_and_errors(runtime):
    cols = SampleColumns(point_id=np.full(5, O2), time=seconds(5), value=np.full(5, 401.0))
    assert runtime.push(cols) == 5
    records = np.zeros(5, dtype=sample_dtype)
    records["point_id"], records["time"], records["value"] = O2, seconds(5, 5), 402.0
    assert runtime.push(SampleArray(records)) == 5
    assert runtime.push(point_id=np.full(3, O2, dtype=np.int32), time=seconds(3, 10),
                        value=[403, 403, 403], quality=np.zeros(3, dtype=np.uint8)) == 3
    runtime.sync()
    assert list(runtime.query(O2, T0, T0 + 100_000_000).value) == [401.0] * 5 + [402.0] * 5 + [403.0] * 3
    with pytest.raises(houqin.InvalidArgument, match="value: length 2 differs"):
        runtime.push(point_id=O2, time=seconds(3), value=np.zeros(2))
    with pytest.raises(houqin.InvalidArgument, match="sample_dtype"):
        runtime.push(np.zeros(4))
    with pytest.raises(houqin.InvalidArgument, match="not both"):
        runtime.push(records, value=np.zeros(5))
    with pytest.raises(houqin.NotFound):
        runtime.query(999, T0, T0 + 1)
    runtime.close()
    assert runtime.closed
    with pytest.raises(houqin.FailedPrecondition, match="closed"):
        runtime.push(records)
    runtime.close()  # idempotent


def test_runtime_reopens_with_the_stored_data(shared_store_url, key_file, tmp_path):
    with houqin.Store(shared_store_url, key_file=key_file, migrate=True):
        pass
    with houqin.telemetry.Runtime(shared_store_url, runtime_config(), key_file=key_file) as rt:
        rt.push(point_id=O2, time=seconds(100), value=np.full(100, 400.0))
    with houqin.telemetry.Runtime(shared_store_url, runtime_config(), key_file=key_file) as rt:
        assert len(rt.query(O2, T0, T0 + 10**9)) == 100
        assert rt.config["storage"][0]["point_id"] == O2


def low_pressure(rt, start=0):
    """10 s normal, then 30 s at 300 kPa: the ICU oxygen area alarm (lo) is raised."""
    v = np.r_[np.full(10, 400.0), np.linspace(380, 300, 5), np.full(25, 300.0)]
    rt.push(point_id=O2, time=seconds(len(v), start), value=v, wait=True)


def test_alarm_callbacks_run_on_the_pipeline_thread(runtime):
    import threading
    got, threads = [], []

    def on_raised(event):
        threads.append(threading.get_ident())
        got.append(event)
        runtime.stats()  # a callback may call back into the runtime (not push)

    with runtime.subscribe(houqin.telemetry.AlarmRaised, on_raised):
        transitions = []
        sub = runtime.subscribe(houqin.telemetry.AlarmTransition, transitions.append)
        low_pressure(runtime)
    assert len(got) == 1 and got[0].point_id == O2 and got[0].kind == "lo"
    assert got[0].value == pytest.approx(300.0, abs=20) and got[0].time.year == 2026
    assert threads[0] != threading.get_ident()
    assert [t.to for t in transitions if t.raise_] == ["unacknowledged"]
    sub.close()
    assert runtime.status(O2, "lo").state == houqin.telemetry.AlarmState.unacknowledged


def test_raising_callback_is_reported_and_the_pipeline_goes_on(runtime, monkeypatch):
    reported = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: reported.append(u.exc_value))

    def broken(event):
        raise RuntimeError("handler broke on point %d" % event.point_id)

    def pushes(event):
        runtime.push(point_id=VOLTS, time=seconds(1), value=[230.0])

    s1 = runtime.subscribe(houqin.telemetry.AlarmRaised, broken)
    s2 = runtime.subscribe(houqin.telemetry.AlarmRaised, pushes)
    low_pressure(runtime)
    runtime.push(point_id=O2, time=seconds(10, 40), value=np.full(10, 300.0), wait=True)
    assert len(runtime.query(O2, T0, T0 + 10**9)) == 50  # stored after the failing callbacks
    assert len(reported) == 2
    assert any(isinstance(e, RuntimeError) and str(e) == "handler broke on point 1" for e in reported)
    assert any(isinstance(e, houqin.FailedPrecondition) and "event callback" in str(e) for e in reported)
    assert runtime.stats()["alarm_callback_errors"] == 2  # counted as well as reported
    s1.close()
    s2.close()


def test_acknowledge_and_shelve_by_an_actor(shared_store_url, key_file, tmp_path):
    from conftest import Platform
    with houqin.Store(shared_store_url, key_file=key_file, migrate=True) as store:
        platform = Platform(store)
        operator = platform.user_with("op", "operator", ["telemetry.read", "telemetry.ack",
                                                         "telemetry.shelve"])
        viewer = platform.user_with("viewer", "viewer", ["telemetry.read"])
        with houqin.telemetry.Runtime(shared_store_url, runtime_config(), key_file=key_file) as rt:
            low_pressure(rt)
            assert [(a.point_id, a.kind) for a in rt.standing(operator)] == [(O2, "lo")]
            with pytest.raises(houqin.PermissionDenied):
                rt.acknowledge(viewer, O2, "lo")
            st = rt.acknowledge(operator, O2, "lo", comment="valve checked")
            assert st.state == "acknowledged" and st.acknowledged
            with pytest.raises(houqin.FailedPrecondition):
                rt.acknowledge(operator, O2, "lo")
            st = rt.shelve(operator, O2, "lo", minutes=30, reason="maintenance on the line")
            assert st.state == "shelved" and st.shelved_until is not None
            # the registered service operations act on the same runtime's engine
            st = houqin.services.telemetry.unshelve_alarm(store, operator, point_id=O2, kind="lo")
            assert st["state"] != "shelved"
            events = store.find(houqin.telemetry.AlarmEvent, point_id=O2, order_by="id")
            assert [e.cause for e in events][-3:] == ["acknowledged", "shelved", "unshelved"]
            assert events[-3].actor == "user:op"


def test_push_and_query_release_the_gil(runtime):
    import threading
    import time
    n = 1_000_000
    t = seconds(n)
    v = 400 + (np.arange(n) % 7) * 0.1
    ticks, done = [], threading.Event()

    def ticker():
        while not done.is_set():
            ticks.append(time.perf_counter())
            time.sleep(0.001)

    th = threading.Thread(target=ticker)
    th.start()
    time.sleep(0.01)
    try:
        before = len(ticks)
        start = time.perf_counter()
        runtime.push(point_id=O2, time=t, value=v, wait=True)
        pushed = len(ticks) - before
        push_s = time.perf_counter() - start
        before = len(ticks)
        cols = runtime.query(O2, T0, T0 + n * 1_000_000)
        queried = len(ticks) - before
    finally:
        done.set()
        th.join()
    assert len(cols) == n
    # the ticker ran all along (up to once a millisecond; far less on a loaded machine, but with the
    # GIL held through the push it could not run at all) while C++ worked
    assert pushed >= max(3, push_s * 20), "ticker ran %d times in %.2f s of push" % (pushed, push_s)
    assert queried >= 1


def test_query_result_is_not_copied(runtime):
    n = 1_000_000
    runtime.push(point_id=O2, time=seconds(n), value=np.full(n, 400.0), wait=True)
    gc.collect()
    before = rss_bytes()
    cols = runtime.query(O2, T0, T0 + n * 1_000_000)
    views = [(cols.time, cols.value, cols.quality, cols.flag) for _ in range(20)]
    grown = rss_bytes() - before
    assert len(cols) == n and all(v[1].base is cols for v in views)
    assert grown < n * 26 * 1.5, "a 1M-sample query grew RSS by %d bytes" % grown
    del views, cols


def test_ten_million_samples_are_pushed_in_place(tmp_path):
    """push() reads a sample_dtype array where it lies: 10M samples (320 MB) through the pipeline
    grow the process by far less than one copy of them."""
    url = "sqlite:" + str(tmp_path / "big.sqlite")
    with houqin.Store(url, migrate=True):
        pass
    points, n = 1000, 10_000_000
    config = {"storage": [{"point_id": p, "resolution": 0.01} for p in range(1, points + 1)]}
    records = np.zeros(n, dtype=sample_dtype)
    records["point_id"] = np.tile(np.arange(1, points + 1), n // points)
    records["time"] = T0 + np.repeat(np.arange(n // points, dtype=np.int64), points) * 1_000_000
    records["value"] = 230.0
    with houqin.telemetry.Runtime(url, config, serve_alarm_operations=False) as rt:
        gc.collect()
        before = rss_bytes()
        assert rt.push(records, wait=True) == n
        grown = rss_bytes() - before
        assert rt.stats()["pipeline"]["durable"] == n
    assert grown < records.nbytes / 5, "pushing 10M samples grew RSS by %d bytes" % grown


def test_runtime_memory_is_flat_over_many_calls(runtime):
    t = seconds(10)

    def exercise(k, rounds):
        for i in range(rounds):
            runtime.push(point_id=VOLTS, time=t + (k + i) * 10_000_000, value=np.full(10, 230.0))
            runtime.query(VOLTS, T0, T0 + 30_000_000).value.sum()
            runtime.stats()
            try:
                runtime.query(999, T0, T0 + 1)
            except houqin.NotFound:
                pass

    exercise(0, 300)
    runtime.sync()
    gc.collect()
    before = rss_bytes()
    exercise(300, 2000)
    runtime.sync()
    gc.collect()
    grown = rss_bytes() - before
    assert grown < 3_000_000, "RSS grew by %d bytes over 2000 rounds" % grown


def test_config_from_the_simulator_point_map():
    sim = houqin.drivers.Simulator()
    points = sim.add_gas_panel(1)
    with sim:
        doc = sim.point_map()
        cfg = houqin.telemetry.config_from_point_map(doc)
        poller = houqin.drivers.Poller(doc)
        cols = poller.poll()
    kinds = {p.id: p.kind for p in points}
    alarmed = {a["point_id"] for a in cfg["alarms"]}
    assert any(kinds[i] == "o2_pressure" for i in alarmed)
    assert len(cols) == len([p for p in points if p.data_type != "string"])
    assert (cols.quality == 0).all() and poller.requests > 0 and sim.requests > 0


def test_poller_status_names_quality_error_and_counters():
    sim = houqin.drivers.Simulator()
    sim.add_gas_panel(1)
    sim.start()
    try:
        poller = houqin.drivers.Poller(sim.point_map())
        assert poller.status()[0]["devices"][0]["polled_at"] is None  # not polled yet
        poller.poll()
        [conn] = poller.status()  # drivers::ConnectionStatus, member for member
        assert set(conn) == {"connection", "connected", "stats", "devices"}
        assert conn["connection"] == "tcp 127.0.0.1:%d" % sim.port and conn["connected"]
        assert set(conn["stats"]) == {"requests", "timeouts", "reconnects", "connects",
                                      "connect_failures", "resyncs", "bad_frames", "last_error",
                                      "last_error_time"}
        assert conn["stats"]["requests"] == poller.requests and conn["stats"]["timeouts"] == 0
        assert conn["stats"]["last_error"] == "" and conn["stats"]["last_error_time"] is None
        device = conn["devices"][0]
        assert device["quality"] is houqin.drivers.Quality.good and device["error"] == ""
        assert device["device"] == "gas-panel-1" and device["polled_at"].tzinfo is not None
        port = sim.port
    finally:
        sim.stop()
    cols = poller.poll()  # the server is gone
    assert (cols.quality == list(houqin.drivers.Quality).index(houqin.drivers.Quality.comm_fail)).all()
    [conn] = poller.status()
    device = conn["devices"][0]
    assert device["quality"] == "comm_fail" and not conn["connected"]
    assert device["error"].startswith("reconnect to tcp 127.0.0.1:%d: " % port)
    assert conn["stats"]["last_error"] == device["error"] and conn["stats"]["connect_failures"] == 1
    assert conn["stats"]["last_error_time"] >= device["polled_at"]


def test_close_while_another_thread_pushes(runtime):
    import threading
    import time
    n = 1_000_000
    outcome = []

    def pusher():
        try:
            outcome.append(runtime.push(point_id=O2, time=seconds(n), value=np.full(n, 400.0)))
        except houqin.FailedPrecondition as e:
            outcome.append(e)

    th = threading.Thread(target=pusher)
    th.start()
    time.sleep(0.05)
    runtime.close()  # waits for the push in the other thread; never frees under it
    th.join()
    assert runtime.closed and len(outcome) == 1
    assert outcome[0] == n or "closed" in str(outcome[0])
    with pytest.raises(houqin.FailedPrecondition, match="closed"):
        runtime.stats()


def test_runtime_configuration_errors(tmp_path):
    url = "sqlite:" + str(tmp_path / "cfg.sqlite")
    with houqin.Store(url, migrate=True):
        pass
    with pytest.raises(houqin.InvalidArgument, match="hi"):
        houqin.telemetry.Runtime(url, {"alarms": [{"point_id": 1, "hi": "high"}]})
    with pytest.raises(houqin.InvalidArgument, match="bogus"):
        houqin.telemetry.Runtime(url, {"bogus": []})
    with pytest.raises(houqin.InvalidArgument, match="when_full"):
        houqin.telemetry.Runtime(url, {}, when_full="drop")
    with pytest.raises(houqin.InvalidArgument):
        houqin.telemetry.Runtime("sqlite::memory:", {})  # the runtime opens its own connections
    with pytest.raises(houqin.InvalidArgument, match="gas"):
        houqin.telemetry.make_config(gas=[{"point_id": 1, "gas": "helium"}])


def test_runtime_configured_from_the_stored_point_map(tmp_path):
    url = "sqlite:" + str(tmp_path / "panel.sqlite")
    sim = houqin.drivers.Simulator()
    sim.add_gas_panel(1)
    with sim, houqin.Store(url, migrate=True) as store:
        report = houqin.drivers.import_point_map(store, sim.point_map())
        assert report["inserted"] == {"devices": 1, "points": report["total"] - 1}
        poller = houqin.drivers.Poller(store)  # stored point ids
        with houqin.telemetry.Runtime(url) as rt:  # config from the stored point map
            kinds = {p.id: p.kind for p in store.find(houqin.drivers.Point)}
            o2 = next(i for i, k in kinds.items() if k == "o2_pressure")
            assert any(a["point_id"] == o2 for a in rt.config["alarms"])
            for _ in range(3):
                rt.push(poller.poll())
            rt.sync()
            cols = rt.query(o2, 0, 2**62)
    assert len(cols) == 3 and (cols.quality == 0).all() and (cols.value > 300).all()


def test_frames_round_trip(runtime):
    import pandas as pd
    runtime.push(point_id=O2, time=seconds(60), value=400 + np.arange(60) * 0.1, wait=True)
    frame = runtime.query_frame(O2, T0, T0 + 60_000_000)
    moved = frame.copy()
    moved.index = moved.index + pd.Timedelta(minutes=1)  # the same readings a minute later
    assert runtime.push_frame(moved, wait=True) == 60
    both = runtime.query_frame(O2, T0, T0 + 120_000_000)
    assert len(both) == 120 and np.allclose(both["value"].to_numpy()[60:], frame["value"].to_numpy())
    flat = pd.DataFrame({"time": pd.date_range("2026-01-01 00:02", periods=5, freq="s", tz="UTC"),
                         "value": 401.0})
    assert runtime.push_frame(flat, point_id=O2, wait=True) == 5
    with pytest.raises(houqin.InvalidArgument, match="naive"):
        runtime.push_frame(flat.assign(time=flat["time"].dt.tz_localize(None)), point_id=O2)
