#!/usr/bin/env python3
"""Pushing telemetry from numpy through houqin.telemetry.Runtime (verify + alarm + store into a
SQLite file), against the same samples and configuration pushed from C++ in the same run
(runtime_push_bench, Google Benchmark, its JSON output parsed here) and against the loop a
hospital scripter would otherwise write: the sqlite3 module, one INSERT per sample.

    PYTHONPATH=build/release/python python3 benchmarks/python_push_bench.py \
        --cpp=build/release/benchmarks/runtime_push_bench      # 10M samples (the full run)
    ... --samples=200000 --points=1000 --python-samples=20000   # a smoke run (the tests)

Rates are samples per second of process CPU time (both threads: the pusher and the pipeline),
as the C++ pipeline benchmarks measure them on this shared machine; wall-time rates are printed
too. The sqlite3 loop is timed on --python-samples and its rate extrapolated (it is linear).
"""

import argparse
import json
import os
import pathlib
import sqlite3
import subprocess
import sys
import tempfile
import time

import numpy as np

import houqin

T0 = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z


def make_samples(n, points):
    """n samples of `points` phase voltages at 1 s, interleaved as a poll would deliver them:
    2-decimal readings around 230 V (a slow swing plus noise)."""
    seconds = -(-n // points)
    k = np.repeat(np.arange(seconds, dtype=np.int64), points)[:n]
    p = np.tile(np.arange(1, points + 1, dtype=np.int64), seconds)[:n]
    rng = np.random.default_rng(1)
    v = np.round(230 + 2 * np.sin((k + p) / 40.0) + rng.normal(0, 0.05, n), 2)
    s = np.zeros(n, dtype=houqin.telemetry.sample_dtype)
    s["point_id"], s["time"], s["value"] = p, T0 + k * 1_000_000, v
    return s


def make_config(points):
    return houqin.telemetry.make_config(
        power=[{"point_id": p, "quantity": "phase_voltage", "nominal": 230, "area": "bench"}
               for p in range(1, points + 1)])


def python_runtime(samples, config, folder):
    url = "sqlite:" + str(folder / "py.sqlite")
    with houqin.Store(url, migrate=True):
        pass
    rt = houqin.telemetry.Runtime(url, config, wal_dir=folder / "py-wal",
                                  serve_alarm_operations=False)
    cpu0, wall0 = time.process_time(), time.perf_counter()
    accepted = rt.push(samples)  # one call: slices, GIL released, no Python per sample
    rt.sync(timeout_s=600)
    rt.close()  # as the C++ side: stops the pipeline, writes the open blocks, closes connections
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    assert accepted == len(samples)
    return len(samples) / cpu, len(samples) / wall


def sqlite3_loop(samples, folder):
    """What a scripter writes: rows as Python values, one execute per sample, a commit per poll
    (10,000 rows), the same table, journal and sync settings as the C ceiling."""
    con = sqlite3.connect(folder / "loop.sqlite", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute("CREATE TABLE sample (point_id INTEGER NOT NULL, ts INTEGER NOT NULL, value REAL, "
                "quality INTEGER NOT NULL, flag INTEGER NOT NULL)")
    rows = list(zip(samples["point_id"].tolist(), samples["time"].tolist(),
                    samples["value"].tolist()))
    cur = con.cursor()
    cpu0, wall0 = time.process_time(), time.perf_counter()
    for i, (p, t, v) in enumerate(rows):
        if i % 10000 == 0:
            cur.execute("BEGIN")
        cur.execute("INSERT INTO sample VALUES (?, ?, ?, ?, ?)", (p, t, v, 0, 0))
        if i % 10000 == 9999:
            cur.execute("COMMIT")
    if con.in_transaction:
        cur.execute("COMMIT")
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    con.close()
    return len(rows) / cpu, len(rows) / wall


def cpp_runtime(binary, samples, config, folder):
    samples_file, config_file = folder / "samples.bin", folder / "config.json"
    samples.tofile(samples_file)
    config_file.write_text(json.dumps(config))
    out = folder / "cpp.json"
    subprocess.run([str(binary), "--samples=" + str(samples_file), "--config=" + str(config_file),
                    "--benchmark_filter=BM_RuntimePushCpp", "--benchmark_out=" + str(out),
                    "--benchmark_out_format=json"], check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    samples_file.unlink()
    run = next(b for b in json.loads(out.read_text())["benchmarks"]
               if b["name"].startswith("BM_RuntimePushCpp"))
    if run.get("error_occurred"):
        sys.exit("runtime_push_bench: " + run.get("error_message", "failed"))
    return run["items_per_second"], run["wall_samples_per_s"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--samples", type=int, default=10_000_000)
    ap.add_argument("--points", type=int, default=10_000)
    ap.add_argument("--python-samples", type=int, default=300_000,
                    help="samples for the sqlite3 loop (its rate is extrapolated)")
    ap.add_argument("--cpp", default=os.environ.get("HOUQIN_RUNTIME_PUSH_BENCH", ""),
                    help="the runtime_push_bench binary (skipped when not given)")
    ap.add_argument("--rounds", type=int, default=1, help="interleaved rounds; medians reported")
    args = ap.parse_args()

    samples = make_samples(args.samples, args.points)
    config = make_config(args.points)
    py, cpp, loop = [], [], []
    with tempfile.TemporaryDirectory(prefix="houqin-push-bench-") as d:
        folder = pathlib.Path(d)
        for r in range(args.rounds):
            round_dir = folder / str(r)
            round_dir.mkdir()
            if args.cpp:
                cpp.append(cpp_runtime(args.cpp, samples, config, round_dir))
            py.append(python_runtime(samples, config, round_dir))
            loop.append(sqlite3_loop(samples[: args.python_samples], round_dir))

    def median(runs, i):
        return float(np.median([r[i] for r in runs]))

    print("samples %d (%d points), rounds %d" % (args.samples, args.points, args.rounds))
    print("python Runtime.push: %.2f M samples/s CPU, %.2f M/s wall" % (median(py, 0) / 1e6, median(py, 1) / 1e6))
    if cpp:
        print("C++ Runtime::push:   %.2f M samples/s CPU, %.2f M/s wall" % (median(cpp, 0) / 1e6, median(cpp, 1) / 1e6))
        print("ratio python/cpp = %.3f (target >= 0.8; wall %.3f)" % (
            median(py, 0) / median(cpp, 0), median(py, 1) / median(cpp, 1)))
    print("sqlite3 loop (%d samples): %.3f M samples/s CPU, %.3f M/s wall; 10M samples would take %.0f s" % (
        args.python_samples, median(loop, 0) / 1e6, median(loop, 1) / 1e6, 10e6 / median(loop, 1)))
    print("ratio runtime/sqlite3 loop = %.1f (wall %.1f)" % (median(py, 0) / median(loop, 0),
                                                            median(py, 1) / median(loop, 1)))


if __name__ == "__main__":
    main()
