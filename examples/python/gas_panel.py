#!/usr/bin/env python3
"""Read a medical gas panel over Modbus for a few seconds, push the readings through the
telemetry runtime (verify -> alarm -> store) and plot the pressures.

The panel is houqin's Modbus simulator (houqin.drivers.Simulator, on 127.0.0.1); point a point
map at a real panel and the rest is the same.

    PYTHONPATH=build/release/python python3 examples/python/gas_panel.py [--seconds=5] [--out=gas_panel.png]
"""

import argparse
import os
import pathlib
import tempfile
import time

import matplotlib

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.dates as mdates  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402

import houqin  # noqa: E402
from houqin.drivers import Point  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--interval", type=float, default=0.2, help="seconds between polls")
    ap.add_argument("--out", default="gas_panel.png", help="the chart (.png or .svg)")
    args = ap.parse_args()

    folder = pathlib.Path(tempfile.mkdtemp(prefix="houqin-gas-"))
    url = "sqlite:" + str(folder / "gas.sqlite")
    sim = houqin.drivers.Simulator(update_interval_ms=50)
    sim.add_gas_panel(1)
    with sim, houqin.Store(url, migrate=True) as store:
        houqin.drivers.import_point_map(store, sim.point_map())
        points = {p.id: p for p in store.find(Point)}
        poller = houqin.drivers.Poller(store)  # reads with the stored point ids
        # The configuration comes from the stored point map: gas profiles by point kind.
        with houqin.telemetry.Runtime(url, wal_dir=folder / "wal") as rt:
            alarms = []
            subscription = rt.subscribe(houqin.telemetry.AlarmRaised, alarms.append)  # keep it
            start = time.monotonic()
            polls = 0
            while time.monotonic() - start < args.seconds:
                rt.push(poller.poll())  # SampleColumns straight in: no Python per reading
                polls += 1
                time.sleep(args.interval)
            rt.sync()
            subscription.close()
            stats = rt.stats()
            print("%d polls, %d Modbus requests, %d samples stored, %d alarms raised" % (
                polls, poller.requests, stats["pipeline"]["durable"], len(alarms)))

            pressures = [p for p in points.values() if p.kind.value.endswith("_pressure")]
            frames = {p.name: rt.query_frame(p.id, 0, 2**62) for p in pressures}
    # one small chart per gas: each on its own scale (vacuum ~50 kPa, nitrogen ~800 kPa)
    fig, axes = plt.subplots(len(frames), 1, figsize=(9, 1.6 * len(frames)), sharex=True)
    for ax, (name, df) in zip(axes, frames.items()):
        unit = points[df["point_id"].iloc[0]].unit
        ax.plot(df.index, df["value"], marker=".")
        ax.set_ylabel(unit)
        ax.set_title(name, fontsize="small", loc="left")
        print("  %-26s %4d samples  last %8.1f %s  flags %s" % (
            name, len(df), df["value"].iloc[-1], unit,
            dict(df["flag"].value_counts()[lambda c: c > 0])))
    axes[-1].xaxis.set_major_formatter(mdates.DateFormatter("%H:%M:%S"))
    axes[-1].set_xlabel("UTC")
    fig.suptitle("Medical gas panel (simulated), %.0f s" % args.seconds)
    fig.autofmt_xdate()
    fig.tight_layout()
    fig.savefig(args.out)
    print("chart written to %s (%d bytes)" % (args.out, os.path.getsize(args.out)))


if __name__ == "__main__":
    main()
