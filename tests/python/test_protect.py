"""Backup, restore and integrity from Python, and the GIL: a second Python thread keeps running
while a long store call (a backup of a large store) works in C++."""

import datetime
import threading
import time

import pytest

import houqin
from houqin.site import Campus


def test_backup_restore_integrity(platform, tmp_path, store_url, key_file):
    admin = platform.user_with("ops", "ops", ["protect.backup", "protect.restore", "protect.integrity"])
    platform.store.put(Campus(code="MAIN", name="Main"))
    seen = []
    manifest = houqin.protect.backup(platform.store, admin, tmp_path / "b.hqbak",
                                     progress=lambda t, done, total: seen.append((t, done, total)))
    assert manifest["tables"]["site_campus"]["rows"] == 1 and seen and seen[-1][1] == seen[-1][2]
    # protect::Manifest member for member, as C++ describes it
    assert set(manifest) == {"format_version", "source", "dialect", "created_at", "tables"}
    assert manifest["format_version"] == 1 and manifest["dialect"] == platform.store.dialect
    assert isinstance(manifest["created_at"], datetime.datetime) and manifest["created_at"].tzinfo
    assert set(manifest["tables"]["site_campus"]) == {"rows", "checksum"}
    assert houqin.protect.verify_backup(tmp_path / "b.hqbak")["tables"] == manifest["tables"]
    assert houqin.protect.check_integrity(platform.store, admin) == []
    platform.store.put(Campus(code="SECOND", name="Second"))
    houqin.protect.restore(platform.store, admin, tmp_path / "b.hqbak")
    assert [c.code for c in platform.store.find(Campus)] == ["MAIN"]
    (tmp_path / "bad.hqbak").write_bytes(b"not a backup")
    with pytest.raises(houqin.DataLoss):
        houqin.protect.verify_backup(tmp_path / "bad.hqbak")


def test_rotate_keys_reports_by_the_described_names(platform):
    admin = platform.user_with("keys", "keys", ["protect.rotate_keys"])
    report = houqin.protect.rotate_keys(platform.store, admin)
    assert set(report) == {"resealed", "current", "tables"}
    assert all(isinstance(v, int) and v >= 0 for v in report.values())
    assert houqin.protect.rotate_keys(platform.store, admin)["resealed"] == 0  # all current now


def test_raising_progress_callback_aborts_and_reaches_caller(platform, tmp_path):
    admin = platform.user_with("ops", "ops", ["protect.backup"])

    def progress(table, done, total):
        raise KeyError("stop here")

    with pytest.raises(KeyError, match="stop here"):
        houqin.protect.backup(platform.store, admin, tmp_path / "b.hqbak", progress=progress)
    assert platform.store.count(Campus) == 0  # the store is still usable


def fill(store, rows, first=1):
    last = first + rows - 1
    if store.dialect == "sqlite":
        store.execute(
            "INSERT INTO site_dictionary_entry (version, dictionary, code, name, sort_order, active) "
            "WITH RECURSIVE c(x) AS (SELECT %d UNION ALL SELECT x + 1 FROM c WHERE x < %d) "
            "SELECT 1, 'd', 'c' || x, 'entry ' || x, x, 1 FROM c" % (first, last))
    else:
        store.execute(
            "INSERT INTO site_dictionary_entry (version, dictionary, code, name, sort_order, active) "
            "SELECT 1, 'd', 'c' || x, 'entry ' || x, x, 1 FROM generate_series(%d, %d) AS x"
            % (first, last))


def test_gil_released_during_long_call(platform, tmp_path):
    admin = platform.user_with("ops", "ops", ["protect.backup"])
    ticks = []
    stop = threading.Event()

    def worker():
        while not stop.is_set():
            ticks.append(time.monotonic())
            time.sleep(0.002)

    # A backup long enough to show anything: 300,000 rows take 0.2-0.6 s depending on the disk
    # (less on tmpfs), so rows are added until one does (at most 1.2 million).
    for attempt in range(4):
        fill(platform.store, 300_000, first=1 + attempt * 300_000)
        ticks.clear()
        stop.clear()
        t = threading.Thread(target=worker)
        t.start()
        time.sleep(0.05)
        start = time.monotonic()
        houqin.protect.backup(platform.store, admin, tmp_path / ("big%d.hqbak" % attempt))
        end = time.monotonic()
        stop.set()
        t.join()
        if end - start > 0.3:
            break
    assert end - start > 0.2, "the call was too short to show anything (%.3f s)" % (end - start)
    # Ticks strictly inside the call, away from its edges: none if the GIL were held throughout.
    inside = [x for x in ticks if start + 0.05 < x < end - 0.05]
    assert len(inside) >= 10, "the other thread ticked %d times in %.2f s" % (len(inside), end - start)


def test_one_store_shared_by_threads_is_serialised(store):
    errors = []

    def worker(k):
        try:
            for i in range(200):
                c = store.put(Campus(code="T%d-%d" % (k, i), name="n"))
                assert store.require(Campus, c.id).code == c.code
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and store.count(Campus) == 800
